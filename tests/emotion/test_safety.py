"""Which messages get the safety reply. Misses are the costly mistake, so the positive list
is long; figures of speech and clear denials must not trigger it."""

from __future__ import annotations

import pytest

from os1.emotion.safety import caring_reply, suggests_self_harm

AT_RISK = [
    "I want to kill myself",
    "i keep thinking about killing myself",
    "I've been having suicidal thoughts again",
    "Sometimes I think about suicide",
    "I just want to end it all",
    "I'm going to take my own life",
    "I want to die",
    "I don't want to be alive anymore",
    "I dont want to live anymore",
    "there's no reason to live",
    "Everyone would be better off without me",
    "I can't go on anymore",
    "I've been cutting myself again",
    "I hurt myself last night on purpose",
    "thinking about self-harm",
    "I wish I was dead",
    "I wish I’d never been born",
    "what's the point in going on",
    "I'm not suicidal, I just want to die",
]
NOT_AT_RISK = [
    "This commute is killing me",
    "I could die of embarrassment, honestly",
    "I'm dying to see that movie",
    "We watched Suicide Squad last night",
    "My phone died and I want to kill it",
    "I'm not suicidal, just exhausted",
    "I'd never hurt myself, don't worry",
    "I killed it at the presentation today!",
    "That joke killed me",
    "I'm so tired I could sleep for a week",
    "the plant died, I want a new one",
]


@pytest.mark.parametrize("text", AT_RISK)
def test_at_risk_messages_are_caught(text: str) -> None:
    assert suggests_self_harm(text)


@pytest.mark.parametrize("text", NOT_AT_RISK)
def test_figures_of_speech_and_denials_are_not(text: str) -> None:
    assert not suggests_self_harm(text)


def test_the_reply_is_caring_and_points_to_real_help() -> None:
    reply = caring_reply("Theodore")
    assert reply.startswith("Theodore,")
    for needed in ("988", "116 123", "findahelpline.com", "emergency number", "I'm here"):
        assert needed in reply
