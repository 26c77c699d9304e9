from __future__ import annotations

import asyncio

import pytest

from os1.companion import Companion
from os1.errors import StorageError
from os1.events import Done, Error, Notice, TextDelta
from tests.conftest import make_companion
from tests.fakes.backend import FakeBackend, down

make = make_companion


async def collect(events) -> list:
    return [e async for e in events]


def rows(companion: Companion):
    """The conversation's turns (without the day markers, tested on their own below)."""
    return [m for m in companion.store.messages(companion.user_id, companion.conversation_id)
            if m.role != "event"]


async def test_a_reply_streams_and_both_sides_are_stored(store, persona, clock) -> None:
    companion = make(store, persona, FakeBackend(script=["Hello, Theodore. How was today?"]), clock)
    events = await collect(companion.respond("hi"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and "".join(deltas) == "Hello, Theodore. How was today?"
    done = events[-1]
    assert isinstance(done, Done) and not done.interrupted
    assert [(m.role, m.source, m.content, m.status) for m in rows(companion)] == [
        ("user", "user", "hi", "complete"),
        ("assistant", "companion", "Hello, Theodore. How was today?", "complete")]


async def test_the_message_is_stored_before_the_model_is_called(store, persona, clock) -> None:
    seen: list[list[str]] = []

    def reply(messages):
        seen.append([m.content for m in rows(companion)])
        return "ok"

    companion = make(store, persona, FakeBackend(script=[reply]), clock)
    await collect(companion.respond("remember this"))
    assert seen == [["remember this"]]


async def test_a_dead_backend_keeps_the_message_and_says_what_to_do(store, persona, clock) -> None:
    companion = make(store, persona, FakeBackend(script=[down()]), clock)
    events = await collect(companion.respond("are you there?"))
    error = events[-1]
    assert isinstance(error, Error) and "saved" in error.text and "Start the server" in error.text
    assert [(m.role, m.content) for m in rows(companion)] == [("user", "are you there?")]
    # the next turn still works and still carries the unanswered message
    companion.backend = FakeBackend(script=["Yes, sorry."])
    companion.context.backend = companion.backend
    await collect(companion.respond("hello?"))
    prompt = companion.backend.calls[0].messages
    assert "are you there?" in prompt[-1].content and "hello?" in prompt[-1].content


async def test_cancelling_keeps_the_partial_reply_marked_interrupted(store, persona, clock) -> None:
    backend = FakeBackend(default="one two three four five six seven", delay=0.01, hang=True)
    companion = make(store, persona, backend, clock)
    got: list[str] = []

    async def consume() -> None:
        async for event in companion.respond("tell me a story"):
            if isinstance(event, TextDelta):
                got.append(event.text)

    task = asyncio.create_task(consume())
    while "".join(got) != "one two three four five six seven":
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    last = rows(companion)[-1]
    assert (last.role, last.status, last.content) == (
        "assistant", "interrupted", "one two three four five six seven")


async def test_empty_input_is_refused_and_not_stored(store, persona, clock) -> None:
    companion = make(store, persona, FakeBackend(), clock)
    events = await collect(companion.respond("   \n\t "))
    assert isinstance(events[0], Error) and "nothing" in events[0].text.lower()
    assert companion.store.messages(companion.user_id, companion.conversation_id) == []
    assert companion.backend.calls == []


async def test_invalid_utf8_is_replaced_and_said(store, persona, clock) -> None:
    raw = b"caf\xe9 and \xff\xfe bytes".decode("utf-8", "surrogateescape")
    companion = make(store, persona, FakeBackend(), clock)
    events = await collect(companion.respond(raw))
    assert any(isinstance(e, Notice) and "UTF-8" in e.text for e in events)
    assert rows(companion)[0].content == "caf\ufffd and \ufffd\ufffd bytes"


async def test_a_huge_message_is_stored_whole_and_trimmed_for_the_model(store, persona,
                                                                        clock) -> None:
    text = "start " + "word " * 20_000 + " end"  # 100k characters
    backend = FakeBackend(context_tokens=2048)
    companion = make(store, persona, backend, clock)
    events = await collect(companion.respond(text))
    assert rows(companion)[0].content == text
    assert any(isinstance(e, Notice) and "long message" in e.text for e in events)
    sent = backend.calls[0].messages[-1].content
    assert sent.startswith("start") and sent.endswith("end") and "left out" in sent
    assert sum(backend.count_tokens(m.content) for m in backend.calls[0].messages) < 2048


async def test_storage_failure_says_the_message_was_not_saved(store, persona, clock,
                                                              monkeypatch) -> None:
    companion = make(store, persona, FakeBackend(), clock)

    def full(*_a, **_k):
        raise StorageError("The disk holding os1.db is full, so os1 couldn't save.", "Free space.")

    monkeypatch.setattr(store, "add_message", full)
    events = await collect(companion.respond("hello"))
    assert isinstance(events[0], Error) and "NOT saved" in events[0].text
    assert companion.backend.calls == []


async def test_first_greeting_introduces_later_ones_welcome_back(store, persona, clock) -> None:
    backend = FakeBackend(script=["Hi, I'm Iris.", "fine", "Welcome back!"])
    companion = make(store, persona, backend, clock)
    await collect(companion.greet())
    assert "first moment" in backend.calls[0].messages[-1].content
    await collect(companion.respond("My sister Amy is visiting on Friday."))
    clock.advance(hours=20)
    again = make(store, persona, backend, clock)  # a new process, same conversation
    await collect(again.greet())
    prompt = backend.calls[-1].messages
    assert "20 hours" in prompt[-1].content
    assert any("Amy" in m.content for m in prompt)
    assert rows(again)[-1].meta["kind"] == "greeting"


async def test_a_new_day_is_marked_in_the_conversation_not_in_the_persona(store, persona,
                                                                         clock) -> None:
    backend = FakeBackend()
    companion = make(store, persona, backend, clock)
    await collect(companion.respond("morning"))
    await collect(companion.respond("still here"))
    clock.advance(days=1)
    await collect(companion.respond("a new day"))
    stored = companion.store.messages(companion.user_id, companion.conversation_id)
    days = [m.content for m in stored if m.role == "event"]
    assert days == ["(It is now Saturday, 14 March 2026.)", "(It is now Sunday, 15 March 2026.)"]
    first, last = backend.calls[0].messages, backend.calls[-1].messages
    assert last[0] == first[0]  # the persona prompt didn't change with the date
    assert last[: len(first) - 1] == first[:-1]  # the earlier prompt is still a prefix
    assert any(m.role == "system" and "Sunday" in m.content for m in last[1:])
