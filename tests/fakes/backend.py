"""A scripted chat backend: the one place tests fake the model.

It implements the same protocol as the real backends (``os1.llm.base.ChatBackend``) and
records every prompt it was given, so tests can assert on what the model saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from os1.errors import BackendError
from os1.llm.base import ChatMessage

Script = str | Exception | Callable[[list[ChatMessage]], str]


@dataclass
class Call:
    messages: list[ChatMessage]
    schema: dict[str, Any] | None
    max_tokens: int | None
    aside: bool = False


@dataclass
class FakeBackend:
    """Replies come from ``script`` in order (then ``default``). A reply that is an exception is
    raised; a callable gets the prompt. ``delay`` is slept between pieces; ``hang`` never ends."""

    script: list[Script] = field(default_factory=list)
    default: Script = "I'm here."
    delay: float = 0.0
    hang: bool = False
    context_tokens: int = 4096
    piece_size: int = 4
    name: str = "fake"
    supports_schema: bool = True
    calls: list[Call] = field(default_factory=list)
    closed: bool = False

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    async def stream(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                     stop: list[str] | None = None, max_tokens: int | None = None,
                     temperature: float | None = None, aside: bool = False) -> AsyncIterator[str]:
        self.calls.append(Call(list(messages), schema, max_tokens, aside))
        reply = self.script.pop(0) if self.script else self.default
        if isinstance(reply, Exception):
            raise reply
        text = reply(messages) if callable(reply) else reply
        for start in range(0, len(text), self.piece_size):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield text[start:start + self.piece_size]
        while self.hang:
            await asyncio.sleep(0.05)

    async def aclose(self) -> None:
        self.closed = True


def down(url: str = "http://127.0.0.1:9") -> BackendError:
    return BackendError(f"Couldn't reach the model server at {url} (connection refused).",
                        "Start the server, or switch to the embedded model.")
