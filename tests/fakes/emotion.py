"""A keyword emotion classifier: the fake at the model seam for emotion, so loop tests say
exactly which feeling a message carries. The real, shipped classifier has its own tests."""

from __future__ import annotations

import numpy as np

from os1.emotion.classifier import EmotionRead, read_from_probs
from os1.emotion.labels import LABELS

KEYWORDS = {
    "sad": "sadness", "miss her": "sadness", "died": "grief", "scared": "fear",
    "worried": "nervousness", "furious": "anger", "annoyed": "annoyance", "happy": "joy",
    "thank": "gratitude", "wow": "surprise", "love": "love", "excited": "excitement",
}


class KeywordClassifier:
    name = "keywords"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def read(self, texts: list[str]) -> list[EmotionRead]:
        out = []
        for text in texts:
            self.calls.append(text)
            probs = np.full(len(LABELS), 0.02, dtype=np.float32)
            hits = [label for word, label in KEYWORDS.items() if word in text.lower()]
            for label in hits:
                probs[LABELS.index(label)] = 0.9
            if not hits:
                probs[LABELS.index("neutral")] = 0.9
            out.append(read_from_probs(probs, np.full(len(LABELS), 0.5, dtype=np.float32)))
        return out


class BrokenClassifier:
    name = "broken"

    def read(self, texts: list[str]) -> list[EmotionRead]:
        raise RuntimeError("onnxruntime exploded")
