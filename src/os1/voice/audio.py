"""Audio as os1 passes it around: float32 mono samples in [-1, 1], one rate per stream.

The microphone side runs at 16 kHz (what Silero VAD and Whisper want) in 32 ms frames; the
speaker side at whatever rate the voice makes (Piper: 22.05 kHz). Devices and browsers give
other rates and block sizes: ``Framer`` turns any of them into the listener's frames.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from os1.errors import AudioError

RATE = 16_000  # the listener's rate: VAD and speech-to-text
FRAME = 512  # samples per listening frame (32 ms at 16 kHz: Silero's frame)
FRAME_SECONDS = FRAME / RATE


def as_float32(samples: np.ndarray) -> np.ndarray:
    """Mono float32 in [-1, 1] from int16/int32/float input, mono or (n, channels)."""
    data = np.asarray(samples)
    if data.ndim not in (1, 2):
        raise AudioError(f"Audio with shape {data.shape} isn't a sound os1 can read.",
                         "Send mono or interleaved-channel PCM samples.")
    if data.dtype == np.int16:
        out = data.astype(np.float32) / 32768.0
    elif data.dtype == np.int32:
        out = (data.astype(np.float64) / 2_147_483_648.0).astype(np.float32)
    elif data.dtype.kind == "f":
        out = data.astype(np.float32, copy=False)
        if out.size and not np.isfinite(out).all():
            out = np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=-1.0)
        out = np.clip(out, -1.0, 1.0)
    else:
        raise AudioError(f"Audio samples of type {data.dtype} aren't supported.",
                         "Send 16-bit integer or 32-bit float PCM.")
    if out.ndim == 2:  # channels mixed down after scaling
        out = out.mean(axis=1, dtype=np.float32)
    return out


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling (soxr), for whole clips."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    check_rate(from_rate)
    import soxr

    return np.asarray(soxr.resample(samples, from_rate, to_rate), dtype=np.float32)


def check_rate(rate: int) -> None:
    if not 4_000 <= rate <= 384_000:
        raise AudioError(f"A sample rate of {rate} Hz isn't a real audio rate.",
                         "Use audio recorded at 8, 16, 22.05, 44.1 or 48 kHz.")


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def dbfs(samples: np.ndarray) -> float:
    return 20.0 * float(np.log10(max(rms(samples), 1e-9)))


class Framer:
    """Any block size at any rate in, 16 kHz frames of ``FRAME`` samples out.

    Resampling is streamed (soxr keeps the filter state between blocks), so blocks joined
    end to end sound as one recording.
    """

    def __init__(self, input_rate: int) -> None:
        check_rate(input_rate)
        self.input_rate = input_rate
        self._pending = np.zeros(0, dtype=np.float32)
        self._stream = None
        if input_rate != RATE:
            import soxr

            self._stream = soxr.ResampleStream(input_rate, RATE, 1, dtype="float32")

    def push(self, block: np.ndarray) -> list[np.ndarray]:
        data = as_float32(block)
        if self._stream is not None:
            data = np.asarray(self._stream.resample_chunk(data), dtype=np.float32)
        self._pending = np.concatenate([self._pending, data]) if self._pending.size else data
        count = self._pending.size // FRAME
        frames = [self._pending[i * FRAME:(i + 1) * FRAME] for i in range(count)]
        self._pending = self._pending[count * FRAME:].copy()
        return frames


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A PCM WAV file as float32 mono and its rate. Raises AudioError for anything else."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            raw = wav.readframes(wav.getnframes())
    except FileNotFoundError as exc:
        raise AudioError(f"There's no audio file at {path}.", "Check the path.") from exc
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{path} isn't a WAV file os1 can read ({exc}).",
                         "Convert it to 16-bit PCM WAV, e.g.: sox in.mp3 -b 16 out.wav") from exc
    if width == 1:  # 8-bit WAV is unsigned
        data = ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) * 256).astype(np.int16)
    elif width in (2, 4):
        data = np.frombuffer(raw, dtype="<i2" if width == 2 else "<i4")
    else:
        raise AudioError(f"{path} has {8 * width}-bit samples; os1 reads 8, 16 or 32-bit PCM WAV.",
                         f"Convert it: sox {path} -b 16 out.wav")
    if channels > 1:
        data = data[: data.size - data.size % channels].reshape(-1, channels)
    check_rate(rate)
    return as_float32(data), rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """16-bit PCM mono, written to a temporary file first so a crash leaves no half file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    pcm = (np.clip(as_float32(samples), -1.0, 1.0) * 32767.0).astype("<i2")
    try:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(pcm.tobytes())
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
