"""Mail-sorting quality on os1's labelled set (tests/tools/sorting/labelled.py), held-out split.

    .venv/bin/python benchmarks/mail_sorting.py [--split test|train|all]

The shipped model (src/os1/tools/mail/sort_model.json) was trained on the *train* split only;
the figures are for ``--split`` (default: the held-out *test* split). Reported: accuracy per
category (recall of each true category) and overall, spam precision/recall, needs-reply
precision/recall, the confusion matrix (rows = true, columns = predicted), the same for the
SpamAssassin part alone (the generated part shares templates across splits, so it's easier),
and the sorting speed. Needs /work/shared/data/mail/spamassassin for the SpamAssassin part.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.tools.sorting.labelled import MY_ADDRESSES, Example, labelled_set, split  # noqa: E402

from os1.tools.mail.sort import CATEGORIES, classify  # noqa: E402


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def score(examples: list[Example]) -> dict[str, Any]:
    confusion = {t: dict.fromkeys(CATEGORIES, 0) for t in CATEGORIES}
    reply_tp = reply_fp = reply_fn = 0
    mistakes: list[dict[str, str]] = []
    for e in examples:
        got = classify(e.message, my_addresses=MY_ADDRESSES)
        confusion[e.category][got.category] += 1
        if got.category != e.category and len(mistakes) < 12:
            mistakes.append({"id": e.id, "true": e.category, "predicted": got.category})
        reply_tp += got.needs_reply and e.needs_reply
        reply_fp += got.needs_reply and not e.needs_reply
        reply_fn += e.needs_reply and not got.needs_reply
    n = len(examples)
    correct = sum(confusion[c][c] for c in CATEGORIES)
    spam_predicted = sum(confusion[t]["spam"] for t in CATEGORIES)
    return {
        "n": n,
        "accuracy": _ratio(correct, n),
        "accuracy_per_category": {c: _ratio(confusion[c][c], sum(confusion[c].values())) for c in CATEGORIES},
        "n_per_category": {c: sum(confusion[c].values()) for c in CATEGORIES},
        "spam_precision": _ratio(confusion["spam"]["spam"], spam_predicted),
        "spam_recall": _ratio(confusion["spam"]["spam"], sum(confusion["spam"].values())),
        "needs_reply_precision": _ratio(reply_tp, reply_tp + reply_fp),
        "needs_reply_recall": _ratio(reply_tp, reply_tp + reply_fn),
        "needs_reply_n": reply_tp + reply_fn,
        "confusion_rows_true_cols_predicted": confusion,
        "mistakes_sample": mistakes,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=["test", "train", "all"])
    args = parser.parse_args()
    examples = labelled_set()
    chosen = examples if args.split == "all" else split(examples, args.split)
    for e in chosen:
        _ = e.message  # parse outside the timed part
    start = time.perf_counter()
    result = score(chosen)
    elapsed = time.perf_counter() - start
    sa = [e for e in chosen if e.source == "spamassassin"]
    print(json.dumps({
        "benchmark": "mail_sorting",
        "split": args.split,
        "model_trained_on": "train split only",
        "n_per_split": {name: len(split(examples, name)) for name in ("train", "test")},
        "spamassassin_present": bool(sa) or any(e.source == "spamassassin" for e in examples),
        **result,
        "spamassassin_part": {k: v for k, v in score(sa).items() if k != "mistakes_sample"} if sa else None,
        "messages_per_second": round(len(chosen) / elapsed, 1) if elapsed else None,
    }, indent=2))


if __name__ == "__main__":
    main()
