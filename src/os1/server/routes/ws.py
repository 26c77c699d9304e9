"""The WebSocket: talking with the companion, by text and by voice (docs/server-api.md).

A socket is a thin adapter. What it sends comes from the person's hub subscription (so a
reply written by another process, or asked for in another tab, shows up here too); what it
receives starts turns, which run on their own, so a socket that drops mid-reply loses
nothing: the reply is stored, and a reconnect with ``after=<seq>`` replays what it missed.

A malformed frame closes this socket only, after saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from os1.server.app import AppState
from os1.server.deps import Auth, authenticate, same_origin
from os1.server.hub import Subscription
from os1.server.routes.views import persona_view

log = logging.getLogger(__name__)
router = APIRouter()

MAX_FRAME = 64 * 1024  # text frames; a message is limited further by max_message_chars
MAX_AUDIO_FRAME = 64 * 1024
RESUME_WAIT = 1.0  # seconds to wait for a first frame saying where the client is

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013
CLOSE_UNAUTHORIZED = 4401


class Malformed(Exception):
    def __init__(self, text: str, code: int = CLOSE_UNSUPPORTED) -> None:
        super().__init__(text)
        self.code = code


def coalesce(batch: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Consecutive deltas become one frame (under load a socket gets fewer, larger frames,
    never a growing backlog)."""
    frames: list[dict[str, Any]] = []
    for seq, event in batch:
        last = frames[-1] if frames else None
        if event.get("type") == "delta" and last is not None and last.get("type") == "delta":
            last["text"] += event["text"]
            last["seq"] = seq
        else:
            frames.append(dict(event, seq=seq))
    return frames


class Socket:
    def __init__(self, websocket: WebSocket, state: AppState, auth: Auth) -> None:
        self.ws = websocket
        self.state = state
        self.auth = auth
        self.user_id = auth.user.id
        self._send_lock = asyncio.Lock()
        self.sub: Subscription | None = None
        self.voice: Any = None  # os1.server.voice.BrowserVoice while voice is on

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps(frame, separators=(",", ":")))

    async def send_bytes(self, data: bytes) -> None:
        async with self._send_lock:
            await self.ws.send_bytes(data)

    async def pump(self) -> None:
        """The person's events, to this socket."""
        assert self.sub is not None
        async for seq, event in self.sub:
            for frame in coalesce([(seq, event), *self.sub.pending()]):
                await self.send(frame)
        if self.sub.overflowed:
            await self.close(CLOSE_TRY_AGAIN, "This connection fell too far behind; reconnect.")

    async def close(self, code: int, reason: str = "") -> None:
        if self.ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code=code, reason=reason[:120])

    def parse(self, message: Any) -> dict[str, Any] | bytes:
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            if len(data) > MAX_AUDIO_FRAME:
                raise Malformed("That audio frame is too big.", CLOSE_TOO_BIG)
            return data
        text = message.get("text")
        if text is None:
            raise Malformed("Empty frame.")
        if len(text) > MAX_FRAME:
            raise Malformed(f"That frame is too big ({len(text):,} characters; the limit is "
                            f"{MAX_FRAME:,}).", CLOSE_TOO_BIG)
        try:
            frame = json.loads(text)
        except ValueError as exc:
            raise Malformed("That frame isn't JSON.") from exc
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise Malformed('A frame is a JSON object with a "type".')
        return frame

    async def handle(self, frame: dict[str, Any] | bytes) -> None:
        conversations = self.state.conversations
        if isinstance(frame, bytes):
            if self.voice is None:
                raise Malformed("Audio arrived, but voice isn't on (send voice_start first).")
            self.voice.audio(frame)
            return
        kind = frame["type"]
        if kind == "message":
            text = frame.get("text")
            if not isinstance(text, str):
                raise Malformed('A message needs "text", a string.')
            limit = self.state.options.max_message_chars
            if len(text) > limit:
                await self.send({"type": "error", "text": (
                    f"That message is {len(text):,} characters; the limit is {limit:,}. "
                    "Send it in parts.")})
                return
            if not text.strip():
                await self.send({"type": "error", "text": "There's nothing in that message."})
                return
            conversations.start(self.user_id, text)
        elif kind == "greet":
            conversations.start(self.user_id, None)
        elif kind == "stop":
            await conversations.request_stop(self.user_id)
            if self.voice is not None:
                self.voice.interrupt()
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "resume":
            pass  # only meaningful as the first frame (handled in run)
        elif kind in ("voice_start", "voice_end", "voice_stop"):
            await self._voice(kind, frame)
        else:
            raise Malformed(f"Unknown frame type {kind!r}.")

    async def _voice(self, kind: str, frame: dict[str, Any]) -> None:
        if kind == "voice_start":
            if not self.state.options.voice:
                await self.send({"type": "error", "text": "Voice is off on this server."})
                return
            from os1.server.voice import BrowserVoice

            if self.voice is not None:
                await self.voice.stop()
            rate = frame.get("rate", 48000)
            mode = frame.get("mode", "hands_free")
            if not isinstance(rate, int) or not 8000 <= rate <= 192000 \
                    or mode not in ("push", "hands_free"):
                raise Malformed('voice_start needs "rate" (8000–192000) and "mode" '
                                '("push" or "hands_free").')
            try:
                self.voice = await BrowserVoice.start(self, rate=rate, mode=mode)
            except Exception as exc:  # the voice models are missing: say so, keep text going
                self.voice = None
                await self.send({"type": "error", "text": f"Voice isn't available: {exc}"})
        elif kind == "voice_end":
            if self.voice is not None:
                self.voice.end_of_turn()
        elif self.voice is not None:
            await self.voice.stop()
            self.voice = None


@router.websocket("/ws")
async def websocket(ws: WebSocket) -> None:
    state: AppState = ws.app.state.os1
    if not same_origin(ws):
        await ws.close(code=CLOSE_POLICY)
        return
    auth = await asyncio.to_thread(authenticate, ws, state)
    if auth is None:
        await ws.close(code=CLOSE_UNAUTHORIZED)
        return
    await ws.accept()
    sock = Socket(ws, state, auth)
    user_id = auth.user.id
    pump: asyncio.Task[None] | None = None
    watching = False
    try:
        sock.sub = await state.hub.subscribe(user_id)
        persona = await asyncio.to_thread(state.store.active_persona, user_id)
        await sock.send({"type": "hello", "user": {"id": user_id, "handle": auth.user.handle},
                         "persona": persona_view(persona) if persona else None,
                         "seq": await state.hub.latest(user_id)})
        pump = asyncio.create_task(sock.pump())
        state.conversations.watch_reminders(user_id)
        watching = True
        first: Any = None
        after = ws.query_params.get("after")
        if after is None:
            with contextlib.suppress(TimeoutError):
                first = await asyncio.wait_for(ws.receive(), RESUME_WAIT)
        pending: Any = None
        if first is not None:
            if first["type"] == "websocket.disconnect":
                return
            pending = sock.parse(first)
            if isinstance(pending, dict) and pending["type"] == "resume":
                after = str(pending.get("after") or "") or None
                pending = None
        await sock.sub.start(after)
        if pending is not None:
            await sock.handle(pending)
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            await sock.handle(sock.parse(message))
    except Malformed as exc:
        with contextlib.suppress(Exception):
            await sock.send({"type": "error", "text": str(exc)})
        await sock.close(exc.code, str(exc))
    except (RuntimeError, ConnectionError) as exc:  # the client went away mid-send
        log.debug("socket ended: %s", exc)
    finally:
        if watching:
            state.conversations.unwatch_reminders(user_id)
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
        if sock.voice is not None:
            with contextlib.suppress(Exception):
                await sock.voice.stop()
        if sock.sub is not None:
            sock.sub.close()
