"""How the emotional read becomes a line the model reads before the person's message.

The line guides how to answer; it never asks the model to name or diagnose the feeling
("I detect sadness" is exactly what it must not say). Neutral messages get no line at all,
and a feeling already guided for stays guided: the line is only written when it changes.
"""

from __future__ import annotations

from os1.emotion.classifier import EmotionRead
from os1.emotion.labels import EKMAN_OF

GUIDANCE: dict[str, str] = {
    "sadness": "Reply softly, in a sentence or two: acknowledge how hard it is and stay with "
               "them. No cheering up, no advice, never \"that's great\".",
    "fear": "Be steady and calm: reassure them first, then one small concrete step.",
    "anger": "Be on their side: say plainly that it's unfair. Don't lecture or tell them how "
             "to handle it.",
    "disgust": "Take their side, plainly; no moralising.",
    "joy": "Be thrilled with them: match their energy and ask them about it.",
    "surprise": "Meet it with interest and curiosity.",
}
# Finer cues where the group's line isn't enough.
SPECIFIC: dict[str, str] = {
    "grief": "Be tender and quiet: acknowledge the loss simply. No silver linings, no advice, "
             "never \"that's great\".",
    "nervousness": "Be steady and calm: reassure them first, then one small concrete step.",
    "embarrassment": "Put them at ease, gently.",
    "remorse": "Be kind; don't pile on, and don't rush to absolve.",
    "gratitude": "Take their thanks warmly and personally, as a friend would; not like a "
                 "help desk.",
    "love": "Answer the affection warmly, in kind.",
    "confusion": "Be clear and patient.",
    "disappointment": "Acknowledge the letdown plainly and kindly; no silver linings or "
                      "advice yet.",
}
# Which feeling the guidance follows when a message carries several: a hurt before anything
# else (the strongest hurt), then the strongest of the rest.
HURTS = ("sadness", "fear", "anger", "disgust")
QUIET = ("neutral", "approval", "realization")  # too weak to steer a reply on their own


def key_for(read: EmotionRead) -> str | None:
    """What kind of guidance this read calls for (None: no line)."""
    felt = [label for label in read.labels if label not in QUIET]
    if not felt:
        return None
    label = next((label for label in felt if EKMAN_OF[label] in HURTS), felt[0])
    return label if label in SPECIFIC else EKMAN_OF[label]


def tone_line(read: EmotionRead, user_name: str, *, trend: str | None = None) -> str | None:
    """E.g. "(How Theodore seems: sadness, grief. Be tender and quiet; no silver linings.
    Don't name the feeling.)" — short: every token here is read before the reply starts."""
    key = key_for(read)
    if key is None and trend is None:
        return None
    feelings = ", ".join([label for label in read.labels if label not in QUIET][:2])
    seems = f"{feelings}; {trend}" if feelings and key is not None and trend else \
        (feelings if key is not None and feelings else trend or "")
    guidance = "" if key is None else " " + (SPECIFIC[key] if key in SPECIFIC else GUIDANCE[key])
    if "brave face" in read.cues:
        guidance = f" They say they're fine; they likely aren't.{guidance}"
    return f"(How {user_name} seems: {seems}.{guidance} Don't name the feeling.)"
