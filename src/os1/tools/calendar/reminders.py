"""Reminders: os1 speaks up a chosen time before each event, through whatever surface is
open, and keeps the reminder if none is.

Nothing is scheduled ahead: reminders are worked out from the events as they are now, so a
moved event's reminder moves with it and a cancelled event's goes with it. Only a delivery
is stored (event, occurrence, when, which surface), so a reminder is never said twice, and
one nobody saw stays pending (``due``) until its event begins, then shows up in ``missed``
for the next surface that opens ("while you were away: …").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from os1.clock import Clock
from os1.store import Store
from os1.tools.calendar import ics
from os1.tools.calendar.service import occurrences
from os1.tools.calendar.store import CalendarStore

MISSED_LOOKBACK = timedelta(hours=12)
HORIZON = timedelta(days=8)  # next_due_at looks this far ahead; a scheduler re-asks after
_WORDS = {1: "one minute", 2: "two minutes", 3: "three minutes", 4: "four minutes",
          5: "five minutes", 10: "ten minutes", 15: "fifteen minutes", 20: "twenty minutes",
          30: "half an hour", 45: "three quarters of an hour", 60: "an hour"}


def in_words(minutes: int) -> str:
    if minutes in _WORDS:
        return _WORDS[minutes]
    if minutes < 60:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    head = "an hour" if hours == 1 else f"{hours} hours"
    return head if not rest else f"{head} and {in_words(rest)}"


@dataclass(frozen=True)
class Reminder:
    event_id: int
    occurrence_start: datetime  # UTC
    remind_at: datetime  # UTC: occurrence_start - minutes_before
    title: str  # outside text
    location: str  # outside text
    minutes_before: int
    text: str  # what to say: "Wake up — you have a meeting in five minutes: Standup (room 4)."
    source: str  # for citations

    @property
    def key(self) -> tuple[int, datetime]:
        return self.event_id, self.occurrence_start


class Reminders:
    """One person's reminders."""

    def __init__(self, store: Store, user_id: int, clock: Clock, tz: str | None = None) -> None:
        self.cal = CalendarStore(store)
        self.user_id = user_id
        self.clock = clock
        self.local = ics.zone(tz or self.cal.settings(user_id)[1])

    def set_lead_time(self, minutes: int, event_id: int | None = None) -> None:
        """The person's default lead time, or (with ``event_id``) one event's; None-like
        negative values for an event clear its override."""
        if event_id is None:
            self.cal.set_settings(self.user_id, reminder_minutes=max(0, int(minutes)))
        else:
            self.cal.set_event_reminder(self.user_id, event_id,
                                        None if minutes < 0 else int(minutes))

    def _pending(self, start: datetime, end: datetime, now: datetime) -> list[Reminder]:
        """Undelivered reminders of timed occurrences that start in [start, end)."""
        default = self.cal.settings(self.user_id)[0]
        found = [(e, o) for e, o in occurrences(self.cal, self.user_id, start, end, self.local)
                 if not o.all_day and start <= o.start < end]
        done = self.cal.delivered_keys(self.user_id, sorted({e.id for e, _ in found}))
        out = []
        for event, occ in found:
            if (event.id, occ.start) in done:
                continue
            lead = event.reminder_minutes if event.reminder_minutes is not None else default
            out.append(self._reminder(event.id, occ.start, occ.summary, occ.location, lead, now))
        out.sort(key=lambda r: (r.remind_at, r.event_id))
        return out

    def _reminder(self, event_id: int, start: datetime, title: str, location: str, lead: int,
                  now: datetime) -> Reminder:
        where = f" ({location})" if location else ""
        local_start = start.astimezone(self.local)
        if now >= start:
            text = f"While you were away: {title}{where} began at {local_start:%H:%M}."
        else:
            left = max(1, math.ceil((start - now).total_seconds() / 60))
            text = f"Wake up — you have a meeting in {in_words(left)}: {title}{where}."
        return Reminder(event_id=event_id, occurrence_start=start,
                        remind_at=start - timedelta(minutes=lead), title=title, location=location,
                        minutes_before=lead, text=text,
                        source=f'calendar: "{title[:60]}", {local_start:%a %-d %b %H:%M}')

    def _max_lead(self) -> timedelta:
        default = self.cal.settings(self.user_id)[0]
        return timedelta(minutes=max(default, 24 * 60))  # per-event overrides up to a day

    def due(self, now: datetime | None = None) -> list[Reminder]:
        """Reminders to say now: their time has come and their event hasn't begun."""
        now = (now or self.clock.now()).astimezone(UTC)
        soon = self._pending(now + timedelta(microseconds=1), now + self._max_lead(), now)
        return [r for r in soon if r.remind_at <= now]

    def missed(self, now: datetime | None = None) -> list[Reminder]:
        """Reminders nobody saw whose event has begun (in the last 12 hours)."""
        now = (now or self.clock.now()).astimezone(UTC)
        return [r for r in self._pending(now - MISSED_LOOKBACK, now + timedelta(microseconds=1),
                                         now)
                if r.remind_at <= now]

    def delivered(self, reminder: Reminder, surface: str) -> bool:
        """Mark a reminder as shown on ``surface`` (terminal, browser, voice). False when it
        had been already, or its event is gone."""
        return self.cal.mark_delivered(self.user_id, reminder.event_id,
                                       reminder.occurrence_start, surface)

    def next_due_at(self, now: datetime | None = None) -> datetime | None:
        """When the next reminder falls due (``now`` if one is due already), looking eight
        days ahead; None if nothing is coming. A scheduler sleeps until then — and should
        ask again after any calendar change."""
        now = (now or self.clock.now()).astimezone(UTC)
        pending = self._pending(now, now + HORIZON + self._max_lead(), now)
        if not pending:
            return None
        return max(now, min(r.remind_at for r in pending))
