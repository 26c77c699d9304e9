"""Learning in the background, only while the person isn't waiting for a reply.

The worker has its own thread and event loop, so it keeps going while a terminal sits in
``input()``. The conversation loop calls ``hold()`` before it asks the model for a reply:
an extraction in flight is cancelled at once (llama.cpp stops mid-evaluation), and its
episode stays pending, to be learned after the reply. A killed process loses nothing
either: pending episodes are in the database and the next worker picks them up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from os1.llm.base import ChatBackend
from os1.memory import reflect
from os1.memory.service import MemoryService

log = logging.getLogger(__name__)


class MemoryWorker:
    def __init__(self, memory: MemoryService, backend: ChatBackend, *, idle_delay: float = 1.5,
                 poll: float = 30.0, on_learned: Callable[[int], None] | None = None) -> None:
        self.memory = memory
        self.backend = backend
        self.idle_delay = idle_delay
        self.poll = poll
        self.on_learned = on_learned
        self.learned = 0  # episodes finished by this worker (done or skipped)
        self.failures = 0  # attempts that failed and will be retried
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._holds = 0
        self._hold_lock = threading.Lock()
        self._stop = False
        self._last_activity = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="os1-memory", daemon=True)
            self._thread.start()
            self._wake.set()

    def kick(self) -> None:
        """Something new to learn from (or a reply just ended): look again once it's quiet."""
        self._last_activity = time.monotonic()
        self._wake.set()

    def hold(self, timeout: float = 10.0) -> None:
        """Stop using the model now (a reply is about to need it). Blocks until it's free."""
        with self._hold_lock:
            self._holds += 1
        deadline = time.monotonic() + timeout
        while not self._idle.wait(0.02) and time.monotonic() < deadline:
            loop, task = self._loop, self._task
            if loop is not None and task is not None and not task.done():
                loop.call_soon_threadsafe(task.cancel)

    def release(self) -> None:
        with self._hold_lock:
            self._holds = max(0, self._holds - 1)
        self.kick()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop = True
        self.hold(timeout)
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def busy(self) -> bool:
        return not self._idle.is_set()

    def _quiet(self) -> bool:
        return self._holds == 0 and time.monotonic() - self._last_activity >= self.idle_delay

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            while not self._stop:
                self._wake.wait(self.poll)
                self._wake.clear()
                while not self._stop and not self._quiet():
                    time.sleep(0.1)
                    if self._holds:
                        break
                if self._stop or self._holds:
                    continue
                self._idle.clear()
                try:
                    if self._holds:
                        continue
                    self._task = loop.create_task(self._learn_one())
                    more = loop.run_until_complete(self._task)
                except asyncio.CancelledError:
                    more = True  # held: the episode stays pending; go on once released
                except Exception:  # noqa: BLE001 - a background job must not die silently
                    log.exception("memory worker: unexpected error")
                    more = False
                finally:
                    self._task = None
                    self._idle.set()
                if more:
                    self._wake.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _learn_one(self) -> bool:
        """One episode (or a reflection when due). True if there may be more to do."""
        if self._holds:
            raise asyncio.CancelledError
        episode = await self.memory.learn_next(self.backend)
        if episode is None:
            if reflect.due(self.memory):
                await reflect.reflect(self.memory, self.backend)
            return False
        refreshed = self.memory.memories.episode_counts(self.memory.user_id)
        if self.on_learned is not None:
            self.on_learned(episode.id)
        self.learned += 1
        self.failures = refreshed.get("failed_attempts", 0)
        return True


async def learn_all(memory: MemoryService, backend: ChatBackend, *,
                    limit: int | None = None) -> int:
    """Learn from every waiting episode now (in the foreground). Returns how many were tried."""
    tried = 0
    while limit is None or tried < limit:
        episode = await memory.learn_next(backend)
        if episode is None:
            break
        tried += 1
    if reflect.due(memory):
        await reflect.reflect(memory, backend)
    return tried
