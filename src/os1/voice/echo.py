"""Not mistaking os1's own voice for the person's.

On a laptop the microphone hears the speaker. Without care, os1 would interrupt itself.
This is a gate on own playback, not a full echo canceller: os1 knows how loud it is playing
right now, and learns how much of that reaches the microphone (the coupling, from the
frames while it plays). Speech counts as the person's only when the microphone is clearly
louder than os1's own echo would be. The person can still barge in by speaking up over
os1 (at about the loudness of its echo or more, as they would with a person); with
headphones the coupling is learned as near zero and any speech counts.
"""

from __future__ import annotations

from collections import deque

import numpy as np

# The output is "playing" when its recent level is above this (linear RMS, about -45 dBFS).
PLAYING_RMS = 0.0056


class EchoGate:
    """Decides, frame by frame, whether what the microphone hears could be os1's own echo."""

    def __init__(self, *, margin: float = 2.0, history: int = 94, warmup: int = 8,
                 start_coupling: float = 1.0) -> None:
        self.margin = margin  # how much louder than the predicted echo the person must be
        self.warmup = warmup  # loud-output frames needed before trusting the learned coupling
        self.start_coupling = start_coupling  # until then: assume the echo is as loud as the output
        self._ratios: deque[float] = deque(maxlen=history)  # ~3 s of 32 ms frames

    @property
    def coupling(self) -> float:
        if len(self._ratios) < self.warmup:
            return self.start_coupling
        # Near the top of what the echo has been: the microphone level relative to the
        # loudest recent output varies with each syllable, and the gate must cover its peaks.
        # (Frames where the person also spoke are rare, and mostly not learned from.)
        return float(np.percentile(np.fromiter(self._ratios, dtype=np.float64), 90))

    def is_echo(self, mic_rms: float, output_rms: float) -> bool:
        """True when the microphone level is explained by os1's own playback.

        ``output_rms`` is the loudest os1 played over the last few hundred milliseconds
        (the window covers the device and room delay without measuring it exactly).
        """
        if output_rms < PLAYING_RMS:
            return False
        predicted = self.coupling * output_rms
        echo = mic_rms <= self.margin * predicted
        if echo:
            self._ratios.append(mic_rms / output_rms)
        return echo

    def learn(self, mic_rms: float, output_rms: float) -> None:
        """Learn from a frame known to hold no speech of the person's (VAD said so)."""
        if output_rms >= PLAYING_RMS:
            self._ratios.append(mic_rms / output_rms)
