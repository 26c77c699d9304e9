"""A simulated model for the server benchmarks: a ``ChatBackend`` that streams a known reply at a
fixed rate, so what is measured is the server (accounts, the companion loop, the store, the
hub, the WebSocket, the OpenAI endpoint), not llama.cpp.

Every reply is ``⟦<started> <first>⟧ re <tag>:`` followed by ``tokens - 1`` words, one piece per
token (like llama-cpp-python), where

- ``<started>`` is the wall clock (``time.time()``) when the server asked for the reply,
- ``<first>`` is when the model *produced* the first token: ``started + first_token_s``. It is
  the scheduled time, not the moment this coroutine woke up: a real model (llama.cpp in a
  thread, vLLM in another process) produces the token then whatever the server's event loop
  is doing, so a late wake-up is server-added latency and must count as such;
- ``<tag>`` is the ``#tag`` in the person's last message, so a client can check the reply is
  the one to *its* message (nothing crossed between people) and complete (every word there).

Token ``i`` is produced at ``first + i / rate``. Timing uses the event loop's monotonic clock;
only the stamps are wall-clock (the clients run on the same machine, same clock).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from os1.llm.base import ChatMessage

WORDS = ("the", "light", "on", "the", "river", "was", "soft", "and", "I", "thought", "of",
         "you", "when", "it", "turned", "gold", "near", "the", "bridge", "today")
TAG = re.compile(r"#([A-Za-z0-9_-]+)")
MARKER = re.compile(r"^⟦(\d+\.\d+) (\d+\.\d+)⟧ ")


def body(tag: str, tokens: int) -> str:
    """The reply after the marker: what the client must receive, exactly."""
    return f"re {tag}:" + "".join(f" {WORDS[i % len(WORDS)]}" for i in range(tokens - 1))


def parse(text: str) -> tuple[float, float, str] | None:
    """(started, first, the rest) from a reply's beginning, or None if there's no marker."""
    found = MARKER.match(text)
    if found is None:
        return None
    return float(found.group(1)), float(found.group(2)), text[found.end():]


@dataclass
class SimStats:
    streams: int = 0
    active: int = 0
    max_active: int = 0
    tokens: int = 0
    cancelled: int = 0
    # How late this coroutine woke for each token (ms): the event loop's lag, seen from here.
    wake_lag_ms: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.streams = self.tokens = self.cancelled = 0
        self.max_active = self.active
        self.wake_lag_ms = []


@dataclass
class SimulatedBackend:
    """``tokens`` pieces per reply, the first after ``first_token_s``, then ``rate`` per second."""

    tokens: int = 60
    rate: float = 30.0
    first_token_s: float = 0.2
    context_tokens: int = 4096
    name: str = "simulated"
    supports_schema: bool = False
    stats: SimStats = field(default_factory=SimStats)
    lag_sample_every: int = 10  # keep every n-th token's wake lag (bounded memory)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    async def stream(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                     stop: list[str] | None = None, max_tokens: int | None = None,
                     temperature: float | None = None, aside: bool = False) -> AsyncIterator[str]:
        started_mono = time.perf_counter()
        started_wall = time.time()
        if schema is not None:  # nothing in these benchmarks asks for structure; be valid
            yield "{}"
            return
        said = next((m.content for m in reversed(messages) if m.role == "user"), "")
        tags = TAG.findall(said)
        tag = tags[-1] if tags else "none"
        count = self.tokens if max_tokens is None else max(1, min(self.tokens, max_tokens))
        stats = self.stats
        stats.streams += 1
        stats.active += 1
        stats.max_active = max(stats.max_active, stats.active)
        words = body(tag, count).split(" ")  # words[0] is "re", words[1] "<tag>:"
        try:
            for i in range(count):
                due = started_mono + self.first_token_s + (i / self.rate if self.rate else 0.0)
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if i % self.lag_sample_every == 0:
                    stats.wake_lag_ms.append(round((time.perf_counter() - due) * 1000, 3))
                if i == 0:
                    first_wall = started_wall + self.first_token_s
                    piece = f"⟦{started_wall:.6f} {first_wall:.6f}⟧ {words[0]} {words[1]}"
                else:
                    piece = " " + words[i + 1]
                stats.tokens += 1
                yield piece
        except (asyncio.CancelledError, GeneratorExit):
            stats.cancelled += 1
            raise
        finally:
            stats.active -= 1

    async def aclose(self) -> None:
        return None
