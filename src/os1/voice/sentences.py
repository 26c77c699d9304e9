"""Cutting a streamed reply into pieces a text-to-speech voice can say one at a time.

The voice pipeline speaks while the model is still writing, so the reply arrives as small
text deltas and must be cut as soon as a piece is surely complete. Every decision here
depends only on the text already seen (a sentence end is confirmed by the whitespace and
the first real character after it), so feeding a reply one character at a time gives
exactly the same pieces as feeding it whole. Decisions, once made, are final, which keeps
feeding linear in the length of the reply.

The first piece may be cut early, at a comma, semicolon, colon or dash once it has a few
words: the person hears the companion start sooner. Later pieces are whole sentences
(very short ones are merged with the next) so the voice's intonation stays natural.

Markdown and emoji are stripped here, because a TTS engine would otherwise read
"asterisk" or a URL letter by letter. Fenced code blocks are dropped from speech entirely.
"""

from __future__ import annotations

import re
import unicodedata

FIRST_CLAUSE_WORDS = 4  # the first piece may end at a clause boundary once it has this many words
SHORT_WORDS = 3  # a later piece with fewer words than this waits to be said with the next one
LONG_WORDS = 24  # a later sentence this long may be cut at a clause boundary, to keep latency low
# A first sentence with no comma may be cut before one of these once it has this many words
# ("Reading on a rainy weekend is a lovely way | to unwind"), so a long opening doesn't
# keep the person waiting for its last word.
FIRST_BREAK_WORDS = 10
BREAK_WORDS = frozenset({"and", "but", "so", "because", "to", "with", "when", "if", "or",
                         "which", "while", "for", "since", "until", "unless", "although"})

SENTENCE_END = ".!?…"
CLAUSE_END = ",;:"
DASHES = "—–"
# Characters that may close a sentence after its punctuation: quotes, brackets, emphasis.
CLOSERS = "\"'”’)]*_»"
# Characters skipped when looking for the first real character of the next sentence.
OPENERS = "\"'“‘([*_#>`-•«¿¡"

# Abbreviations that are never a sentence end: titles before a name, and Latin ones that
# introduce what follows. Lower-case, without the final dot.
HARD_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "prof", "st", "sr", "jr", "rev", "hon", "gen", "col", "capt",
    "lt", "sgt", "mt", "e.g", "i.e", "eg", "ie", "vs", "cf", "approx", "fig", "ca", "viz",
})
# Abbreviations that often end a sentence too ("...apples, pears, etc. Then"): a sentence end
# only when a capital letter follows.
SOFT_ABBREVIATIONS = frozenset({
    "etc", "inc", "ltd", "co", "corp", "no", "nos", "a.m", "p.m", "am", "pm", "u.s", "u.k", "e.u",
    "u.s.a", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "est", "dept",
})
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")
_WORD = re.compile(r"\w+(?:['’]\w+)*")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# --- cleaning ---------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`+([^`]*)`+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
_HEADING = re.compile(r"^\s*#{1,6}\s*", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>+\s?", re.MULTILINE)
_BULLET = re.compile(r"^\s*[-*+•‣◦▪]\s+", re.MULTILINE)
_RULE = re.compile(r"^\s*([-*_=])(?:\s*\1){2,}\s*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$", re.MULTILINE)
_UNDERSCORE_EDGE = re.compile(r"(?<!\w)_+|_+(?!\w)")
_EMOTICON = re.compile(r"(?<!\w)[:;=]-?[()DPp3](?!\w)|<3")
_SPACED_DASH = re.compile(r"\s+[-–—]+(?:\s+|$)|\s*[–—]+\s*")
_SPACE = re.compile(r"[ \t\r\f\v\n]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?…])")
_REPEATED_COMMA = re.compile(r"(?:,\s*){2,}")
_COMMA_BEFORE_END = re.compile(r",\s*([.;:!?…])")
_LEADING_PUNCT = re.compile(r"^[\s,;:]+")

# Symbols worth keeping because a voice says them sensibly ("25 degrees", "copyright").
_KEEP_SYMBOLS = frozenset("°©®™§¶")
# Invisible helpers of emoji sequences: joiner, variation selectors, keycap, skin tones, tags.
_EMOJI_PARTS = frozenset({0x200D, 0xFE0E, 0xFE0F, 0x20E3})


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    if ch in _KEEP_SYMBOLS:
        return False
    if code in _EMOJI_PARTS or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    return unicodedata.category(ch) == "So"


def strip_emoji(text: str) -> str:
    return "".join(" " if _is_emoji(ch) else ch for ch in text)


def clean_for_speech(text: str) -> str:
    """What a voice should say for this bit of model output: markdown, URLs and emoji removed.

    Links keep their words ("[the docs](https://…)" → "the docs"); bare URLs become
    "a link" because nobody wants to hear one spelled out. Returns "" when nothing
    speakable is left (a lone bullet, a horizontal rule, an emoji).
    """
    text = _TABLE_RULE.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _CODE_SPAN.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("a link", text)
    text = _EMAIL.sub("an email address", text)
    text = _HTML_TAG.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    text = text.replace("|", ", ")
    text = re.sub(r"~(?=\d)", "about ", text)
    text = re.sub(r"#(?=\d)", "number ", text)
    text = text.replace("*", "").replace("#", "").replace("`", "").replace("~", "")
    text = _UNDERSCORE_EDGE.sub("", text).replace("_", " ")
    text = _EMOTICON.sub(" ", text)
    text = strip_emoji(text)
    text = _SPACED_DASH.sub(", ", text)
    text = _SPACE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_COMMA.sub(", ", text)
    text = _COMMA_BEFORE_END.sub(r"\1", text)
    text = _LEADING_PUNCT.sub("", text).strip()
    return text if any(ch.isalnum() for ch in text) else ""


# --- splitting --------------------------------------------------------------------------

class SentenceSplitter:
    """Feed the reply's text deltas; get back the pieces that are ready to be spoken.

    One splitter serves one reply at a time; ``flush()`` returns the rest and makes it
    ready for the next reply.
    """

    def __init__(self, *, first_clause_words: int = FIRST_CLAUSE_WORDS,
                 short_words: int = SHORT_WORDS, long_words: int = LONG_WORDS) -> None:
        self.first_clause_words = first_clause_words
        self.short_words = short_words
        self.long_words = long_words
        self._reset()

    def _reset(self) -> None:
        self._buf = ""  # raw text not yet emitted
        self._pos = 0  # everything in _buf before this index is decided: no cut there
        self._first = True  # no piece has been emitted for this reply yet
        self._pending = ""  # a short cleaned piece waiting to be said with the next one
        self._in_fence = False  # inside a ``` code block, which is not spoken
        self._line_start = True  # _buf begins at the start of a line

    def feed(self, delta: str) -> list[str]:
        """Add streamed text; return the pieces that are now complete, cleaned for speech."""
        self._buf += delta
        out: list[str] = []
        self._scan(out)
        return out

    def flush(self) -> str | None:
        """The end of the reply: whatever is left, cleaned (None when nothing speakable is).

        Only a sentence end at the very end of the text can still be undecided here, and
        that is the end of the last piece anyway, so no further cut is needed.
        """
        fenced = self._in_fence or (self._line_start and self._is_fence_line(self._buf))
        rest = "" if fenced else clean_for_speech(self._buf)
        last = self._join(self._pending, rest) if self._pending else rest
        self._reset()
        return last or None

    def _scan(self, out: list[str]) -> None:
        i = self._pos
        while i < len(self._buf):
            buf = self._buf
            ch = buf[i]
            if ch == "\n":
                self._cut(i + 1, out, newline=True)
                i = 0
                continue
            if self._in_fence or (self._line_start and self._is_fence_line(buf, i + 1)):
                i += 1
                continue
            decision: int | None
            if ch == " " and self._first:
                decision, end = self._word_break(i)
            elif ch in SENTENCE_END:
                decision, end = self._sentence_end(i)
            elif ch in CLAUSE_END or ch in DASHES or ch == "-":
                decision, end = self._clause_end(i)
            else:
                i += 1
                continue
            if decision is None:  # can't tell yet: wait for more text
                self._pos = i
                return
            if decision:
                self._cut(end, out)
                i = 0
            else:
                i = max(end, i + 1)
        self._pos = i

    @staticmethod
    def _is_fence_line(text: str, end: int | None = None) -> bool:
        """Whether text (up to end) opens or closes a fenced code block."""
        return bool(_FENCE.match(text, 0, len(text) if end is None else end))

    def _next_real_char(self, j: int) -> tuple[int, bool]:
        """Index of the first character after j that isn't space or markup, and whether a
        newline came before it. The index is len(buffer) when it hasn't arrived yet."""
        buf = self._buf
        newline = False
        while j < len(buf) and (buf[j].isspace() or buf[j] in OPENERS):
            newline = newline or buf[j] == "\n"
            j += 1
        return j, newline

    def _sentence_end(self, i: int) -> tuple[int | None, int]:
        buf = self._buf
        j = i
        while j < len(buf) and buf[j] in SENTENCE_END:
            j += 1
        while j < len(buf) and buf[j] in CLOSERS:
            j += 1
        if j == len(buf):
            return None, j
        if not buf[j].isspace():
            return 0, j  # 3.5, e.g.x, example.com, "?!" inside a URL
        k, newline = self._next_real_char(j)
        if newline:
            return 1, j
        if k == len(buf):
            return None, j
        following = buf[k]
        run = buf[i:j].rstrip(CLOSERS)
        if run == ".":
            kind = self._abbreviation(i)
            if kind == "hard":
                return 0, j
            if kind == "soft" and not following.isupper():
                return 0, j
        if following.islower():
            return 0, j  # "Well... maybe", "approx. five", "Really? she said"
        return self._accept(buf[:j], clause=False), j

    def _clause_end(self, i: int) -> tuple[int | None, int]:
        buf = self._buf
        ch = buf[i]
        j = i + 1
        if ch == "-":
            # Only a dash standing alone between spaces (" - "); hyphens join words.
            if i == 0 or not buf[i - 1].isspace():
                return 0, j
        else:
            while j < len(buf) and buf[j] in CLOSERS:
                j += 1
        if j == len(buf):
            return None, j
        if ch not in DASHES and not buf[j].isspace():
            return 0, j  # 10:30, 1,000, "yes,"he said
        return self._accept(buf[:j], clause=True), j

    def _word_break(self, i: int) -> tuple[int | None, int]:
        """Before a conjunction or preposition, once the first piece is long enough."""
        buf = self._buf
        j = i + 1
        while j < len(buf) and (buf[j].isalpha() or buf[j] in "'’"):
            j += 1
        if j == len(buf):
            return None, i + 1  # the next word isn't whole yet
        if buf[i + 1:j].lower() not in BREAK_WORDS:
            return 0, i + 1
        return int(word_count(clean_for_speech(buf[:i])) >= FIRST_BREAK_WORDS), i

    def _accept(self, raw: str, *, clause: bool) -> int:
        """Whether a cut here makes a good piece: the first piece may end at a clause once
        it has a few words; later pieces end at clauses only when they run long."""
        if not clause:
            return 1
        words = word_count(clean_for_speech(raw))
        limit = self.first_clause_words if self._first else self.long_words
        return int(words >= limit)

    def _abbreviation(self, i: int) -> str | None:
        """'hard' (never a sentence end), 'soft' (only before a capital) or None, for the
        word that ends with the dot at i."""
        buf = self._buf
        start = i
        while start > 0 and not buf[start - 1].isspace():
            start -= 1
        word = buf[start:i].lstrip(OPENERS)
        lower = word.lower()
        if not word:
            return None
        if word.isdigit():
            before = buf[:start]
            at_line_start = self._line_start and (before.strip(OPENERS + " \t") == "")
            return "hard" if at_line_start else None  # "1. Eggs" in a numbered list
        if lower in HARD_ABBREVIATIONS:
            return "hard"
        if len(word) == 1 and word.isupper() and word != "I":
            return "hard"  # an initial: "J. Smith"
        if lower in SOFT_ABBREVIATIONS or _DOTTED.fullmatch(lower):
            return "soft"
        return None

    def _cut(self, end: int, out: list[str], *, newline: bool = False) -> None:
        raw = self._buf[:end]
        rest = self._buf[end:]
        stripped = rest.lstrip()
        next_line_start = newline or "\n" in rest[:len(rest) - len(stripped)]
        self._buf = stripped
        self._pos = 0
        if self._in_fence or self._is_fence_line(raw):
            if self._is_fence_line(raw) and (newline or self._in_fence):
                self._in_fence = not self._in_fence
            self._line_start = next_line_start
            return
        self._line_start = next_line_start
        piece = clean_for_speech(raw)
        if not piece:
            return
        if self._pending:
            piece = self._join(self._pending, piece)
            self._pending = ""
        if not self._first and word_count(piece) < self.short_words:
            self._pending = piece
            return
        self._first = False
        out.append(piece)

    @staticmethod
    def _join(first: str, second: str) -> str:
        if not second:
            return first
        if first[-1] in SENTENCE_END + ",;:":
            return f"{first} {second}"
        return f"{first}, {second}"  # list items without their own punctuation


def split_text(text: str) -> list[str]:
    """The pieces a whole reply would be spoken in (for tests and benchmarks)."""
    splitter = SentenceSplitter()
    pieces = splitter.feed(text)
    last = splitter.flush()
    return pieces + ([last] if last else [])
