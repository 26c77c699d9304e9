"""Reflection: now and then, what the companion has come to understand about the person.

A reflection is a memory too (kind ``reflection``), linked to the memories it was drawn
from; forgetting any of those removes it (``MemoryService.forget``).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field, ValidationError

from os1.errors import BackendError
from os1.llm.base import ChatBackend, ChatMessage, complete
from os1.memory.service import MemoryService

log = logging.getLogger(__name__)

REFLECT_EVERY = 12  # new memories since the last reflection
LEARNED = ("fact", "person", "preference", "plan", "event", "feeling")


class Insight(BaseModel):
    text: str = Field(min_length=10, max_length=300)
    because: list[int] = Field(min_length=1, max_length=8)


class Reflection(BaseModel):
    insights: list[Insight] = Field(default_factory=list, max_length=3)


def due(memory: MemoryService) -> bool:
    last = memory.memories.last_id(memory.user_id, kinds=("reflection",))
    newer = memory.memories.since(memory.user_id, last, kinds=LEARNED)
    return len(newer) >= REFLECT_EVERY


async def reflect(memory: MemoryService, backend: ChatBackend) -> list[int]:
    """Write up to three reflections from what was learned since the last one."""
    last = memory.memories.last_id(memory.user_id, kinds=("reflection",))
    recent = memory.memories.since(memory.user_id, last, kinds=LEARNED)[-30:]
    if len(recent) < 3:
        return []
    user = memory.user
    numbered = "\n".join(f"{n}. {m.content}" for n, m in enumerate(recent, 1))
    messages = [
        ChatMessage("system", (
            f"You are {memory.persona.name}, getting to know {user}. From these notes, write up "
            f"to three short insights about who {user} is and what matters to them: patterns, "
            "needs, what they care about. Each insight is one or two sentences and lists the "
            "numbers of the notes it rests on (because). Don't repeat a note; understand it.")),
        ChatMessage("user", numbered),
    ]
    try:
        text = await complete(backend, messages, schema=Reflection.model_json_schema(),
                              max_tokens=350, temperature=0.4, aside=True)
        result = Reflection.model_validate_json(text[text.find("{"):text.rfind("}") + 1])
    except (BackendError, ValidationError, ValueError) as exc:
        log.info("memory: reflection failed (%s); trying again after more memories", exc)
        return []
    added = []
    for insight in result.insights:
        sources = [recent[n - 1].id for n in insight.because if 1 <= n <= len(recent)]
        if not sources:
            continue
        added.append(memory.add(kind="reflection", content=insight.text, importance=0.7,
                                origin="reflection", about=user, sources=sources))
    return added
