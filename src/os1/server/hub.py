"""Events of a person's conversation, to every socket they have open, in any server process.

A reply is written by whichever process received the message; the person may be watching
from another tab, another device, or a socket that reconnected to another process. So the
conversation loop's events go through a hub, per person, each with a ``seq``:

- ``LocalHub``: one process. A short ring buffer per person, so a reconnect can replay what
  it missed (``after=seq``).
- ``RedisHub``: many processes. Each event goes to a capped Redis stream (for replay) and a
  pub/sub channel (live); each process subscribes to a person's channel while it holds one
  of their sockets.

A ``seq`` is a string ``"<ms>-<n>"`` (Redis stream ids); compare with ``seq_key``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger(__name__)

BUFFER = 512  # events kept per person for replay (a long reply is ~300 deltas)
QUEUE = 2048  # events waiting for one slow socket before it is dropped


def seq_key(seq: str | None) -> tuple[int, int]:
    if not seq:
        return (0, 0)
    try:
        ms, _, n = seq.partition("-")
        return (int(ms), int(n or 0))
    except ValueError:
        return (0, 0)


class Subscription:
    """One socket's view of a person's events. Iterate to receive ``(seq, event)``.

    Starts *held*: events queue up until ``start(after)`` says where the client is, so a
    replay of what it missed comes before anything live, in order.
    """

    def __init__(self, hub: Hub, user_id: int, only: frozenset[str] | None = None) -> None:
        self.hub = hub
        self.user_id = user_id
        self.only = only  # event types this subscription wants (None: all)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue(QUEUE)
        self.last = (0, 0)
        self.overflowed = False
        self._started = asyncio.Event()

    def deliver(self, seq: str, event: dict[str, Any]) -> None:
        if self.only is not None and event.get("type") not in self.only:
            return
        try:
            self.queue.put_nowait((seq, event))
        except asyncio.QueueFull:  # a socket that doesn't read: end it rather than grow
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def start(self, after: str | None) -> None:
        if self._started.is_set():
            return
        if after:
            self.last = seq_key(after)
            for seq, event in await self.hub.replay(self.user_id, after):
                if seq_key(seq) > self.last:
                    await self.queue.put((seq, event))
        self._started.set()

    async def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        await self._started.wait()
        while True:
            item = await self.queue.get()
            if item is None:
                return
            seq, event = item
            key = seq_key(seq)
            if key <= self.last:  # already replayed
                continue
            self.last = key
            yield seq, event

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """What else is already waiting (for coalescing deltas into one frame)."""
        items = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if item is None:
                self.queue.put_nowait(None)
                break
            seq, event = item
            key = seq_key(seq)
            if key > self.last:
                self.last = key
                items.append((seq, event))
        return items

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub(Protocol):
    async def publish(self, user_id: int, event: dict[str, Any]) -> str: ...
    async def replay(self, user_id: int, after: str) -> list[tuple[str, dict[str, Any]]]: ...
    async def latest(self, user_id: int) -> str: ...
    async def subscribe(self, user_id: int,
                        only: frozenset[str] | None = None) -> Subscription: ...
    def unsubscribe(self, sub: Subscription) -> None: ...
    def sockets(self) -> int: ...
    async def close(self) -> None: ...


class _Local:
    """The per-process half both hubs share: who is subscribed here."""

    def __init__(self) -> None:
        self._subs: dict[int, set[Subscription]] = {}

    def _add(self, sub: Subscription) -> bool:
        """Register; True when it is the first for this person here."""
        subs = self._subs.setdefault(sub.user_id, set())
        subs.add(sub)
        return len(subs) == 1

    def _remove(self, sub: Subscription) -> bool:
        """Unregister; True when it was the last for this person here."""
        subs = self._subs.get(sub.user_id)
        if not subs or sub not in subs:
            return False
        subs.discard(sub)
        if not subs:
            del self._subs[sub.user_id]
            return True
        return False

    def _fan_out(self, user_id: int, seq: str, event: dict[str, Any]) -> None:
        for sub in list(self._subs.get(user_id, ())):
            sub.deliver(seq, event)

    def sockets(self) -> int:
        return sum(len(subs) for subs in self._subs.values())


class LocalHub(_Local):
    def __init__(self, buffer: int = BUFFER) -> None:
        super().__init__()
        self._buffers: dict[int, deque[tuple[str, dict[str, Any]]]] = {}
        self._counter = 0
        self._buffer = buffer

    async def publish(self, user_id: int, event: dict[str, Any]) -> str:
        self._counter += 1
        seq = f"{int(time.time() * 1000)}-{self._counter}"
        buf = self._buffers.setdefault(user_id, deque(maxlen=self._buffer))
        buf.append((seq, event))
        self._fan_out(user_id, seq, event)
        return seq

    async def replay(self, user_id: int, after: str) -> list[tuple[str, dict[str, Any]]]:
        mark = seq_key(after)
        return [(seq, e) for seq, e in self._buffers.get(user_id, ()) if seq_key(seq) > mark]

    async def latest(self, user_id: int) -> str:
        buf = self._buffers.get(user_id)
        return buf[-1][0] if buf else f"{int(time.time() * 1000)}-{self._counter}"

    async def subscribe(self, user_id: int,
                        only: frozenset[str] | None = None) -> Subscription:
        sub = Subscription(self, user_id, only)
        self._add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if self._remove(sub) and len(self._buffers) > 10_000:
            self._buffers.pop(sub.user_id, None)  # keep memory bounded on a big server

    async def close(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.queue.put_nowait(None)


class RedisHub(_Local):
    """Events through Redis: a capped stream per person (replay) and a channel (live)."""

    def __init__(self, url: str, buffer: int = BUFFER) -> None:
        super().__init__()
        import redis.asyncio as redis

        self.url = url
        self._redis = redis.Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._buffer = buffer
        self._listener: asyncio.Task[None] | None = None
        self._subscribed: set[int] = set()

    @staticmethod
    def _stream(user_id: int) -> str:
        return f"os1:events:{user_id}"

    @staticmethod
    def _channel(user_id: int) -> str:
        return f"os1:live:{user_id}"

    async def check(self) -> None:
        """Raise now if Redis can't be reached (said at startup, not at the first message)."""
        await self._redis.ping()

    async def publish(self, user_id: int, event: dict[str, Any]) -> str:
        payload = json.dumps(event, separators=(",", ":"))
        raw = await self._redis.xadd(self._stream(user_id), {"e": payload}, maxlen=self._buffer,
                                     approximate=True)
        seq = raw.decode() if isinstance(raw, bytes) else str(raw)
        await self._redis.publish(self._channel(user_id), f"{seq} {payload}")
        return seq

    async def replay(self, user_id: int, after: str) -> list[tuple[str, dict[str, Any]]]:
        rows: Any = await self._redis.xrange(self._stream(user_id), min=f"({after}", max="+")
        out = []
        for raw_id, fields in rows:
            seq = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            out.append((seq, json.loads(fields[b"e"])))
        return out

    async def latest(self, user_id: int) -> str:
        rows = await self._redis.xrevrange(self._stream(user_id), count=1)
        if rows:
            raw = rows[0][0]
            return raw.decode() if isinstance(raw, bytes) else str(raw)
        return f"{int(time.time() * 1000)}-0"

    async def subscribe(self, user_id: int,
                        only: frozenset[str] | None = None) -> Subscription:
        sub = Subscription(self, user_id, only)
        if self._add(sub) and user_id not in self._subscribed:
            self._subscribed.add(user_id)
            await self._pubsub.subscribe(self._channel(user_id))
            if self._listener is None or self._listener.done():
                self._listener = asyncio.create_task(self._listen(), name="os1-redis-hub")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if self._remove(sub) and sub.user_id in self._subscribed:
            self._subscribed.discard(sub.user_id)
            pending: Any = self._pubsub.unsubscribe(self._channel(sub.user_id))
            task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(pending)
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: say so, keep trying
                log.warning("redis hub: %s; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if message is None:
                if not self._subscribed:
                    await asyncio.sleep(0.05)
                continue
            channel = message["channel"].decode()
            data = message["data"].decode()
            seq, _, payload = data.partition(" ")
            self._fan_out(int(channel.rsplit(":", 1)[1]), seq, json.loads(payload))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()
