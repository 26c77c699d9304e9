"""The person's writing tone, learned from their sent mail, so drafted replies sound like them.

Deterministic counting, no model: how they greet, how they sign off, how long they write, how
formal they are, whether they use emoji or exclamation marks, and a few short excerpts of their
own words as examples. ``StyleProfile.prompt_note()`` turns it into one short instruction for the
model ("Amy writes short, warm emails; starts with 'Hi <name>,' and signs off 'x A'"), and the
profile round-trips through JSON for storing.

Quoted text, forwarded originals and signature blocks are dropped before anything is counted: a
reply's quoted part was written by somebody else.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from email.message import Message
from email.utils import parseaddr

from os1.tools.mail.sort import body_text, header, new_text

MAX_MESSAGES = 500
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 200

_GREETING = re.compile(r"^(hi|hey|hello|hiya|heya|dear|morning|good (morning|afternoon|evening)|yo|"
                       r"greetings|howdy|hallo|bonjour|hola|ciao)\b", re.I)
_SIGN_WORDS = re.compile(r"^(thanks|thank you|many thanks|cheers|best|best wishes|all the best|regards|"
                         r"kind regards|best regards|warm regards|warmly|sincerely|yours|love|lots of love|"
                         r"speak soon|talk soon|see you|take care|x+|xo+|ta|later)\b[ ,.!]*", re.I)
_PHONE_FOOTER = re.compile(r"^(sent from my \w+|get outlook for \w+|sent from \w+ mail)", re.I)
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\U0001F000-\U0001F2FF]|[:;]-?[)(DPp]")
_CONTRACTION = re.compile(r"\b\w+'(s|re|ll|ve|d|m|t)\b|\b(gonna|wanna|yeah|yep|nope|lol|btw|thx)\b", re.I)
_FORMAL = re.compile(r"\b(dear|kind regards|best regards|yours sincerely|sincerely|please find|"
                     r"i would be grateful|i hope this (email|message) finds you|further to|"
                     r"do not hesitate|at your earliest convenience|regards)\b", re.I)


@dataclass
class StyleProfile:
    """How one person writes email. Counts are over the messages learned from."""

    name: str = ""
    messages: int = 0
    greetings: list[tuple[str, int]] = field(default_factory=list)  # "Hi <name>," with counts
    sign_offs: list[tuple[str, int]] = field(default_factory=list)  # "x A", "Thanks,\nAmy"
    median_words: int = 0
    formality: float = 0.5  # 0 casual … 1 formal
    emoji_rate: float = 0.0  # share of messages with an emoji or emoticon
    exclamation_rate: float = 0.0  # share of messages with "!"
    no_greeting_rate: float = 0.0
    examples: list[str] = field(default_factory=list)  # a few short excerpts in their words

    @property
    def length(self) -> str:
        return "very short" if self.median_words < 25 else "short" if self.median_words < 70 \
            else "medium-length" if self.median_words < 180 else "long"

    @property
    def tone(self) -> str:
        if self.formality >= 0.65:
            return "formal, polite"
        warm = self.exclamation_rate >= 0.3 or self.emoji_rate >= 0.2
        if self.formality <= 0.4:
            return "warm, casual" if warm else "casual"
        return "warm" if warm else "friendly, plain"

    def prompt_note(self, *, examples: int = 1) -> str:
        """One short instruction for the model, e.g. "Amy writes short, warm emails; starts with
        'Hi <name>,' and signs off 'x A'." ``examples`` excerpts are appended (0 for none)."""
        if not self.messages:
            return "No sent mail to learn the person's tone from yet: write plainly and briefly."
        who = self.name or "The person"
        parts = [f"{who} writes {self.length}, {self.tone} emails (about {self.median_words} words)"]
        if self.greetings and self.no_greeting_rate < 0.5:
            parts.append(f"starts with '{self.greetings[0][0]}'")
        elif self.no_greeting_rate >= 0.5:
            parts.append("usually skips a greeting")
        if self.sign_offs:
            parts.append("signs off '" + self.sign_offs[0][0].replace("\n", " / ") + "'")
        note = "; ".join(parts[:1]) + ("; " + " and ".join(parts[1:]) if parts[1:] else "") + "."
        if self.emoji_rate >= 0.2:
            note += " Uses the odd emoji."
        elif self.emoji_rate == 0 and self.messages >= 5:
            note += " Never uses emoji."
        chosen = self.examples[:max(0, examples)]
        if chosen:
            note += " Example of their voice: " + " | ".join(f'"{e}"' for e in chosen)
        return note

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StyleProfile:
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in data.items() if k in known}
        for key in ("greetings", "sign_offs"):
            data[key] = [(str(t), int(n)) for t, n in data.get(key, [])]
        return cls(**data)


@dataclass(frozen=True)
class _Parsed:
    greeting: str | None
    sign_off: str | None
    middle: str
    words: int
    formal: int
    casual: int
    emoji: bool
    exclaim: bool


def _body_of(item: Message | str) -> tuple[str, str]:
    if isinstance(item, str):
        return item, ""
    try:
        name = parseaddr(header(item, "From"))[0]
    except Exception:  # noqa: BLE001
        name = ""
    return body_text(item, limit=20000), name


def _strip(text: str) -> list[str]:
    lines = new_text(text.replace("\r\n", "\n")).split("\n")
    out = [ln.rstrip() for ln in lines if not _PHONE_FOOTER.match(ln.strip())]
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def _greeting(line: str) -> str | None:
    stripped = line.strip()
    words = stripped.split()
    if not words or len(words) > 6:
        return None
    if not _GREETING.match(stripped) and not (stripped.endswith(",") and len(words) <= 2
                                              and words[0][:1].isupper()):
        return None
    out: list[str] = []
    for i, word in enumerate(words):
        core = word.rstrip(",.!:;")
        tail = word[len(core):]
        is_name = i > 0 and core[:1].isupper() and not _GREETING.match(core) or \
            (i == 0 and not _GREETING.match(core))
        if is_name:
            if out and out[-1].startswith("<name>"):
                out[-1] = "<name>" + tail
            else:
                out.append("<name>" + tail)
        else:
            out.append(word)
    return " ".join(out)


def _sign_off(lines: list[str], name: str) -> tuple[str | None, int]:
    """The sign-off (possibly two lines) and how many lines it takes at the end."""
    tail = [ln.strip() for ln in lines[-3:] if ln.strip()]
    if not tail:
        return None, 0
    last = tail[-1]
    first = name.split()[0].lower() if name else ""
    short = len(last.split()) <= 4 and len(last) <= 40
    looks_like_name = bool(first) and (first in last.lower() or last.lower().strip("-x ") == first[:1]) \
        or (len(last.split()) <= 2 and last.replace("-", "").replace(" ", "").isalpha()
            and last[:1].isupper())
    if short and len(tail) >= 2 and _SIGN_WORDS.match(tail[-2]) and len(tail[-2].split()) <= 4:
        return tail[-2] + "\n" + last, 2
    if short and (_SIGN_WORDS.match(last) or looks_like_name or re.fullmatch(r"x+ ?\w{1,12}|-\s?\w+", last)):
        return last, 1
    return None, 0


def _parse(text: str, name: str) -> _Parsed | None:
    lines = _strip(text)
    if not lines:
        return None
    greeting = _greeting(lines[0])
    body = lines[1:] if greeting else lines
    sign_off, n = _sign_off(body, name)
    if n:
        # Drop the sign-off lines (counting only non-empty ones from the end).
        kept, dropped = list(body), 0
        while kept and dropped < n:
            if kept.pop().strip():
                dropped += 1
        body = kept
    middle = "\n".join(body).strip()
    full = "\n".join(lines)
    return _Parsed(greeting, sign_off, middle, len(middle.split()), len(_FORMAL.findall(full)),
                   len(_CONTRACTION.findall(full)) + len(re.findall(r"(^|\n)[a-z]", middle)),
                   bool(_EMOJI.search(full)), "!" in full)


def _excerpt(middle: str) -> str:
    text = " ".join(middle.split())
    if len(text) <= MAX_EXAMPLE_CHARS:
        return text
    cut = text[:MAX_EXAMPLE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[:end + 1] if end > 40 else cut.rsplit(" ", 1)[0] + "…"


def learn_style(sent: Iterable[Message | str], *, name: str = "",
                max_messages: int = MAX_MESSAGES) -> StyleProfile:
    """Learn a :class:`StyleProfile` from the person's sent mail (messages or plain bodies).

    ``name``: the person's name (else taken from the From headers). At most ``max_messages`` are
    read, in the order given (pass the newest first).
    """
    parsed: list[_Parsed] = []
    names: Counter[str] = Counter()
    for item in sent:
        if len(parsed) >= max_messages:
            break
        text, from_name = _body_of(item)
        if from_name:
            names[from_name.split()[0]] += 1
        p = _parse(text, name or from_name)
        if p:
            parsed.append(p)
    person = name.split()[0] if name else (names.most_common(1)[0][0] if names else "")
    if not parsed:
        return StyleProfile(name=person)
    n = len(parsed)
    greetings = Counter(p.greeting for p in parsed if p.greeting)
    sign_offs = Counter(p.sign_off for p in parsed if p.sign_off)
    median = int(statistics.median(p.words for p in parsed))
    formality = statistics.fmean(min(1.0, max(0.0, 0.5 + 0.2 * p.formal - 0.08 * p.casual
                                                     - (0.1 if p.emoji else 0) - (0.05 if p.exclaim else 0)))
                                 for p in parsed)
    candidates = sorted((abs(p.words - median), i, p.middle) for i, p in enumerate(parsed) if p.words >= 4)
    examples: list[str] = []
    for _, _, middle in candidates:
        excerpt = _excerpt(middle)
        if excerpt and excerpt not in examples:
            examples.append(excerpt)
        if len(examples) == MAX_EXAMPLES:
            break
    return StyleProfile(
        name=person, messages=n,
        greetings=sorted(greetings.items(), key=lambda kv: (-kv[1], kv[0]))[:3],
        sign_offs=sorted(sign_offs.items(), key=lambda kv: (-kv[1], kv[0]))[:3],
        median_words=median, formality=round(formality, 2),
        emoji_rate=round(sum(p.emoji for p in parsed) / n, 2),
        exclamation_rate=round(sum(p.exclaim for p in parsed) / n, 2),
        no_greeting_rate=round(sum(p.greeting is None for p in parsed) / n, 2),
        examples=examples,
    )
