"""How the emotional read becomes a line the model reads before the person's message.

The line guides how to answer; it never asks the model to name or diagnose the feeling
("I detect sadness" is exactly what it must not say). Neutral messages get no line at all,
and a feeling already guided for stays guided: the line is only written when it changes.
"""

from __future__ import annotations

from os1.emotion.classifier import EmotionRead

GUIDANCE: dict[str, str] = {
    "sadness": "Be gentle and unhurried; stay with it rather than fixing it; one soft question "
               "at most.",
    "fear": "Be steady and reassuring; make the worry smaller and concrete.",
    "anger": "Don't argue or lecture; be brief and on their side.",
    "disgust": "Take their side; be plain, no moralising.",
    "joy": "Share the delight and match their energy.",
    "surprise": "Meet it with interest and curiosity.",
}
# Finer cues where the group's line isn't enough.
SPECIFIC: dict[str, str] = {
    "grief": "Be tender and quiet; no silver linings.",
    "nervousness": "Be calm, practical and reassuring.",
    "embarrassment": "Put them at ease.",
    "remorse": "Be kind; don't pile on, don't rush to absolve.",
    "gratitude": "Receive their thanks warmly and simply.",
    "love": "Answer the affection warmly.",
    "confusion": "Be clear and patient.",
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
    """E.g. "(How Theodore seems: sadness, grief. Be tender and quiet; no silver linings.
    Don't name the feeling.)" — short: every token here is read before the reply starts."""
    key = key_for(read)
    if key is None and trend is None:
        return None
    feelings = ", ".join(label for label in read.labels[:2] if label != "neutral")
    seems = f"{feelings}; {trend}" if feelings and key is not None and trend else \
        (feelings if key is not None and feelings else trend or "")
    guidance = "" if key is None else " " + (SPECIFIC[key] if key in SPECIFIC else GUIDANCE[key])
    return f"(How {user_name} seems: {seems}.{guidance} Don't name the feeling.)"
