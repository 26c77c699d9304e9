"""Real speech for voice tests, made on the spot: espeak-ng says the words, and the tests hear
them through the same models os1 uses. Everything is float32 mono in [-1, 1] at 16 kHz
(what the VAD and Whisper take) unless a rate is given.

espeak-ng is a Debian package (``apt-get install espeak-ng``), not a Python one; tests that
need it use ``needs_espeak`` and are skipped, saying so, where it isn't installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from os1.voice.audio import read_wav, resample, write_wav  # noqa: F401 (re-exported for tests)

RATE = 16_000
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(
    ESPEAK is None, reason="espeak-ng isn't installed (apt-get install espeak-ng); it speaks the test audio")


def espeak(text: str, path_or_none: Path | None = None, rate_wpm: int = 160,
           voice: str = "en-us") -> np.ndarray:
    """``text`` spoken by espeak-ng (22,050 Hz) resampled to 16 kHz; also written to
    ``path_or_none`` as a 16 kHz WAV when a path is given (to listen to a failing case)."""
    if ESPEAK is None:
        pytest.skip("espeak-ng isn't installed (apt-get install espeak-ng); it speaks the test audio")
    with tempfile.TemporaryDirectory(prefix="os1-espeak-") as tmp:
        out = Path(tmp) / "speech.wav"
        # Text on stdin, so a sentence starting with "-" is never taken for an option.
        subprocess.run([ESPEAK, "-v", voice, "-s", str(rate_wpm), "-w", str(out), "--stdin"],
                       input=text.encode("utf-8"), check=True, capture_output=True, timeout=60)
        samples, rate = read_wav(out)
    speech = resample(samples, rate, RATE)
    if path_or_none is not None:
        write_wav(Path(path_or_none), speech, RATE)
    return speech


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.float32)


def noise(seconds: float, level: float = 0.01, seed: int = 0) -> np.ndarray:
    """White noise with RMS ``level`` (0.01 = -40 dBFS, a quiet room through a laptop mic)."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.0, level, int(round(seconds * RATE))), -1.0, 1.0).astype(np.float32)


def concat(*pieces: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.float32) for p in pieces]) if pieces else silence(0)


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_CONTRACTIONS = {
    "i'm": "i am", "i've": "i have", "i'll": "i will", "i'd": "i would", "you're": "you are",
    "it's": "it is", "that's": "that is", "what's": "what is", "there's": "there is",
    "let's": "let us", "don't": "do not", "doesn't": "does not", "didn't": "did not",
    "can't": "can not", "cannot": "can not", "won't": "will not", "isn't": "is not",
    "wasn't": "was not", "haven't": "have not", "we're": "we are", "they're": "they are",
    "she's": "she is", "he's": "he is", "you'll": "you will", "we'll": "we will", "ok": "okay",
    "goodnight": "good night", "goodbye": "good bye",
}


def _number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (_number_words(n % 100) if n % 100 else [])
    if n < 10_000 and n % 1000 == 0:
        return [_ONES[n // 1000], "thousand"]
    if 1100 <= n < 10_000:  # years and the like are said in pairs: 1984 -> nineteen eighty four
        return _number_words(n // 100) + (_number_words(n % 100) if n % 100 else ["hundred"])
    return [str(n)]


_ORDINAL_ENDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                 "nine": "ninth", "twelve": "twelfth"}


def _ordinal(n: int) -> list[str]:
    """3 -> third, 21 -> twenty first, 40 -> fortieth."""
    spoken = _number_words(n)
    last = spoken[-1]
    if last in _ORDINAL_ENDS:
        last = _ORDINAL_ENDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return spoken[:-1] + [last]


def words(text: str) -> list[str]:
    """A simple normaliser for comparing what was said with what was heard: lowercase; digits
    spelled out as words (5 -> five, 5:30 -> five thirty, 1984 -> nineteen eighty four,
    3rd -> third);
    common contractions expanded (I'm -> i am); hyphens as spaces; other punctuation dropped."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: " ".join(_ordinal(int(m.group(1)))), text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text.replace(":", " "))
    out: list[str] = []
    for token in text.split():
        token = token.strip("'")
        if not token:
            continue
        if token.isdigit():
            out.extend(_number_words(int(token)))
        else:
            out.extend(_CONTRACTIONS.get(token, token).split())
    return out


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word-level edit distance, reference length) after :func:`words`."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Substitutions, deletions and insertions over the reference's word count."""
    errors, length = word_errors(reference, hypothesis)
    return errors / max(1, length)
