"""A spoken conversation: listen, decide the turn is over, answer aloud, stop when talked over.

One session per person and transport. Two things run at once:

- the *listener* reads microphone frames (32 ms at 16 kHz), asks the VAD whether someone is
  speaking (ignoring os1's own echo), keeps partial transcripts coming, and decides when
  the person has finished (``turns.py``);
- the *reply* sends the words through the one conversation loop, ``Companion.respond``
  (stored first, remembered, read for feeling with the voice's prosody), cuts the streamed
  reply into sentences and speaks each as soon as it is written.

When the person starts speaking while os1 talks, os1 goes quiet at once (paused). A
backchannel ("mm-hm", "yeah") lets it carry on from where it was; anything else is an
interruption: generation stops, queued audio is dropped, and the stored reply is cut to
what the person actually heard, marked interrupted.

Every step is reported as a ``VoiceEvent`` with its time, for surfaces, tests and the
latency benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from os1.companion import Companion
from os1.emotion.prosody import analyse
from os1.errors import AudioError, Os1Error
from os1.events import Done, Emotion, Error, Event, Made, Notice, TextDelta
from os1.voice.audio import FRAME, FRAME_SECONDS, RATE, Framer, read_wav, rms
from os1.voice.echo import EchoGate
from os1.voice.sentences import SentenceSplitter
from os1.voice.transports import Transport
from os1.voice.turns import TurnPolicy, is_backchannel, words

if TYPE_CHECKING:
    from os1.voice.stt import SpeechToText
    from os1.voice.tts import TextToSpeech
    from os1.voice.vad import Vad

log = logging.getLogger(__name__)

SPEECH_ON = 0.5  # VAD probability that starts speech
SPEECH_OFF = 0.35  # ... and that keeps it going once started (hysteresis)
BACKCHANNEL_PROMPT = "Mm-hmm. Uh-huh. Yeah. Right. Okay."


@dataclass(frozen=True)
class VoiceEvent:
    """Something that happened, at ``at`` (the transport's clock, seconds).

    kinds: listening, speech_start, partial, turn_end, ignored, reply_start, emotion,
    first_token, first_sentence, tts, first_audio, reply_text, barge_in, backchannel,
    interrupted, reply_done, notice, error, closed.
    """

    kind: str
    at: float
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Heard:
    """The person's turn as it comes in."""

    frames: list[np.ndarray]
    started_at: float
    last_voice_at: float
    last_partial_at: float
    silence: float = 0.0
    committed: list[asyncio.Task[str]] = field(default_factory=list)  # earlier pieces, in order
    committed_upto: int = 0  # frames transcribed by ``committed``
    final: asyncio.Task[str] | None = None  # the rest, started at the first pause
    final_upto: int = 0
    over_os1: bool = False  # began while os1 was talking: maybe just "mm-hm"

    def audio(self, start: int = 0, end: int | None = None) -> np.ndarray:
        chunk = self.frames[start:end]
        return np.concatenate(chunk) if chunk else np.zeros(0, np.float32)

    def voiced_frames(self) -> int:
        """Frames up to the last speech (plus a little, for the last word's tail)."""
        trailing = int(self.silence / FRAME_SECONDS)
        return max(self.committed_upto + 1, len(self.frames) - max(0, trailing - 4))

    def text(self) -> str:
        parts = [t.result() for t in [*self.committed, self.final]
                 if t is not None and t.done() and not t.cancelled() and t.exception() is None]
        return " ".join(p for p in parts if p).strip()


@dataclass
class _Piece:
    text: str
    start_s: float  # on the transport's queued/played timeline
    end_s: float


@dataclass
class _Reply:
    heard: str  # the person's words it answers
    task: asyncio.Task[None] | None = None
    pieces: list[_Piece] = field(default_factory=list)
    reply_id: int = 0
    paused_at: float | None = None  # a possible barge-in is being judged
    generating: bool = True
    cut: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def echoes(self, text: str, played_s: float) -> bool:
        """Is ``text`` os1's own words, heard back through the microphone? (The last line of
        defence against echo: the level gate should already have stopped it.)"""
        near = [p.text for p in self.pieces if p.start_s - 1.0 <= played_s <= p.end_s + 3.0]
        own = set(words(" ".join(near)))
        heard = words(text)
        return bool(heard) and sum(w in own for w in heard) >= 0.8 * len(heard)

    def spoken(self, played_s: float) -> str:
        """What the person actually heard, up to ``played_s`` on the playback timeline."""
        said: list[str] = []
        for piece in self.pieces:
            if played_s >= piece.end_s - 0.05:
                said.append(piece.text)
            elif played_s > piece.start_s:
                words = piece.text.split()
                share = (played_s - piece.start_s) / max(piece.end_s - piece.start_s, 1e-6)
                kept = int(len(words) * share)
                if kept:
                    said.append(" ".join(words[:kept]) + "—")
                break
            else:
                break
        return " ".join(said)


class VoiceSession:
    """Listens and speaks for one companion over one transport. ``run()`` until the input
    ends or ``stop()``."""

    def __init__(self, companion: Companion, transport: Transport, *, vad: Vad,
                 stt: SpeechToText, tts: TextToSpeech, policy: TurnPolicy | None = None,
                 on_event: Callable[[VoiceEvent], None] | None = None,
                 with_prosody: bool = True) -> None:
        self.companion = companion
        self.transport = transport
        self.vad = vad
        self.stt = stt
        self.tts = tts
        self.policy = policy or TurnPolicy()
        self.on_event = on_event
        self.with_prosody = with_prosody
        self.events: list[VoiceEvent] = []
        self.gate = EchoGate()
        self._stop = asyncio.Event()
        self._hung_up = False
        # Listener state.
        self._preroll: deque[np.ndarray] = deque(
            maxlen=max(1, round(self.policy.preroll / FRAME_SECONDS)))
        self._onset = 0
        self._heard: _Heard | None = None  # the person's speech, while they speak
        self._reply: _Reply | None = None
        self._turns: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._stt_lock = asyncio.Lock()  # one transcription at a time: 2 cores
        self._end_now = False  # the person said they've finished (push-to-talk let go)

    # -- events ---------------------------------------------------------------------------
    def emit(self, kind: str, text: str = "", at: float | None = None, **data: Any) -> VoiceEvent:
        event = VoiceEvent(kind, self.transport.now() if at is None else at, text, data)
        self.events.append(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a surface's display problem mustn't stop the conversation
                log.exception("voice event handler failed")
        return event

    def stop(self) -> None:
        self._stop.set()

    def end_turn_now(self) -> None:
        """The person says they've finished (a push-to-talk button let go): end their turn
        after the frames already delivered, without waiting for a pause. The transport calls
        this in order with its frames, before handing over the next block (an empty block
        will do)."""
        self._end_now = True

    def interrupt(self, reason: str = "stopped") -> None:
        """Stop what os1 is saying or writing now (the person pressed stop): the reply is
        kept as far as it was heard, marked interrupted."""
        reply = self._reply
        if reply is not None and not reply.done.is_set():
            self._interrupt(reply, reason=reason)

    def idle(self) -> bool:
        """Nobody is speaking and os1 has nothing left to say."""
        return self._heard is None and not self._turns

    # -- the listener ---------------------------------------------------------------------
    async def run(self) -> None:
        framer = Framer(self.transport.input_rate)
        self.companion.set_mode("voice")
        self.emit("listening")
        failure: Os1Error | None = None
        frames = self.transport.frames()
        try:
            async for block in frames:
                for frame in framer.push(block):
                    await self._hear(frame)
                if self._end_now:
                    self._end_now = False
                    if self._heard is not None:
                        await self._end_turn(reason="end of turn")
                if self._stop.is_set():
                    break
        except AudioError as exc:
            failure = exc
        finally:
            with contextlib.suppress(Exception):
                await frames.aclose()  # type: ignore[attr-defined]
            # The line is closed: nobody hears os1 any more. A reply being spoken is kept as
            # far as it was heard; what the person said before the input ended (or the
            # device went away) still counts, and is answered in writing, stored as usual.
            self._hung_up = True
            if self._reply is not None and not self._reply.done.is_set() \
                    and self.transport.queued_s > self.transport.played_s:
                self._interrupt(self._reply, reason="hung up")
            if self._heard is not None:
                await self._end_turn(reason="input ended")
            await self._settle()
        if failure is not None:
            self.emit("error", failure.what, fix=failure.fix)
            raise failure
        self.emit("closed")

    async def _settle(self) -> None:
        """Let turns in flight finish (replies still being written are stored whole)."""
        while self._turns:
            await asyncio.gather(*list(self._turns), return_exceptions=True)

    async def _hear(self, frame: np.ndarray) -> None:
        now = self.transport.now()
        probability = self.vad.probability(frame)
        echo = self.gate.is_echo(rms(frame), self.transport.output_level())
        heard = self._heard
        speech = probability >= (SPEECH_OFF if heard is not None else SPEECH_ON) and not echo
        if heard is None:
            self._preroll.append(frame)
            self._onset = self._onset + 1 if speech else 0
            if self._onset * FRAME_SECONDS >= self.policy.onset:
                self._begin(now)
            return
        heard.frames.append(frame)
        if speech:
            heard.silence = 0.0
            heard.last_voice_at = now
            if heard.final is not None:  # they went on: that wasn't the end
                heard.final.cancel()
                heard.final = None
        else:
            heard.silence += FRAME_SECONDS
        self._judge_barge_in(now)
        self._maybe_commit()
        self._maybe_partial(now)
        await self._maybe_end()

    def _begin(self, now: float) -> None:
        started = now - self.policy.onset
        self._heard = _Heard(frames=list(self._preroll), started_at=started, last_voice_at=now,
                             last_partial_at=now)
        self._preroll.clear()
        self._onset = 0
        self.emit("speech_start", at=started)
        reply = self._reply
        if reply is not None and not reply.done.is_set() and not reply.cut \
                and reply.paused_at is None:
            # Silent at once, whether os1 is talking or still thinking; then judged: a
            # backchannel or a cough lets it go on, anything else is the person's turn.
            self.transport.pause()
            reply.paused_at = now
            self._heard.over_os1 = True
            self.emit("barge_in", playing=self.transport.queued_s > self.transport.played_s)

    def _transcribe_later(self, audio: np.ndarray) -> asyncio.Task[str]:
        heard = self._heard
        # Whisper hears a bare "mm-hm" as words ("And then…") unless it expects one.
        prompt = BACKCHANNEL_PROMPT if heard is not None and heard.over_os1 else None
        return asyncio.create_task(self._transcribe(audio, prompt))

    async def _transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str:
        async with self._stt_lock:
            result = await asyncio.to_thread(self.stt.transcribe, audio, prompt=prompt)
        return result.text.strip()

    def _maybe_commit(self) -> None:
        """A long turn is transcribed in pieces as it goes, at its short pauses, so the end
        of a five-minute monologue waits only for its last few seconds."""
        heard = self._heard
        assert heard is not None
        pending = (len(heard.frames) - heard.committed_upto) * FRAME_SECONDS
        if heard.final is not None:  # the end may have come: the final covers this
            return
        at_pause = heard.silence >= 2 * FRAME_SECONDS
        if pending >= self.policy.commit_after and (at_pause or pending >= self.policy.commit_by):
            upto = heard.voiced_frames()
            heard.committed.append(self._transcribe_later(heard.audio(heard.committed_upto, upto)))
            heard.committed_upto = upto

    def _maybe_partial(self, now: float) -> None:
        heard = self._heard
        assert heard is not None
        if (heard.silence > 0 or now - heard.last_partial_at < self.policy.partial_every
                or self._stt_lock.locked() or heard.final is not None):
            return
        heard.last_partial_at = now
        task = self._transcribe_later(heard.audio(heard.committed_upto))

        def done(task: asyncio.Task[str], heard: _Heard = heard) -> None:
            if task.cancelled() or task.exception() is not None or self._heard is not heard:
                return
            so_far = [t.result() for t in heard.committed if t.done() and not t.cancelled()
                      and t.exception() is None]
            text = " ".join([*so_far, task.result()]).strip()
            if text:
                self.emit("partial", text)

        task.add_done_callback(done)

    async def _maybe_end(self) -> None:
        heard = self._heard
        assert heard is not None
        if len(heard.frames) * FRAME_SECONDS >= self.policy.longest_turn:
            await self._end_turn(reason="longest turn")
            return
        if heard.silence < self.policy.check_after:
            return
        if heard.final is None:
            heard.final_upto = heard.voiced_frames()
            heard.final = self._transcribe_later(heard.audio(heard.committed_upto,
                                                             heard.final_upto))
        if heard.silence >= self.policy.longest_pause:
            await self._end_turn(reason="pause")
            return
        if not heard.final.done() or any(not t.done() for t in heard.committed):
            return
        text = heard.text()
        paused_for = self._reply is not None and self._reply.paused_at is not None
        if paused_for and (not text or is_backchannel(text)):
            await self._end_turn(reason="backchannel")  # let os1 go on at once
        elif heard.silence >= self.policy.pause_needed(text):
            await self._end_turn(reason="pause")

    async def _end_turn(self, *, reason: str) -> None:
        """The person has finished: transcribe what's left, and answer."""
        heard = self._heard
        assert heard is not None
        decided_at = self.transport.now()
        if heard.final is None:
            heard.final_upto = heard.voiced_frames()
            heard.final = self._transcribe_later(heard.audio(heard.committed_upto,
                                                             heard.final_upto))
        try:
            await asyncio.gather(heard.final, *heard.committed)
            text = heard.text()
        except asyncio.CancelledError:
            text = heard.text()
        except Exception as exc:
            self.emit("error", f"I couldn't make out what you said ({exc}).")
            text = heard.text()
        transcribed_at = self.transport.now()
        self._heard = None
        reply = self._reply
        paused_for = reply is not None and reply.paused_at is not None
        if not text:
            self.emit("ignored", reason="no words")
            if paused_for:
                self._resume(reply)  # type: ignore[arg-type]
            return
        if paused_for:
            if is_backchannel(text) or reply.echoes(text, self.transport.played_s):  # type: ignore[union-attr]
                self._resume(reply, text)  # type: ignore[arg-type]
                return
            self._interrupt(reply, reason="barge-in")  # type: ignore[arg-type]
        audio = heard.audio(0, heard.final_upto)
        self.emit("turn_end", text, ended_at=heard.last_voice_at, decided_at=decided_at,
                  transcribed_at=transcribed_at, reason=reason, seconds=audio.size / RATE)
        prosody = None
        if self.with_prosody:
            with contextlib.suppress(Exception):  # how it sounded is a help, never a blocker
                prosody = analyse(audio[-30 * RATE:], RATE)
        turn = asyncio.create_task(self._answer(text, prosody, heard.last_voice_at))
        self._turns.add(turn)
        turn.add_done_callback(self._turns.discard)

    def _judge_barge_in(self, now: float) -> None:
        """While os1 holds still for the person: too long for a backchannel means they're
        taking the turn."""
        reply = self._reply
        heard = self._heard
        if reply is None or reply.paused_at is None or heard is None:
            return
        if now - reply.paused_at >= self.policy.backchannel_window and heard.silence == 0.0:
            self._interrupt(reply, reason="barge-in")

    def _resume(self, reply: _Reply, heard: str = "") -> None:
        reply.paused_at = None
        self.transport.resume()
        self.emit("backchannel", heard)

    def _interrupt(self, reply: _Reply, *, reason: str) -> None:
        if reply.cut:
            return
        reply.cut = True
        reply.paused_at = None
        self.transport.clear()
        if reply.task is not None:
            reply.task.cancel()
        self.emit("interrupted", reply.spoken(self.transport.played_s), reason=reason)

    # -- the reply ------------------------------------------------------------------------
    async def _answer(self, text: str, prosody: Any, ended_at: float) -> None:
        events = self.companion.respond(text, source="voice", prosody=prosody)
        await self._take_the_floor(_Reply(heard=text), events, ended_at)

    def speak(self, events: AsyncIterator[Event]) -> asyncio.Task[None]:
        """Say something os1 begins itself (a greeting, a reminder), interruptible like any
        reply. Runs alongside the listener; returns its task."""
        turn = asyncio.create_task(
            self._take_the_floor(_Reply(heard=""), events, self.transport.now()))
        self._turns.add(turn)
        turn.add_done_callback(self._turns.discard)
        return turn

    async def _take_the_floor(self, reply: _Reply, events: AsyncIterator[Event],
                              ended_at: float) -> None:
        previous = self._reply
        if previous is not None and not previous.done.is_set():
            self._interrupt(previous, reason="new turn")
            await previous.done.wait()
        self._reply = reply
        self.companion.last_reply_id = 0
        reply.task = asyncio.create_task(self._speak_reply(reply, events, ended_at))
        try:
            await reply.task
        except asyncio.CancelledError:
            pass
        finally:
            if reply.cut:
                self._settle_cut(reply)
            reply.done.set()

    def _settle_cut(self, reply: _Reply) -> None:
        spoken = reply.spoken(self.transport.played_s)
        reply_id = reply.reply_id or self.companion.last_reply_id
        try:
            self.companion.settle_spoken(reply_id, spoken)
        except Os1Error as exc:
            self.emit("error", exc.what)

    async def _speak_reply(self, reply: _Reply, events: AsyncIterator[Event],
                           ended_at: float) -> None:
        self.emit("reply_start", reply.heard)
        splitter = SentenceSplitter()
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = asyncio.create_task(self._speaker(reply, pieces, ended_at))
        first_token = True
        music: list[str] = []  # a piece os1 composed plays after the words introducing it
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    if first_token:
                        self.emit("first_token")
                        first_token = False
                    self.emit("reply_text", event.text)
                    for piece in splitter.feed(event.text):
                        await pieces.put(piece)
                elif isinstance(event, Done):
                    reply.reply_id = event.message_id
                elif isinstance(event, Emotion):
                    self.emit("emotion", ", ".join(event.labels), source=event.source,
                              valence=event.valence, arousal=event.arousal)
                elif isinstance(event, Notice):
                    self.emit("notice", event.text)
                elif isinstance(event, Made) and event.files.get("audio"):
                    music.append(event.files["audio"])
                elif isinstance(event, Error):
                    what, _, fix = event.text.partition("\n")
                    self.emit("error", what, fix=fix)
                    await pieces.put("Sorry, something went wrong on my side. What you said is "
                                     "saved.")
            rest = splitter.flush()
            if rest:
                await pieces.put(rest)
            reply.generating = False
            await pieces.put(None)
            await speaker
            for path in music:
                await self._play_music(reply, path)
            # The device's thread moves the playback position; there's nothing to wait on.
            while not self._hung_up and (  # noqa: ASYNC110
                    self.transport.played_s < self.transport.queued_s - 1e-3 or reply.paused_at):
                await asyncio.sleep(0.02)
            self.emit("reply_done", reply.spoken(self.transport.played_s))
        finally:
            speaker.cancel()
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]

    async def _speaker(self, reply: _Reply, pieces: asyncio.Queue[str | None],
                       ended_at: float) -> None:
        first = True
        while (piece := await pieces.get()) is not None:
            if self._hung_up:
                continue
            if first:
                self.emit("first_sentence", piece)
            started = self.transport.now()
            try:
                audio = await asyncio.to_thread(self.tts.synthesize, piece)
            except Os1Error as exc:
                self.emit("error", exc.what, fix=exc.fix)
                continue
            if reply.cut:
                return
            self.emit("tts", piece, seconds=self.transport.now() - started,
                      audio_s=len(audio) / self.tts.sample_rate)
            begin = self.transport.queued_s
            self.transport.play(audio, self.tts.sample_rate)
            reply.pieces.append(_Piece(piece, begin, self.transport.queued_s))
            if first:
                first = False
                marker = asyncio.create_task(self._mark_first_audio(begin, ended_at))
                self._background.add(marker)  # (a task nobody holds can be collected)
                marker.add_done_callback(self._background.discard)

    async def _play_music(self, reply: _Reply, path: str) -> None:
        """Play a composed piece like speech: barge-in and Stop cut it off the same way."""
        if reply.cut or self._hung_up:
            return
        try:
            samples, rate = await asyncio.to_thread(read_wav, path)
        except Os1Error as exc:
            self.emit("error", exc.what, fix=exc.fix)
            return
        self.emit("music", path, audio_s=len(samples) / rate)
        begin = self.transport.queued_s
        self.transport.play(samples, rate)
        reply.pieces.append(_Piece("", begin, self.transport.queued_s))

    async def _mark_first_audio(self, begin: float, ended_at: float) -> None:
        """Report when the first sample actually left the speaker."""
        for _ in range(2000):
            at = self.transport.when_played(begin)
            if at is not None:
                self.emit("first_audio", at=at, latency=at - ended_at)
                return
            await asyncio.sleep(0.005)


def speech_frames(samples: np.ndarray) -> list[np.ndarray]:
    """16 kHz audio cut into listening frames (the last one padded)."""
    count = -(-samples.size // FRAME)
    padded = np.pad(samples, (0, count * FRAME - samples.size))
    return [padded[i * FRAME:(i + 1) * FRAME] for i in range(count)]
