"""Learning memories on the server: one background task for everyone in this process.

The terminal has a ``MemoryWorker`` thread per person; a server can't have thousands of
threads. Here one task looks for people with exchanges waiting to be learned from and
learns them one at a time, only while no reply is being written in this process (a reply
always goes first: a turn starting cancels the extraction in flight, whose episode simply
stays pending). Episodes live in the database, so with several processes whichever one is
free learns them; a killed process loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import or_, select

from os1.memory import reflect
from os1.store import schema as s

log = logging.getLogger(__name__)


class Learner:
    def __init__(self, shared, pool, conversations, *, poll: float = 2.0,  # type: ignore[no-untyped-def]
                 quiet: float = 1.5) -> None:
        self.shared = shared
        self.pool = pool
        self.conversations = conversations
        self.poll = poll
        self.quiet = quiet
        self.learned = 0
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[object] | None = None
        conversations.before_turn = self.interrupt

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="os1-learner")

    def interrupt(self) -> None:
        """A reply needs the model: stop learning now (the episode stays pending)."""
        if self._current is not None and not self._current.done():
            self._current.cancel()

    async def stop(self) -> None:
        self.interrupt()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _waiting_people(self, now: datetime, limit: int = 20) -> list[int]:
        """Whose exchanges wait to be learned (a scan for work: owners only, no content)."""
        e = s.episodes
        rows = self.shared.store._read(
            select(e.c.user_id).where(e.c.status.in_(("pending", "failing")),
                                      or_(e.c.next_try_at.is_(None), e.c.next_try_at <= now))
            .group_by(e.c.user_id).order_by(e.c.user_id).limit(limit))
        return [int(row[0]) for row in rows]

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_turn = loop.time()
        while True:
            await asyncio.sleep(self.poll)
            if self.conversations.busy():
                last_turn = loop.time()
                continue
            if loop.time() - last_turn < self.quiet:
                continue
            try:
                people = await asyncio.to_thread(self._waiting_people, self.shared.clock.now())
            except Exception as exc:
                log.warning("learner: couldn't look for work: %s", exc)
                continue
            for user_id in people:
                if self.conversations.busy():
                    break
                self._current = asyncio.create_task(self._learn(user_id))
                try:
                    await self._current
                except asyncio.CancelledError:
                    if self._task is not None and self._task.cancelling():
                        raise
                except Exception:
                    log.exception("learner: learning for one person failed")
                finally:
                    self._current = None

    async def _learn(self, user_id: int) -> None:
        persona = self.shared.store.active_persona(user_id)
        if persona is None:
            return
        memory = self.shared.memory(user_id, persona)
        episode = await memory.learn_next(self.shared.backend)
        if episode is None:
            if reflect.due(memory):
                await reflect.reflect(memory, self.shared.backend)
            return
        self.learned += 1  # a companion's recall index picks new memories up by itself
