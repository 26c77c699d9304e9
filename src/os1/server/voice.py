"""Voice in the browser: the same spoken conversation as ``os1 talk``, over the WebSocket.

The page sends its microphone as binary frames (16-bit mono PCM at its own rate) and plays
what comes back (16-bit mono PCM at 22,050 Hz) gaplessly, in order. Between them runs the
one ``VoiceSession`` (listening, turn-taking, barge-in, speaking sentence by sentence), over
``WebSocketTransport``. Three things make the browser different from a sound card:

- Playback happens on the far side of a network, so the transport keeps an *estimated*
  account: audio sent at time t starts when what was sent before it ends (or at t, after a
  gap) and plays in real time. It sends only about half a second ahead of that estimate, so
  "stop" (``audio_clear``) silences the page at once and the session still knows, to within
  a few tens of milliseconds, which words the person heard.
- A push-to-talk button says when the turn ends (``voice_end``): the turn ends then, after
  the audio already received, without waiting for silence; and a pause while the button is
  held doesn't end it.
- What is said also belongs in the chat. ``VoiceCompanion`` runs each spoken turn through
  the person's hub like a typed one (``user_message``, ``delta``, ``done``), so every tab sees
  it; the ``done`` waits until the reply was heard, and when the person cut it short it
  carries what they actually heard, which is what is stored.

The models are loaded once per process, on first use (``VoiceModels`` on ``AppState.voice``):
one speech-to-text model shared by every session (one transcription at a time: it isn't
re-entrant), one voice per voice name, and a voice activity detector per session (it carries
the state of one stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from os1.companion import Companion
from os1.emotion.prosody import Prosody
from os1.errors import Os1Error
from os1.events import Done, Error, Event
from os1.persona.model import Persona
from os1.server.companions import NoCompanion, event_dict
from os1.voice.audio import as_float32, resample, rms
from os1.voice.factory import VoiceParts, voice_choice
from os1.voice.session import VoiceEvent, VoiceSession
from os1.voice.turns import TurnPolicy

if TYPE_CHECKING:
    from os1.server.app import AppState
    from os1.voice.stt import SpeechToText, Transcript
    from os1.voice.tts import TextToSpeech

log = logging.getLogger(__name__)

OUTPUT_RATE = 22_050  # what the page plays (docs/server-api.md)
CHUNK_S = 0.1  # audio goes out in frames this long
AHEAD_S = 0.5  # ... at most this far ahead of where the page is playing
START_DELAY_S = 0.05  # the page starts a frame a little after it arrives, after a gap
LEVEL_WINDOW_S = 0.4  # output_level: the loudest of what played this recently
MAX_BACKLOG_S = 30.0  # microphone audio waiting for the listener; beyond it, frames are dropped
STOP_WAIT_S = 3.0  # voice_stop waits this long for the session to wind down, then leaves it be
# Push to talk: the button ends the turn, so a pause while it is held mustn't (the limit is
# only for a button held down and forgotten).
PUSH_POLICY = TurnPolicy(finished_pause=30.0, unfinished_pause=30.0, longest_pause=30.0)

SendJson = Callable[[dict[str, Any]], Awaitable[None]]
SendBytes = Callable[[bytes], Awaitable[None]]
_END_OF_TURN = object()  # in the microphone queue: the person let go of the button here


class VoiceSocket(Protocol):
    """What a voice session needs from the WebSocket (``os1.server.routes.ws.Socket``)."""

    state: AppState
    user_id: int

    async def send(self, frame: dict[str, Any]) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...


# -- the transport --------------------------------------------------------------------------
@dataclass
class _Sent:
    """A frame of audio sent to the page, and when the page (we estimate) plays it."""

    start: float  # monotonic seconds
    pos: int  # its first sample on the queued/played timeline
    pcm: np.ndarray  # int16

    def end(self, rate: int) -> float:
        return self.start + self.pcm.size / rate


class WebSocketTransport:
    """The ``Transport`` protocol over a WebSocket (see the module docstring).

    Microphone: ``feed(bytes)`` as frames arrive, ``end_of_turn()`` when push-to-talk is let
    go, ``close_input()`` when voice ends. Speaker: ``play()`` queues; one sender task sends
    everything this transport says (audio, ``audio_clear``, ``speaking``, and the voice
    frames handed to ``notify``) in order, pacing the audio. ``start()`` it inside the event
    loop; ``aclose()`` it at the end.
    """

    def __init__(self, send_json: SendJson, send_bytes: SendBytes, *, input_rate: int,
                 output_rate: int = OUTPUT_RATE, chunk_s: float = CHUNK_S,
                 ahead_s: float = AHEAD_S) -> None:
        self.input_rate = input_rate
        self.output_rate = output_rate
        self.chunk = max(1, int(round(output_rate * chunk_s)))
        self.ahead_s = ahead_s
        self.on_end_of_turn: Callable[[], None] | None = None
        self._send_json = send_json
        self._send_bytes = send_bytes
        # The microphone side.
        self._mic: asyncio.Queue[Any] = asyncio.Queue()
        self._backlog = 0  # samples waiting in _mic
        self._carry = b""  # an odd byte: a frame may split a sample
        self._input_closed = False
        # The speaker side: positions are samples on the queued/played timeline.
        self._pending: deque[np.ndarray] = deque()  # int16 frames not sent yet, in order
        self._sent: deque[_Sent] = deque()  # sent, not (by the estimate) all played yet
        self._history: deque[tuple[float, int, int]] = deque(maxlen=1024)  # (start, pos, n)
        self._levels: deque[tuple[float, float, float]] = deque(maxlen=64)  # (start, end, rms)
        self._queued = 0
        self._sent_pos = 0  # where the next frame sent starts
        self._played_done = 0  # everything before this has played
        self._play_end = 0.0  # when the page will have played all it was sent
        self._paused = False
        self._speaking = False
        self._control: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._sender: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_loop(), name="os1-voice-sender")

    async def aclose(self) -> None:
        """Stop: what's queued is dropped; frames already said (an error, say) still go."""
        self.close_input()
        self._drop_pending()
        if self._speaking:
            self._speaking = False
            self._control.append({"type": "speaking", "on": False})
        self._closed = True
        self._kick()
        sender = self._sender
        if sender is not None:
            done, _ = await asyncio.wait({sender}, timeout=1.0)
            if not done:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender

    # -- the microphone ---------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """A binary frame from the page: 16-bit little-endian mono PCM at ``input_rate``."""
        if self._input_closed:
            return
        data = self._carry + data
        cut = len(data) - len(data) % 2
        self._carry = data[cut:]
        if not cut:
            return
        samples = np.frombuffer(data[:cut], dtype="<i2").astype(np.float32) / 32768.0
        if self._backlog + samples.size > MAX_BACKLOG_S * self.input_rate:
            log.warning("voice: the listener is %.0f s behind; dropping microphone audio",
                        self._backlog / self.input_rate)
            return
        self._backlog += samples.size
        self._mic.put_nowait(samples)

    def end_of_turn(self) -> None:
        """The person let go of the push-to-talk button: their turn ends after what came
        before this."""
        if not self._input_closed:
            self._mic.put_nowait(_END_OF_TURN)

    def close_input(self) -> None:
        if not self._input_closed:
            self._input_closed = True
            self._mic.put_nowait(None)

    async def frames(self) -> AsyncIterator[np.ndarray]:
        while True:
            item = await self._mic.get()
            if item is None:
                return
            if item is _END_OF_TURN:
                if self.on_end_of_turn is not None:
                    self.on_end_of_turn()
                yield np.zeros(0, dtype=np.float32)  # lets the session act on it now
                continue
            self._backlog -= item.size
            yield item

    # -- the speaker ------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic()

    def play(self, samples: np.ndarray, rate: int) -> None:
        if self._closed:
            return
        data = as_float32(samples)
        if rate != self.output_rate:
            data = resample(data, rate, self.output_rate)
        if data.size == 0:
            return
        pcm = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
        for i in range(0, pcm.size, self.chunk):
            self._pending.append(pcm[i:i + self.chunk])
        self._queued += pcm.size
        self._kick()

    def pause(self) -> None:
        """Silent now; what the page hadn't played yet is sent again on ``resume``."""
        if self._paused:
            return
        now = self.now()
        played = self._played_at(now)
        unplayed = [s.pcm[max(0, played - s.pos):] for s in self._sent if s.pos + s.pcm.size > played]
        self._pending.extendleft(reversed([p for p in unplayed if p.size]))
        self._cut(now, played)
        self._paused = True
        self._silence()

    def resume(self) -> None:
        self._paused = False
        self._kick()

    def clear(self) -> None:
        now = self.now()
        played = self._played_at(now)
        self._pending.clear()
        self._cut(now, played)
        self._queued = played
        self._paused = False
        self._silence()

    @property
    def queued_s(self) -> float:
        return self._queued / self.output_rate

    @property
    def played_s(self) -> float:
        return self._played_at(self.now()) / self.output_rate

    def output_level(self) -> float:
        now = self.now()
        return max((level for start, end, level in self._levels
                    if start <= now and end >= now - LEVEL_WINDOW_S), default=0.0)

    def when_played(self, position_s: float) -> float | None:
        sample = int(round(position_s * self.output_rate))
        for start, pos, size in reversed(self._history):
            if pos <= sample < pos + size:
                at = start + (sample - pos) / self.output_rate
                return at if at <= self.now() else None
        return None

    def notify(self, frame: dict[str, Any]) -> None:
        """Send a JSON frame in order with this transport's audio and notices."""
        if not self._closed:
            self._control.append(frame)
            self._kick()

    # -- the account ------------------------------------------------------------------------
    def _played_at(self, now: float) -> int:
        rate = self.output_rate
        while self._sent and self._sent[0].end(rate) <= now:
            done = self._sent.popleft()
            self._played_done = done.pos + done.pcm.size
        played = self._played_done
        if self._sent and now > self._sent[0].start:
            head = self._sent[0]
            played = head.pos + min(head.pcm.size, int((now - head.start) * rate))
        return played

    def _cut(self, now: float, played: int) -> None:
        """The page dropped everything after ``played``: forget it was ever sent."""
        self._sent.clear()
        self._played_done = self._sent_pos = played
        self._play_end = now
        while self._history and (self._history[-1][0] >= now or self._history[-1][1] >= played):
            self._history.pop()
        if self._history:
            start, pos, size = self._history[-1]
            self._history[-1] = (start, pos, min(size, played - pos))
        kept = [(start, min(end, now), level) for start, end, level in self._levels if start < now]
        self._levels.clear()
        self._levels.extend(kept)

    def _drop_pending(self) -> None:
        """Nobody will hear what's queued (the socket went away): it never plays."""
        self._pending.clear()
        self._queued = self._sent_pos

    def _silence(self) -> None:
        self._control.append({"type": "audio_clear"})
        if self._speaking:
            self._speaking = False
            self._control.append({"type": "speaking", "on": False})
        self._kick()

    def _kick(self) -> None:
        self._wake.set()

    async def _send_loop(self) -> None:
        rate = self.output_rate
        try:
            while True:
                self._wake.clear()
                while self._control:
                    await self._send_json(self._control.popleft())
                if self._closed:
                    return
                now = self.now()
                if self._pending and not self._paused:
                    ahead = self._play_end - now
                    if ahead > self.ahead_s:
                        await self._sleep(ahead - self.ahead_s)
                        continue
                    if not self._speaking:
                        self._speaking = True
                        self._control.append({"type": "speaking", "on": True})
                        continue
                    pcm = self._pending.popleft()
                    sent = _Sent(max(now + START_DELAY_S, self._play_end), self._sent_pos, pcm)
                    self._sent.append(sent)
                    self._history.append((sent.start, sent.pos, pcm.size))
                    self._levels.append((sent.start, sent.end(rate),
                                         rms(pcm.astype(np.float32) / 32768.0)))
                    self._sent_pos += pcm.size
                    self._play_end = sent.end(rate)
                    await self._send_bytes(pcm.tobytes())
                    continue
                if self._speaking and now >= self._play_end:
                    self._speaking = False
                    self._control.append({"type": "speaking", "on": False})
                    continue
                await self._sleep(self._play_end - now if self._speaking else None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket closed under us: nothing more will be heard
            log.debug("voice sender stopped: %s", exc)
            self._closed = True
            self._drop_pending()

    async def _sleep(self, seconds: float | None) -> None:
        """Until there's something to do, or ``seconds`` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)


# -- the models -----------------------------------------------------------------------------
class _SharedStt:
    """Speech-to-text shared by every session in the process, one utterance at a time
    (Whisper isn't re-entrant; on a small machine two at once would only fight anyway)."""

    def __init__(self, stt: SpeechToText) -> None:
        self.stt = stt
        self.name = stt.name
        self._lock = threading.Lock()

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> Transcript:
        with self._lock:
            return self.stt.transcribe(samples, prompt=prompt)


class _SharedTts:
    """A voice shared by every session that speaks with it, one sentence at a time (Piper's
    espeak phonemizer isn't re-entrant)."""

    def __init__(self, tts: TextToSpeech) -> None:
        self.tts = tts
        self.name = tts.name
        self.sample_rate = tts.sample_rate
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> np.ndarray:
        with self._lock:
            return self.tts.synthesize(text)


class VoiceModels:
    """The voice models of this server process, loaded on first use (in a thread)."""

    def __init__(self, *, stt_model: str, models_dir: Path, threads: int | None = None) -> None:
        self.stt_model = stt_model
        self.models_dir = models_dir
        self.threads = threads
        self._stt: SpeechToText | None = None
        self._voices: dict[str, TextToSpeech] = {}
        self._lock = asyncio.Lock()
        self.sessions: Counter[int] = Counter()  # voice sessions per person, here

    @classmethod
    def configured(cls, extra: dict[str, Any]) -> VoiceModels:
        """From os1's settings (``os1 config``: stt_model, threads, where models live), each
        overridable in ``ServerOptions.extra`` (``stt_model``, ``models_dir``,
        ``voice_threads``)."""
        from os1.config import load_config

        if extra.get("stt_model") and extra.get("models_dir"):
            return cls(stt_model=str(extra["stt_model"]), models_dir=Path(extra["models_dir"]),
                       threads=extra.get("voice_threads"))
        config = load_config()
        return cls(stt_model=str(extra.get("stt_model") or config.settings.stt_model),
                   models_dir=Path(extra.get("models_dir") or config.models_dir),
                   threads=extra.get("voice_threads") or config.settings.threads)

    async def parts(self, voice: str) -> VoiceParts:
        """What a session needs, speaking with ``voice``. Raises ModelError (what to install)."""
        from os1.voice.stt import load_stt
        from os1.voice.tts import load_tts
        from os1.voice.vad import SileroVad

        async with self._lock:
            if self._stt is None:
                stt = await asyncio.to_thread(load_stt, self.stt_model, self.models_dir,
                                              self.threads)
                self._stt = _SharedStt(stt)
            tts = self._voices.get(voice)
            if tts is None:
                loaded = await asyncio.to_thread(load_tts, voice, threads=self.threads)
                tts = self._voices[voice] = _SharedTts(loaded)
        vad = await asyncio.to_thread(SileroVad)
        return VoiceParts(vad=vad, stt=self._stt, tts=tts)


# -- the companion, with the chat watching --------------------------------------------------
@dataclass
class _OpenTurn:
    """A spoken turn whose ``done`` hasn't gone to the chat yet. It holds the person's turn
    lock (a typed message waits until os1 has finished saying this)."""

    lock: asyncio.Lock
    held: dict[str, Any] | None = None  # the loop's done, sent once the reply was heard
    spoken: str | None = None  # what the person heard, when they cut it short
    generated: bool = False  # the loop has finished writing
    finished: bool = False
    watcher: asyncio.Task[None] | None = None  # a stop from any tab, any process


class VoiceCompanion:
    """The person's companion as a voice session uses it, with every spoken turn going to
    the person's chat through the hub, as a typed one does (``Conversations.turn``).

    The ``done`` of a reply is held until the reply was heard (the session's ``reply_done``)
    or cut short (``interrupted``: then it carries what was heard, which is what
    ``settle_spoken`` stores). A stop asked for on any of the person's sockets (the hub's
    ``stop_request``) calls ``on_stop`` while a spoken turn is open."""

    def __init__(self, state: AppState, user_id: int) -> None:
        self.state = state
        self.user_id = user_id
        self._companion: Companion | None = None
        self._open: _OpenTurn | None = None
        self._errors: deque[str] = deque(maxlen=8)  # published already: not again
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_stop: Callable[[], None] | None = None

    def _current(self) -> Companion:
        """The pool's companion (rebuilt when settings change), or the one of this turn."""
        companion = self.state.pool.get(self.user_id)
        if companion is None:
            if self._companion is None:
                raise NoCompanion()
            return self._companion
        self._companion = companion
        return companion

    @property
    def persona(self) -> Persona:
        return self._current().persona

    @property
    def last_reply_id(self) -> int:
        return (self._companion or self._current()).last_reply_id

    @last_reply_id.setter
    def last_reply_id(self, value: int) -> None:
        (self._companion or self._current()).last_reply_id = value

    def set_mode(self, mode: str) -> None:
        self._current().set_mode(mode)

    def settle_spoken(self, reply_id: int, spoken: str) -> None:
        (self._companion or self._current()).settle_spoken(reply_id, spoken)

    async def _publish(self, event: dict[str, Any]) -> None:
        try:
            await self.state.hub.publish(self.user_id, event)
        except Exception as exc:  # stored anyway; sockets catch up from the history
            log.warning("hub publish failed for a spoken turn: %s", exc)

    async def respond(self, text: str, *, source: str = "voice",
                      prosody: Prosody | None = None) -> AsyncIterator[Event]:
        companion = self._current()
        lock = self.state.pool.lock(self.user_id)
        await lock.acquire()
        turn = self._open = _OpenTurn(lock)
        turn.watcher = asyncio.create_task(self._watch_for_stop(turn))
        cancelled = False
        try:
            if self.state.conversations.before_turn is not None:
                self.state.conversations.before_turn()
            await self._publish({"type": "user_message", "text": text})
            async for event in companion.respond(text, source=source, prosody=prosody):
                if isinstance(event, Done):
                    turn.held = event_dict(event)
                else:
                    if isinstance(event, Error):
                        self._errors.append(event.text.partition("\n")[0])
                    await self._publish(event_dict(event))
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            cancelled = True
            # Cut short while writing: the interruption already said what was heard.
            reply_id = turn.held["id"] if turn.held else companion.last_reply_id
            await asyncio.shield(self._finish(turn, reply_id=reply_id or None,
                                              text=turn.spoken or "", interrupted=True))
            raise
        finally:
            turn.generated = True
            if not cancelled:
                if turn.held is None:  # nothing to wait for (the loop said what went wrong)
                    self._finish_soon(turn)
                elif turn.spoken is not None:
                    self._finish_soon(turn, text=turn.spoken, interrupted=True)

    async def _watch_for_stop(self, turn: _OpenTurn) -> None:
        try:
            sub = await self.state.hub.subscribe(self.user_id)
        except Exception as exc:  # the socket's own stop still works
            log.warning("voice: can't watch for stops from other tabs: %s", exc)
            return
        try:
            await sub.start(None)
            async for _seq, event in sub:
                if event.get("type") == "stop_request":
                    if not turn.finished and self.on_stop is not None:
                        self.on_stop()
                    return
        except Exception as exc:
            log.warning("voice: stopped watching for stops from other tabs: %s", exc)
        finally:
            sub.close()

    def heard(self, event: VoiceEvent) -> None:
        """The session's events about the reply: was it heard to the end, or cut short?"""
        turn = self._open
        if turn is None or turn.finished:
            return
        if event.kind == "interrupted":
            turn.spoken = event.text
            if turn.generated:
                self._finish_soon(turn, text=event.text, interrupted=True)
        elif event.kind == "reply_done" and turn.generated:
            self._finish_soon(turn)

    def already_said(self, error: str) -> bool:
        return error in self._errors

    def finish_all(self) -> None:
        """The session ended: whatever is open goes to the chat now."""
        if self._open is not None:
            self._finish_soon(self._open, text=self._open.spoken,
                              interrupted=self._open.spoken is not None)

    def _finish_soon(self, turn: _OpenTurn, *, text: str | None = None,
                     interrupted: bool = False) -> None:
        reply_id = turn.held["id"] if turn.held else None
        task = asyncio.create_task(self._finish(turn, reply_id=reply_id, text=text,
                                                interrupted=interrupted))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, turn: _OpenTurn, *, reply_id: int | None, text: str | None,
                      interrupted: bool) -> None:
        if turn.finished:
            return
        turn.finished = True
        if turn.watcher is not None:
            turn.watcher.cancel()
        try:
            if turn.held is not None or interrupted:
                done = dict(turn.held or {"type": "done", "text": ""}, id=reply_id)
                if interrupted:
                    done |= {"text": text or "", "interrupted": True}
                await self._publish(done)
        finally:
            turn.lock.release()  # after the done: a typed turn waiting starts after it


# -- the session ----------------------------------------------------------------------------
_winding_down: set[asyncio.Task[None]] = set()  # sessions finishing a reply after voice_stop


class BrowserVoice:
    """One person's voice session on one WebSocket (``routes/ws.py`` drives it)."""

    def __init__(self, socket: VoiceSocket, models: VoiceModels, transport: WebSocketTransport,
                 companion: VoiceCompanion, mode: str) -> None:
        self.socket = socket
        self.models = models
        self.transport = transport
        self.companion = companion
        self.mode = mode
        self.session: VoiceSession | None = None
        self.task: asyncio.Task[None] | None = None
        self._stopped = False

    @classmethod
    async def start(cls, socket: VoiceSocket, *, rate: int, mode: str) -> BrowserVoice:
        """Load what's needed (the first time in this process) and start listening. Raises
        when voice can't work here; the message says why."""
        state = socket.state
        user_id = socket.user_id
        persona = await asyncio.to_thread(state.store.active_persona, user_id)
        if persona is None:
            raise NoCompanion("your companion isn't set up yet: answer the first questions "
                              "first.")
        settings = await asyncio.to_thread(state.pool.shared.settings, user_id)
        voice = voice_choice(str(settings.get("voice") or ""), persona.voice)
        if state.voice is None:
            state.voice = VoiceModels.configured(state.options.extra)
        models: VoiceModels = state.voice
        parts = await models.parts(voice)
        transport = WebSocketTransport(socket.send, socket.send_bytes, input_rate=rate)
        self = cls(socket, models, transport, VoiceCompanion(state, user_id), mode)
        session = VoiceSession(self.companion, transport, vad=parts.vad,  # type: ignore[arg-type]
                               stt=parts.stt, tts=parts.tts,
                               policy=PUSH_POLICY if mode == "push" else None,
                               on_event=self._on_event)
        self.session = session
        transport.on_end_of_turn = session.end_turn_now
        self.companion.on_stop = session.interrupt
        models.sessions[user_id] += 1
        transport.start()
        self.task = asyncio.create_task(self._run(session), name=f"os1-voice-{user_id}")
        return self

    # -- from the socket --------------------------------------------------------------------
    def audio(self, data: bytes) -> None:
        self.transport.feed(data)

    def end_of_turn(self) -> None:
        self.transport.end_of_turn()

    def interrupt(self) -> None:
        if self.session is not None:
            self.session.interrupt()

    async def stop(self) -> None:
        """Voice ends (voice_stop, or the socket closed). What the person said is answered
        and stored; a reply being spoken is kept as far as it was heard."""
        if self._stopped:
            return
        self._stopped = True
        if self.session is not None:
            self.session.stop()
        self.transport.close_input()
        task = self.task
        if task is None:
            await self.transport.aclose()
            return
        done, _ = await asyncio.wait({task}, timeout=STOP_WAIT_S)
        if not done:  # still writing a reply: it finishes (and is stored) on its own
            _winding_down.add(task)
            task.add_done_callback(_winding_down.discard)

    # -- from the session -------------------------------------------------------------------
    async def _run(self, session: VoiceSession) -> None:
        try:
            await session.run()
        except Os1Error:
            pass  # the session reported it (an "error" event)
        except Exception:
            log.exception("a voice session failed")
            self.transport.notify({"type": "error", "text": (
                "Voice stopped: something went wrong on the server. What you said is saved; "
                "typing still works.")})
        finally:
            self.companion.finish_all()
            self.models.sessions[self.socket.user_id] -= 1
            if self.models.sessions[self.socket.user_id] <= 0:
                del self.models.sessions[self.socket.user_id]
                with contextlib.suppress(Exception):  # nobody talks out loud any more
                    self.companion.set_mode("text")
            await asyncio.sleep(0)  # let the last frames go out before the sender stops
            await self.transport.aclose()

    def _on_event(self, event: VoiceEvent) -> None:
        kind = event.kind
        if kind == "listening":
            self.transport.notify({"type": "voice_ready"})
        elif kind in ("partial", "turn_end"):
            self.transport.notify({"type": "transcript", "text": event.text,
                                   "final": kind == "turn_end"})
        elif kind in ("interrupted", "reply_done"):
            self.companion.heard(event)
        elif kind == "error" and not self.companion.already_said(event.text):
            fix = event.data.get("fix")
            self.transport.notify({"type": "error",
                                   "text": f"{event.text}\n{fix}" if fix else event.text})
