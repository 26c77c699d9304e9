"""The 28 GoEmotions labels, their Ekman grouping, and where each sits on the circumplex.

Label names and the Ekman grouping are GoEmotions' own (Demszky et al., ACL 2020, CC BY 4.0).
Valence (unpleasant -1 … pleasant +1) and arousal (calm -1 … activated +1) per label are
hand-set by us from each emotion's usual place in Russell's circumplex model of affect;
they are approximate, used only to draw a mood line, never to decide anything alone.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)

EKMAN: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism",
            "relief", "pride", "admiration", "desire", "caring"),
    "neutral": ("neutral",),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
}
EKMAN_LABELS: tuple[str, ...] = tuple(EKMAN)
EKMAN_OF: dict[str, str] = {label: group for group, members in EKMAN.items() for label in members}

# (valence, arousal)
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "admiration": (0.6, 0.3), "amusement": (0.7, 0.5), "anger": (-0.7, 0.8),
    "annoyance": (-0.5, 0.5), "approval": (0.5, 0.1), "caring": (0.6, 0.2),
    "confusion": (-0.2, 0.3), "curiosity": (0.3, 0.4), "desire": (0.4, 0.5),
    "disappointment": (-0.6, -0.2), "disapproval": (-0.5, 0.3), "disgust": (-0.7, 0.5),
    "embarrassment": (-0.5, 0.4), "excitement": (0.8, 0.8), "fear": (-0.7, 0.7),
    "gratitude": (0.8, 0.2), "grief": (-0.9, -0.4), "joy": (0.9, 0.6), "love": (0.9, 0.4),
    "nervousness": (-0.5, 0.6), "optimism": (0.6, 0.3), "pride": (0.7, 0.4),
    "realization": (0.1, 0.2), "relief": (0.6, -0.3), "remorse": (-0.6, -0.1),
    "sadness": (-0.8, -0.5), "surprise": (0.2, 0.7), "neutral": (0.0, 0.0),
}
assert set(CIRCUMPLEX) == set(LABELS) == set(EKMAN_OF)
