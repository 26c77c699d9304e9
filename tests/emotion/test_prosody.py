"""Prosody from synthetic speech-like signals: pitch, rate, pauses, and how they refine a read."""

from __future__ import annotations

import numpy as np
import pytest

from os1.emotion.classifier import EmotionRead, read_from_probs
from os1.emotion.labels import LABELS
from os1.emotion.prosody import Prosody, SpeakerBaseline, analyse, refine

SR = 16000


def tone(seconds: float, f0: float, f1: float | None = None, *, amp: float = 0.3,
         syllables: float = 0.0, sr: int = SR) -> np.ndarray:
    """A harmonic tone gliding from f0 to f1 Hz; amplitude-modulated into syllables per second."""
    n = int(seconds * sr)
    phase = 2 * np.pi * np.cumsum(np.linspace(f0, f1 or f0, n)) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    x = x / np.max(np.abs(x))
    if syllables:
        x = x * (0.15 + 0.85 * np.sin(np.pi * syllables * np.arange(n) / sr) ** 2)
    ramp = np.linspace(0.0, 1.0, int(0.01 * sr))
    x[:ramp.size] *= ramp
    x[-ramp.size:] *= ramp[::-1]
    return amp * x


def silence(seconds: float, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr))


def utterance(*parts: np.ndarray, noise: float = 1e-3) -> np.ndarray:
    x = np.concatenate(parts)
    return (x + np.random.default_rng(0).normal(0.0, noise, x.size)).astype(np.float32)


def text_read(**probs: float) -> EmotionRead:
    p = np.full(len(LABELS), 0.01, dtype=np.float32)
    for label, value in probs.items():
        p[LABELS.index(label)] = value
    return read_from_probs(p, np.full(len(LABELS), 0.3, dtype=np.float32))


LIVELY = utterance(silence(0.3), tone(3, 130, 260, amp=0.5, syllables=6), silence(0.3))
SUBDUED = utterance(silence(0.3), tone(1.5, 110, amp=0.01, syllables=2), silence(0.9),
                    tone(1.5, 110, amp=0.01, syllables=2), silence(0.8),
                    tone(1.5, 110, amp=0.01, syllables=2), silence(0.3), noise=1e-4)


@pytest.mark.parametrize("f0", [120.0, 220.0])
def test_pitch_of_a_steady_voice(f0: float) -> None:
    p = analyse(utterance(silence(0.3), tone(2, f0 * 0.98, f0 * 1.02), silence(0.3)), SR)
    assert p.pitch_hz == pytest.approx(f0, rel=0.05)
    assert p.voiced_s > 1.5
    assert p.pitch_range_semitones < 1.0


def test_pitch_glide_has_range() -> None:
    p = analyse(utterance(silence(0.3), tone(3, 100, 200), silence(0.3)), SR)
    assert p.pitch_hz == pytest.approx(150, rel=0.05)
    assert 8.0 < p.pitch_range_semitones < 11.0  # 10th–90th percentile of a one-octave glide


def test_other_sample_rates_and_formats() -> None:
    for sr in (8000, 44100):
        x = utterance(silence(0.3, sr), tone(1.5, 180, sr=sr), silence(0.3, sr))
        assert analyse(x, sr).pitch_hz == pytest.approx(180, rel=0.05)
    x = utterance(silence(0.3), tone(1.5, 120), silence(0.3))
    as_int16 = analyse((x * 32767).astype(np.int16), SR)
    assert as_int16.pitch_hz == pytest.approx(120, rel=0.05)
    assert as_int16.energy_db == pytest.approx(analyse(x, SR).energy_db, abs=0.5)
    stereo = analyse(np.stack([x, x], axis=1), SR)
    assert stereo.pitch_hz == pytest.approx(120, rel=0.05)


def test_speech_rate_follows_syllables() -> None:
    slow = analyse(utterance(silence(0.3), tone(3, 150, syllables=2), silence(0.3)), SR)
    fast = analyse(utterance(silence(0.3), tone(3, 150, syllables=4), silence(0.3)), SR)
    assert fast.speech_rate > slow.speech_rate
    assert slow.speech_rate == pytest.approx(2, rel=0.25)
    assert fast.speech_rate == pytest.approx(4, rel=0.25)


def test_pauses() -> None:
    burst = tone(1, 150, syllables=4)
    x = utterance(silence(0.5), burst, silence(0.8), burst, silence(0.3), burst, silence(0.6), burst,
                  silence(0.5))
    p = analyse(x, SR)
    assert p.long_pauses == 2  # 0.8 s and 0.6 s; 0.3 s is a pause but not a long one
    assert p.pause_ratio == pytest.approx(1.7 / 5.7, abs=0.03)  # leading/trailing silence not counted
    assert p.speech_s == pytest.approx(4.0, abs=0.15)
    assert p.duration_s == pytest.approx(6.7)
    continuous = analyse(utterance(silence(0.5), tone(3, 150, syllables=4), silence(0.5)), SR)
    assert continuous.pause_ratio == 0 and continuous.long_pauses == 0


def test_silence_and_noise_measure_nothing() -> None:
    p = analyse(utterance(silence(2.0)), SR)
    assert p.pitch_hz == 0 and p.voiced_s == 0 and p.duration_s == pytest.approx(2.0)
    read = text_read(neutral=0.9)
    refined = refine(read, p)
    assert (refined.valence, refined.arousal, refined.scores) == (read.valence, read.arousal, read.scores)
    assert refined.source == "voice"


@pytest.mark.parametrize(("samples", "rate", "message"), [
    (np.zeros(0, dtype=np.float32), SR, "empty"),
    (np.zeros((3, 1000), dtype=np.float32), SR, "shape"),
    (np.zeros((10, 10, 2), dtype=np.float32), SR, "shape"),
    (np.zeros(8000, dtype=np.float32), 4000, "8000 Hz"),
    (np.full(8000, np.nan, dtype=np.float32), SR, "finite"),
])
def test_bad_input(samples: np.ndarray, rate: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(samples, rate)


def test_as_dict_is_plain_and_rounded() -> None:
    d = analyse(LIVELY, SR).as_dict()
    assert set(d) >= {"pitch_hz", "pitch_range_semitones", "energy_db", "energy_range_db", "speech_rate",
                      "pause_ratio", "long_pauses", "duration_s", "voiced_s"}
    assert all(type(v) is float and round(v, 3) == v for v in d.values())


def test_lively_voice_raises_arousal_subdued_lowers_it() -> None:
    read = text_read(neutral=0.6, realization=0.4)
    lively, subdued = analyse(LIVELY, SR), analyse(SUBDUED, SR)
    assert lively.energy_db > subdued.energy_db + 20
    assert lively.speech_rate > subdued.speech_rate
    assert lively.pitch_range_semitones > subdued.pitch_range_semitones + 5
    assert subdued.long_pauses == 2
    up, down = refine(read, lively), refine(read, subdued)
    assert up.arousal > read.arousal + 0.1
    assert down.arousal < read.arousal - 0.1
    assert up.source == down.source == "voice"
    assert up.prosody == lively.as_dict()
    assert up.valence == read.valence  # a lively voice doesn't make words more pleasant
    for r in (up, down):
        assert -1 <= r.valence <= 1 and -1 <= r.arousal <= 1
        assert all(0 <= v <= 1 for v in r.scores.values())


def test_flat_fine_sounds_a_little_sad() -> None:
    read = text_read(neutral=0.9)  # "I'm fine"
    assert read.labels == ["neutral"]
    flat = refine(read, analyse(SUBDUED, SR))
    assert read.valence - 0.2 < flat.valence < read.valence
    assert flat.scores["sadness"] > read.scores["sadness"] + 0.1
    assert flat.ekman["sadness"] == flat.scores["sadness"]
    assert flat.labels == ["neutral"]  # the voice alone doesn't name it
    hinted = refine(text_read(neutral=0.9, sadness=0.2), analyse(SUBDUED, SR))
    assert hinted.labels == ["sadness"]  # but words that hinted at it, said flatly, do
    assert refine(read, analyse(LIVELY, SR)).scores == read.scores
    mixed = refine(text_read(neutral=0.6, realization=0.4), analyse(SUBDUED, SR))
    assert mixed.labels == ["neutral", "realization"] and mixed.scores["sadness"] > 0.1


def test_joyful_words_keep_their_label() -> None:
    read = text_read(joy=0.9, excitement=0.5)
    flat = refine(read, analyse(SUBDUED, SR))
    assert flat.labels == read.labels and flat.dominant == "joy"
    assert flat.scores == read.scores
    assert read.valence - 0.2 < flat.valence < read.valence


def test_baseline_is_personal_after_three() -> None:
    quiet_talker = analyse(utterance(silence(0.3), tone(3, 110, 130, amp=0.02, syllables=3),
                                     silence(0.3), noise=1e-4), SR)
    baseline = SpeakerBaseline()
    before = baseline.relative(quiet_talker)
    assert before["energy"] < -1.5  # against the population, they sound quiet
    for _ in range(2):
        baseline.update(quiet_talker)
    assert not baseline.personal and baseline.relative(quiet_talker) == before
    baseline.update(quiet_talker)
    assert baseline.personal
    own = baseline.relative(quiet_talker)
    assert all(abs(z) < 0.1 for z in own.values())  # their usual voice
    louder = analyse(utterance(silence(0.3), tone(3, 110, 130, amp=0.2, syllables=3), silence(0.3)), SR)
    assert baseline.relative(louder)["energy"] > 2
    read = text_read(neutral=0.9)
    assert refine(read, quiet_talker, baseline).arousal == pytest.approx(read.arousal, abs=0.02)
    assert refine(read, quiet_talker).arousal < read.arousal - 0.05


def test_baseline_ignores_what_was_not_measured() -> None:
    baseline = SpeakerBaseline()
    baseline.update(Prosody(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 1.0, 0.0, 0.0))
    assert baseline.count == 0
    assert baseline.relative(Prosody(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 1.0, 0.0, 0.0)) == {}
