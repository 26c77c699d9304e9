"""How the emotional read becomes a line the model reads before the person's message.

The line guides how to answer; it never asks the model to name or diagnose the feeling
("I detect sadness" is exactly what it must not say). Neutral messages get no line at all,
and a feeling already guided for stays guided: the line is only written when it changes.
"""

from __future__ import annotations

from os1.emotion.classifier import EmotionRead

GUIDANCE: dict[str, str] = {
    "sadness": "Be gentle and unhurried: stay with the feeling rather than fixing it, keep it "
               "short and warm, and ask at most one soft question.",
    "fear": "Be steady and reassuring: help make the worry smaller and concrete, one step at "
            "a time.",
    "anger": "Don't argue, correct or lecture: take their frustration seriously, be brief "
             "and on their side.",
    "disgust": "Take their side of it; be brief and plain, no moralising.",
    "joy": "Share the delight and match their energy; be playful and glad with them.",
    "surprise": "Meet their surprise with interest and curiosity.",
}
# Finer cues where the group's line isn't enough.
SPECIFIC: dict[str, str] = {
    "grief": "They may be grieving: be tender and quiet, no silver linings.",
    "nervousness": "They sound on edge: calm, practical, reassuring.",
    "embarrassment": "Put them at ease; make light of nothing they care about.",
    "remorse": "Be kind about it; don't pile on, and don't rush to absolve either.",
    "gratitude": "Receive their thanks warmly and simply.",
    "love": "Answer the affection in kind, warmly.",
    "confusion": "Be clear and patient; make things simpler.",
    "disappointment": "Acknowledge the letdown plainly and gently.",
}
MIN_STRENGTH = 0.35


def key_for(read: EmotionRead) -> str | None:
    """What kind of guidance this read calls for (None: no line)."""
    if read.dominant == "neutral" or read.strength() < MIN_STRENGTH:
        return None
    if read.dominant in SPECIFIC:
        return read.dominant
    group = read.group
    return group if group in GUIDANCE else None


def tone_line(read: EmotionRead, user_name: str, *, trend: str | None = None) -> str | None:
    key = key_for(read)
    if key is None and trend is None:
        return None
    feelings = ", ".join(label for label in read.labels[:2] if label != "neutral")
    parts = [f"(os1's sense of how {user_name} feels, not their words"]
    if feelings and key is not None:
        parts.append(f": {feelings}")
    if trend:
        parts.append(f"; {trend}")
    parts.append(".")
    if key is not None:
        parts.append(" " + (SPECIFIC[key] if key in SPECIFIC else GUIDANCE[key]))
    parts.append(" Answer the person; never name or diagnose the feeling, no therapist talk.)")
    return "".join(parts)
