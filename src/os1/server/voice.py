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
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
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
from os1.voice.factory import VoiceParts, voice_choice
from os1.voice.session import VoiceEvent, VoiceSession
from os1.voice.turns import TurnPolicy
from os1.voice.websocket import WebSocketTransport

if TYPE_CHECKING:
    from os1.server.app import AppState
    from os1.voice.stt import SpeechToText, Transcript
    from os1.voice.tts import TextToSpeech

log = logging.getLogger(__name__)

STOP_WAIT_S = 3.0  # voice_stop waits this long for the session to wind down, then leaves it be
# Push to talk: the button ends the turn, so a pause while it is held mustn't (the limit is
# only for a button held down and forgotten).
PUSH_POLICY = TurnPolicy(finished_pause=30.0, unfinished_pause=30.0, longest_pause=30.0)


class VoiceSocket(Protocol):
    """What a voice session needs from the WebSocket (``os1.server.routes.ws.Socket``)."""

    state: AppState
    user_id: int

    async def send(self, frame: dict[str, Any]) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...


# -- the models ---------------------------------------------------------------------------
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
            sub = await self.state.hub.subscribe(self.user_id, only=frozenset({"stop_request"}))
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
