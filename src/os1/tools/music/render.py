"""A MIDI file turned into sound by a real synthesizer: FluidSynth with a General MIDI sound font.

FluidSynth runs as a command (``fluidsynth -ni -F out.wav …``), rendering faster than real time
into a temporary file beside the target; the result is trimmed (the silence after the final
chord has died away), its peak brought to -1 dBFS, and only then renamed into place. A missing
synthesizer or sound font is an error that says how to install one; whatever happens, no half
written WAV is left and the MIDI the caller holds is untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from os1.errors import Os1Error
from os1.tools.output import atomic_output
from os1.voice.audio import read_wav, resample

SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),  # Debian/Ubuntu: fluid-soundfont-gm
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),  # timgm6mb-soundfont
    Path("/usr/share/sounds/sf2/default-GM.sf2"),  # the alternatives link
)
INSTALL_FONT = ("Install one: sudo apt-get install fluid-soundfont-gm (or choose a .sf2 file "
                "with OS1_SOUNDFONT=/path/to/font.sf2).")
RATE = 44_100
GAIN = 0.8
PEAK = 10 ** (-1 / 20)  # normalise to -1 dBFS
MAX_BOOST = 4.0  # never raise a quiet render by more than 12 dB (it would raise the hiss too)
SILENCE = 10 ** (-60 / 20)  # below -60 dBFS counts as silence when trimming the end
KEEP_AFTER = 0.25  # seconds kept (and faded) after the last audible sound
TIMEOUT = 300.0  # seconds: a 90 s piece renders in a few
FONT_FAILED = ("failed to load", "not a soundfont", "unable to open")


@dataclass(frozen=True)
class Rendered:
    path: Path
    seconds: float  # the audio's real length, after trimming
    peak: float  # 0..1, after normalising


def find_soundfont(explicit: str | Path | None = None) -> Path:
    """The sound font to play with: ``explicit``, then $OS1_SOUNDFONT, then the usual places."""
    for given, origin in ((explicit, "The sound font"), (os.environ.get("OS1_SOUNDFONT"),
                                                         "OS1_SOUNDFONT")):
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise Os1Error(f"{origin} {path} doesn't exist.",
                               "Point it at a General MIDI .sf2 file, or leave it unset to use "
                               "the system's (sudo apt-get install fluid-soundfont-gm).")
            return path
    for path in SOUNDFONTS:
        if path.is_file():
            return path
    raise Os1Error("No General MIDI sound font found, so I can't turn the piece into sound "
                   "(the MIDI file is kept).", INSTALL_FONT)


def find_fluidsynth() -> str:
    found = shutil.which("fluidsynth")
    if found is None:
        raise Os1Error("FluidSynth (the synthesizer that plays the piece) isn't installed, so I "
                       "can't turn it into sound (the MIDI file is kept).",
                       "Install it: sudo apt-get install fluidsynth fluid-soundfont-gm "
                       "(macOS: brew install fluid-synth).")
    return found


def render(midi: bytes | Path, out: Path, *, soundfont: str | Path | None = None,
           rate: int = RATE, gain: float = GAIN) -> Rendered:
    """Render ``midi`` (bytes or a file) to a 16-bit stereo WAV at ``out``, atomically."""
    font = find_soundfont(soundfont)
    program = find_fluidsynth()
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="os1-midi-") as scratch:
        if isinstance(midi, bytes | bytearray):
            source = Path(scratch) / "piece.mid"
            source.write_bytes(midi)
        else:
            source = Path(midi)
        with atomic_output(out) as temp:
            command = [program, "-ni", "-q", "-g", f"{gain:g}", "-r", str(rate), "-T", "wav",
                       "-O", "s16", "-F", str(temp), str(font), str(source)]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                      check=False, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as exc:
                raise Os1Error(f"FluidSynth took over {TIMEOUT:.0f} s to render the piece and was "
                               "stopped.", "Try again when the computer is less busy.") from exc
            said = (done.stderr + done.stdout).strip()
            if done.returncode != 0 or any(sign in said.lower() for sign in FONT_FAILED):
                font_problem = "font" in said.lower()
                raise Os1Error(
                    f"FluidSynth couldn't render the piece with {font}: "
                    f"{_last_line(said) or f'exit status {done.returncode}'} (the MIDI is kept).",
                    "Choose a working General MIDI sound font with OS1_SOUNDFONT=/path/to/font.sf2 "
                    "or sudo apt-get install fluid-soundfont-gm." if font_problem else
                    "Check that FluidSynth works: fluidsynth --version")
            seconds, peak = _finish(temp)
    return Rendered(out, seconds, peak)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _finish(path: Path) -> tuple[float, float]:
    """Trim the silence after the end, fade the last moment, bring the peak to -1 dBFS."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise Os1Error(f"FluidSynth didn't write a WAV file ({exc}).",
                       "Check that FluidSynth works: fluidsynth --version") from exc
    if width != 2:
        raise Os1Error(f"FluidSynth wrote {8 * width}-bit audio where 16-bit was asked for.",
                       "Update FluidSynth (sudo apt-get install fluidsynth).")
    frames = np.frombuffer(raw, dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(frames).max(axis=1) > SILENCE) if frames.size else np.zeros(0)
    if loud.size == 0:
        raise Os1Error("FluidSynth rendered only silence.",
                       "Check the sound font (OS1_SOUNDFONT=/path/to/font.sf2) and that the "
                       "piece has notes.")
    keep = min(len(frames), int(loud[-1]) + 1 + int(KEEP_AFTER * rate))
    frames = frames[:keep]
    fade = min(keep, int(KEEP_AFTER * rate))
    frames[keep - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    peak = float(np.abs(frames).max())
    gain = min(PEAK / peak, MAX_BOOST) if peak > 0 else 1.0
    frames *= gain
    pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return keep / rate, min(1.0, peak * gain)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def to_pcm(path: Path, rate: int = 22_050) -> np.ndarray:
    """The rendered piece as int16 mono samples at ``rate`` (the voice pipeline plays 22.05 kHz
    mono), reusing the voice code's WAV reader and resampler."""
    samples, found = read_wav(path)
    samples = resample(samples, found, rate)
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
