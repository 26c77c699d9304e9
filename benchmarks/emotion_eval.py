"""Emotion classifier: GoEmotions dev macro-F1 (28 labels and the Ekman grouping), per-label
F1, latency per message, and memory footprint — of the model os1 ships, as it runs in os1.

    .venv/bin/python benchmarks/emotion_eval.py [--data ../shared/data/goemotions]
        [--latency 500] [--wait-quiet 120]

Three ways of scoring dev are printed, because the shipped thresholds were tuned on dev:
- ``shipped``: with the thresholds os1 ships (tuned on all of dev: optimistic);
- ``cross_fitted``: thresholds tuned on one half of dev, scored on the other, both ways and
  pooled (an honest estimate of the shipped recipe on unseen data);
- ``at_0.5``: one threshold for every label, no tuning at all.
Latency is one message at a time (what the loop does), tokenizing included, one thread.
Data: GoEmotions (Demszky et al., ACL 2020), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import _common as c  # noqa: E402
from tune_thresholds import ekman_matrix, f1, load, tune  # noqa: E402

from os1.emotion.classifier import MODEL_DIR, MODEL_FILE, load_classifier  # noqa: E402
from os1.emotion.labels import EKMAN_LABELS, LABELS  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scores(probs: np.ndarray, group_probs: np.ndarray, gold: np.ndarray, labels: np.ndarray,
           groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return f1(probs >= labels, gold), f1(group_probs >= groups, ekman_matrix(gold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/goemotions"))
    parser.add_argument("--latency", type=int, default=500, help="single messages to time")
    parser.add_argument("--wait-quiet", type=float, default=0)
    args = parser.parse_args()
    if not (args.data / "dev.tsv").is_file():
        sys.exit(f"GoEmotions isn't at {args.data} (pass --data).")
    quiet = c.wait_for_quiet(args.wait_quiet) if args.wait_quiet else None
    before = rss_mb()
    started = time.perf_counter()
    classifier = load_classifier(threads=1)
    load_s = time.perf_counter() - started
    classifier.read(["warm up"])
    after = rss_mb()

    texts, gold = load(args.data / "dev.tsv")
    probs, group_probs = classifier.probabilities(texts)
    gold_groups = ekman_matrix(gold)
    shipped = scores(probs, group_probs, gold, classifier.thresholds, classifier.ekman_thresholds)
    half = np.zeros(len(texts), dtype=bool)
    half[random.Random(7).sample(range(len(texts)), len(texts) // 2)] = True
    pred_l = np.zeros_like(gold)
    pred_e = np.zeros((len(texts), len(EKMAN_LABELS)), dtype=bool)
    for tune_on in (half, ~half):
        test = ~tune_on
        labels = tune(probs[tune_on], gold[tune_on])
        groups = tune(group_probs[tune_on], gold_groups[tune_on])
        pred_l[test] = probs[test] >= labels
        pred_e[test] = group_probs[test] >= groups
    cross = (f1(pred_l, gold), f1(pred_e, gold_groups))
    flat = scores(probs, group_probs, gold, np.full(len(LABELS), 0.5),
                  np.full(len(EKMAN_LABELS), 0.5))

    sample = random.Random(3).sample(texts, min(args.latency, len(texts)))
    timings = []
    for text in sample:
        t0 = time.perf_counter()
        classifier.read([text])
        timings.append((time.perf_counter() - t0) * 1000)

    def summary(pair: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
        return {"macro_f1_28": round(float(pair[0].mean()), 4),
                "macro_f1_ekman": round(float(pair[1].mean()), 4)}

    support = gold.sum(0)
    c.emit({
        "benchmark": "emotion_eval",
        "model": classifier.name,
        "dev_examples": len(texts),
        "shipped": summary(shipped),
        "cross_fitted": summary(cross),
        "at_0.5": summary(flat),
        "per_label_f1": {label: {"f1_shipped": round(float(shipped[0][i]), 3),
                                 "f1_cross_fitted": round(float(cross[0][i]), 3),
                                 "support": int(support[i])}
                         for i, label in enumerate(LABELS)},
        "per_ekman_f1": {group: round(float(cross[1][i]), 3)
                         for i, group in enumerate(EKMAN_LABELS)},
        "latency_ms_per_message": c.stats(timings, 3),
        "memory": {"model_file_mb": round((MODEL_DIR / MODEL_FILE).stat().st_size / 2**20, 1),
                   "rss_added_mb": round(after - before, 1), "load_s": round(load_s, 3),
                   "threads": 1},
        "environment": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                        "os1_commit": c.os1_commit(),
                        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        **({"wait_quiet": quiet} if quiet else {})},
    })


if __name__ == "__main__":
    main()
