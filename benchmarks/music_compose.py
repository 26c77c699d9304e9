"""Writing and rendering a piece of music: composition time (os1.tools.music.compose, pure
Python), MIDI writing (mido) and rendering with the real FluidSynth and the system's General MIDI
sound font, for a 60 s piece, p50/p95 over N runs (a different seed and mood each run), with the
piece's real duration, the realtime factor of the render and the file sizes.

    .venv/bin/python benchmarks/music_compose.py [--runs 5] [--seconds 60] [--soundfont PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from os1.tools.music.compose import Moment, compose  # noqa: E402
from os1.tools.music.midi import to_midi  # noqa: E402
from os1.tools.music.render import find_soundfont, render, wav_seconds  # noqa: E402

MOODS = [  # (valence, arousal, labels): the range of moments a person might ask for
    (0.6, 0.5, ["joy"]), (-0.7, 0.15, ["sadness"]), (0.5, 0.3, ["love"]),
    (-0.3, 0.7, ["nervousness"]), (0.8, 0.85, ["excitement"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--soundfont", default=None, help="a .sf2 file (default: the system's)")
    args = parser.parse_args()
    font = find_soundfont(args.soundfont)
    fluidsynth = shutil.which("fluidsynth")
    version = subprocess.run([fluidsynth or "fluidsynth", "--version"], capture_output=True,
                             text=True, check=False).stdout.splitlines()[:1]
    runs: list[dict[str, Any]] = []
    watch = c.CpuWatch()
    with tempfile.TemporaryDirectory(prefix="os1-bench-music-") as tmp:
        for i in range(args.runs):
            valence, arousal, labels = MOODS[i % len(MOODS)]
            moment = Moment("the night we walked on the beach", valence, arousal, labels,
                            args.seconds, seed=1000 + i)
            started = time.perf_counter()
            piece = compose(moment)
            composed = time.perf_counter()
            midi = to_midi(piece)
            written = time.perf_counter()
            done = render(midi, Path(tmp) / f"{i}.wav", soundfont=font)
            rendered = time.perf_counter()
            render_s = rendered - written
            runs.append({
                "key": piece.plan_dict()["key"], "tempo": piece.plan.tempo,
                "form": " ".join(piece.plan.form), "notes": len(piece.notes),
                "compose_s": composed - started, "midi_s": written - composed,
                "render_s": render_s, "piece_s": piece.seconds,
                "audio_s": wav_seconds(done.path), "realtime_factor": render_s / done.seconds,
                "midi_bytes": len(midi), "wav_bytes": done.path.stat().st_size,
            })
            c.log(f"run {i + 1}/{args.runs}: {runs[-1]['key']}, {piece.plan.tempo} bpm, compose "
                  f"{runs[-1]['compose_s'] * 1000:.1f} ms, render {render_s:.2f} s")
    cpu = watch.read()

    def figure(name: str, digits: int = 4) -> dict[str, Any]:
        return c.stats([r[name] for r in runs], digits)

    c.emit({
        "benchmark": "music_compose",
        "requested_seconds": args.seconds,
        "runs": args.runs,
        "compose_ms": c.stats([r["compose_s"] * 1000 for r in runs], 2),
        "midi_ms": c.stats([r["midi_s"] * 1000 for r in runs], 2),
        "render_s": figure("render_s", 3),
        "realtime_factor": figure("realtime_factor", 4),  # render time / audio length
        "piece_seconds": figure("piece_s", 2),
        "audio_seconds": figure("audio_s", 2),
        "midi_bytes": figure("midi_bytes", 0),
        "wav_bytes": figure("wav_bytes", 0),
        "pieces": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                   for r in runs],
        "fluidsynth": version[0] if version else None,
        "soundfont": str(font),
        "cpu": cpu,
        "load_average": c.load_average(),
        "os1_commit": c.os1_commit(),
    })


if __name__ == "__main__":
    main()
