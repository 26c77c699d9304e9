"""The model seam. A backend is one async generator plus a few capability flags.

Everything the companion says goes through ``ChatBackend.stream``; tests put a scripted
fake here (tests/fakes) and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class ChatBackend(Protocol):
    name: str
    context_tokens: int
    supports_schema: bool

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` costs in this backend's prompt (estimates are fine)."""
        ...

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        stop: list[str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        aside: bool = False,
    ) -> AsyncIterator[str]:
        """Yield the reply as text pieces. Cancelling the consumer stops generation.

        ``aside=True`` marks background work (learning, reflecting) that must not disturb
        the conversation's evaluated prefix: the embedded backend restores its KV cache after.
        """
        ...

    async def aclose(self) -> None: ...


async def complete(backend: ChatBackend, messages: list[ChatMessage], **options: Any) -> str:
    parts = [piece async for piece in backend.stream(messages, **options)]
    return "".join(parts)


M = TypeVar("M", bound=BaseModel)


async def complete_structured(backend: ChatBackend, messages: list[ChatMessage],
                              model: type[M], **options: Any) -> M | None:
    """Ask for JSON matching ``model``'s schema; None when what came back doesn't validate.

    Callers must have a deterministic fallback: small models sometimes fail even under a
    grammar (a truncated reply, a value outside its range).
    """
    text = await complete(backend, messages, schema=model.model_json_schema(), **options)
    try:
        return parse_structured(model, text)
    except ValueError:
        return None


def parse_structured(model: type[M], text: str) -> M:
    """Validate ``text`` as ``model``, also when the JSON sits inside other words.

    Raises ValueError saying what was wrong (callers that keep failures record it).
    """
    try:
        return model.model_validate_json(text.strip())
    except ValidationError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise ValueError(f"the model didn't return JSON ({text[:80]!r})")
    try:
        return model.model_validate(json.loads(text[start:end + 1]))
    except ValidationError as exc:
        raise ValueError(f"the model's JSON didn't validate: {exc.errors()[0]['msg']}") from exc
    except ValueError as exc:
        raise ValueError(f"the model's JSON didn't parse: {exc}") from exc
