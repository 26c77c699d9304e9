"""Text out of a person's files, cut into passages that remember where they came from.

A file is first read into *units* — lines (text, Markdown, email, HTML), pages (PDF) or
paragraphs (Word, OpenDocument) — and the units are grouped into chunks of a few hundred
words, each with its place ("lines 12–30", "page 3", "paragraphs 14–20") and the heading
it sits under. The same units answer ``read_file_part``, so a citation always points at
text that can be shown again.

Nothing here raises: a file os1 can't read comes back with status ``skipped`` (a known
limit: a scanned PDF, a password, a binary file) or ``error`` (damaged), and a note in
plain words that names the file.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree import ElementTree

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".log": "text", ".rst": "text", ".org": "text",
                 ".csv": "text", ".tsv": "text", ".md": "markdown", ".markdown": "markdown",
                 ".pdf": "pdf", ".docx": "docx", ".eml": "email", ".html": "html",
                 ".htm": "html", ".odt": "odt"}
UNIT_OF_KIND = {"text": "line", "markdown": "line", "email": "line", "html": "line",
                "pdf": "page", "docx": "paragraph", "odt": "paragraph"}
TEXT_KINDS = frozenset({"text", "markdown"})

MAX_TEXT_BYTES = 4 * 1024 * 1024  # of a plain-text file, what is read and indexed
MAX_CHARS = 2_000_000  # of extracted text per file
CHUNK_TARGET = 1200  # characters: a chunk ends at the next break after this
CHUNK_MAX = 2400  # characters: a chunk ends here whatever comes next
CHUNK_LINES = 60

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def kind_of(path: str | PurePath) -> str | None:
    """The kind os1 reads this file as, from its name, or None when it doesn't read it."""
    return TEXT_SUFFIXES.get(PurePath(path).suffix.lower())


@dataclass(frozen=True)
class Unit:
    n: int  # 1-based number of the line / page / paragraph
    text: str
    heading: str = ""  # the heading this unit sits under ("Trip › Day 2")
    starts_section: bool = False  # a heading line/paragraph: a chunk starts here


@dataclass(frozen=True)
class Document:
    kind: str
    unit: str  # line | page | paragraph
    units: list[Unit]
    status: str = "ok"  # ok | skipped | error
    note: str = ""  # what went wrong or was left out, naming the file


@dataclass(frozen=True)
class Chunk:
    unit: str
    first: int
    last: int
    place: str  # "lines 12–30", "page 3", "paragraphs 14–20"
    heading: str
    text: str


@dataclass(frozen=True)
class Extracted:
    kind: str
    status: str  # ok | skipped | error
    note: str
    chunks: list[Chunk] = field(default_factory=list)


def place_of(unit: str, first: int, last: int) -> str:
    if first == last:
        return f"{unit} {first}"
    return f"{unit}s {first}–{last}"


def source_label(name: str, unit: str, first: int, last: int) -> str:
    """How a passage is cited: "notes/trip.md:12-20", "report.pdf p. 3", "cv.docx ¶ 4-9"."""
    span = str(first) if first == last else f"{first}-{last}"
    if unit == "line":
        return f"{name}:{span}"
    if unit == "page":
        return f"{name} p. {span}"
    return f"{name} ¶ {span}"


# -- reading -----------------------------------------------------------------------------

def read_document(name: str, data: bytes, kind: str, *, truncated: bool = False) -> Document:
    """The units of a file's bytes. Never raises; problems come back as status + note."""
    unit = UNIT_OF_KIND.get(kind, "line")
    try:
        if kind in TEXT_KINDS:
            doc = _read_text(name, data, kind, truncated)
        elif kind == "pdf":
            doc = _read_pdf(name, data)
        elif kind == "docx":
            doc = _read_docx(name, data)
        elif kind == "odt":
            doc = _read_odt(name, data)
        elif kind == "email":
            doc = _read_email(name, data)
        elif kind == "html":
            doc = _as_lines(kind, _html_text(_decode(data)[0]), "")
        else:
            return Document(kind, unit, [], "skipped", f"{name}: os1 doesn't read {kind} files.")
    except MemoryError:
        return Document(kind, unit, [], "error", f"{name} is too big to read in memory.")
    except Exception as exc:  # a damaged file must not stop the others
        log.debug("couldn't read %s", name, exc_info=True)
        return Document(kind, unit, [], "error",
                        f"{name} is damaged or isn't really a {kind} file, so os1 couldn't read "
                        f"it ({type(exc).__name__}: {str(exc)[:120]}).")
    return _capped(name, doc)


def extract(name: str, data: bytes, kind: str, *, truncated: bool = False) -> Extracted:
    """A file's passages with their places. Never raises."""
    doc = read_document(name, data, kind, truncated=truncated)
    if doc.status != "ok":
        return Extracted(kind, doc.status, doc.note)
    chunks = chunk_units(doc.unit, doc.units)
    if not chunks and doc.status == "ok":
        return Extracted(kind, "ok", doc.note or f"{name} is empty.")
    return Extracted(kind, "ok", doc.note, chunks)


def _capped(name: str, doc: Document) -> Document:
    total, kept = 0, list[Unit]()
    for unit in doc.units:
        total += len(unit.text) + 1
        if total > MAX_CHARS:
            note = f"{name} is very long; only its first {MAX_CHARS // 1_000_000} million " \
                   f"characters (up to {doc.unit} {unit.n - 1}) were indexed."
            return Document(doc.kind, doc.unit, kept, doc.status,
                            "; ".join(x for x in (doc.note, note) if x))
        kept.append(unit)
    return doc


_WESTERN_GUESSES = ("cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_1", "iso8859_2",
                    "iso8859_9", "iso8859_13", "iso8859_15", "mac_roman", "mac_latin2",
                    "mac_iceland", "mac_turkish")


def _decode(data: bytes) -> tuple[str, str]:
    """Text from bytes whatever the encoding; the note says when characters were guessed."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), ""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), ""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[:256 * 1024]).best()
        if best is not None and best.encoding:
            if best.encoding.startswith(_WESTERN_GUESSES):
                # Latin-script guesses are close calls between code pages that differ in a
                # few letters; Windows-1252 is by far the likeliest of them in a person's files.
                try:
                    return data.decode("cp1252"), ""
                except UnicodeDecodeError:
                    pass
            return data.decode(best.encoding, "replace"), ""
    except (ImportError, LookupError):
        pass
    return data.decode("cp1252", "replace"), "some characters couldn't be decoded"


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and control / len(head) > 0.1


def _read_text(name: str, data: bytes, kind: str, truncated: bool) -> Document:
    if looks_binary(data):
        return Document(kind, "line", [], "skipped",
                        f"{name} looks like a binary file, not text, so os1 didn't read it.")
    notes = []
    if truncated:
        cut = data.rfind(b"\n")
        data = data[:cut + 1] if cut > 0 else data
        notes.append(f"{name} is large; only its first {MAX_TEXT_BYTES // (1024 * 1024)} MB "
                     "were indexed")
    text, note = _decode(data)
    if note:
        notes.append(f"{name}: {note}")
    doc = _as_lines(kind, text, "")
    return Document(doc.kind, doc.unit, doc.units, "ok", "; ".join(notes))


def _as_lines(kind: str, text: str, title: str) -> Document:
    """Lines as units; in Markdown, headings (outside code fences) start sections."""
    units: list[Unit] = []
    trail: list[tuple[int, str]] = []
    fenced = False
    for n, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = line.replace("\x00", "")
        starts = False
        if kind == "markdown":
            if _FENCE.match(line):
                fenced = not fenced
            elif not fenced and (match := _HEADING.match(line)):
                level = len(match.group(1))
                trail = [(lv, t) for lv, t in trail if lv < level] + [(level, match.group(2))]
                starts = True
        heading = " › ".join(t for _, t in trail) or title
        units.append(Unit(n, line, heading, starts))
    while units and not units[-1].text.strip():
        units.pop()
    return Document(kind, "line", units)


def _read_pdf(name: str, data: bytes) -> Document:
    import pypdf
    from pypdf.errors import FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # an unsupported cipher is as closed as a password
            opened = False
        if not opened:
            return Document("pdf", "page", [], "skipped",
                            f"{name} is password-protected (encrypted), so os1 can't read it.")
    units, bad = [], []
    try:
        pages = list(reader.pages)
    except FileNotDecryptedError:
        return Document("pdf", "page", [], "skipped",
                        f"{name} is password-protected (encrypted), so os1 can't read it.")
    for n, page in enumerate(pages, 1):
        try:
            text = page.extract_text() or ""
        except Exception:
            bad.append(n)
            text = ""
        units.append(Unit(n, text.replace("\x00", "")))
    if not any(u.text.strip() for u in units):
        if bad:
            return Document("pdf", "page", [], "error", f"{name} is damaged: none of its pages "
                            "could be read.")
        return Document("pdf", "page", [], "skipped",
                        f"{name} has no text layer (it's a scanned image); os1 can't read it "
                        "without OCR.")
    note = ""
    if bad:
        note = f"{name}: page{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad[:10]))} " \
               "couldn't be read"
    return Document("pdf", "page", units, "ok", note)


def _read_docx(name: str, data: bytes) -> Document:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    blocks: list[tuple[str, bool, int]] = []  # text, is heading, heading level
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = (item.style.name if item.style is not None else "") or ""
            level = 0
            if style == "Title":
                level = 1
            elif style.startswith("Heading"):
                digits = style.removeprefix("Heading").strip()
                level = int(digits) if digits.isdigit() else 1
            blocks.append((item.text, level > 0, level))
        elif isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat: keep each once per row
                    if not cells or cells[-1] != cell.text:
                        cells.append(cell.text)
                rows.append(" | ".join(c.strip() for c in cells))
            blocks.append(("\n".join(rows), False, 0))
    return _paragraphs("docx", blocks)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _read_odt(name: str, data: bytes) -> Document:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("content.xml"))
    blocks: list[tuple[str, bool, int]] = []
    for element in root.iter():
        if element.tag in (f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h"):
            is_heading = element.tag.endswith("}h")
            level = int(element.get(f"{{{_ODF_TEXT}}}outline-level", "1") or 1) if is_heading else 0
            blocks.append(("".join(element.itertext()), is_heading, level))
    return _paragraphs("odt", blocks)


def _paragraphs(kind: str, blocks: list[tuple[str, bool, int]]) -> Document:
    """Non-empty paragraphs (and tables) numbered from 1, under their headings."""
    units: list[Unit] = []
    trail: list[tuple[int, str]] = []
    for text, is_heading, level in blocks:
        if not text.strip():
            continue
        if is_heading:
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, text.strip())]
        units.append(Unit(len(units) + 1, text, " › ".join(t for _, t in trail), is_heading))
    return Document(kind, "paragraph", units)


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "head", "noscript"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def _read_email(name: str, data: bytes) -> Document:
    message = email.message_from_bytes(data, policy=email.policy.default)
    header_lines = []
    for header in ("From", "To", "Cc", "Date", "Subject"):
        try:
            value = message.get(header)
        except Exception:  # a malformed header is shown raw rather than lost
            value = message.get_all(header, failobj=[""])[0] if header in message else None
        if value:
            header_lines.append(f"{header}: {' '.join(str(value).split())}")
    body = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, UnicodeError, AssertionError):
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        body = _html_text(content) if part.get_content_type() == "text/html" else str(content)
    attachments = [p.get_filename() or p.get_content_type() for p in message.iter_attachments()]
    lines = header_lines + ([f"Attachments: {', '.join(attachments)}"] if attachments else [])
    subject = str(message.get("Subject", "") or "")
    text = "\n".join(lines) + "\n\n" + body
    return _as_lines("email", text, " ".join(subject.split()))


# -- chunking ----------------------------------------------------------------------------

def chunk_units(unit: str, units: list[Unit]) -> list[Chunk]:
    """Group units into passages: a new one at each heading, after ~CHUNK_TARGET characters
    at a natural break (a blank line, the end of a paragraph or page), and never past
    CHUNK_MAX characters (a longer single unit is split, keeping its place)."""
    chunks: list[Chunk] = []
    group: list[Unit] = []
    size = 0

    def flush() -> None:
        nonlocal group, size
        content = [u for u in group if u.text.strip()]
        if content:
            joiner = "\n" if unit == "line" else "\n\n"
            text = joiner.join(u.text for u in group).strip()
            first, last = content[0].n, content[-1].n
            for start in range(0, len(text), CHUNK_MAX):
                chunks.append(Chunk(unit, first, last, place_of(unit, first, last),
                                    content[0].heading, text[start:start + CHUNK_MAX]))
        group, size = [], 0

    for u in units:
        if group and (u.starts_section or size + len(u.text) > CHUNK_MAX
                      or (unit == "line" and len(group) >= CHUNK_LINES)):
            flush()
        group.append(u)
        size += len(u.text) + 1
        natural_break = unit != "line" or not u.text.strip()
        if unit == "page" or (size >= CHUNK_TARGET and natural_break):
            flush()  # a page is always its own passage: it is cited as "page 3"
    flush()
    return chunks


_RANGE = r"(\d+)(?:\s*[-–—]\s*(\d+))?"
_PLACES = (re.compile(r"(?:lines?|pages?|paragraphs?|paras?|p\.|¶)\s*" + _RANGE, re.IGNORECASE),
           re.compile(r":" + _RANGE + r"\s*$"), re.compile(r"^\s*" + _RANGE + r"\s*$"))


def parse_place(place: str) -> tuple[int, int] | None:
    """(first, last) units from "lines 12–30", "page 3", "p. 3", "notes/a.md:12-20", "¶ 4",
    "7"; None when the place names no numbers (then the caller shows the beginning)."""
    for pattern in _PLACES:
        match = pattern.search(place or "")
        if match is not None:
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) else first
            return (max(1, min(first, last)), max(first, last))
    return None
