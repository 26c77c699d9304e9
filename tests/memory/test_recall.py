"""Recall in the conversation: notes before the reply, no repeats, keyword-only fallback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from os1.companion import Companion
from os1.events import Done, Notice
from os1.memory.retrieve import time_window
from os1.memory.service import MemoryService
from os1.memory.worker import MemoryWorker
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend
from tests.memory.conftest import extraction, is_extraction, item, routed


def companion(store, persona, backend, clock, memory, worker=None) -> Companion:  # type: ignore[no-untyped-def]
    return Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                     persona=persona, reply_tokens=128, memory=memory, worker=worker)


async def run(c: Companion, text: str) -> list[object]:
    return [event async for event in c.respond(text)]


def chat_prompts(backend: FakeBackend) -> list[str]:
    return ["\n".join(m.content for m in call.messages) for call in backend.calls
            if not is_extraction(call.messages)]


async def test_relevant_memories_reach_the_prompt_once(store, persona, memory, clock) -> None:
    memory.add(kind="person", content="Amy is Theodore's oldest friend from college.",
               about="Amy", topic="friend", importance=0.8)
    memory.add(kind="fact", content="Theodore's cat is called Miso.", topic="cat")
    backend = FakeBackend()
    c = companion(store, persona, backend, clock, memory)
    await run(c, "I'm meeting Amy tonight, any ideas for what we could do?")
    prompt = chat_prompts(backend)[-1]
    assert "Amy is Theodore's oldest friend from college." in prompt
    assert "Miso" not in prompt  # not relevant, not shown
    notes = [m for m in store.messages(persona.user_id, c.conversation_id) if m.source == "memory"]
    assert len(notes) == 1 and notes[0].role == "event"
    await run(c, "Amy loves board games, maybe that?")
    assert chat_prompts(backend)[-1].count("oldest friend from college") == 1  # not repeated
    # the note is stored after the person's message, so the prompt only grows by appending
    # (llama.cpp's evaluated prefix stays valid)
    first, second = [call.messages for call in backend.calls if not is_extraction(call.messages)]
    assert second[:len(first)] == first
    # ...and shown just before the message it was recalled for, so the model answers the
    # person rather than reading the note back.
    assert first[-1].content.startswith("I'm meeting Amy tonight")
    assert "oldest friend from college" in first[-2].content


async def test_no_memory_no_recall(store, persona, clock) -> None:
    backend = FakeBackend()
    c = Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                  persona=persona, reply_tokens=128)
    await run(c, "I'm meeting Amy tonight")
    assert all(m.source != "memory" for m in store.messages(persona.user_id, c.conversation_id))


async def test_without_the_embedder_keyword_recall_works_and_the_person_is_told_once(
        store, persona, clock) -> None:
    memory = MemoryService(store, clock, user_id=persona.user_id, persona=persona, embedder=None,
                           embedder_problem="The embedding model isn't installed.")
    memory.add(kind="person", content="Amy is Theodore's oldest friend.", about="Amy")
    backend = FakeBackend()
    c = companion(store, persona, backend, clock, memory)
    first = await run(c, "Should I call Amy?")
    second = await run(c, "Or text Amy?")
    told = [e for e in first + second if isinstance(e, Notice) and "embedding" in e.text]
    assert len(told) == 1
    assert "Amy is Theodore's oldest friend." in chat_prompts(backend)[0]


async def test_the_greeting_asks_about_what_just_happened(store, persona, memory,
                                                          clock: FakeClock) -> None:
    backend = FakeBackend()
    c = companion(store, persona, backend, clock, memory)
    await run(c, "hello")
    memory.add(kind="plan", content="Theodore is having dinner with Amy.",
               happens_at=clock.now() + timedelta(days=1), date_text="tomorrow")
    clock.advance(days=2)
    [event async for event in c.greet()]
    prompt = chat_prompts(backend)[-1]
    assert "Theodore is having dinner with Amy." in prompt and "ask about it" in prompt


def test_time_windows() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    june = time_window("what did I tell you about Amy in June?", now)
    assert june == (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    december = time_window("what was I worried about in December", now)
    assert december is not None and december[0].year == 2025
    assert time_window("what did I say yesterday", now) == (
        datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC))
    assert time_window("how is Amy?", now) is None


class FirstExtractionHangs(FakeBackend):
    """The first extraction never ends by itself: only cancellation stops it."""

    extractions_started = 0

    async def stream(self, messages, **options):  # type: ignore[no-untyped-def,override]
        if is_extraction(messages):
            self.extractions_started += 1
            if self.extractions_started == 1:
                await asyncio.sleep(3600)
        async for piece in super().stream(messages, **options):
            yield piece


async def test_learning_yields_to_a_reply_and_finishes_afterwards(store, persona, memory,
                                                                  clock) -> None:
    learn: list[str | Exception] = [extraction(item("Theodore adopted a dog named Biscuit.",
                                                    "fact", topic="dog"))]
    backend = FirstExtractionHangs(default=routed(learn))
    worker = MemoryWorker(memory, backend, idle_delay=0.0, poll=0.05)
    c = companion(store, persona, backend, clock, memory, worker)
    text = "I adopted a dog called Biscuit today!"
    message = store.add_message(persona.user_id, c.conversation_id, role="user", source="user",
                                content=text)
    memory.note_exchange(c.conversation_id, message, text, clock.now())
    worker.start()
    try:
        for _ in range(200):  # wait until the worker is stuck in the extraction
            if backend.extractions_started:
                break
            await asyncio.sleep(0.01)
        assert worker.busy()
        events = await run(c, "What should I buy for him?")  # hold() cancels the extraction
        assert isinstance(events[-1], Done)
        for _ in range(300):
            if memory.memories.find(persona.user_id, kinds=("fact",)):
                break
            await asyncio.sleep(0.01)
    finally:
        worker.stop()
    facts = memory.memories.find(persona.user_id, kinds=("fact",))
    assert [f.content for f in facts] == ["Theodore adopted a dog named Biscuit."]
    assert backend.extractions_started >= 2
    counts = memory.memories.episode_counts(persona.user_id)
    assert counts.get("failing", 0) == 0  # being pre-empted isn't a failure
