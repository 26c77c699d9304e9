"""Thousands of companions in one process: built when their person speaks, let go when idle.

A ``Companion`` is cheap (a few objects; the model, the embedder and the emotion classifier
are shared by everyone), but an idle socket must cost almost nothing, so companions are
built on a person's first message and kept in an LRU of the active ones. Nothing lives only
here: the conversation is in the database, so any process can build the same companion.

``Conversations`` runs turns: the loop's events go to the hub (every socket of that person,
in any process) and to the caller (the OpenAI endpoint streams them itself). A person's turns
run one at a time per process; a turn keeps going when the socket that asked for it closes,
so the reply is stored and shown wherever they reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from os1.clock import Clock
from os1.companion import Companion
from os1.emotion.classifier import TextClassifier
from os1.emotion.service import build_emotion
from os1.events import (
    Done,
    Emotion,
    Error,
    Event,
    Made,
    Notice,
    Reminder,
    TextDelta,
    ToolProposal,
    ToolResult,
)
from os1.llm.base import ChatBackend
from os1.memory.embed import Embedder
from os1.memory.factory import build_memory
from os1.memory.service import MemoryService
from os1.persona.model import Persona
from os1.server.accounts import Accounts
from os1.server.hub import Hub
from os1.store import Store
from os1.tools.factory import Services, build_organizer, build_services, memory_recall
from os1.tools.schedule import IDLE_SECONDS, ReminderWatch

log = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, Any] = {"memory": True, "emotion": True, "voice": ""}


@dataclass
class Shared:
    """What every companion in this process uses."""

    store: Store
    backend: ChatBackend
    clock: Clock
    accounts: Accounts
    embedder: Embedder | None = None
    classifier: TextClassifier | None = None
    reply_tokens: int = 512
    problems: list[str] = field(default_factory=list)
    box: Any = None  # SecretBox for mail/calendar passwords; None: no mail or calendar
    # One folder per person for what os1 makes them (letters, books, music); None: not here.
    people_dir: Path | None = None

    def settings(self, user_id: int) -> dict[str, Any]:
        return DEFAULT_SETTINGS | self.accounts.settings(user_id)

    def memory(self, user_id: int, persona: Persona) -> MemoryService:
        return build_memory(self.store, self.clock, user_id=user_id, persona=persona,
                            embedder=self.embedder, load=False)


class CompanionPool:
    def __init__(self, shared: Shared, *, max_active: int = 2000) -> None:
        self.shared = shared
        self.max_active = max_active
        self._active: OrderedDict[int, Companion] = OrderedDict()
        self._guard = threading.Lock()  # get() runs in threads
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, user_id: int) -> asyncio.Lock:
        """One turn at a time per person in this process (held only on the event loop)."""
        lock = self._locks.get(user_id)
        if lock is None:
            if len(self._locks) > 4 * self.max_active:  # forget idle people's locks
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    def get(self, user_id: int) -> Companion | None:
        """The person's companion, or None before genesis. Blocking (reads the database the
        first time): ``await asyncio.to_thread(pool.get, …)`` from the event loop."""
        with self._guard:
            companion = self._active.get(user_id)
            if companion is not None:
                self._active.move_to_end(user_id)
                return companion
        persona = self.shared.store.active_persona(user_id)
        if persona is None:
            return None
        built = self._build(user_id, persona)
        with self._guard:
            companion = self._active.setdefault(user_id, built)  # another thread may have won
            while len(self._active) > self.max_active:
                self._active.popitem(last=False)
        return companion

    def _build(self, user_id: int, persona: Persona) -> Companion:
        shared = self.shared
        settings = shared.settings(user_id)
        memory = shared.memory(user_id, persona) if settings.get("memory", True) else None
        emotion = build_emotion(shared.store, shared.clock, user_id=user_id,
                                user_name=persona.user_name, aware=bool(settings.get("emotion")),
                                classifier=shared.classifier, load=False)
        out_dir = shared.people_dir / str(user_id) if shared.people_dir else None
        services = Services(out_dir=out_dir)
        if shared.box is not None or out_dir is not None:
            # No file index on a server: its folders aren't the person's.
            services = build_services(shared.store, shared.clock, user_id, box=shared.box,
                                      files=False, out_dir=out_dir)
            if shared.box is None:
                services.mail = services.calendar = services.reminders = None
        organizer = build_organizer(shared.store, shared.clock, user_id,
                                    user_name=persona.user_name, backend=shared.backend,
                                    services=services, remember=memory_recall(memory))
        return Companion(store=shared.store, backend=shared.backend, clock=shared.clock,
                         user_id=user_id, persona=persona, reply_tokens=shared.reply_tokens,
                         memory=memory, emotion=emotion, organizer=organizer)

    def drop(self, user_id: int) -> None:
        """Rebuild on next use (settings changed, a new persona, memories erased)."""
        with self._guard:
            self._active.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._active)


def event_dict(event: Event) -> dict[str, Any]:
    """The loop's events as the WebSocket sends them (docs/server-api.md)."""
    if isinstance(event, TextDelta):
        return {"type": "delta", "text": event.text}
    if isinstance(event, Done):
        return {"type": "done", "id": event.message_id, "text": event.text,
                "interrupted": event.interrupted}
    if isinstance(event, Emotion):
        return {"type": "emotion", "message_id": event.message_id, "labels": event.labels,
                "valence": round(event.valence, 3), "arousal": round(event.arousal, 3)}
    if isinstance(event, Notice):
        return {"type": "notice", "text": event.text}
    if isinstance(event, ToolProposal):
        return {"type": "tool_proposal", "proposal_id": event.proposal_id, "tool": event.tool,
                "preview": event.preview, "text": event.text, "expires_at": event.expires_at}
    if isinstance(event, ToolResult):
        return {"type": "tool_result", "proposal_id": event.proposal_id, "tool": event.tool,
                "status": event.status, "text": event.text}
    if isinstance(event, Reminder):
        return {"type": "reminder", "key": event.key, "text": event.text,
                "starts_at": event.starts_at}
    if isinstance(event, Made):
        # Paths stay on the server: the page fetches each file through its owner's routes.
        return {"type": "made", "kind": event.kind, "id": event.item_id, "title": event.title,
                "files": sorted(k for k, v in event.files.items() if v),
                "seconds": round(event.seconds, 1)}
    assert isinstance(event, Error)
    return {"type": "error", "text": event.text}


class NoCompanion(Exception):
    """The person hasn't finished genesis."""


class Conversations:
    def __init__(self, pool: CompanionPool, hub: Hub) -> None:
        self.pool = pool
        self.hub = hub
        self._turns: dict[int, set[asyncio.Task[Any]]] = {}
        self.before_turn: Callable[[], None] | None = None  # e.g. the learner yields the model
        self._reminders: dict[int, tuple[int, asyncio.Task[None] | None]] = {}

    async def _publish(self, user_id: int, event: dict[str, Any]) -> None:
        try:
            await self.hub.publish(user_id, event)
        except Exception as exc:  # the reply is still stored; sockets catch up from history
            log.warning("hub publish failed for a reply: %s", exc)

    async def turn(self, user_id: int, text: str | None, *,
                   source: str = "user") -> AsyncIterator[Event]:
        """One turn (``text`` None: the companion speaks first). Yields the loop's events
        and publishes each to the person's sockets. Raises NoCompanion before genesis."""
        companion = await asyncio.to_thread(self.pool.get, user_id)
        if companion is None:
            raise NoCompanion()
        task = asyncio.current_task()
        async with self.pool.lock(user_id):
            if task is not None:
                self._turns.setdefault(user_id, set()).add(task)
            if self.before_turn is not None:
                self.before_turn()
            watcher = asyncio.create_task(self._watch_for_stop(user_id, task)) if task else None
            try:
                if text is not None:
                    await self._publish(user_id, {"type": "user_message", "text": text})
                events = companion.respond(text, source=source) if text is not None \
                    else companion.greet()
                async for event in events:
                    await self._publish(user_id, event_dict(event))
                    yield event
            except asyncio.CancelledError:
                await asyncio.shield(self._publish(user_id, {
                    "type": "done", "id": companion.last_reply_id, "text": "",
                    "interrupted": True}))
                raise
            finally:
                if watcher is not None:
                    watcher.cancel()
                if task is not None:
                    self._turns.get(user_id, set()).discard(task)

    def watch_reminders(self, user_id: int) -> None:
        """While the person has a socket open here, say their calendar reminders (claimed in
        the database, so one process says each; published through the hub to every tab)."""
        count, task = self._reminders.get(user_id, (0, None))
        if task is None or task.done():
            task = asyncio.create_task(self._remind(user_id))
        self._reminders[user_id] = (count + 1, task)

    def unwatch_reminders(self, user_id: int) -> None:
        count, task = self._reminders.get(user_id, (0, None))
        if count <= 1:
            self._reminders.pop(user_id, None)
            if task is not None:
                task.cancel()
        else:
            self._reminders[user_id] = (count - 1, task)

    async def _remind(self, user_id: int) -> None:
        try:
            from os1.tools.calendar.reminders import Reminders
        except ImportError:  # the organizer extra isn't installed
            return
        shared = self.pool.shared

        async def say(event: Reminder) -> None:
            await self._publish(user_id, event_dict(event))

        await ReminderWatch(Reminders(shared.store, user_id, shared.clock), shared.clock,
                            "browser", say, idle_seconds=IDLE_SECONDS).run()

    async def decide(self, user_id: int, proposal_id: int, approve: bool) -> list[dict[str, Any]]:
        """Approve or decline one of the person's proposals; every tab hears the result."""
        companion = await asyncio.to_thread(self.pool.get, user_id)
        if companion is None:
            raise NoCompanion()
        frames = []
        async with self.pool.lock(user_id):
            async for event in companion.decide(proposal_id, approve):
                frame = event_dict(event)
                await self._publish(user_id, frame)
                frames.append(frame)
        return frames

    async def _watch_for_stop(self, user_id: int, task: asyncio.Task[Any]) -> None:
        """A stop may come from any socket of the person, on any process: it comes through
        the hub, like everything else."""
        sub = await self.hub.subscribe(user_id, only=frozenset({"stop_request"}))
        try:
            await sub.start(None)
            async for _seq, event in sub:
                if event.get("type") == "stop_request":
                    task.cancel()
                    return
        finally:
            sub.close()

    async def request_stop(self, user_id: int) -> None:
        """Stop the reply being written for this person, wherever it is being written."""
        await self._publish(user_id, {"type": "stop_request"})

    def start(self, user_id: int, text: str | None) -> asyncio.Task[None]:
        """Run a turn in the background (the WebSocket doesn't wait on it)."""

        async def run() -> None:
            try:
                async for _ in self.turn(user_id, text):
                    pass
            except NoCompanion:
                await self._publish(user_id, {"type": "error", "text": (
                    "Your companion isn't set up yet: answer the first questions first.")})
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("a turn failed")
                await self._publish(user_id, {"type": "error", "text": (
                    "Something went wrong on the server while answering. Your message is "
                    "saved; try again.")})

        return asyncio.create_task(run(), name=f"os1-turn-{user_id}")

    def busy(self) -> int:
        return sum(len(tasks) for tasks in self._turns.values())

    async def close(self) -> None:
        tasks = [t for ts in self._turns.values() for t in ts]
        tasks += [t for _, t in self._reminders.values() if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
