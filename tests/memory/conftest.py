"""Memory tests: the real store and the real embedder; only the chat model is scripted."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from os1.llm.base import ChatMessage
from os1.memory.embed import OnnxEmbedder, find_files
from os1.memory.service import MemoryService
from os1.store import Store
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend


@pytest.fixture(scope="session")
def embedder() -> OnnxEmbedder:
    try:
        return OnnxEmbedder(find_files())
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"embedding model not installed: {exc}")


@pytest.fixture
def memory(store: Store, clock: FakeClock, persona, embedder) -> MemoryService:  # type: ignore[no-untyped-def]
    return MemoryService(store, clock, user_id=persona.user_id, persona=persona, embedder=embedder)


def item(text: str, kind: str = "fact", about: str = "Theodore", topic: str = "",
         when: str = "", importance: int = 3) -> dict[str, object]:
    return {"text": text, "kind": kind, "about": about, "topic": topic, "when": when,
            "importance": importance}


def extraction(*items: dict[str, object]) -> str:
    return json.dumps({"memories": list(items)})


def is_extraction(messages: list[ChatMessage]) -> bool:
    return messages[0].content.startswith("You keep")


def routed(learn: list[str | Exception], chat: str = "I'm here.") -> Callable[[list[ChatMessage]], str]:
    """A model that answers extraction requests from ``learn`` (in order) and chats otherwise."""

    def reply(messages: list[ChatMessage]) -> str:
        if is_extraction(messages):
            answer = learn.pop(0) if learn else extraction()
            if isinstance(answer, Exception):
                raise answer
            return answer
        return chat

    return reply


@pytest.fixture
def model() -> FakeBackend:
    return FakeBackend()
