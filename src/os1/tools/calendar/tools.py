"""The calendar's tools for the conversation loop: two that look, three that change things.

The act tools run only through an approved proposal (os1.tools.approvals); their previews
show exactly what will happen: the title, when (in the person's time), where, who, which
calendar, and for a move, from → to. Times are ISO strings: the loop resolves "Friday 3pm"
before calling.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from os1.errors import InputError
from os1.tools.base import Preview, tool
from os1.tools.calendar.service import CalendarService, EventView, parse_time


def _view_dict(view: EventView) -> dict[str, Any]:
    return {"id": view.id, "title": view.title, "when": view.when(),
            "start": view.start.isoformat(), "end": view.end.isoformat(),
            "all_day": view.all_day, "location": view.location,
            "description": view.description[:500], "attendees": view.attendees,
            "calendar": view.calendar, "source": view.source}


class CalendarTools:
    """Tools over one person's CalendarService."""

    def __init__(self, service: CalendarService) -> None:
        self.service = service

    # -- read ------------------------------------------------------------------------------
    @tool("read")
    def whats_on(self, start: str, end: str | None = None) -> list[dict[str, Any]]:
        """What's in the calendar on a day or over a range of dates and times.

        ``start`` is a date (2026-03-16: that whole day) or an ISO date-time; ``end``
        (optional) ends the range. Titles, places and descriptions are outside text."""
        local = self.service.local
        text = start.strip()
        if end is None and len(text) <= 10:
            views = self.service.day(text)
        else:
            if len(text) <= 10:
                begin = datetime.combine(_date(text), datetime.min.time(), tzinfo=local)
            else:
                begin = parse_time(text, local, "start")
            if end is None:
                finish = begin + timedelta(days=1)
            elif len(end.strip()) <= 10:
                finish = datetime.combine(_date(end) + timedelta(days=1), datetime.min.time(),
                                          tzinfo=local)
            else:
                finish = parse_time(end, local, "end")
            views = self.service.agenda(begin, finish)
        return [_view_dict(v) for v in views]

    @tool("read")
    def find_event(self, query: str) -> list[dict[str, Any]]:
        """Find events whose title, place or description contains these words (from a month
        ago to a year ahead)."""
        if not query.strip():
            raise InputError("What should I look for in the calendar?", "Give a word or two.")
        return [_view_dict(v) for v in self.service.find_events(query)]

    # -- act -------------------------------------------------------------------------------
    @tool("act", preview="_preview_create_event")
    def create_event(self, title: str, start: str, end: str, location: str = "",
                     description: str = "", calendar: str | None = None) -> dict[str, Any]:
        """Add an event to the calendar (start and end as ISO date-times in the person's
        time)."""
        return _view_dict(self.service.create_event(title, start, end, location, description,
                                                    calendar))

    def _preview_create_event(self, title: str, start: str, end: str, location: str = "",
                              description: str = "", calendar: str | None = None) -> Preview:
        local = self.service.local
        begin, finish = parse_time(start, local, "start"), parse_time(end, local, "end")
        if finish < begin:
            raise InputError("The event would end before it starts.", "Check the times.")
        info = self.service.calendar(calendar) if calendar else None
        target = info.name if info else self._default_calendar_name()
        when = EventView("new", title, begin.astimezone(local), finish.astimezone(local), False,
                         location, description, target, "").when()
        fields = {"Title": title, "When": when, "Where": location or "(no place)",
                  "Calendar": target}
        return Preview(title="Add an event to your calendar", fields=fields, body=description,
                       affected=[f"new: {title} — {when}"])

    def _default_calendar_name(self) -> str:
        calendars = self.service.cal.calendars(self.service.user_id)
        for kind in ("caldav", "ics"):
            for info in calendars:
                if info.kind == kind:
                    return info.name
        return "My calendar (new, kept in os1)"

    @tool("act", preview="_preview_move_event")
    def move_event(self, event_id: str, new_start: str, new_end: str | None = None) -> dict[str, Any]:
        """Move (reschedule) an event, or one occurrence of a repeating one, to a new time
        (ISO date-times; without new_end it keeps its length)."""
        return _view_dict(self.service.move_event(event_id, new_start, new_end))

    def _preview_move_event(self, event_id: str, new_start: str,
                            new_end: str | None = None) -> Preview:
        _, occurrence, before = self.service.resolve(event_id)
        local = self.service.local
        begin = parse_time(new_start, local, "new start").astimezone(local)
        finish = (parse_time(new_end, local, "new end").astimezone(local) if new_end
                  else begin + (before.end - before.start))
        if finish < begin:
            raise InputError("The event would end before it starts.", "Check the times.")
        after = EventView(**{**before.__dict__, "start": begin, "end": finish, "all_day": False})
        scope = ("only this occurrence" if occurrence is not None
                 else "every occurrence" if before.recurring else "")
        fields = {"Title": before.title, "From": before.when(), "To": after.when(),
                  "Where": before.location or "(no place)", **self._who(before),
                  "Calendar": before.calendar}
        if scope:
            fields["Repeats"] = f"yes — moves {scope}"
        return Preview(title="Move an event", fields=fields,
                       affected=[f"{before.title}: {before.when()} → {after.when()}"])

    @tool("act", preview="_preview_cancel_event")
    def cancel_event(self, event_id: str) -> dict[str, Any]:
        """Cancel (delete) an event, or one occurrence of a repeating one."""
        return _view_dict(self.service.cancel_event(event_id))

    def _preview_cancel_event(self, event_id: str) -> Preview:
        _, occurrence, view = self.service.resolve(event_id)
        fields = {"Title": view.title, "When": view.when(),
                  "Where": view.location or "(no place)", **self._who(view),
                  "Calendar": view.calendar}
        if view.recurring:
            fields["Repeats"] = ("yes — cancels only this occurrence" if occurrence is not None
                                 else "yes — cancels every occurrence")
        return Preview(title="Cancel an event", fields=fields,
                       affected=[f"cancel: {view.title} — {view.when()}"])

    @staticmethod
    def _who(view: EventView) -> dict[str, str]:
        return {"Who": ", ".join(view.attendees)} if view.attendees else {}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InputError(f"{text!r} isn't a date os1 can read.", "Give it as 2026-03-16.") \
            from None
