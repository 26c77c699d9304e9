"""Raw RFC 822 bytes → a ``ParsedMail`` that never raises, whatever the sender's software did.

Mail from strangers is full of oddities: nested multiparts, charsets that don't exist or lie,
headers that break the modern parser, no body at all, HTML only, 50 MB attachments. The
modern parser (``policy.default``) is tried first because it decodes headers properly; any
header it chokes on is read again with the forgiving ``compat32`` parser. Attachments are
recorded by name, type and (estimated) size — their content is never decoded into the text.
The text is capped (``TEXT_LIMIT``) so one message can't flood the store or a prompt.
"""

from __future__ import annotations

import codecs
import contextlib
import email
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

TEXT_LIMIT = 100_000  # characters of body text kept per message
HTML_LIMIT = 2_000_000  # characters of HTML handed to the HTML parser
SNIPPET = 200
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int  # bytes, estimated from the encoded length for base64

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # "<abc@host>" or "" when the message has none
    subject: str
    from_name: str
    from_addr: str  # lowercased address, "" when missing
    to: list[str]  # "Name <addr>" or "addr" each
    cc: list[str]
    date: datetime | None  # UTC
    in_reply_to: str
    references: list[str]
    thread_key: str
    text: str  # readable body text (from text/plain, else HTML converted), capped
    html_only: bool
    attachments: list[Attachment] = field(default_factory=list)
    size: int = 0  # bytes of the raw message given
    truncated: bool = False  # the text was cut at TEXT_LIMIT
    notes: list[str] = field(default_factory=list)  # what was odd ("broken charset …")
    list_unsubscribe: str = ""
    list_id: str = ""
    auto_submitted: str = ""
    precedence: str = ""

    @property
    def snippet(self) -> str:
        return snippet(self.text)

    @property
    def sender(self) -> str:
        if self.from_name and self.from_addr:
            return f"{self.from_name} <{self.from_addr}>"
        return self.from_addr or self.from_name or "(unknown sender)"


def snippet(text: str, length: int = SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def normalize_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and mailing-list tags, lowercased."""
    s = subject or ""
    for _ in range(10):
        before = s
        s = re.sub(r"^\s*\[[^\]]{1,40}\]\s*", "", s)
        s = _SUBJECT_PREFIX.sub("", s)
        if s == before:
            break
    return " ".join(s.lower().split())


def thread_key_for(message_id: str, in_reply_to: str, references: list[str], subject: str) -> str:
    """The conversation a message belongs to: the first message of its References chain
    (the root), else what it replies to, else itself; without any ids, its bare subject."""
    if references:
        return references[0]
    if in_reply_to:
        return in_reply_to
    if message_id:
        return message_id
    return "subject:" + normalize_subject(subject)[:200]


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _decode_header_text(value: Any) -> str:
    """A header as text, decoding RFC 2047 words and surviving bad charsets."""
    if value is None:
        return ""
    if not isinstance(value, str):
        with contextlib.suppress(Exception):
            return str(make_header(decode_header(str(value))))
        return str(value)
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        parts = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                parts.append(_decode_bytes(chunk, charset or "utf-8")[0])
            else:
                parts.append(chunk)
        return "".join(parts)


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Bytes → text with the declared charset, else UTF-8, else Latin-1 (never fails).
    Returns the text and a note when the charset was unusable."""
    note = None
    name = (charset or "utf-8").strip().strip('"').lower() or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        note = f"unknown charset {name!r}"
        name = "utf-8"
    try:
        return data.decode(name), note
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        return data.decode("utf-8"), note or f"text wasn't valid {name}"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), note or f"text wasn't valid {name}"


class _Headers:
    """Header access that falls back to the compat32 parse when the modern one raises."""

    def __init__(self, modern: Message | None, legacy: Message) -> None:
        self.modern = modern
        self.legacy = legacy
        self.notes: list[str] = []

    def get(self, name: str) -> str:
        if self.modern is not None:
            try:
                value = self.modern.get(name)
                return "" if value is None else " ".join(str(value).split())
            except Exception:
                self.notes.append(f"broken {name} header")
        try:
            return " ".join(_decode_header_text(self.legacy.get(name)).split())
        except Exception:
            return ""

    def raw(self, name: str) -> str:
        try:
            value = self.legacy.get(name)
        except Exception:
            return ""
        return "" if value is None else str(value)


def _addresses(headers: _Headers, name: str) -> list[str]:
    raw = headers.raw(name)
    if not raw:
        return []
    out = []
    try:
        pairs = getaddresses([_decode_header_text(raw)])
    except Exception:
        return [headers.get(name)][:1]
    for display, addr in pairs:
        display = " ".join(display.split())
        addr = addr.strip()
        if not addr and not display:
            continue
        out.append(f"{display} <{addr}>" if display and addr else (addr or display))
    return out[:200]


def _date(headers: _Headers) -> datetime | None:
    raw = headers.raw("Date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw.strip())
    except Exception:
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return _decode_header_text(name)[:300]
    with contextlib.suppress(Exception):
        ct_name = part.get_param("name")
        if isinstance(ct_name, tuple):
            ct_name = email.utils.collapse_rfc2231_value(ct_name)
        if ct_name:
            return _decode_header_text(str(ct_name))[:300]
    return ""


def _encoded_size(part: Message) -> int:
    payload = part.get_payload(decode=False)
    if not isinstance(payload, str):
        return 0
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte == "base64":
        return (len(payload) - payload.count("\n") - payload.count("\r")) * 3 // 4
    return len(payload)


def _part_text(part: Message, notes: list[str]) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        notes.append("undecodable part")
        return ""
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = None
    with contextlib.suppress(Exception):
        charset = part.get_content_charset()
    text, note = _decode_bytes(data, charset)
    if note:
        notes.append(note)
    return text


def html_to_text(html: str) -> str:
    """Readable text from HTML: scripts, styles and hidden bits dropped, blocks on lines."""
    from bs4 import BeautifulSoup

    html = html[:HTML_LIMIT]
    try:
        soup = BeautifulSoup(html, "html.parser")
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    for tag in soup(["script", "style", "head", "title", "meta", "noscript", "template"]):
        tag.decompose()
    text = soup.get_text("\n")
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [_SPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _walk(part: Message, plain: list[str], html: list[str], attachments: list[Attachment],
          notes: list[str], depth: int = 0) -> None:
    if depth > 30:
        notes.append("multiparts nested too deep")
        return
    try:
        ctype = part.get_content_type()
    except Exception:
        ctype = "text/plain"
    if ctype == "message/rfc822":
        size = 0
        with contextlib.suppress(Exception):
            size = len(part.as_bytes()) if depth < 5 else 0
        attachments.append(Attachment(_filename(part) or "(attached message)", ctype, size))
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    _walk(sub, plain, html, attachments, notes, depth + 1)
        return
    if ctype.startswith("multipart/"):  # a multipart whose boundary is missing or wrong
        notes.append("a multipart without usable boundaries was read as text")
        raw_text = _part_text(part, notes)
        if re.search(r"<(html|body|p|div|br|table|font)\b", raw_text, re.IGNORECASE):
            html.append(raw_text[:HTML_LIMIT])
        else:
            plain.append(re.sub(r"(?im)^(--\S+|content-[\w-]+:.*)$", "", raw_text)[: TEXT_LIMIT * 2])
        return
    disposition = ""
    with contextlib.suppress(Exception):
        disposition = (part.get_content_disposition() or "").lower()
    name = _filename(part)
    is_text = ctype in ("text/plain", "text/html")
    if ctype == "message/rfc822" or disposition == "attachment" or (name and not is_text) \
            or not (is_text or ctype.startswith("text/")):
        attachments.append(Attachment(name or f"(unnamed {ctype})", ctype, _encoded_size(part)))
        return
    if name and disposition == "attachment":
        attachments.append(Attachment(name, ctype, _encoded_size(part)))
        return
    if _encoded_size(part) > 20 * TEXT_LIMIT:  # a huge "text" part: keep the start only
        notes.append("a very large text part was cut")
    text = _part_text(part, notes)
    if ctype == "text/html":
        html.append(text[:HTML_LIMIT])
    else:
        plain.append(text[: TEXT_LIMIT * 2])


def parse(raw: bytes, *, headers_only: bool = False) -> ParsedMail:
    """Parse a message (or just its header block, ``headers_only``). Never raises."""
    if not isinstance(raw, bytes | bytearray):
        raw = str(raw).encode("utf-8", "replace")
    raw = bytes(raw)
    notes: list[str] = []
    legacy = email.message_from_bytes(raw, policy=policy.compat32)
    modern: Message | None
    try:
        modern = email.message_from_bytes(raw, policy=policy.default)
    except Exception:
        modern = None
        notes.append("the modern parser failed; read with the lenient one")
    headers = _Headers(modern, legacy)

    subject = headers.get("Subject")
    from_raw = _decode_header_text(headers.raw("From"))
    try:
        from_name, from_addr = parseaddr(from_raw)
    except Exception:
        from_name, from_addr = "", ""
    if not from_addr and "@" in from_raw:
        match = re.search(r"[\w.+-]+@[\w.-]+", from_raw)
        from_addr = match.group(0) if match else ""
    message_ids = _message_ids(headers.raw("Message-ID"))
    message_id = message_ids[0] if message_ids else ""
    in_reply_to_ids = _message_ids(headers.raw("In-Reply-To"))
    in_reply_to = in_reply_to_ids[0] if in_reply_to_ids else ""
    references = _message_ids(headers.raw("References"))[:100]

    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    if not headers_only:
        body_source: Message = legacy
        try:
            _walk(body_source, plain, html, attachments, notes)
        except Exception as exc:  # pragma: no cover - last resort
            notes.append(f"body unreadable ({type(exc).__name__})")
    html_only = False
    if any(p.strip() for p in plain):
        text = _tidy("\n\n".join(p for p in plain if p.strip()))
    elif html:
        html_only = True
        text = html_to_text("\n".join(html))
    else:
        text = ""
    truncated = len(text) > TEXT_LIMIT
    if truncated:
        text = text[:TEXT_LIMIT]
    text = text.replace("\x00", "")
    notes.extend(headers.notes)
    return ParsedMail(
        message_id=message_id, subject=subject.replace("\x00", ""),
        from_name=" ".join(from_name.split()).strip('"'), from_addr=from_addr.strip().lower(),
        to=_addresses(headers, "To"), cc=_addresses(headers, "Cc"), date=_date(headers),
        in_reply_to=in_reply_to, references=references,
        thread_key=thread_key_for(message_id, in_reply_to, references, subject),
        text=text, html_only=html_only, attachments=attachments, size=len(raw),
        truncated=truncated, notes=sorted(set(notes)),
        list_unsubscribe=headers.get("List-Unsubscribe")[:500],
        list_id=headers.get("List-Id")[:300], auto_submitted=headers.get("Auto-Submitted")[:100],
        precedence=headers.get("Precedence")[:50])


def to_email_message(raw: bytes) -> EmailMessage:
    """The message as the classifier wants it (``policy.default``), or an empty one with the
    lenient parse's headers copied when the modern parser can't take it."""
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if isinstance(msg, EmailMessage):
            return msg
    except Exception:
        pass
    out = EmailMessage()
    with contextlib.suppress(Exception):
        legacy = email.message_from_bytes(raw, policy=policy.compat32)
        for key in ("From", "To", "Subject", "Date", "Message-ID"):
            if legacy.get(key):
                with contextlib.suppress(Exception):
                    out[key] = _decode_header_text(legacy.get(key))
    return out
