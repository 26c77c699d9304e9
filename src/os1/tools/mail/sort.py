"""Sorting mail: personal, work, newsletter, receipt, notification or spam; needs a reply; important.

Runs during sync on every message, so it is fast (pure Python plus a small numpy sum; thousands
of messages a second on one core) and never raises: a broken header, an unknown charset or a
missing body just gives the classifier less to go on.

Two layers:

* **Header rules** carry most of the weight where mail says what it is: ``List-Unsubscribe``,
  ``List-Id``, ``Precedence: bulk``, ``Auto-Submitted``, no-reply senders, receipt/order/invoice
  words, known notification senders, the GTUBE test string and ``X-Spam-Flag``.
* **A small multinomial naive Bayes** over hashed words of the subject and body, the sender's
  domain and header cues (``sort_model.json``, next to this file). It was trained by
  ``tests/tools/sorting/labelled.py`` (``python -m tests.tools.sorting.labelled --train``) on the
  *train* split of os1's labelled set only: generated messages plus the SpamAssassin test corpus
  (``/work/shared/data/mail/spamassassin``, from Apache SpamAssassin's ``t/data``; Apache License
  2.0, © The Apache Software Foundation). The weights are word-hash statistics derived from that
  data and ship under the same license; see ``sort_model.md``.

The model's probabilities are adjusted by the header rules (multiplied, not overridden, except
for the unmistakable spam markers), and every decision carries short human ``reasons``.
"""

from __future__ import annotations

import binascii
import json
import math
import quopri
import re
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

CATEGORIES: tuple[str, ...] = ("personal", "work", "newsletter", "receipt", "notification", "spam")
MODEL_FILE = Path(__file__).with_name("sort_model.json")
HASH_BITS = 20
MAX_BODY_CHARS = 6000
MAX_TOKENS = 400


@dataclass(frozen=True)
class Sorting:
    """Where a message belongs and why. ``spam_score`` is 0 (surely not) … 1 (surely spam)."""

    category: str
    needs_reply: bool
    important: bool
    spam_score: float
    reasons: list[str] = field(default_factory=list)


# --- reading a message without ever raising -------------------------------------------------


def _raw_headers(msg: Message) -> dict[str, str]:
    """The first raw value of each header, by lower-case name (no structured parsing: the stdlib's
    header registry is by far the slowest part of reading a message)."""
    out: dict[str, str] = {}
    try:
        for key, value in msg.raw_items():
            out.setdefault(str(key).lower(), str(value))
    except Exception:  # noqa: BLE001
        pass
    return out


def _decode_words(value: str) -> str:
    if "=?" not in value:
        return " ".join(value.split())
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except Exception:  # noqa: BLE001 - unknown charset, broken encoded word
        return " ".join(value.split())


def header(msg: Message, name: str) -> str:
    """One header as text (encoded words decoded), '' when absent or unreadable."""
    return _decode_words(_raw_headers(msg).get(name.lower(), ""))


_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.I)


def _content_type(raw: dict[str, str]) -> str:
    value = raw.get("content-type", "text/plain").split(";", 1)[0].strip().lower()
    return value if "/" in value else "text/plain"


def _decode_part(part: Message, raw: dict[str, str]) -> str:
    try:
        # The raw payload: get_payload() would re-decode 8-bit text with its own charset guess.
        payload = getattr(part, "_payload", None)
        if not isinstance(payload, str):
            return ""
        encoding = raw.get("content-transfer-encoding", "").strip().lower()
        data = payload.encode("utf-8", "surrogateescape")
        if encoding == "base64":
            clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
            clean = clean[: len(clean) - 1] if len(clean) % 4 == 1 else clean
            data = binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
        elif encoding == "quoted-printable":
            data = quopri.decodestring(data)
        match = _CHARSET.search(raw.get("content-type", ""))
        charset = match.group(1) if match else "utf-8"
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            return data.decode("utf-8", errors="replace")
    except Exception:  # noqa: BLE001 - broken base64, odd payloads
        return ""


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]{0,2000}>", re.S | re.I)
_ENTITY = re.compile(r"&(#?\w{1,8});")
_ENTITIES = {"nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#"):
        try:
            return chr(int(name[2:], 16) if name[1:2] in "xX" else int(name[1:]))
        except (ValueError, OverflowError):
            return " "
    return _ENTITIES.get(name.lower(), " ")


def html_to_text(html: str) -> str:
    """Rough, fast text from HTML (the sorter only needs the words)."""
    return _ENTITY.sub(_entity, _TAG.sub(" ", html))


@dataclass(frozen=True)
class _BodyInfo:
    text: str
    html_only: bool
    has_attachment: bool


def body_text(msg: Message, limit: int = MAX_BODY_CHARS) -> str:
    """The readable text of a message (plain preferred, HTML stripped), at most ``limit`` chars."""
    return _body(msg, limit).text


def _body(msg: Message, limit: int = MAX_BODY_CHARS) -> _BodyInfo:
    html = ""
    attachment = False
    try:
        parts = list(msg.walk()) if msg.is_multipart() else [msg]
    except Exception:  # noqa: BLE001
        parts = [msg]
    for part in parts[:50]:
        try:
            if part.is_multipart():
                continue
            raw = _raw_headers(part)
        except Exception:  # noqa: BLE001
            continue
        ctype = _content_type(raw)
        disposition = raw.get("content-disposition", "").split(";", 1)[0].strip().lower()
        if disposition == "attachment" or not ctype.startswith("text/"):
            attachment = attachment or disposition == "attachment" or ctype.startswith("application/")
            continue
        if ctype == "text/html":
            if not html:
                html = _decode_part(part, raw)[: limit * 4] or " "
        else:
            text = _decode_part(part, raw)
            if text.strip():
                return _BodyInfo(text[:limit], False, attachment)
    if html.strip():
        return _BodyInfo(html_to_text(html)[:limit], True, attachment)
    return _BodyInfo("", False, attachment)


def _address(value: str) -> str:
    try:
        return parseaddr(value)[1].strip().lower()
    except Exception:  # noqa: BLE001
        return ""


def _addresses(value: str) -> list[str]:
    try:
        return [a.strip().lower() for _, a in getaddresses([value]) if a]
    except Exception:  # noqa: BLE001
        return []


def new_text(body: str) -> str:
    """The part of a reply the sender wrote now: drops quoted lines, the quoted original and the
    signature."""
    out: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if (_WROTE.match(stripped) or stripped == "-- " or line == "-- "
                or stripped.startswith("-----Original Message") or stripped.startswith("From: ")
                and out):
            break
        out.append(line)
    return "\n".join(out)


_WROTE = re.compile(r"^On .{4,120}wrote:$|^Le .{4,120}a écrit ?:$|^Am .{4,120}schrieb .{1,80}:$")

# --- the signals ------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_][\w'$€£%.-]{1,24}", re.U)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|noreply-[\w.-]+|[\w.-]+-noreply|"
                      r"notifications?|notify|alerts?|mailer-daemon|postmaster|automated|"
                      r"bounces?(\+[^@]*)?|auto-?confirm|system)$")
_BULK_LOCAL = re.compile(r"^(news(letter)?s?|digest|updates?|marketing|promo(tions)?|offers|deals|"
                         r"hello|team|info|crew|editors?)$")
_RECEIPT_LOCAL = re.compile(r"^(orders?|receipts?|billing|invoices?|payments?|purchases?|"
                            r"store|shop|sales)$")
_RECEIPT_WORDS = re.compile(r"\b(receipt|invoice|order\s*(#|no\.?|number|confirm\w*)|your order|"
                            r"payment (received|confirm\w*|of)|purchase|has shipped|shipped|"
                            r"booking confirm\w*|subscription renew\w*|refund|"
                            r"thanks for your (order|payment)|amount (paid|due))\b", re.I)
_NOTIFY_WORDS = re.compile(r"\b(sign-?in|log-?in attempt|password (was )?(changed|reset)|"
                           r"verification code|security alert|new device|mentioned you|"
                           r"commented|reminder|build (failed|passed)|pull request|invited you|"
                           r"your (account|appointment|delivery|package)|has been (updated|approved)|"
                           r"alert)\b", re.I)
_NOTIFICATION_DOMAINS = ("github.com", "gitlab.com", "linkedin.com", "slack.com", "atlassian.net",
                         "atlassian.com", "facebookmail.com", "twitter.com", "x.com", "google.com",
                         "accounts.google.com", "calendar.google.com", "dropbox.com", "zoom.us",
                         "notion.so", "trello.com", "asana.com", "figma.com", "bitbucket.org",
                         "circleci.com", "sentry.io", "discord.com", "microsoft.com", "apple.com",
                         "calendly.com", "nextdoor.com", "strava.com", "meetup.com", "doodle.com",
                         "uptimerobot.com", "pagerduty.com")
_BANK = re.compile(r"(^|[.@-])(\w*bank\w*|paypal|chase|barclays|hsbc|santander|monzo|revolut|"
                   r"wise|citi|wellsfargo|amex|americanexpress|capitalone|n26|schwab|"
                   r"fidelity|vanguard)\.", re.I)
_QUESTION = re.compile(r"\?(\s|$)")
_REQUEST = re.compile(r"\b(can you|could you|would you|will you|are you|do you|did you|have you|"
                      r"can we|could we|shall we|should we|please (let|send|review|confirm|check|"
                      r"call|reply|sign|look|share|get back|advise|find)|let me know|get back to me|"
                      r"your thoughts|what do you think|rsvp|need you to|i need your|"
                      r"any chance|are we still|when (are|is|can|would) you|"
                      r"how about|would love to hear|free (on|this|next|for))\b", re.I)
_URGENT = re.compile(r"\b(urgent(ly)?|asap|deadline|due (today|tomorrow|by)|by (end of|eod|cob|"
                     r"monday|tuesday|wednesday|thursday|friday|tomorrow|tonight|noon)|"
                     r"overdue|final (notice|reminder)|action required|time.?sensitive|"
                     r"important|immediately|expires? (today|tomorrow|soon))\b", re.I)
_LIST_TAG = re.compile(r"^((re|fwd?|aw)\s*:\s*)*\[[^\]]{2,40}\]", re.I)
_GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
_FREEMAIL = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "mail.ru",
             "yandex.ru", "gmx.net", "163.com", "qq.com")
_SPAM_SUBJECT = re.compile(r"^\s*(adv\s*:|\*+spam\*+)|!!|\$\$|\bfree\b|\bwin(ner|ning)?\b|"
                           r"\bviagra\b|\bcheap\b|\b100%", re.I)


@dataclass(frozen=True)
class Signals:
    """What a message's headers and text say, computed once and shared by every decision."""

    sender: str
    sender_name: str
    domain: str
    subject: str
    text: str
    new_text: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    listed: bool  # List-Id or List-Unsubscribe
    list_tag: bool  # "[SAtalk] …", "[brightpath/atlas] …"
    list_unsubscribe: bool
    list_id: bool
    bulk: bool  # Precedence: bulk/list/junk
    auto_submitted: bool
    noreply: bool
    bulk_sender: bool
    receipt_sender: bool
    notification_sender: bool
    bank: bool
    receipt_words: bool
    notify_words: bool
    gtube: bool
    spam_flag: bool
    html_only: bool
    has_attachment: bool
    reply: bool
    tokens: tuple[str, ...]


def signals(msg: Message) -> Signals:
    """Everything the sorter looks at, read defensively from ``msg``."""
    raw = _raw_headers(msg)

    def header(name: str) -> str:
        return _decode_words(raw.get(name.lower(), ""))

    from_value = header("From")
    sender = _address(from_value)
    try:
        sender_name = parseaddr(from_value)[0].strip()
    except Exception:  # noqa: BLE001
        sender_name = ""
    local, _, domain = sender.partition("@")
    subject = " ".join(header("Subject").split())[:300]
    body = _body(msg)
    fresh = new_text(body.text)
    precedence = header("Precedence").strip().lower()
    auto = header("Auto-Submitted").strip().lower()
    auto_submitted = bool(auto) and auto != "no" or bool(header("X-Autoreply")) \
        or bool(header("X-Auto-Response-Suppress"))
    list_unsub = bool(header("List-Unsubscribe"))
    list_id = bool(header("List-Id"))
    spam_status = (header("X-Spam-Flag") + " " + header("X-Spam-Status")[:4]).lower()
    notification_sender = any(domain == d or domain.endswith("." + d) for d in _NOTIFICATION_DOMAINS)
    subject_and_text = subject + "\n" + body.text[:1500]
    s = Signals(
        sender=sender, sender_name=sender_name, domain=domain, subject=subject, text=body.text,
        new_text=fresh,
        to=tuple(_addresses(header("To"))), cc=tuple(_addresses(header("Cc"))),
        listed=list_unsub or list_id, list_tag=bool(_LIST_TAG.match(subject)),
        list_unsubscribe=list_unsub, list_id=list_id,
        bulk=precedence in ("bulk", "list", "junk"), auto_submitted=auto_submitted,
        noreply=bool(_NOREPLY.match(local)), bulk_sender=bool(_BULK_LOCAL.match(local)),
        receipt_sender=bool(_RECEIPT_LOCAL.match(local)), notification_sender=notification_sender,
        bank=bool(_BANK.search("@" + domain + ".")) if domain else False,
        receipt_words=bool(_RECEIPT_WORDS.search(subject_and_text)),
        notify_words=bool(_NOTIFY_WORDS.search(subject)),
        gtube=_GTUBE in body.text or _GTUBE in subject,
        spam_flag="yes" in spam_status,
        html_only=body.html_only, has_attachment=body.has_attachment,
        reply=subject.lower().startswith(("re:", "aw:", "sv:")) or bool(header("In-Reply-To")),
        tokens=(),
    )
    return _with_tokens(s, raw)


def _with_tokens(s: Signals, raw: dict[str, str]) -> Signals:
    tokens = ["s:" + w for w in _WORD.findall(s.subject.lower())[:40]]
    tokens += _WORD.findall(s.text.lower())[:MAX_TOKENS]
    if s.domain:
        tokens += ["d:" + s.domain, "tld:" + s.domain.rsplit(".", 1)[-1]]
    cues = {
        "h:list-unsubscribe": s.list_unsubscribe, "h:list-id": s.list_id, "h:list-tag": s.list_tag,
        "h:bulk": s.bulk,
        "h:auto": s.auto_submitted, "h:noreply": s.noreply, "h:bulk-sender": s.bulk_sender,
        "h:receipt-sender": s.receipt_sender, "h:notify-sender": s.notification_sender,
        "h:bank": s.bank, "h:receipt-words": s.receipt_words, "h:notify-words": s.notify_words,
        "h:html-only": s.html_only, "h:attachment": s.has_attachment, "h:reply": s.reply,
        "h:no-message-id": "message-id" not in raw, "h:no-date": "date" not in raw,
        "h:no-subject": not s.subject, "h:no-from": not s.sender,
        "h:freemail": s.domain in _FREEMAIL,
        "h:spammy-subject": bool(_SPAM_SUBJECT.search(s.subject)),
        "h:shouting": sum(c.isupper() for c in s.subject) > 0.6 * max(8, len(s.subject)),
        "h:question": bool(_QUESTION.search(s.new_text)), "h:request": bool(_REQUEST.search(s.new_text)),
        "h:empty-body": not s.text.strip(),
        "h:name-has-address": "@" in s.sender_name and _address(s.sender_name) != s.sender,
    }
    tokens += [name for name, on in cues.items() if on for _ in range(3)]
    return Signals(**{**s.__dict__, "tokens": tuple(tokens)})


# --- the trained model ------------------------------------------------------------------------


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "replace")) & ((1 << HASH_BITS) - 1)


@dataclass
class SortModel:
    """Multinomial naive Bayes over hashed tokens. ``rows`` maps a bucket to a row of
    ``loglik`` (per category); the last row is for buckets never seen in training."""

    categories: tuple[str, ...]
    rows: dict[int, int]
    loglik: np.ndarray  # (len(rows) + 1, len(categories)), float32
    scale: float = 12.0  # NB is overconfident: log-odds are averaged per token, then scaled
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, tokens: Sequence[str]) -> np.ndarray:
        unseen = len(self.rows)
        idx = [self.rows.get(_bucket(t), unseen) for t in tokens]
        if not idx:
            return np.full(len(self.categories), 1.0 / len(self.categories))
        total = self.loglik[np.asarray(idx)].sum(axis=0, dtype=np.float64)
        logits = total / math.sqrt(len(idx)) * (self.scale / 10.0)
        logits -= logits.max()
        p = np.exp(logits)
        return np.asarray(p / p.sum())

    def to_json(self) -> str:
        buckets = sorted(self.rows, key=self.rows.__getitem__)
        return json.dumps({
            "format": "os1-mail-sort-nb/1", "hash_bits": HASH_BITS, "categories": list(self.categories),
            "scale": self.scale, "meta": self.meta, "buckets": buckets,
            "loglik": [[round(float(v), 3) for v in row] for row in self.loglik],
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SortModel:
        data = json.loads(text)
        if data.get("format") != "os1-mail-sort-nb/1" or data.get("hash_bits") != HASH_BITS:
            raise ValueError("not an os1 mail-sorting model of this version")
        return cls(tuple(data["categories"]), {int(b): i for i, b in enumerate(data["buckets"])},
                   np.asarray(data["loglik"], dtype=np.float32), float(data["scale"]),
                   dict(data.get("meta", {})))


def train(examples: Iterable[tuple[Message, str]], *, alpha: float = 0.3,
          meta: dict[str, Any] | None = None) -> SortModel:
    """Fit the naive Bayes on (message, category) pairs. Deterministic; uniform class priors
    (the labelled set's mix of categories says nothing about a real inbox)."""
    counts: dict[int, np.ndarray] = {}
    totals = np.zeros(len(CATEGORIES))
    n = 0
    for msg, category in examples:
        k = CATEGORIES.index(category)
        n += 1
        for token in signals(msg).tokens:
            row = counts.setdefault(_bucket(token), np.zeros(len(CATEGORIES)))
            row[k] += 1
            totals[k] += 1
    vocabulary = len(counts) + 1
    buckets = sorted(counts)
    matrix = np.zeros((len(buckets) + 1, len(CATEGORIES)), dtype=np.float64)
    denominators = np.log(totals + alpha * vocabulary)
    for i, b in enumerate(buckets):
        matrix[i] = np.log(counts[b] + alpha) - denominators
    matrix[len(buckets)] = np.log(alpha) - denominators
    # Centre each row: only differences between categories matter, and it keeps the JSON small.
    matrix -= matrix.mean(axis=1, keepdims=True)
    return SortModel(CATEGORIES, {b: i for i, b in enumerate(buckets)}, matrix.astype(np.float32),
                     meta={**(meta or {}), "examples": n})


@lru_cache(maxsize=1)
def load_model() -> SortModel | None:
    """The shipped model, or None (then only the header rules sort)."""
    try:
        return SortModel.from_json(MODEL_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- deciding -------------------------------------------------------------------------------

_UNSET: Any = object()


def classify(msg: Message, *, my_addresses: Sequence[str] = (),
             correspondents: Collection[str] = (), model: SortModel | None = _UNSET) -> Sorting:
    """Sort one message. Never raises.

    ``my_addresses``: the person's own addresses (a message counts as addressed to them when one
    is in To; without any, every message does). ``correspondents``: addresses the person has
    written to (their mail is important). ``model``: defaults to the shipped one; None sorts by
    header rules alone.
    """
    try:
        return _classify(msg, my_addresses, correspondents, load_model() if model is _UNSET else model)
    except Exception as exc:  # noqa: BLE001 - sorting must never stop a sync
        return Sorting("personal", False, False, 0.0, [f"couldn't read the message ({type(exc).__name__})"])


def _classify(msg: Message, my_addresses: Sequence[str], correspondents: Collection[str],
              model: SortModel | None) -> Sorting:
    s = signals(msg)
    reasons: list[str] = []
    mine = {a.strip().lower() for a in my_addresses if a}
    if s.gtube or s.spam_flag:
        reasons.append("GTUBE spam test string" if s.gtube else "marked spam by a spam filter (X-Spam-Flag)")
        return Sorting("spam", False, False, 1.0, reasons)

    p = model.probabilities(s.tokens) if model else np.full(len(CATEGORIES), 1.0 / len(CATEGORIES))
    weight = dict(zip(CATEGORIES, (float(v) for v in p), strict=True))

    def scale(factor: float, *names: str) -> None:
        for name in names:
            weight[name] *= factor

    automated = s.auto_submitted or s.noreply
    if s.list_unsubscribe:
        reasons.append("List-Unsubscribe header")
    if s.list_id:
        reasons.append("sent through a mailing list (List-Id)")
    if s.bulk:
        reasons.append("Precedence: bulk")
    if s.listed or s.bulk:
        scale(0.05, "personal", "work")
        scale(3.0, "newsletter")
    if s.list_id and not automated and not s.notification_sender:
        scale(2.0, "newsletter")  # a person's post to a discussion list
    if s.list_tag and not (s.listed or s.bulk):
        reasons.append("mailing-list tag in the subject")
        scale(0.3, "personal", "work")
        scale(2.0, "newsletter")
    if s.auto_submitted:
        reasons.append("sent automatically (Auto-Submitted)")
    if s.noreply:
        reasons.append("from a no-reply address")
    if automated:
        scale(0.1, "personal", "work")
        scale(0.5, "spam")
    if s.bulk_sender and not automated:
        scale(1.5, "newsletter")
    if s.receipt_words and (automated or s.receipt_sender or s.bank or not s.reply):
        reasons.append("receipt/order/invoice words")
        scale(2.5 if (automated or s.receipt_sender) else 1.5, "receipt")
    if s.receipt_sender:
        reasons.append("from an orders/billing address")
        scale(2.0, "receipt")
    if s.notification_sender:
        reasons.append(f"from a service that sends notifications ({s.domain})")
        scale(3.0, "notification")
        scale(0.3, "spam")
    if s.notify_words and (automated or s.notification_sender or s.bank):
        reasons.append("account/alert wording")
        scale(2.0, "notification")
    if s.bank:
        reasons.append("from a bank or payment service")
        scale(1.5, "receipt", "notification")
    if s.sender in {c.lower() for c in correspondents}:
        reasons.append("from someone you write to")
        scale(3.0, "personal", "work")
        scale(0.1, "spam")

    total = sum(weight.values()) or 1.0
    spam_score = round(weight["spam"] / total, 3)
    category = max(CATEGORIES, key=lambda c: weight[c])
    if model:
        reasons.append(f"text reads like {category} ({weight[category] / total:.0%})")

    addressed = not mine or any(a in mine for a in s.to)
    from_me = s.sender in mine
    asks = bool(_QUESTION.search(s.new_text)) or bool(_REQUEST.search(s.new_text)) \
        or bool(_QUESTION.search(s.subject))
    needs_reply = (category in ("personal", "work") and addressed and asks and not from_me
                   and not automated and not s.listed and not s.bulk and not s.list_tag)
    if needs_reply:
        reasons.append("asks a question" if "?" in s.new_text + s.subject else "asks you to do something")
    elif category in ("personal", "work") and asks and not addressed:
        reasons.append("asks something, but you're only copied")

    urgent = category not in ("spam", "newsletter") \
        and bool(_URGENT.search(s.subject + "\n" + s.new_text[:2000]))
    if urgent:
        reasons.append("mentions a deadline or urgency")
    known = s.sender in {c.lower() for c in correspondents}
    important = needs_reply or (urgent and category != "notification") or (known and category != "spam") \
        or (urgent and category == "notification" and (s.bank or "security" in s.subject.lower()))
    return Sorting(category, needs_reply, important, spam_score, reasons)
