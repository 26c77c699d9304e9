"""Life events in the words, and which feeling the guidance follows."""

from __future__ import annotations

import numpy as np

from os1.emotion import cues, tone
from os1.emotion.classifier import EmotionRead, read_from_probs
from os1.emotion.labels import LABELS


def read_of(**probs: float) -> EmotionRead:
    p = np.full(len(LABELS), 0.01, dtype=np.float32)
    for label, value in probs.items():
        p[LABELS.index(label)] = value
    return read_from_probs(p, np.full(len(LABELS), 0.3))


def test_the_sadness_under_im_fine_is_heard() -> None:
    """What the shipped classifier makes of it (approval), and what os1 makes of that."""
    text = "I'm fine. The funeral was on Saturday."
    before = read_of(approval=0.6, neutral=0.4)
    after = cues.apply(text, before)
    assert after.labels[0] == "grief" and "approval" not in after.labels
    assert after.valence < 0 < before.valence + 0.2
    assert "brave face" in after.cues
    line = tone.tone_line(after, "Theodore")
    assert line is not None and "they likely aren't" in line and "silver linings" in line


def test_events_raise_the_feeling_they_carry() -> None:
    cases = {
        "We signed the divorce papers today.": "sadness",
        "I didn't get the job.": "disappointment",
        "Nobody came to my birthday dinner.": "sadness",
        "They found a tumour, I'm waiting for the biopsy": "fear",
        "My hands are shaking before the exam": "nervousness",
    }
    for text, label in cases.items():
        assert cues.apply(text, read_of(neutral=0.9)).labels[0] == label, text


def test_plain_messages_are_left_alone() -> None:
    before = read_of(joy=0.8)
    assert cues.apply("What a lovely dinner we had", before) is before
    assert cues.apply("I'm fine, thanks, and you?", before) is before


def test_guidance_follows_what_hurts_first() -> None:
    assert tone.key_for(read_of(realization=0.7, disappointment=0.5)) == "disappointment"
    assert tone.key_for(read_of(joy=0.6, nervousness=0.5)) == "nervousness"
    assert tone.key_for(read_of(excitement=0.8)) == "joy"
    assert tone.key_for(read_of(annoyance=0.8, disappointment=0.5)) == "anger"
    assert tone.key_for(read_of(approval=0.9)) is None
    assert tone.key_for(read_of(neutral=0.9)) is None
    assert tone.tone_line(read_of(neutral=0.9), "T") is None
