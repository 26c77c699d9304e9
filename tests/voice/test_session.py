"""The spoken conversation end to end, in real time: speech in, stored turns, speech out,
interruptions, backchannels, echo, and the faults a microphone brings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from os1.companion import Companion
from os1.emotion.mood import MoodStore
from os1.emotion.service import EmotionService
from os1.errors import AudioError
from os1.store import Store
from os1.voice.session import VoiceSession
from os1.voice.transports import Room
from tests.conftest import FakeClock
from tests.fakes.backend import FakeBackend, down
from tests.fakes.emotion import KeywordClassifier
from tests.voice.audio_fixtures import concat, espeak, needs_espeak, silence, word_errors, words
from tests.voice.conftest import converse, until_idle, wait_for

pytestmark = [needs_espeak, pytest.mark.slow]

LONG_REPLY = ("Oh, I love that you asked. The sea was grey this morning and the gulls were loud. "
              "I kept thinking about the letter you were writing for your friend. "
              "It reminded me of the summer you told me about, the one with the old blue bicycle. "
              "Tell me more about that summer when you have a moment.")


def _companion(store: Store, persona: Any, backend: FakeBackend, clock: FakeClock) -> Companion:
    return Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                     persona=persona, reply_tokens=256)


def _session(companion: Companion, room: Room, vad: Any, stt: Any, tts: Any) -> VoiceSession:
    return VoiceSession(companion, room, vad=vad, stt=stt, tts=tts)


def _messages(store: Store, companion: Companion) -> list[Any]:
    return [m for m in store.messages(companion.user_id, companion.conversation_id)
            if m.role in ("user", "assistant")]


def _times(session: VoiceSession, kind: str) -> list[float]:
    return [e.at for e in session.events if e.kind == kind]


def test_a_spoken_turn_is_stored_answered_aloud_in_order(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(default="I'm sorry it was so long. Do you want to tell me about it?",
                          delay=0.01)
    companion = _companion(store, persona, backend, clock)
    companion.emotion = EmotionService(store, clock, user_id=persona.user_id,
                                       user_name=persona.user_name, classifier=KeywordClassifier())
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)
    said = "I had a really long day at work today."
    speech = espeak(said)
    marks: dict[str, float] = {}

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        marks["start"], marks["end"] = room.say(speech)
        await wait_for(session, "reply_done", timeout=40)

    converse(session, room, person)
    user, reply = _messages(store, companion)
    assert user.source == "voice" and user.role == "user"
    errors, total = word_errors(said, user.content)
    assert errors / total <= 0.25, user.content
    assert reply.status == "complete" and reply.content.startswith("I'm sorry it was so long")
    # Events come in the order a conversation has them, after the person stopped speaking.
    order = ["speech_start", "turn_end", "reply_start", "first_token", "first_sentence", "tts",
             "first_audio", "reply_done"]
    times = [_times(session, kind)[0] for kind in order]
    assert times == sorted(times), list(zip(order, times, strict=True))
    assert _times(session, "speech_start")[0] == pytest.approx(marks["start"], abs=0.35)
    assert _times(session, "first_audio")[0] > marks["end"]
    # The person's words went to the model, and os1 really spoke (audio in the room).
    assert "long day" in backend.calls[0].messages[-1].content.lower()
    # The model knew it was a spoken conversation (a note stored once, when talking began).
    assert any("out loud" in m.content and "short sentences" in m.content
               for m in backend.calls[0].messages)
    companion.set_mode("voice")
    companion.set_mode("text")
    modes = [n.meta["mode"] for n in store.notes(persona.user_id, source="os1")
             if n.meta.get("kind") == "mode"]
    assert modes == ["voice", "text"]
    spans = room.audible()
    assert spans and spans[0][0] >= marks["end"]
    assert sum(b - a for a, b in spans) > 2.0
    # How it sounded went to the emotion reader with the words, and onto the mood timeline.
    felt = [e for e in session.events if e.kind == "emotion"]
    assert felt and felt[0].data["source"] == "voice"
    assert [r.source for r in MoodStore(store).between(
        persona.user_id, clock.now() - timedelta(days=1), clock.now() + timedelta(days=1))] == ["voice"]
    # The partial transcripts came while the person was still speaking.
    partials = _times(session, "partial")
    assert all(t <= _times(session, "turn_end")[0] for t in partials)


def test_talking_over_os1_stops_it_and_keeps_what_was_heard(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[LONG_REPLY, "Of course. What is it?"], delay=0.01)
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)
    marks: dict[str, float] = {}
    interruption = espeak("Wait, stop, I need to tell you something important.")

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("How was your morning?"))
        first_audio = await wait_for(session, "first_audio", timeout=40)
        while room.now() < first_audio.at + 2.5:
            await asyncio.sleep(0.02)
        marks["onset"], _ = room.say(interruption)
        await wait_for(session, "interrupted", timeout=10)
        await wait_for(session, "reply_done", after=len(session.events), timeout=40)

    converse(session, room, person)
    barge = _times(session, "barge_in")
    assert barge and barge[0] - marks["onset"] < 0.35
    # os1's output went silent within a quarter of a second of the person's first sound.
    sounding = [span for span in room.audible() if span[0] < marks["onset"]]
    assert sounding[-1][1] - marks["onset"] < 0.25
    messages = _messages(store, companion)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    cut = messages[1]
    assert cut.status == "interrupted" and cut.meta.get("cut_short") == "voice"
    assert 0 < len(cut.content) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(cut.content.rstrip("—").rsplit(" ", 1)[0])
    assert "summer" not in cut.content  # written, never said
    assert "tell you something" in messages[2].content.lower()
    assert messages[3].status == "complete"
    # The model saw the cut reply, not the unsaid rest.
    seen = " ".join(m.content for m in backend.calls[1].messages)
    assert "bicycle" not in seen


def test_a_backchannel_lets_os1_carry_on(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[LONG_REPLY], delay=0.01)
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("Tell me about the sea."))
        first_audio = await wait_for(session, "first_audio", timeout=40)
        while room.now() < first_audio.at + 2.0:
            await asyncio.sleep(0.02)
        room.say(espeak("Mm-hmm.", rate_wpm=140))
        await wait_for(session, "backchannel", timeout=10)
        await wait_for(session, "reply_done", timeout=60)

    converse(session, room, person, timeout=90)
    assert not _times(session, "interrupted")
    messages = _messages(store, companion)
    assert [m.role for m in messages] == ["user", "assistant"]  # "mm-hmm" isn't a turn
    assert messages[1].status == "complete" and messages[1].content == LONG_REPLY


def test_os1_does_not_interrupt_itself_on_its_own_echo(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[LONG_REPLY], delay=0.01)
    companion = _companion(store, persona, backend, clock)
    # A laptop: the microphone hears the speaker at half volume, 60 ms late.
    room = Room(output_rate=tts.sample_rate, echo=0.5, echo_delay=0.06)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("Tell me about the sea."))
        await wait_for(session, "reply_done", timeout=60)

    converse(session, room, person, timeout=90)
    assert not _times(session, "barge_in") and not _times(session, "interrupted")
    assert _messages(store, companion)[-1].status == "complete"
    assert len(_times(session, "turn_end")) == 1


def test_the_person_can_still_interrupt_over_the_echo(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[LONG_REPLY, "Sorry, go on."], delay=0.01)
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate, echo=0.3, echo_delay=0.06)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("Tell me about the sea."))
        first_audio = await wait_for(session, "first_audio", timeout=40)
        while room.now() < first_audio.at + 2.0:
            await asyncio.sleep(0.02)
        room.say(espeak("No, listen to me, I have news about my sister.") * 1.6)
        await wait_for(session, "interrupted", timeout=10)
        await wait_for(session, "reply_done", after=len(session.events), timeout=40)

    converse(session, room, person, timeout=90)
    messages = _messages(store, companion)
    assert messages[1].status == "interrupted"
    assert "sister" in messages[2].content.lower()


def test_a_pause_mid_thought_doesnt_end_the_turn(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(default="That sounds lovely.", delay=0.01)
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)
    speech = concat(espeak("I was thinking that maybe we could"), silence(0.8),
                    espeak("go to the beach on Sunday."))

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(speech)
        await wait_for(session, "reply_done", timeout=40)

    converse(session, room, person)
    user = [m for m in _messages(store, companion) if m.role == "user"]
    assert len(user) == 1
    assert "thinking" in user[0].content.lower() and "beach" in user[0].content.lower()


def test_silence_and_noise_are_not_turns(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend()
    companion = _companion(store, persona, backend, clock)
    # Ten minutes of a quiet room, then a minute of loud hiss (the room's clock is the audio
    # itself here, so this takes seconds).
    quiet = Room(output_rate=tts.sample_rate, duration=600, noise_level=0.001, realtime=False)
    session = _session(companion, quiet, vad, stt, tts)
    asyncio.run(session.run())
    noisy = Room(output_rate=tts.sample_rate, duration=60, noise_level=0.05, realtime=False,
                 seed=3)
    session2 = _session(companion, noisy, vad, stt, tts)
    asyncio.run(session2.run())
    assert not _messages(store, companion)
    assert not backend.calls
    assert not [e for e in session.events + session2.events if e.kind == "turn_end"]


def test_a_long_monologue_is_one_turn_transcribed_as_it_goes(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(default="Thank you for telling me all of that.")
    companion = _companion(store, persona, backend, clock)
    sentences = [f"This is part {n} of a long story about my grandmother's garden." for n in
                 ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen")]
    story = concat(*[concat(espeak(s), silence(0.25)) for s in sentences])
    speech = concat(*[story] * 6)  # five and a half minutes without a real pause
    assert speech.size / 16_000 > 300
    room = Room(output_rate=tts.sample_rate, duration=speech.size / 16_000 + 8, realtime=False)
    room.say(speech, at=0.5)
    session = _session(companion, room, vad, stt, tts)
    asyncio.run(session.run())
    user = [m for m in _messages(store, companion) if m.role == "user"]
    assert len(user) == 1, [m.content for m in user]
    text = " ".join(words(user[0].content))
    assert text.startswith("this is") and text.rstrip(". ").endswith("garden"), text
    # Every part of it is there, in order (Whisper tiny mishears a word or two of espeak).
    assert text.count("garden") >= 6 * 14, text
    assert len(text.split()) > 6 * 120


def test_a_device_unplugged_mid_sentence_loses_nothing(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(default="I'm here.")
    companion = _companion(store, persona, backend, clock)

    class Unplugged(Room):
        async def frames(self):  # type: ignore[no-untyped-def]
            async for block in super().frames():
                if self.elapsed() > 2.2:
                    raise AudioError("The microphone stopped sending sound (was it unplugged?).",
                                     "Plug it back in.")
                yield block

    room = Unplugged(output_rate=tts.sample_rate)
    room.say(espeak("My sister is coming to visit next weekend and I am so happy about it"),
             at=0.3)
    session = _session(companion, room, vad, stt, tts)

    async def main() -> None:
        with pytest.raises(AudioError, match="unplugged"):
            await session.run()

    asyncio.run(main())
    user = [m for m in _messages(store, companion) if m.role == "user"]
    assert len(user) == 1 and "sister" in user[0].content.lower()
    assert [e.kind for e in session.events][-1] == "error"


def test_audio_at_another_rate_is_understood(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    import soxr

    backend = FakeBackend(default="Good morning to you too.")
    companion = _companion(store, persona, backend, clock)

    class At44k(Room):
        input_rate = 44_100

        async def frames(self):  # type: ignore[no-untyped-def]
            async for block in super().frames():
                yield np.asarray(soxr.resample(block, 16_000, 44_100), dtype=np.float32)

    room = At44k(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("Good morning, how are you?"))
        await wait_for(session, "reply_done", timeout=40)

    converse(session, room, person)
    assert "morning" in _messages(store, companion)[0].content.lower()


def test_a_dead_backend_is_said_aloud_and_the_words_are_kept(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[down()])
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        await asyncio.sleep(0.3)
        room.say(espeak("Remind me to water the plants."))
        await wait_for(session, "reply_done", timeout=40)

    converse(session, room, person)
    assert [m.role for m in _messages(store, companion)] == ["user"]
    errors = [e for e in session.events if e.kind == "error"]
    assert errors and "model server" in errors[0].text
    assert _times(session, "first_audio")  # the apology was spoken


def test_os1_can_speak_first_and_be_interrupted(store, persona, clock, vad, stt, tts) -> None:  # type: ignore[no-untyped-def]
    backend = FakeBackend(script=[LONG_REPLY, "Yes?"], delay=0.01)
    companion = _companion(store, persona, backend, clock)
    room = Room(output_rate=tts.sample_rate)
    session = _session(companion, room, vad, stt, tts)

    async def person(session: VoiceSession, room: Room) -> None:
        session.speak(companion.greet())
        first_audio = await wait_for(session, "first_audio", timeout=40)
        while room.now() < first_audio.at + 2.0:
            await asyncio.sleep(0.02)
        room.say(espeak("Sorry, can I ask you something first?"))
        await wait_for(session, "interrupted", timeout=10)
        await until_idle(session)

    converse(session, room, person)
    messages = _messages(store, companion)
    assert messages[0].role == "assistant" and messages[0].status == "interrupted"
    assert messages[1].role == "user" and "ask you" in messages[1].content.lower()
