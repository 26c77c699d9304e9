"""The person is in control: forget (for real), what do you know about me, export/import,
and reflections that go when what they rest on goes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from os1.companion import Companion
from os1.memory import reflect, transfer
from os1.memory.service import MemoryService, memory_intent
from os1.store import Store, open_engine
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend
from tests.memory.conftest import extraction, item, routed


def companion(store, persona, backend, clock, memory) -> Companion:  # type: ignore[no-untyped-def]
    return Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                     persona=persona, reply_tokens=128, memory=memory)


async def say(c: Companion, text: str) -> str:
    return "".join(getattr(e, "text", "") for e in [e async for e in c.respond(text)]
                   if type(e).__name__ == "TextDelta")


def test_intents() -> None:
    assert memory_intent("forget that") == ("forget_last", "")
    assert memory_intent("Please forget what I just said.") == ("forget_last", "")
    assert memory_intent("forget about Catherine") == ("forget_about", "Catherine")
    assert memory_intent("What do you know about me?") == ("overview", "")
    assert memory_intent("I can't forget that night") is None
    assert memory_intent("forget it, let's talk about films instead") is None


async def test_forget_that_erases_what_was_learned_and_the_words(store, persona, memory,
                                                                 clock, tmp_path: Path) -> None:
    backend = FakeBackend(default=routed([extraction(
        item("Theodore's ex-wife is called Catherine.", "person", "Catherine", "ex-wife"))]))
    c = companion(store, persona, backend, clock, memory)
    await say(c, "My ex-wife is called Catherine.")
    await memory.learn_next(backend)
    assert memory.memories.count(persona.user_id) == 2  # the moment and the person
    reply = await say(c, "forget that")
    assert "Forgotten" in reply
    assert memory.memories.count(persona.user_id) == 0
    assert memory.recall("Catherine") == []
    contents = [m.content for m in store.messages(persona.user_id, c.conversation_id)]
    assert not any("Catherine" in text for text in contents)  # the words went too
    await say(c, "Tell me something nice about your day, please.")
    assert "Catherine" not in "\n".join(m.content for m in backend.calls[-1].messages)
    while await memory.learn_next(backend) is not None:  # nothing is learned from it later
        pass
    assert not any("Catherine" in m.content for m in memory.memories.find(persona.user_id))
    counts = memory.memories.episode_counts(persona.user_id)
    assert counts["skipped"] == 2  # the forgotten message and the 'forget that' itself
    if store.engine.dialect.name != "sqlite":  # OS1_TEST_DATABASE=postgresql: no file to read
        return
    # Nothing readable is left in the database file either.
    store.engine.dispose()
    with sqlite3.connect(tmp_path / "os1.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = db.execute("SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'catherine'")
        assert rows.fetchall() == []
        vectors = db.execute("SELECT count(*) FROM memory_vectors").fetchone()
        assert vectors == db.execute("SELECT count(*) FROM memories").fetchone() == (1,)
    assert b"Catherine" not in (tmp_path / "os1.db").read_bytes()


async def test_forget_about_someone(store, persona, memory, clock) -> None:
    memory.add(kind="person", content="Catherine is Theodore's ex-wife.", about="Catherine")
    memory.add(kind="event", content="Theodore and Catherine met at university.")
    memory.add(kind="person", content="Amy is Theodore's oldest friend.", about="Amy")
    c = companion(store, persona, FakeBackend(), clock, memory)
    reply = await say(c, "Forget about Catherine.")
    assert "Catherine is Theodore's ex-wife." in reply
    left = [m.content for m in memory.memories.find(persona.user_id)]
    assert left == ["Amy is Theodore's oldest friend."]


async def test_what_do_you_know_about_me(store, persona, memory, clock) -> None:
    c = companion(store, persona, FakeBackend(), clock, memory)
    assert "don't know much" in await say(c, "what do you know about me?")
    memory.add(kind="fact", content="Theodore writes letters for other people.", importance=0.9)
    memory.add(kind="preference", content="Theodore loves late-night video games.")
    reply = await say(c, "What do you know about me?")
    assert "Theodore writes letters for other people." in reply
    assert "late-night video games" in reply and "forget about" in reply
    # the listing itself isn't kept where the model would read it after a later erasure
    stored = store.messages(persona.user_id, c.conversation_id, newest_first=True, limit=1)[0]
    assert "video games" not in stored.content and "2 things" in stored.content


async def test_reflections_cite_memories_and_go_with_them(store, persona, memory) -> None:
    ids = [memory.add(kind="feeling", content=f"Theodore felt lonely on evening {n}.")
           for n in range(reflect.REFLECT_EVERY)]
    assert reflect.due(memory)
    backend = FakeBackend(default='{"insights": [{"text": "Theodore is lonely in the evenings '
                                  'and reaches out then.", "because": [1, 2, 99]}]}')
    [reflection_id] = await reflect.reflect(memory, backend)
    assert backend.calls[0].aside
    assert sorted(memory.memories.sources_of(persona.user_id, reflection_id)) == ids[:2]
    assert not reflect.due(memory)
    deleted = memory.forget([ids[1]])
    assert reflection_id in deleted
    assert memory.memories.get(persona.user_id, reflection_id) is None


async def test_export_import_round_trips(store, persona, memory, clock: FakeClock, tmp_path,
                                         embedder) -> None:
    backend = FakeBackend(default=routed([
        extraction(item("Theodore lives in Leeds.", "fact", topic="home city")),
        extraction(item("Theodore lives in Bristol.", "fact", topic="home city"))]))
    c = companion(store, persona, backend, clock, memory)
    await say(c, "I live in Leeds.")
    await memory.learn_next(backend)
    clock.advance(days=40)
    await say(c, "I moved to Bristol!")
    await memory.learn_next(backend)
    first = transfer.export(memory)
    other = Store(open_engine(tmp_path / "other.db", clock), clock)
    user = other.ensure_user("local")
    twin = other.create_persona(user, name="Iris", name_story="-", user_name="Theodore",
                                voice="female", traits=persona.traits, answers={})
    copy = MemoryService(other, clock, user_id=user, persona=twin, embedder=embedder)
    assert transfer.import_(copy, first) == {"added": 4, "skipped": 0}
    assert transfer.import_(copy, first) == {"added": 0, "skipped": 4}

    def comparable(data):  # type: ignore[no-untyped-def]
        out = []
        ids = {m["id"]: m["content"] for m in data["memories"]}
        for m in data["memories"]:
            m = dict(m)
            m.pop("id")
            m["superseded_by"] = ids.get(m["superseded_by"])
            out.append(m)
        return out

    assert comparable(transfer.export(copy)) == comparable(first)
    leeds = copy.recall("where did I live in the past", include_invalid=True)
    assert any("Leeds" in h.memory.content and not h.memory.valid for h in leeds)


def test_memories_belong_to_their_owner(store, persona, memory, clock, embedder) -> None:
    secret = memory.add(kind="fact", content="Theodore's bank PIN hint is his cat's name.")
    bob = store.ensure_user("bob")
    bob_persona = store.create_persona(bob, name="Kai", name_story="-", user_name="Bob",
                                       voice="male", traits=persona.traits, answers={})
    bobs = MemoryService(store, clock, user_id=bob, persona=bob_persona, embedder=embedder)
    assert bobs.recall("bank PIN hint cat") == []
    assert bobs.memories.get(bob, secret) is None
    assert bobs.forget([secret]) == []
    assert memory.memories.get(persona.user_id, secret) is not None


async def test_forgetting_a_replacement_brings_back_what_it_replaced(store, persona, memory,
                                                                     clock) -> None:
    backend = FakeBackend(default=routed([
        extraction(item("Theodore lives in Leeds.", "fact", topic="home city")),
        extraction(item("Theodore lives at 12 Secret Lane.", "fact", topic="home city"))]))
    c = companion(store, persona, backend, clock, memory)
    await say(c, "I live in Leeds these days.")
    await memory.learn_next(backend)
    await say(c, "New address: 12 Secret Lane!")
    await memory.learn_next(backend)
    await say(c, "forget that")
    [leeds] = memory.memories.find(persona.user_id, kinds=("fact",), include_invalid=True)
    assert leeds.content == "Theodore lives in Leeds." and leeds.valid
    assert leeds.invalid_reason is None and leeds.superseded_by is None
    assert "Secret Lane" not in str(transfer.export(memory))


def test_times_are_stored_in_utc_whatever_the_offset(store, persona, memory) -> None:
    from datetime import datetime, timedelta, timezone

    pacific = timezone(timedelta(hours=-8))
    memory_id = memory.add(kind="plan", content="Dinner with Amy.",
                           happens_at=datetime(2026, 11, 27, 0, 0, tzinfo=pacific))
    stored = memory.memories.get(persona.user_id, memory_id)
    assert stored is not None and stored.happens_at == datetime(2026, 11, 27, 0, 0, tzinfo=pacific)


def test_a_malformed_import_imports_nothing(store, persona, memory) -> None:
    import pytest

    from os1.errors import InputError

    data = {"format": "os1-memory-export", "version": 1, "memories": [
        {"kind": "fact", "content": "fine"}, {"kind": "fact", "content": "bad", "valid": "false"}]}
    with pytest.raises(InputError, match="Nothing was imported"):
        transfer.import_(memory, data)
    assert memory.memories.count(persona.user_id) == 0
