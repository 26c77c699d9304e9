"""Voice adds tone: pitch, energy, rate and pauses of a spoken message refine the text's read.

Measuring (``analyse``, numpy only, any rate ≥ 8 kHz, tens of ms for 10 s of 16 kHz on one core):

* Frames of 25 ms every 10 ms. A frame is speech when its RMS level clears a threshold set
  from the clip's own noise floor (5th percentile of frame dB) and peak (95th):
  ``floor + clip(0.3·(peak − floor), 6, 15) dB``, and never below ``peak − 40 dB``.
* F0 by YIN (cumulative mean normalised difference, 40 ms window) on speech frames, 60–400 Hz;
  a frame is voiced when the dip is under 0.2. ``pitch_hz`` is the median F0,
  ``pitch_range_semitones`` its 10th–90th percentile spread.
* Silent runs inside the utterance shorter than 0.2 s are articulation, not pauses;
  ``pause_ratio`` is pause time over the span from first to last speech (leading and
  trailing silence don't count); ``long_pauses`` counts pauses ≥ 0.5 s.
* ``speech_rate`` counts syllable nuclei (de Jong & Wempe 2009, simplified): voiced peaks of
  the 50 ms-smoothed level with a dip of ≥ 2 dB before the previous nucleus, per second of
  speech (pauses excluded, so it's an articulation rate).

Prosody means little in absolute terms (a mic's gain, a deep or high voice), so it is read
against the speaker's own usual voice (``SpeakerBaseline``: exponential means and variances,
α = 0.2). Until it has seen 3 utterances it uses population defaults (``POPULATION``: pitch
165 Hz ± 4 st, energy −26 ± 6 dBFS, rate 4.5 ± 1.0 syllables/s, pitch range 6 ± 2.5 st).
Deviations are z-like, clipped to ±3. Call ``refine``/``relative`` before ``update``.

Refining (``refine``; w = min(1, speech_s / 1.5 s), 0 when nothing was voiced):

* activation = weighted mean of z's: energy 0.35, pitch range 0.25, rate 0.25, and pitch
  level 0.15 only once the baseline is the person's own.
  pausing = max(clip((pause_ratio − 0.2) / 0.3, 0, 1), min(1, long_pauses / 4)).
  **arousal** += w·(0.15·clip(activation, −2, 2) − 0.10·pausing): at most ±0.30, −0.10 more.
* subdued = mean of clip(−z/2, 0, 1) for energy, pitch range and rate, and pausing (0–1).
  **valence** −= w·0.15·subdued (never raised: voice says little about pleasantness).
* Only when the text read is dominantly neutral ("I'm fine", said flatly): **sadness** score
  += w·0.25·max(0, subdued − 0.3)/0.7 (at most +0.25), its Ekman group follows, and the
  dominant label becomes "sadness" (neutral dropped) only if that score reaches 0.35, i.e. the
  words already hinted at it.
  A non-neutral text label is never changed by voice alone.
* Valence and arousal are clamped to [−1, 1], scores to [0, 1]; source becomes "voice".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from os1.emotion.classifier import EmotionRead
from os1.emotion.labels import EKMAN

MIN_RATE = 8000
FRAME_S, HOP_S, PITCH_WINDOW_S = 0.025, 0.010, 0.040
F0_MIN, F0_MAX = 60.0, 400.0
YIN_THRESHOLD = 0.2
MIN_PAUSE_S, LONG_PAUSE_S = 0.2, 0.5
NUCLEUS_DIP_DB = 2.0

# feature: (population mean, population sd, smallest personal sd)
POPULATION: dict[str, tuple[float, float, float]] = {
    "pitch": (12 * math.log2(165 / 100), 4.0, 1.0),  # semitones re 100 Hz
    "energy": (-26.0, 6.0, 2.0),  # dBFS
    "rate": (4.5, 1.0, 0.4),  # syllables per second of speech
    "pitch_range": (6.0, 2.5, 1.0),  # semitones, 10th–90th percentile
}
ALPHA = 0.2
PERSONAL_AFTER = 3
AROUSAL_WEIGHTS = {"energy": 0.35, "pitch_range": 0.25, "rate": 0.25}
PITCH_WEIGHT = 0.15
AROUSAL_GAIN, PAUSE_AROUSAL, VALENCE_DROP, SADNESS_BOOST, SADNESS_LABEL = 0.15, 0.10, 0.15, 0.25, 0.35


@dataclass(frozen=True)
class Prosody:
    """How one utterance was said. Zeros where nothing was measurable (no speech, no voicing)."""

    pitch_hz: float  # median F0 of voiced frames
    pitch_range_semitones: float  # 10th–90th percentile spread of F0
    energy_db: float  # mean RMS level of speech frames, dBFS
    energy_range_db: float  # 10th–90th percentile spread of that level
    speech_rate: float  # syllable nuclei per second of speech
    pause_ratio: float  # share of the utterance (first to last speech) that is pause
    long_pauses: int  # pauses of 0.5 s or more
    duration_s: float  # the whole clip
    voiced_s: float  # frames with a pitch
    speech_s: float = 0.0  # the utterance less its pauses

    def as_dict(self) -> dict[str, float]:
        return {f.name: round(float(getattr(self, f.name)), 3) for f in fields(self)}


def _as_mono(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    if sample_rate < MIN_RATE:
        raise ValueError(f"prosody needs audio sampled at {MIN_RATE} Hz or more, got {sample_rate} Hz")
    raw = np.asarray(samples)
    if raw.ndim == 2 and raw.shape[1] in (1, 2):
        x = raw.astype(np.float64).mean(axis=1)
    elif raw.ndim == 1:
        x = raw.astype(np.float64)
    else:
        raise ValueError(f"prosody needs mono audio (1-D) or (n, 2) stereo, got shape {raw.shape}")
    if x.size == 0:
        raise ValueError("prosody needs audio, got an empty array")
    if np.issubdtype(raw.dtype, np.integer):
        x /= float(np.iinfo(raw.dtype).max) + 1.0
    if not np.all(np.isfinite(x)):
        raise ValueError("prosody needs finite samples (got NaN or infinity)")
    return x


def _yin(frames: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz, 0 when unvoiced) and the CMNDF dip for each row of ``frames``."""
    n, width = frames.shape
    tau_min, tau_max = int(sample_rate / F0_MAX), int(math.ceil(sample_rate / F0_MIN))
    if n == 0:
        return np.zeros(0), np.ones(0)
    frames = frames - frames.mean(axis=1, keepdims=True)
    size = 1 << int(math.ceil(math.log2(width + tau_max + 1)))
    spectrum = np.fft.rfft(frames, size)
    r = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, size)[:, :tau_max + 1]
    c = np.concatenate([np.zeros((n, 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    d = c[:, width - taus] + (c[:, [width]] - c[:, taus]) - 2 * r
    d = np.maximum(d, 0.0) * width / (width - taus)
    running = np.cumsum(d[:, 1:], axis=1)
    cmndf = np.ones_like(d)
    cmndf[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(running, 1e-12)
    search = cmndf[:, tau_min:tau_max]
    below = search < YIN_THRESHOLD
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.shape[1])
    idx = np.arange(search.shape[1])
    after = ~below & (idx[None, :] > first[:, None])
    end = np.where(after.any(axis=1), after.argmax(axis=1), search.shape[1])
    in_run = (idx[None, :] >= first[:, None]) & (idx[None, :] < end[:, None])
    best = np.where(in_run, search, np.inf).argmin(axis=1)
    voiced = first < search.shape[1]
    rows = np.arange(n)
    at = best + tau_min
    lo, mid, hi = cmndf[rows, at - 1], cmndf[rows, at], cmndf[rows, np.minimum(at + 1, tau_max)]
    denom = lo - 2 * mid + hi
    safe = np.abs(denom) > 1e-12
    shift = np.where(safe, 0.5 * (lo - hi) / np.where(safe, denom, 1.0), 0.0)
    tau = at + np.clip(shift, -0.5, 0.5)
    f0 = np.where(voiced, sample_rate / tau, 0.0)
    return f0, np.where(voiced, mid, 1.0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def analyse(samples: np.ndarray, sample_rate: int) -> Prosody:
    """Measure one utterance. ``samples``: mono (or (n, 2) stereo) float or integer PCM."""
    x = _as_mono(samples, sample_rate)
    duration = x.size / sample_rate
    frame, hop, width = round(FRAME_S * sample_rate), round(HOP_S * sample_rate), \
        round(PITCH_WINDOW_S * sample_rate)
    if x.size < frame:
        x = np.pad(x, (0, frame - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    level = 10 * np.log10(np.maximum(np.mean(frames ** 2, axis=1), 1e-10))  # ≥ −100 dBFS
    floor, peak = np.percentile(level, 5), np.percentile(level, 95)
    threshold = max(floor + float(np.clip(0.3 * (peak - floor), 6.0, 15.0)), peak - 40.0)
    speech = level > threshold
    if not speech.any():
        return Prosody(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, round(duration, 3), 0.0, 0.0)

    padded = np.pad(x, (width // 2, width))
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[frame // 2::hop][:len(frames)]
    f0 = np.zeros(len(frames))
    f0[speech], _ = _yin(windows[speech], sample_rate)
    voiced = f0 > 0

    first, last = (int(i) for i in np.flatnonzero(speech)[[0, -1]])
    pauses = [((e - s - 1) * hop + frame) / sample_rate for s, e in _runs(~speech[first:last + 1])]
    pauses = [p for p in pauses if p >= MIN_PAUSE_S]
    span = ((last - first) * hop + frame) / sample_rate
    speech_s = float(max(span - sum(pauses), HOP_S))

    envelope = np.convolve(level, np.ones(5) / 5, mode="same")
    near_voiced = np.convolve(voiced.astype(float), np.ones(7), mode="same") > 0
    inner = envelope[1:-1]
    is_peak = (inner > envelope[:-2]) & (inner >= envelope[2:]) & speech[1:-1] & near_voiced[1:-1]
    nuclei: list[int] = []
    for i in (np.flatnonzero(is_peak) + 1).tolist():
        if not nuclei:
            nuclei.append(i)
            continue
        prev = nuclei[-1]
        if min(envelope[prev], envelope[i]) - envelope[prev:i + 1].min() >= NUCLEUS_DIP_DB:
            nuclei.append(i)
        elif envelope[i] > envelope[prev]:
            nuclei[-1] = i

    pitch_hz = pitch_range = 0.0
    if voiced.sum() >= 3:
        semitones = 12 * np.log2(f0[voiced] / 100)
        pitch_hz = float(np.median(f0[voiced]))
        pitch_range = float(np.percentile(semitones, 90) - np.percentile(semitones, 10))
    said = level[speech]
    return Prosody(
        pitch_hz=round(pitch_hz, 2), pitch_range_semitones=round(pitch_range, 3),
        energy_db=round(float(said.mean()), 3),
        energy_range_db=round(float(np.percentile(said, 90) - np.percentile(said, 10)), 3),
        speech_rate=round(len(nuclei) / speech_s, 3), pause_ratio=round(float(sum(pauses) / span), 4),
        long_pauses=sum(1 for p in pauses if p >= LONG_PAUSE_S), duration_s=round(duration, 3),
        voiced_s=round(int(voiced.sum()) * HOP_S, 3), speech_s=round(speech_s, 3))


def _features(p: Prosody) -> dict[str, float]:
    """The baseline's features, leaving out what wasn't measurable in this utterance."""
    out: dict[str, float] = {}
    if p.speech_s > 0:
        out["energy"] = p.energy_db
    if p.voiced_s >= 0.3 and p.pitch_hz > 0:
        out["pitch"] = 12 * math.log2(p.pitch_hz / 100)
        out["pitch_range"] = p.pitch_range_semitones
    if p.speech_rate > 0:
        out["rate"] = p.speech_rate
    return out


class SpeakerBaseline:
    """One person's usual voice: exponential means and variances of pitch, energy, rate and
    pitch range. Until ``PERSONAL_AFTER`` utterances, deviations are against ``POPULATION``."""

    def __init__(self) -> None:
        self.count = 0
        self.seen: dict[str, int] = {k: 0 for k in POPULATION}
        self.mean: dict[str, float] = {k: m for k, (m, _, _) in POPULATION.items()}
        self.var: dict[str, float] = {k: sd * sd for k, (_, sd, _) in POPULATION.items()}

    @property
    def personal(self) -> bool:
        return self.count >= PERSONAL_AFTER

    def update(self, p: Prosody) -> None:
        values = _features(p)
        if not values:
            return
        self.count += 1
        for key, value in values.items():
            self.seen[key] += 1
            step = max(1.0 / self.seen[key], ALPHA)  # a plain mean at first, then exponential
            delta = value - self.mean[key]
            self.mean[key] += step * delta
            if self.seen[key] > 1:
                self.var[key] = (1 - ALPHA) * (self.var[key] + ALPHA * delta * delta)

    def relative(self, p: Prosody) -> dict[str, float]:
        """z-like deviation per measurable feature (clipped to ±3); missing ones left out."""
        out = {}
        for key, value in _features(p).items():
            pop_mean, pop_sd, min_sd = POPULATION[key]
            if self.personal and self.seen[key] >= PERSONAL_AFTER:
                mean, sd = self.mean[key], max(math.sqrt(self.var[key]), min_sd)
            else:
                mean, sd = pop_mean, pop_sd
            out[key] = float(np.clip((value - mean) / sd, -3.0, 3.0))
        return out


def _clip(value: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return min(hi, max(lo, value))


def refine(read: EmotionRead, prosody: Prosody, baseline: SpeakerBaseline | None = None) -> EmotionRead:
    """The text's read, adjusted by how it was said (rules in the module docstring)."""
    rel = (baseline or SpeakerBaseline()).relative(prosody)
    weight = _clip(prosody.speech_s / 1.5, 0.0, 1.0) if prosody.voiced_s > 0 else 0.0
    weights = dict(AROUSAL_WEIGHTS)
    if baseline is not None and baseline.personal:
        weights["pitch"] = PITCH_WEIGHT
    used = {k: w for k, w in weights.items() if k in rel}
    activation = sum(w * rel[k] for k, w in used.items()) / sum(used.values()) if used else 0.0
    pausing = max(_clip((prosody.pause_ratio - 0.2) / 0.3, 0.0, 1.0), min(1.0, prosody.long_pauses / 4))
    subdued = (sum(_clip(-rel.get(k, 0.0) / 2, 0.0, 1.0) for k in AROUSAL_WEIGHTS) + pausing) / 4

    arousal = read.arousal + weight * (AROUSAL_GAIN * _clip(activation, -2.0, 2.0) - PAUSE_AROUSAL * pausing)
    valence = read.valence - weight * VALENCE_DROP * subdued
    scores, ekman, labels = read.scores, read.ekman, read.labels
    if read.dominant == "neutral":
        boost = weight * SADNESS_BOOST * max(0.0, subdued - 0.3) / 0.7
        if boost > 0:
            scores = dict(scores)
            scores["sadness"] = round(_clip(scores.get("sadness", 0.0) + boost, 0.0, 1.0), 4)
            ekman = dict(ekman)
            ekman["sadness"] = max(scores.get(m, 0.0) for m in EKMAN["sadness"])
            if scores["sadness"] >= SADNESS_LABEL:
                labels = ["sadness", *(label for label in labels if label != "neutral")]
    return replace(read, scores=scores, ekman=ekman, labels=labels, valence=round(_clip(valence), 4),
                   arousal=round(_clip(arousal), 4), source="voice", prosody=prosody.as_dict())
