"""Hybrid recall: full-text and embedding search, combined with importance and recency.

Semantic search is a matrix product over the person's vectors, kept in memory per person
(float32, ~1.5 KB a memory: 100k memories are 150 MB and answer in a few milliseconds).
Keyword search is SQLite FTS5 (or PostgreSQL full text). Either alone still works: with no
embedding model, recall is keyword-only.
"""

from __future__ import annotations

import calendar
import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from os1.memory.embed import Embedder
from os1.memory.people import relations_in
from os1.memory.store import Memory, MemoryStore

log = logging.getLogger(__name__)

CANDIDATES = 40
MIN_SIMILARITY = 0.30  # below this, a memory found only by meaning isn't about the question
# How much each signal counts. A grid over these on conversations 01-11 of
# benchmarks/data/memory_recall moved recall@10 by under 0.01 (see benchmarks/README.md).
WEIGHTS = {"semantic": 0.62, "keyword": 0.22, "importance": 0.08, "recency": 0.05, "seen": 0.03}


@dataclass(frozen=True)
class Hit:
    memory: Memory
    score: float
    similarity: float
    keyword: float


class VectorIndex:
    """One person's vectors as a matrix, loaded once and kept in step with the store."""

    def __init__(self, memories: MemoryStore, user_id: int, model: str) -> None:
        self._memories = memories
        self._user_id = user_id
        self._model = model
        self._lock = threading.Lock()
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._loaded = False
        self._last_id = 0

    def _refresh(self) -> None:
        ids, matrix = self._memories.vectors(self._user_id, self._model, after_id=self._last_id)
        if len(ids):
            if self._matrix.size:
                self._matrix = np.vstack([self._matrix, matrix])
                self._ids = np.concatenate([self._ids, ids])
            else:
                self._matrix, self._ids = matrix, ids
            self._last_id = int(ids.max())
        self._loaded = True

    def add(self, memory_id: int, vector: np.ndarray) -> None:
        with self._lock:
            if not self._loaded:
                return  # the first search loads everything, this one included
            row = np.asarray(vector, dtype=np.float32).reshape(1, -1)
            keep = self._ids != memory_id
            self._ids = np.concatenate([self._ids[keep], [memory_id]])
            self._matrix = np.vstack([self._matrix[keep], row]) if self._matrix.size else row
            self._last_id = max(self._last_id, memory_id)

    def remove(self, ids: list[int]) -> None:
        with self._lock:
            if self._loaded and len(self._ids):
                keep = ~np.isin(self._ids, ids)
                self._ids, self._matrix = self._ids[keep], self._matrix[keep]

    def search(self, query: np.ndarray, limit: int) -> list[tuple[int, float]]:
        with self._lock:
            if not self._loaded:
                self._refresh()
            ids, matrix = self._ids, self._matrix
        if not len(ids):
            return []
        # einsum, not ``@``: a matrix-vector product through a threaded BLAS spins up threads
        # that fight llama.cpp's for the same cores; one core does this in a few ms.
        scores = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32).reshape(-1))
        top = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(int(ids[i]), float(scores[i])) for i in top]

    def __len__(self) -> int:
        return len(self._ids)


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_RE = re.compile(r"\b(?:in|during|back in|early|late|mid|of)\s+(?:early\s+|late\s+|mid-?\s*)?("
                       + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b", re.I)


def time_window(query: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The stretch of time a question is about ("in June", "last week"), if it names one."""
    q = query.lower()
    match = _MONTH_RE.search(q)
    if match:
        month = _MONTHS[match.group(1).lower()]
        year = now.year if month <= now.month else now.year - 1
        start = now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0,
                            microsecond=0)
        end = start.replace(day=calendar.monthrange(year, month)[1]) + timedelta(days=1)
        return start, end
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if "yesterday" in q:
        return today - timedelta(days=1), today
    if "last week" in q:
        return today - timedelta(days=7 + today.weekday()), today - timedelta(days=today.weekday())
    if "last month" in q:
        first = today.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return previous, first
    if "this week" in q:
        return today - timedelta(days=today.weekday()), today + timedelta(days=7)
    return None


def _recency(memory: Memory, now: datetime) -> float:
    """1 for today, 0.5 after about a month, slowly towards 0."""
    days = max(0.0, (now - memory.last_seen_at).total_seconds() / 86400)
    return math.exp(-days / 45)


class Retriever:
    def __init__(self, memories: MemoryStore, user_id: int, embedder: Embedder | None) -> None:
        self.memories = memories
        self.user_id = user_id
        self.embedder = embedder
        self.index = VectorIndex(memories, user_id, embedder.name) if embedder else None

    def embed(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None or not texts:
            return None
        return self.embedder.embed(texts)

    def search(self, query: str, *, now: datetime, limit: int = 8,
               exclude: set[int] | None = None, kinds: tuple[str, ...] | None = None,
               include_invalid: bool | None = None, min_score: float = 0.0) -> list[Hit]:
        """The memories most worth having in mind for ``query``, best first."""
        window = time_window(query, now)
        # Superseded memories answer questions about the past ("what did I say in June?").
        with_old = window is not None if include_invalid is None else include_invalid
        similar: dict[int, float] = {}
        if self.index is not None and self.embedder is not None:
            vector = self.embedder.embed([query])[0]
            similar = dict(self.index.search(vector, CANDIDATES))
        keyword = self.memories.keyword_search(self.user_id, query, limit=CANDIDATES,
                                               include_invalid=with_old)
        best_keyword = max((score for _, score in keyword), default=0.0) or 1.0
        strength = {memory_id: score / best_keyword for memory_id, score in keyword}
        # "my daughter's baby": follow the relation to the name, and search for that too.
        names = self.memories.names_for(self.user_id, relations_in(query))
        if names:
            by_name = self.memories.keyword_search(self.user_id, " ".join(names),
                                                   limit=CANDIDATES, include_invalid=with_old)
            best_name = max((score for _, score in by_name), default=0.0) or 1.0
            for memory_id, score in by_name:
                strength[memory_id] = max(strength.get(memory_id, 0.0), score / best_name)
        candidates = set(similar) | set(strength)
        if exclude:
            candidates -= exclude
        rows = self.memories.many(self.user_id, list(candidates))
        hits: list[Hit] = []
        for memory_id, memory in rows.items():
            if kinds and memory.kind not in kinds:
                continue
            if not memory.valid and not with_old:
                continue
            sim = similar.get(memory_id, 0.0)
            kw = strength.get(memory_id, 0.0)
            if sim < MIN_SIMILARITY and kw == 0.0:
                continue
            w = WEIGHTS
            score = (w["semantic"] * max(sim, 0.0) + w["keyword"] * kw
                     + w["importance"] * memory.importance + w["recency"] * _recency(memory, now)
                     + w["seen"] * min(memory.times_seen, 5) / 5)
            if self.index is None:  # keyword only: let importance weigh a little more
                score = 0.75 * kw + 0.15 * memory.importance + 0.10 * _recency(memory, now)
            if window is not None:
                when = memory.happens_at or memory.learned_at
                if window[0] <= when < window[1] or window[0] <= memory.learned_at < window[1]:
                    score += 0.25
            if not memory.valid:
                score -= 0.10
            if score >= min_score:
                hits.append(Hit(memory, score, sim, kw))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        # A long message is kept as several passages; the best of them is enough to recall
        # it, and leaves room for other moments.
        seen: set[int] = set()
        distinct = []
        for hit in hits:
            message = hit.memory.message_id if hit.memory.kind == "moment" else None
            if message is not None:
                if message in seen:
                    continue
                seen.add(message)
            distinct.append(hit)
        return distinct[:limit]
