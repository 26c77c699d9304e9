"""The companion speaking up on its own: calendar reminders on whatever surface is open.

A surface (the terminal, a browser tab through the server, the voice pipeline) runs one
``ReminderWatch``. A reminder is claimed (marked delivered on that surface) before it is
shown, so two surfaces, or two server processes, never both say it; when no surface is open
nothing claims it and it stays pending, and the next surface to open says what was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from os1.clock import Clock
from os1.events import Reminder as ReminderEvent

log = logging.getLogger(__name__)

POLL_SECONDS = 20.0  # also picks up calendar changes made elsewhere
IDLE_SECONDS = 300.0  # nothing in the calendar for a week: look again now and then


def as_event(reminder: Any) -> ReminderEvent:
    return ReminderEvent(key=f"{reminder.event_id}@{reminder.occurrence_start.isoformat()}",
                         text=reminder.text, starts_at=reminder.occurrence_start.isoformat())


class ReminderWatch:
    """Says due reminders through ``say`` (which returns once it has been shown/spoken)."""

    def __init__(self, reminders: Any, clock: Clock, surface: str,
                 say: Callable[[ReminderEvent], Awaitable[None] | None], *,
                 idle_seconds: float = POLL_SECONDS) -> None:
        self.reminders = reminders
        self.clock = clock
        self.surface = surface
        self.say = say
        # How long to wait when nothing is coming up. A server watches everyone with an
        # open tab, so it looks again only every few minutes (IDLE_SECONDS).
        self.idle_seconds = idle_seconds

    def _claim_due(self, *, missed: bool) -> list[ReminderEvent]:
        found = self.reminders.missed() if missed else self.reminders.due()
        return [as_event(r) for r in found
                if self.reminders.delivered(r, self.surface)]

    async def check(self, *, missed: bool = False) -> list[ReminderEvent]:
        """Claim and say what is due now (or, ``missed``, what passed unseen)."""
        try:
            events = await asyncio.to_thread(self._claim_due, missed=missed)
        except Exception:  # a calendar problem must not stop the conversation
            log.warning("reminders couldn't be read", exc_info=True)
            return []
        for event in events:
            shown = self.say(event)
            if shown is not None:
                await shown
        return events

    async def _sleep_until_next(self) -> None:
        try:
            next_at = await asyncio.to_thread(self.reminders.next_due_at)
        except Exception:
            next_at = None
        wait = self.idle_seconds
        if next_at is not None:
            wait = min(POLL_SECONDS, max(0.0, (next_at - self.clock.now()).total_seconds()))
        await asyncio.sleep(max(0.2, wait))

    async def run(self) -> None:
        """Until cancelled: what was missed first, then each reminder as it falls due."""
        await self.check(missed=True)
        while True:
            await self.check()
            await self._sleep_until_next()

    def run_in_thread(self) -> Callable[[], None]:
        """For the terminal, whose main thread waits in input(): a daemon thread with its
        own event loop. Returns the function that stops it (cleanly, before the terminal's
        own loop closes)."""
        return in_thread(self.run, "os1-reminders")


def in_thread(work: Callable[[], Awaitable[None]], name: str) -> Callable[[], None]:
    """Run ``work()`` on an event loop in a daemon thread until the returned stop() is called."""
    loop = asyncio.new_event_loop()
    task: list[asyncio.Task[None]] = []

    def main() -> None:
        async def runner() -> None:
            task.append(asyncio.current_task())  # type: ignore[arg-type]
            with contextlib.suppress(asyncio.CancelledError):
                await work()

        try:
            loop.run_until_complete(runner())
        finally:
            loop.close()

    thread = threading.Thread(target=main, daemon=True, name=name)
    thread.start()

    def stop() -> None:
        if task and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task[0].cancel)
        thread.join(5)

    return stop
