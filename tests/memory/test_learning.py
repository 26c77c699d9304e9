"""Learning from episodes: structure, dates, repeats, contradictions, failures, crashes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from os1.memory.service import MemoryService
from os1.store import Store
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend, down
from tests.memory.conftest import extraction, item, routed


def said(store: Store, persona, memory: MemoryService, text: str) -> int:  # type: ignore[no-untyped-def]
    conversation = store.current_conversation(persona.user_id, persona.id)
    message_id = store.add_message(persona.user_id, conversation, role="user", source="user",
                                   content=text)
    memory.note_exchange(conversation, message_id, text, memory.clock.now())
    return message_id


async def test_learns_people_and_resolves_next_friday_against_when_it_was_said(
        store, persona, memory, clock: FakeClock) -> None:
    clock.current = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday
    said(store, persona, memory, "Dinner with Amy next Friday! She's my oldest friend.")
    model = FakeBackend(default=routed([extraction(
        item("Amy is Theodore's oldest friend.", "person", "Amy", "friend", importance=4),
        item("Theodore is having dinner with Amy.", "plan", "Theodore", "dinner with amy",
             when="next Friday"))]))
    clock.advance(days=3)  # learned later: the date still counts from when it was said
    await memory.learn_next(model)
    plan = memory.memories.find(persona.user_id, kinds=("plan",))[0]
    assert plan.happens_at is not None and plan.happens_at.date() == datetime(2026, 11, 27).date()
    assert plan.date_text == "next Friday"
    assert model.calls[0].aside is True  # background work never disturbs the conversation cache
    assert model.calls[0].schema is not None
    assert set(model.calls[0].schema["$defs"]["ExtractedItem"]["required"]) >= {"text", "kind"}
    person = memory.memories.find(persona.user_id, kinds=("person",))[0]
    assert person.about == "Amy" and person.importance == 0.8
    counts = memory.memories.episode_counts(persona.user_id)
    assert counts["done"] == 1


async def test_the_persons_words_are_recallable_before_anything_is_learned(
        store, persona, memory) -> None:
    said(store, persona, memory, "My ex-wife Catherine still hasn't signed the divorce papers.")
    hits = memory.recall("who was I married to?")
    assert hits and "Catherine" in hits[0].memory.content
    kinds = {hit.memory.kind: hit.memory.content for hit in hits}
    assert "divorce papers" in kinds["moment"]
    # "my ex-wife Catherine" is noticed as a person at once, without the model
    assert kinds["person"] == "Catherine is Theodore's ex-wife."


async def test_small_talk_is_skipped_without_asking_the_model(store, persona, memory) -> None:
    said(store, persona, memory, "ok")
    model = FakeBackend()
    await memory.learn_next(model)
    assert model.calls == []
    assert memory.memories.episode_counts(persona.user_id)["skipped"] == 1
    assert memory.memories.count(persona.user_id) == 0


async def test_garbage_and_dead_backends_keep_the_episode_and_retry_it_later(
        store, persona, memory, clock: FakeClock) -> None:
    said(store, persona, memory, "I play a video game about a little alien every night.")
    model = FakeBackend(default=routed(["this is not json at all", down(),
                                        extraction(item("Theodore plays a video game every night.",
                                                        "preference", topic="video game"))]))
    await memory.learn_next(model)
    counts = memory.memories.episode_counts(persona.user_id)
    assert counts == {"failing": 1, "failed_attempts": 1}
    assert await memory.learn_next(model) is None  # not due yet: it waits, it isn't dropped
    clock.advance(minutes=2)
    await memory.learn_next(model)
    assert memory.memories.episode_counts(persona.user_id)["failed_attempts"] == 2
    clock.advance(minutes=11)
    await memory.learn_next(model)
    counts = memory.memories.episode_counts(persona.user_id)
    assert counts.get("done") == 1
    assert [m.content for m in memory.memories.find(persona.user_id, kinds=("preference",))] == [
        "Theodore plays a video game every night."]


async def test_repeating_a_fact_reinforces_it_instead_of_duplicating(
        store, persona, memory, clock: FakeClock) -> None:
    fact = item("Theodore's birthday is on 14 March.", "fact", topic="birthday")
    model = FakeBackend(default=routed([extraction(fact), extraction(fact)]))
    said(store, persona, memory, "My birthday is March 14th.")
    await memory.learn_next(model)
    clock.advance(days=30)
    said(store, persona, memory, "Don't forget, my birthday is the 14th of March!")
    await memory.learn_next(model)
    facts = memory.memories.find(persona.user_id, kinds=("fact",))
    assert len(facts) == 1
    assert facts[0].times_seen == 2 and facts[0].last_seen_at == clock.now()


async def test_a_contradiction_supersedes_the_old_fact_and_keeps_both(
        store, persona, memory, clock: FakeClock) -> None:
    clock.current = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    model = FakeBackend(default=routed([
        extraction(item("Theodore lives in Leeds.", "fact", topic="home city")),
        extraction(item("Theodore lives in Bristol.", "fact", topic="home city"))]))
    said(store, persona, memory, "I live in Leeds, near the canal.")
    await memory.learn_next(model)
    clock.current = datetime(2026, 9, 2, 9, 0, tzinfo=UTC)
    said(store, persona, memory, "We finally moved! I live in Bristol now.")
    await memory.learn_next(model)
    everything = memory.memories.find(persona.user_id, kinds=("fact",), include_invalid=True)
    old = next(m for m in everything if "Leeds" in m.content)
    new = next(m for m in everything if "Bristol" in m.content)
    assert new.valid and not old.valid
    assert old.superseded_by == new.id
    assert old.invalid_at == datetime(2026, 9, 2, 9, 0, tzinfo=UTC)
    assert "Bristol" in (old.invalid_reason or "")
    now = [h.memory.content for h in memory.recall("where do I live?", include_invalid=False)]
    assert "Theodore lives in Bristol." in now and "Theodore lives in Leeds." not in now
    # ...but the past can still be asked about.
    june = [h.memory.content for h in memory.recall("where did I tell you I lived in June?")]
    assert "Theodore lives in Leeds." in june


async def test_a_killed_extraction_loses_nothing_and_resumes(
        store, persona, memory, clock: FakeClock, embedder) -> None:
    said(store, persona, memory, "My sister Maya is coming to stay in two weeks.")
    hanging = FakeBackend(default=routed([]), hang=True)
    task = asyncio.create_task(memory.learn_next(hanging))
    await asyncio.sleep(0.05)
    task.cancel()  # what a kill -9 or a reply pre-empting it leaves behind
    await asyncio.gather(task, return_exceptions=True)
    assert memory.memories.episode_counts(persona.user_id) == {"pending": 1, "failed_attempts": 0}
    fresh = MemoryService(store, clock, user_id=persona.user_id, persona=persona, embedder=embedder)
    model = FakeBackend(default=routed([extraction(
        item("Maya is Theodore's sister.", "person", "Maya", "sister"))]))
    await fresh.learn_next(model)
    assert memory.memories.episode_counts(persona.user_id)["done"] == 1
    assert memory.memories.find(persona.user_id, kinds=("person",))[0].about == "Maya"


def test_notes_say_which_day_on_saturday_was() -> None:
    from os1.memory.extract import annotate_dates

    tuesday = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
    assert annotate_dates("We're going to dinner on Saturday!", said_at=tuesday) == (
        "We're going to dinner on Saturday [Sat 7 Mar 2026]!")
    assert annotate_dates("Monday was awful", said_at=tuesday) == "Monday [Mon 2 Mar 2026] was awful"
    assert annotate_dates("nothing to see tonight", said_at=tuesday) == "nothing to see tonight"
