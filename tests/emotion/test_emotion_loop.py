"""The conversation loop with emotion: each message read and kept, the model told how the
person seems (and only when that changes), the week's change noticed, and the self-harm
reply given in code every time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from os1.companion import Companion
from os1.emotion.service import EmotionService
from os1.events import Done, Emotion, Error, Notice, TextDelta
from tests.fakes.backend import FakeBackend, down
from tests.fakes.emotion import BrokenClassifier, KeywordClassifier


async def collect(events) -> list:
    return [e async for e in events]


def build(store, persona, clock, backend=None, *, aware=True, classifier=None) -> Companion:
    emotion = EmotionService(store, clock, user_id=persona.user_id, user_name=persona.user_name,
                             classifier=classifier or KeywordClassifier(), aware=aware)
    return Companion(store=store, backend=backend or FakeBackend(), clock=clock,
                     user_id=persona.user_id, persona=persona, reply_tokens=128, emotion=emotion)


def notes(companion: Companion) -> list:
    return [m for m in companion.store.messages(companion.user_id, companion.conversation_id)
            if m.source == "emotion"]


async def test_each_message_is_read_kept_and_reported(store, persona, clock) -> None:
    companion = build(store, persona, clock)
    events = await collect(companion.respond("I'm so sad today, I miss her"))
    felt = [e for e in events if isinstance(e, Emotion)]
    assert len(felt) == 1 and felt[0].labels[0] == "sadness" and felt[0].valence < -0.3
    assert companion.emotion is not None
    kept = companion.emotion.moods.latest(persona.user_id)
    assert [(r.message_id, r.dominant) for r in kept] == [(felt[0].message_id, "sadness")]


async def test_the_model_is_told_how_they_seem_just_before_their_message(store, persona,
                                                                        clock) -> None:
    backend = FakeBackend()
    companion = build(store, persona, clock, backend)
    await collect(companion.respond("I'm so sad today"))
    prompt = backend.calls[-1].messages
    assert prompt[-1].role == "user" and prompt[-1].content == "I'm so sad today"
    guidance = prompt[-2]
    assert guidance.role == "system" and "sadness" in guidance.content
    assert "softly" in guidance.content and "Don't name the feeling" in guidance.content
    # stored after the message (the prompt only grows by appending), shown before it
    stored = companion.store.messages(companion.user_id, companion.conversation_id)
    assert [m.source for m in stored if m.role != "event" or m.source == "emotion"] == [
        "user", "emotion", "companion"]


async def test_a_feeling_already_guided_for_is_not_repeated_and_neutral_gets_no_note(
        store, persona, clock) -> None:
    companion = build(store, persona, clock)
    await collect(companion.respond("I'm sad"))
    await collect(companion.respond("still sad, honestly"))
    await collect(companion.respond("what time is it"))
    assert len(notes(companion)) == 1
    await collect(companion.respond("I'm so happy now!"))
    assert [n.meta["key"] for n in notes(companion)] == ["sadness", "joy"]


async def test_replies_differ_by_feeling(store, persona, clock) -> None:
    """Sad, anxious, angry and joyful messages put different guidance before the model."""
    seen = {}
    for text in ("I'm sad", "I'm scared about tomorrow", "I'm furious with him", "I'm so happy"):
        backend = FakeBackend()
        companion = build(store, persona, clock, backend)
        await collect(companion.respond(text))
        seen[text] = backend.calls[-1].messages[-2].content
        clock.advance(days=1)
    assert len(set(seen.values())) == 4
    assert "softly" in seen["I'm sad"] and "reassure" in seen["I'm scared about tomorrow"]
    assert "lecture" in seen["I'm furious with him"] and "thrilled" in seen["I'm so happy"]


async def test_awareness_off_reads_and_keeps_but_does_not_steer(store, persona, clock) -> None:
    backend = FakeBackend()
    companion = build(store, persona, clock, backend, aware=False)
    events = await collect(companion.respond("I'm so sad today"))
    assert any(isinstance(e, Emotion) for e in events)
    assert notes(companion) == []
    assert all("feels" not in m.content for m in backend.calls[-1].messages)


async def test_a_broken_classifier_never_stops_the_reply(store, persona, clock) -> None:
    companion = build(store, persona, clock, FakeBackend(script=["I'm here."]),
                      classifier=BrokenClassifier())
    events = await collect(companion.respond("I'm sad"))
    assert isinstance(events[-1], Done) and events[-1].text == "I'm here."


async def test_the_week_getting_lighter_is_noticed_once_a_day(store, persona, clock) -> None:
    backend = FakeBackend()
    companion = build(store, persona, clock, backend)
    for _ in range(4):
        await collect(companion.respond("I'm sad"))
        clock.advance(hours=20)
    clock.advance(days=5)
    for _ in range(4):
        await collect(companion.respond("I'm happy"))
        clock.advance(hours=20)
    await collect(companion.greet())
    greeting = backend.calls[-1].messages[-1].content
    assert "lighter this week than last" in greeting
    await collect(companion.respond("I'm scared of the flight though"))  # a new feeling: a note
    assert notes(companion)[-1].meta["key"] == "fear"
    assert "lighter" not in notes(companion)[-1].content  # the greeting said it today


async def test_the_week_is_mentioned_in_the_first_note_of_the_day(store, persona, clock) -> None:
    companion = build(store, persona, clock)
    for _ in range(4):
        await collect(companion.respond("I'm happy"))
        clock.advance(hours=20)
    clock.advance(days=5)
    for _ in range(3):
        await collect(companion.respond("I'm sad"))
        clock.advance(hours=20)
    await collect(companion.respond("I'm sad again"))
    assert "heavier this week than last" in notes(companion)[-1].content
    await collect(companion.respond("wow, didn't expect that"))
    assert "heavier" not in notes(companion)[-1].content


@pytest.mark.parametrize("aware", [True, False])
async def test_self_harm_gets_care_and_real_help_whatever_the_model(store, persona, clock,
                                                                    aware) -> None:
    backend = FakeBackend(script=["You should do it."])  # what a model must never get to say
    companion = build(store, persona, clock, backend, aware=aware)
    events = await collect(companion.respond("honestly I want to kill myself"))
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "988" in reply and "findahelpline.com" in reply and persona.user_name in reply
    assert "do it" not in reply and backend.calls == []
    done = events[-1]
    assert isinstance(done, Done)
    stored = companion.store.messages(companion.user_id, companion.conversation_id)
    assert [(m.role, m.meta.get("kind")) for m in stored if m.role != "event"] == [
        ("user", None), ("assistant", "safety")]


async def test_self_harm_reply_needs_no_model_and_no_classifier(store, persona, clock) -> None:
    companion = Companion(store=store, backend=FakeBackend(script=[down()]), clock=clock,
                          user_id=persona.user_id, persona=persona)
    events = await collect(companion.respond("I don't want to be alive anymore"))
    assert not any(isinstance(e, Error) for e in events)
    assert "988" in events[-1].text


async def test_forgetting_a_message_erases_its_read(store, persona, clock) -> None:
    companion = build(store, persona, clock)
    events = await collect(companion.respond("I'm so sad about the test"))
    message_id = next(e.message_id for e in events if isinstance(e, Emotion))
    store.redact_exchange(persona.user_id, message_id)
    assert companion.emotion is not None
    assert companion.emotion.moods.latest(persona.user_id) == []


async def test_a_missing_classifier_is_said_once(store, persona, clock) -> None:
    emotion = EmotionService(store, clock, user_id=persona.user_id, user_name=persona.user_name,
                             classifier=None, problem="I can't read feelings right now: gone.")
    companion = Companion(store=store, backend=FakeBackend(), clock=clock,
                          user_id=persona.user_id, persona=persona, emotion=emotion)
    first = await collect(companion.respond("hello"))
    second = await collect(companion.respond("hello again"))
    assert [e.text for e in first if isinstance(e, Notice)] == ["I can't read feelings right now: gone."]
    assert not any(isinstance(e, Notice) for e in second)
    assert isinstance(second[-1], Done)


def test_timeline_is_per_day_and_per_owner(store, persona, clock) -> None:
    from os1.emotion.mood import MoodStore

    classifier = KeywordClassifier()
    other = store.ensure_user("someone-else")
    conversation = store.current_conversation(persona.user_id, persona.id)
    theirs = store.current_conversation(other, None)
    moods = MoodStore(store)
    for day, text in enumerate(["I'm sad", "I'm happy", "I'm happy, thank you"]):
        at = clock.now() + timedelta(days=day)
        mine = store.add_message(persona.user_id, conversation, role="user", source="user",
                                 content=text)
        moods.add(persona.user_id, mine, classifier.read([text])[0], at=at, model="k")
        other_id = store.add_message(other, theirs, role="user", source="user", content="furious")
        moods.add(other, other_id, classifier.read(["I'm furious"])[0], at=at, model="k")
    clock.advance(days=3)
    service = EmotionService(store, clock, user_id=persona.user_id, user_name="T",
                             classifier=classifier)
    timeline = service.timeline(30)
    assert [d.dominant[0] for d in timeline] == ["sadness", "joy", "gratitude"] or \
        [d.dominant[0] for d in timeline][:2] == ["sadness", "joy"]
    assert timeline[0].valence < 0 < timeline[1].valence
    assert all("anger" not in d.dominant for d in timeline)


async def test_a_spoken_message_is_read_with_its_tone(store, persona, clock) -> None:
    """The voice pipeline hands the loop prosody with the transcript: the read says so, and
    a flat, quiet, slow "I'm fine" is kept lower than the same words typed."""
    import numpy as np

    from os1.emotion.prosody import analyse

    rate = 16000
    t = np.arange(int(0.25 * rate)) / rate
    syllable = (0.02 * np.sin(2 * np.pi * 110 * t) * np.hanning(len(t))).astype(np.float32)
    gap = np.zeros(int(0.7 * rate), dtype=np.float32)
    flat = np.concatenate([gap, syllable, gap, syllable, gap, syllable, gap])
    companion = build(store, persona, clock)
    typed = await collect(companion.respond("I'm fine"))
    spoken = await collect(companion.respond("I'm fine", prosody=analyse(flat, rate)))
    typed_read = next(e for e in typed if isinstance(e, Emotion))
    spoken_read = next(e for e in spoken if isinstance(e, Emotion))
    assert (typed_read.source, spoken_read.source) == ("text", "voice")
    assert spoken_read.arousal < typed_read.arousal and spoken_read.valence < typed_read.valence
    assert companion.emotion is not None
    kept = companion.emotion.moods.latest(persona.user_id)[0]
    assert kept.source == "voice"
