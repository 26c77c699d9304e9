"""A book of letters: chosen letters in order, with a title, a foreword and contents, made
into a print-ready PDF and an EPUB, both checked before anyone is told they're ready.

The two files appear together or not at all (each is written to a temporary file beside its
target, and both are renamed only once both are complete), so a failure never leaves half a
book for Samantha to send to a publisher.

Limits, decided here rather than discovered by a printer: at most ``MAX_LETTERS`` letters
(a 500-letter book is refused with the advice to split it into volumes; print-on-demand
services bind at most about 800 pages, which is also checked once the book is set); at least
one letter; a title; no empty letter. Emoji that no installed font can draw are dropped from
the PDF only, and the verdict's ``warnings`` say which; any other character no font can draw
is refused by name.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from os1.errors import InputError, Os1Error
from os1.tools.letters import fonts
from os1.tools.letters.book_epub import write_epub
from os1.tools.letters.book_pdf import nice_date, write_pdf
from os1.tools.letters.validate import Verdict, validate_epub, validate_pdf
from os1.tools.output import atomic_output, file_stem

MAX_LETTERS = 300
MAX_PAGES = 800

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BookLetter:
    title: str
    sender: str
    recipient: str
    occasion: str
    written_on: str  # ISO date (shown as "12 June 2024"), or any text the person chose
    body: str


@dataclass
class BookSpec:
    title: str
    subtitle: str = ""
    author: str = ""
    foreword: str = ""
    letters: list[BookLetter] = field(default_factory=list)
    language: str = "en"


@dataclass(frozen=True)
class BookResult:
    pdf: Path
    epub: Path
    pages: int
    verdict: dict[str, Any]  # {"pdf": Verdict, "epub": Verdict, "warnings": [...]} as dicts


def letter_heading(letter: BookLetter) -> tuple[str, list[str]]:
    """The chapter's heading and the lines under it ("From X to Y", the date)."""
    heading = " ".join((letter.title or letter.occasion or f"To {letter.recipient}").split())
    lines = []
    if letter.occasion and letter.occasion.strip() != heading:
        lines.append(" ".join(letter.occasion.split()))
    people = [p for p in (f"From {letter.sender.strip()}" if letter.sender.strip() else "",
                          f"to {letter.recipient.strip()}" if letter.recipient.strip() else "") if p]
    if people:
        lines.append(" ".join(people)[0].upper() + " ".join(people)[1:])
    if letter.written_on.strip():
        lines.append(nice_date(letter.written_on))
    return heading or "A letter", lines


def paragraphs(text: str) -> list[str]:
    """Blank lines part paragraphs; single line breaks (a closing and its name) are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            out.append(joined)
    return out


def _texts(spec: BookSpec) -> list[tuple[str, str]]:
    """Every piece of text in the book with where it is, for messages a person can act on."""
    out = [("the title", spec.title), ("the subtitle", spec.subtitle), ("the author", spec.author),
           ("the foreword", spec.foreword)]
    for number, letter in enumerate(spec.letters, 1):
        where = f"letter {number} ({letter.title or letter.occasion or letter.recipient})"
        out += [(where, letter.title), (where, letter.sender), (where, letter.recipient),
                (where, letter.occasion), (where, letter.written_on), (where, letter.body)]
    return out


def check_spec(spec: BookSpec) -> list[str]:
    """Refuse what can't make a good book (InputError saying what to do); return warnings."""
    if not spec.title.strip():
        raise InputError("The book has no title.", "Give it a title (it goes on the cover, the "
                         "title page and every left-hand page), then try again.")
    count = len(spec.letters)
    if count == 0:
        raise InputError("The book has no letters.", "Choose at least one letter to put in it.")
    if count > MAX_LETTERS:
        volumes = -(-count // MAX_LETTERS)
        raise InputError(f"{count} letters is too many for one book: I make books of at most "
                         f"{MAX_LETTERS} letters (a printer binds about {MAX_PAGES} pages at most).",
                         f"Split them into {volumes} volumes of at most {MAX_LETTERS} letters "
                         "each, or choose the letters you love most.")
    empty = [str(n) for n, letter in enumerate(spec.letters, 1) if not letter.body.strip()]
    if empty:
        raise InputError(f"Letter{'s' if len(empty) > 1 else ''} {', '.join(empty[:10])} "
                         f"{'are' if len(empty) > 1 else 'is'} empty.",
                         "Write them, or leave them out of the book.")
    faces = fonts.book_faces()
    available = [faces.regular, faces.italic, *fonts.fallbacks()]
    dropped: dict[str, None] = {}
    for where, text in _texts(spec):
        missing = fonts.missing_characters(text, available)
        refused = [c for c in missing if not fonts.is_emoji(c)]
        if refused:
            raise InputError(f"In {where}, there are characters no installed font can draw: "
                             f"{fonts.describe(refused[:10])}.",
                             "Replace or remove them; for Hebrew and Arabic, install the fonts: "
                             "pip install fontpkg-frank-ruhl-libre fontpkg-amiri (or apt-get "
                             "install fonts-dejavu-core).")
        dropped.update(dict.fromkeys(missing))
    if not dropped:
        return []
    return [f"These emoji have no font to draw them in the PDF, so the PDF leaves them out "
            f"(the EPUB keeps them): {fonts.describe(dropped)}."]


def pdf_cleaner(spec: BookSpec) -> Callable[[str], str]:
    """Text as the PDF gets it: no invisible joiners or variation selectors (fpdf2 would draw
    boxes for them), no emoji without a font (named in the warnings)."""
    faces = fonts.book_faces()
    available = [faces.regular, faces.italic, *fonts.fallbacks()]

    def clean(text: str) -> str:
        kept = []
        for char in unicodedata.normalize("NFC", text):
            if char in "\n " or char == "\t":
                kept.append(" " if char == "\t" else char)
            elif fonts.is_invisible(char) or (
                    fonts.is_emoji(char) and not any(fonts.covers(f, char) for f in available)):
                continue
            else:
                kept.append(char)
        return re.sub(r"[ ]{2,}", " ", "".join(kept)).strip(" ")

    return clean


def _needs_shaping(spec: BookSpec) -> bool:
    """Right-to-left text and combining marks need HarfBuzz; plain Latin is set faster without."""
    return any(fonts.is_rtl(c) or unicodedata.category(c) == "Mn"
               for _, text in _texts(spec) for c in text)


def default_stem(title: str) -> str:
    return file_stem(title, limit=60, fallback="book")


def build_book(spec: BookSpec, out_dir: Path, *, stem: str | None = None, validate: bool = True,
               progress: Progress | None = None) -> BookResult:
    """Make ``<stem>.pdf`` and ``<stem>.epub`` in ``out_dir`` and (by default) check both.

    ``progress(stage, done, total)`` is called as letters are set ("pdf", then "epub") and
    once per check ("check")."""
    warnings = check_spec(spec)
    out_dir = Path(out_dir)
    stem = stem or default_stem(spec.title)
    if "/" in stem or stem.startswith("."):
        raise InputError(f"{stem!r} can't be a file name.", "Choose a plain name, like 'letters'.")
    pdf_path, epub_path = out_dir / f"{stem}.pdf", out_dir / f"{stem}.epub"
    with contextlib.ExitStack() as stack:
        pdf_temp = stack.enter_context(atomic_output(pdf_path))
        epub_temp = stack.enter_context(atomic_output(epub_path))
        try:
            pages = write_pdf(spec, pdf_temp, clean=pdf_cleaner(spec), shaping=_needs_shaping(spec),
                              progress=progress)
        except Os1Error:
            raise
        except Exception as exc:  # fpdf2 raises plain exceptions (fonts, shaping, layout)
            raise Os1Error(f"I couldn't set the book's PDF: {exc}. Nothing was written.",
                           "Try again; if it fails the same way, the letters' text is the "
                           "likely cause (tell us which book).") from exc
        if pages > MAX_PAGES:
            raise InputError(f"The book came to {pages} pages; a printer binds at most "
                             f"{MAX_PAGES}. Nothing was written.",
                             "Split it into volumes, or choose fewer (or shorter) letters.")
        try:
            write_epub(spec, epub_temp, progress=progress)
        except Exception as exc:
            raise Os1Error(f"I couldn't write the book's EPUB: {exc}. Nothing was written.",
                           "Try again; if it fails the same way, tell us which book.") from exc
    verdict: dict[str, Any] = {"warnings": warnings, "pdf": None, "epub": None}
    if validate:
        checks: list[tuple[str, Callable[[Path], Verdict], Path]] = [
            ("pdf", validate_pdf, pdf_path), ("epub", validate_epub, epub_path)]
        for step, (name, check, path) in enumerate(checks, 1):
            verdict[name] = check(path).as_dict()
            if progress:
                progress("check", step, len(checks))
    return BookResult(pdf_path, epub_path, pages, verdict)
