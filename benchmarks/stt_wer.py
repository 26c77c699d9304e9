"""Speech-to-text: word error rate and speed of the Whisper models os1 ships, on things a
person says to a companion, spoken by a synthesizer.

    .venv/bin/python benchmarks/stt_wer.py [--models tiny.en,base] [--threads N] [--wait-quiet 60]

The test set is ``SENTENCES`` below (40 short conversational lines written for os1: requests,
feelings, names, times, numbers, questions), spoken by espeak-ng (Debian package, 160 words a
minute, en-us) and by os1's own Piper voice (``os1.voice.tts.load_tts("male")``, en_US joe) when
it is installed.
Synthetic speech is cleaner than a microphone but far less natural than a person; read the
numbers as a comparison between models and a floor for regressions, not as accuracy on people.

Scoring: WER = (substitutions + deletions + insertions) / reference words, over the whole set
(jiwer when installed, else the same edit distance computed here). Both sides are normalised
first by ``tests.voice.audio_fixtures.words``: lowercase; digits spelled out (5 -> five,
5:30 -> five thirty, 1984 -> nineteen eighty four, 3rd -> third); common contractions expanded
(I'm -> i am, goodnight -> good night); hyphens as spaces; other punctuation dropped. Spelling
variants (kilometre/kilometer) are not merged, so the sentences use American spelling.

Speed: wall seconds per utterance through ``WhisperStt.transcribe`` exactly as os1 calls it
(int8, beam 1, no timestamps), mean and p95, and the real-time factor (seconds of work per
second of audio; below 1 is faster than real time). One warm-up utterance is not counted.
``others_cores``: how many cores other processes used meanwhile (0 = undisturbed; on 2 cores
anything above ~0.3 inflates the times). Prints one JSON object on stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.voice.audio_fixtures import ESPEAK, espeak, resample, word_errors, words  # noqa: E402

from os1.voice.models import STT_MODELS, install_voice_models  # noqa: E402
from os1.voice.stt import load_stt  # noqa: E402

SENTENCES = [
    "Can you remind me to call my sister tomorrow at five?",
    "I had a rough day at work.",
    "Good morning! Did you sleep well?",
    "What's the weather going to be like this weekend?",
    "My friend Sarah is coming over for dinner on Friday.",
    "I think I'm going to make lasagna.",
    "Could you set a timer for twenty minutes?",
    "I'm feeling a bit lonely tonight.",
    "Tell me a joke, please.",
    "Do you remember what I told you about my brother James?",
    "I finally finished reading that book about the lighthouse.",
    "How many days until my birthday?",
    "My birthday is on the third of June.",
    "Please add milk, eggs and bread to my shopping list.",
    "I can't decide whether to take the new job in Boston.",
    "What do you think I should do?",
    "I walked about six kilometers along the river this afternoon.",
    "The meeting moved to half past three on Thursday.",
    "Send a message to Emma saying I'll be ten minutes late.",
    "I miss my grandmother. She used to bake bread every Sunday.",
    "Is it too late to call my mom?",
    "I've been learning to play the guitar for three months.",
    "Thank you, that really helps.",
    "Let's talk about something else.",
    "Can you read me my appointments for next week?",
    "I spent forty dollars on a new pair of running shoes.",
    "My flight leaves at seven thirty in the morning.",
    "Why do I always feel tired on Mondays?",
    "I'm proud of myself for going to the gym today.",
    "Remind me to water the plants every other day.",
    "Who was the woman I met at the conference in March?",
    "We adopted a cat and named her Pepper.",
    "I don't really want to talk about it right now.",
    "What time is it in Tokyo?",
    "Play some quiet music while I cook.",
    "My daughter turns twelve next month.",
    "I had coffee with Daniel and we laughed for hours.",
    "Can you help me write a short note to my landlord?",
    "Honestly, I'm nervous about the doctor's appointment.",
    "Goodnight. Talk to you tomorrow.",
]


def cpu_snapshot() -> tuple[float, float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process, wall clock)."""
    with open("/proc/stat") as fh:
        fields = [float(x) for x in fh.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / tick, time.process_time(), time.monotonic()


def others_cores(since: tuple[float, float, float]) -> float:
    """Cores other processes kept busy on average since ``since`` (0 = undisturbed)."""
    busy, own, wall = cpu_snapshot()
    return max(0.0, (busy - since[0] - (own - since[1])) / max(1e-6, wall - since[2]))


def wait_quiet(limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        start = cpu_snapshot()
        time.sleep(1)
        if others_cores(start) < 0.3:
            return


def edit_wer(pairs: list[tuple[str, str]]) -> float:
    errors = total = 0
    for ref, hyp in pairs:
        e, n = word_errors(ref, hyp)
        errors, total = errors + e, total + n
    return errors / max(1, total)


def corpus_wer(pairs: list[tuple[str, str]]) -> tuple[float, str]:
    try:
        import jiwer
    except ImportError:
        return edit_wer(pairs), "edit distance (os1)"
    refs = [" ".join(words(r)) for r, _ in pairs]
    hyps = [" ".join(words(h)) for _, h in pairs]
    # jiwer refuses empty references; none of ours is, but an empty hypothesis is fine.
    return float(jiwer.wer(refs, hyps)), "jiwer " + version("jiwer")


def voices() -> dict[str, Callable[[str], np.ndarray]]:
    found: dict[str, Callable[[str], np.ndarray]] = {}
    if ESPEAK:
        found["espeak-ng"] = lambda text: espeak(text)
    try:
        from os1.voice.tts import load_tts
    except ImportError:
        print("os1.voice.tts.load_tts isn't there: espeak-ng only", file=sys.stderr)
        return found
    try:
        engine = load_tts("male")  # Piper en_US joe (medium), os1's own male voice
    except Exception as exc:  # noqa: BLE001 - an optional second voice: say why and go on
        print(f"Piper unavailable ({exc}): espeak-ng only", file=sys.stderr)
        return found

    def piper(text: str) -> np.ndarray:
        return resample(np.asarray(engine.synthesize(text), dtype=np.float32), engine.sample_rate, 16_000)

    found[f"piper ({engine.name})"] = piper
    return found


def worst(pairs: list[tuple[str, str]], n: int = 3) -> list[dict[str, object]]:
    scored = [(word_errors(r, h)[0] / max(1, len(words(r))), r, h) for r, h in pairs]
    scored.sort(key=lambda x: -x[0])
    return [{"said": r, "heard": h, "wer": round(w, 2)} for w, r, h in scored[:n] if w > 0]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--beam", type=int, default=1, help="beam size (os1 uses 1)")
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="where to assemble Whisper base (default: a temporary directory)")
    parser.add_argument("--wait-quiet", type=float, default=0)
    parser.add_argument("--show", action="store_true", help="print every transcript to stderr")
    args = parser.parse_args()
    if not ESPEAK:
        sys.exit("espeak-ng isn't installed (apt-get install espeak-ng); it speaks the test set.")
    speakers = voices()
    audio = {name: [say(s) for s in SENTENCES] for name, say in speakers.items()}
    result: dict[str, Any] = {
        "benchmark": "stt_wer", "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": os.getloadavg()[0], "sentences": len(SENTENCES),
        "audio_seconds": {v: round(sum(len(a) for a in clips) / 16_000, 1) for v, clips in audio.items()},
        "normaliser": "lowercase; digits and ordinals to words; contractions expanded; punctuation dropped",
        "models": {},
    }
    with tempfile.TemporaryDirectory(prefix="os1-stt-bench-") as tmp:
        models_dir = args.models_dir or Path(tmp)
        install_voice_models(models_dir)
        for name in args.models.split(","):
            t0 = time.perf_counter()
            stt = load_stt(name, models_dir, args.threads, language="en", beam_size=args.beam)
            entry: dict[str, Any] = {"title": STT_MODELS[name].title, "threads": stt.threads,
                                     "beam_size": stt.beam_size,
                                     "load_seconds": round(time.perf_counter() - t0, 2), "voices": {}}
            stt.transcribe(audio[next(iter(audio))][0])  # warm-up
            for voice, clips in audio.items():
                wait_quiet(args.wait_quiet)
                pairs, seconds, rtf = [], [], []
                start = cpu_snapshot()
                for text, clip in zip(SENTENCES, clips, strict=True):
                    got = stt.transcribe(clip)
                    pairs.append((text, got.text))
                    seconds.append(got.seconds)
                    rtf.append(got.seconds / got.duration_s)
                    if args.show:
                        print(f"[{name}/{voice}] {text!r} -> {got.text!r}", file=sys.stderr)
                disturbed = others_cores(start)
                wer, how = corpus_wer(pairs)
                entry["voices"][voice] = {
                    "wer": round(wer, 4), "wer_edit_distance": round(edit_wer(pairs), 4), "scored_by": how,
                    "sentences_perfect": sum(word_errors(r, h)[0] == 0 for r, h in pairs),
                    "mean_seconds": round(float(np.mean(seconds)), 3),
                    "p95_seconds": round(float(np.percentile(seconds, 95)), 3),
                    "real_time_factor": round(float(np.mean(rtf)), 3),
                    "others_cores": round(disturbed, 2),
                    "worst": worst(pairs),
                }
                print(f"{name}/{voice}: WER {wer:.3f}, mean {np.mean(seconds):.2f} s", file=sys.stderr)
            result["models"][name] = entry
            del stt
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
