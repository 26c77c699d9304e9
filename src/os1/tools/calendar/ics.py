"""iCalendar text in and out: parsing a calendar into per-UID events, expanding recurring ones
over a window, and writing the small changes os1 makes (new event, moved, cancelled).

Time zones: a DTSTART with a TZID is exact; a floating time ("09:00", no zone) is read in the
person's own zone; an all-day event is a date, stored as UTC midnight of that date and shown
as that date wherever the person is.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from os1.errors import Os1Error

PRODID = "-//os1//calendar//EN"
MAX_FILE_BYTES = 200 * 1024 * 1024
_COUNT_EXPAND_LIMIT = 5000  # a COUNT series longer than this is treated as open-ended


class CalendarError(Os1Error):
    """A calendar can't be read, reached or changed: says what happened and what to do."""


@dataclass(frozen=True)
class ParsedEvent:
    """One UID's components (the master and any overridden occurrences), ready to store."""

    uid: str
    summary: str
    location: str
    description: str
    start_utc: datetime
    end_utc: datetime
    last_end_utc: datetime | None  # None: recurs without an end we know
    all_day: bool
    recurring: bool
    tzid: str
    attendees: list[str]
    ics: str
    cancelled: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event, in UTC (all-day: UTC midnight of its dates)."""

    start: datetime
    end: datetime
    all_day: bool
    summary: str
    location: str
    description: str
    recurrence_id: datetime | None  # the occurrence's original start (UTC), recurring only
    attendees: list[str] = field(default_factory=list)


def zone(name: str | None) -> tzinfo:
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"os1 doesn't know the time zone {name!r}.",
                            "Use a name like Europe/Berlin or America/New_York.") from None


def to_utc(value: date | datetime, local: tzinfo) -> datetime:
    """A DTSTART-like value in UTC: dates as midnight UTC, floating times in ``local``."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=local).astimezone(UTC)
    return value.astimezone(UTC)


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\x00", "").strip()


def _attendees(component: Any) -> list[str]:
    raw = component.get("ATTENDEE")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        name = getattr(item, "params", {}).get("CN")
        address = str(item).removeprefix("mailto:").removeprefix("MAILTO:")
        out.append(f"{name} <{address}>" if name else address)
    return out


def _start_end(component: Any) -> tuple[date | datetime, date | datetime]:
    start = component.decoded("DTSTART")
    if component.get("DTEND") is not None:
        end = component.decoded("DTEND")
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    elif isinstance(start, datetime):
        end = start
    else:
        end = start + timedelta(days=1)
    if type(end) is not type(start):  # DTSTART a date, DTEND a date-time (or back): follow DTSTART
        end = end.date() if isinstance(end, datetime) else start + timedelta(days=1)
    return start, end


def _series_end(master: Any, start: date | datetime, duration: timedelta,
                local: tzinfo, calendar: Any) -> datetime | None:
    rule = master.get("RRULE")
    if master.get("RDATE") is not None:
        return None
    if isinstance(rule, list):
        return None
    until = rule.get("UNTIL") if rule is not None else None
    if until:
        return to_utc(until[0], local) + duration + timedelta(days=1)
    count = rule.get("COUNT") if rule is not None else None
    if count and int(count[0]) <= _COUNT_EXPAND_LIMIT:
        import recurring_ical_events

        last = None
        for occurrence in recurring_ical_events.of(calendar).all():
            last = occurrence
        if last is None:
            return to_utc(start, local) + duration
        s, e = _start_end(last)
        return max(to_utc(e, local), to_utc(s, local) + duration) + timedelta(days=1)
    return None


def _new_vcalendar() -> Any:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    return cal


def parse_components(group: list[Any], timezones: dict[str, Any], local: tzinfo) -> ParsedEvent:
    """One UID's VEVENTs (master first, if there is one) as a ParsedEvent."""
    master = next((c for c in group if c.get("RECURRENCE-ID") is None), group[0])
    cal = _new_vcalendar()
    used = {str(c["DTSTART"].params.get("TZID")) for c in group
            if c.get("DTSTART") is not None and c["DTSTART"].params.get("TZID")}
    for tzid in sorted(used):
        if tzid in timezones:
            cal.add_component(timezones[tzid])
    for component in group:
        cal.add_component(component)
    start, end = _start_end(master)
    all_day = not isinstance(start, datetime)
    start_utc, end_utc = to_utc(start, local), to_utc(end, local)
    recurring = master.get("RRULE") is not None or master.get("RDATE") is not None
    last_end = _series_end(master, start, end_utc - start_utc, local, cal) if recurring else end_utc
    tzid = str(master["DTSTART"].params.get("TZID") or "")
    return ParsedEvent(
        uid=str(master.get("UID")), summary=_text(master, "SUMMARY") or "(no title)",
        location=_text(master, "LOCATION"), description=_text(master, "DESCRIPTION"),
        start_utc=start_utc, end_utc=max(end_utc, start_utc), last_end_utc=last_end,
        all_day=all_day, recurring=recurring, tzid=tzid, attendees=_attendees(master),
        ics=cal.to_ical().decode("utf-8"),
        cancelled=_text(master, "STATUS").upper() == "CANCELLED")


def parse_calendar(data: bytes | str, where: str, local: tzinfo = UTC) -> tuple[str, list[ParsedEvent]]:
    """(calendar name, its events grouped by UID). ``where`` names the source in errors."""
    import icalendar

    raw = data.encode("utf-8") if isinstance(data, str) else data
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise CalendarError(f"{where} isn't a calendar: an .ics file starts with "
                            "BEGIN:VCALENDAR, and this one doesn't.",
                            "Export the calendar again as iCalendar (.ics) and import that file.")
    try:
        calendars = icalendar.Calendar.from_ical(raw, multiple=True)
    except (ValueError, KeyError, IndexError) as exc:
        raise CalendarError(f"{where} looks like a calendar but can't be read ({exc}).",
                            "Export it again; if it keeps failing, the program that made it "
                            "writes broken iCalendar.") from None
    name = ""
    groups: dict[str, list[Any]] = {}
    timezones: dict[str, Any] = {}
    skipped = 0
    for cal in calendars:
        name = name or _text(cal, "X-WR-CALNAME")
        for tz in cal.walk("VTIMEZONE"):
            timezones[str(tz.get("TZID"))] = tz
        for component in cal.walk("VEVENT"):
            if component.get("DTSTART") is None:
                skipped += 1
                continue
            uid = str(component.get("UID") or "") or _fallback_uid(component)
            if component.get("UID") is None:
                component.add("UID", uid)
            group = groups.setdefault(uid, [])
            if component.get("RECURRENCE-ID") is None:
                group.insert(0, component)
            else:
                group.append(component)
    events = []
    for group in groups.values():
        try:
            events.append(parse_components(group, timezones, local))
        except (ValueError, KeyError, TypeError, AttributeError):
            skipped += 1
    return name, events


def _fallback_uid(component: Any) -> str:
    """A stable UID for an event that has none, so a re-import doesn't duplicate it."""
    seed = f"{_text(component, 'SUMMARY')}|{component['DTSTART'].to_ical().decode()}"
    return f"os1-{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CalendarError(f"{path} is {size // (1024 * 1024)} MB, too big to be a calendar "
                                "os1 can import.", "Export a smaller range of dates.")
        return path.read_bytes()
    except FileNotFoundError:
        raise CalendarError(f"There's no file at {path}.", "Check the path.") from None
    except IsADirectoryError:
        raise CalendarError(f"{path} is a folder, not an .ics file.",
                            "Give the path of the .ics file itself.") from None
    except PermissionError:
        raise CalendarError(f"os1 may not read {path}.", "Check the file's permissions.") from None


# -- reading stored events --------------------------------------------------------------------

def expand(ics: str, start: datetime, end: datetime, local: tzinfo) -> list[Occurrence]:
    """The occurrences of a stored event that overlap [start, end) (UTC-aware bounds)."""
    import icalendar
    import recurring_ical_events

    cal = icalendar.Calendar.from_ical(ics)
    pad = timedelta(days=1)  # floating and all-day times: widen, then filter exactly
    out = []
    for comp in recurring_ical_events.of(cal).between(start - pad, end + pad):
        if _text(comp, "STATUS").upper() == "CANCELLED":
            continue
        s, e = _start_end(comp)
        s_utc, e_utc = to_utc(s, local), to_utc(e, local)
        all_day = not isinstance(s, datetime)
        if all_day:  # the date in the person's zone: [local midnight, next local midnight)
            s_cmp = datetime(s.year, s.month, s.day, tzinfo=local)
            e_cmp = datetime(e.year, e.month, e.day, tzinfo=local)
        else:
            s_cmp, e_cmp = s_utc, e_utc
        overlaps = s_cmp < end and (e_cmp > start or (e_cmp == s_cmp and s_cmp >= start))
        if not overlaps:
            continue
        rid = comp.get("RECURRENCE-ID")
        out.append(Occurrence(
            start=s_utc, end=max(e_utc, s_utc), all_day=all_day,
            summary=_text(comp, "SUMMARY") or "(no title)", location=_text(comp, "LOCATION"),
            description=_text(comp, "DESCRIPTION"),
            recurrence_id=to_utc(rid.dt, local) if rid is not None else None,
            attendees=_attendees(comp)))
    return out


# -- writing ----------------------------------------------------------------------------------

def new_event(summary: str, start: datetime, end: datetime, *, location: str = "",
              description: str = "", all_day: bool = False, now: datetime,
              uid: str | None = None) -> tuple[str, str]:
    """(uid, VCALENDAR text) of a new event; times written in UTC (dates when all-day)."""
    import icalendar

    uid = uid or f"{uuid.uuid4()}@os1"
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", now.astimezone(UTC))
    event.add("CREATED", now.astimezone(UTC))
    if all_day:
        event.add("DTSTART", start.date())
        event.add("DTEND", max(end.date(), start.date() + timedelta(days=1)))
    else:
        event.add("DTSTART", start.astimezone(UTC))
        event.add("DTEND", end.astimezone(UTC))
    event.add("SUMMARY", summary)
    if location:
        event.add("LOCATION", location)
    if description:
        event.add("DESCRIPTION", description)
    cal = _new_vcalendar()
    cal.add_component(event)
    return uid, cal.to_ical().decode("utf-8")


def _set_times(component: Any, start: datetime | date, end: datetime | date) -> None:
    for name in ("DTSTART", "DTEND", "DURATION"):
        if name in component:
            del component[name]
    component.add("DTSTART", start)
    component.add("DTEND", end)


def _bump(component: Any, now: datetime) -> None:
    sequence = int(component.get("SEQUENCE", 0) or 0) + 1
    for name in ("SEQUENCE", "DTSTAMP", "LAST-MODIFIED"):
        if name in component:
            del component[name]
    component.add("SEQUENCE", sequence)
    component.add("DTSTAMP", now.astimezone(UTC))
    component.add("LAST-MODIFIED", now.astimezone(UTC))


def _new_times(old: date | datetime, start: datetime, end: datetime,
               local: tzinfo) -> tuple[date | datetime, date | datetime]:
    """New DTSTART/DTEND keeping the old value's kind: a date stays a date; a time with a
    TZID keeps that zone; a floating time stays floating in the person's zone."""
    if not isinstance(old, datetime):
        return start.astimezone(local).date(), max(end.astimezone(local).date(),
                                                   start.astimezone(local).date() + timedelta(days=1))
    if old.tzinfo is None:
        return (start.astimezone(local).replace(tzinfo=None),
                end.astimezone(local).replace(tzinfo=None))
    if old.tzinfo is not UTC and getattr(old.tzinfo, "key", None):
        return start.astimezone(old.tzinfo), end.astimezone(old.tzinfo)
    return start.astimezone(UTC), end.astimezone(UTC)


def move(ics: str, start: datetime, end: datetime, *, occurrence: datetime | None,
         local: tzinfo, now: datetime) -> str:
    """The event with new times: the whole series (``occurrence`` None: the series keeps its
    rule and moves by the same offset) or one occurrence (an override, RECURRENCE-ID)."""
    import icalendar

    cal: Any = icalendar.Calendar.from_ical(ics)
    events: list[Any] = list(cal.walk("VEVENT"))
    master = next((c for c in events if c.get("RECURRENCE-ID") is None), events[0])
    if occurrence is None:
        old_start, _ = _start_end(master)
        new_start, new_end = _new_times(old_start, start, end, local)
        shift = to_utc(new_start, local) - to_utc(old_start, local)
        _set_times(master, new_start, new_end)
        _bump(master, now)
        for override in events:  # overrides keep their own times; their ids follow the rule
            if override is master:
                continue
            rid = override["RECURRENCE-ID"].dt
            del override["RECURRENCE-ID"]
            override.add("RECURRENCE-ID", rid + shift)
        return cal.to_ical().decode("utf-8")
    existing = next((c for c in events if c.get("RECURRENCE-ID") is not None
                     and to_utc(c["RECURRENCE-ID"].dt, local) == occurrence), None)
    if existing is None:
        existing = copy.deepcopy(master)
        for name in ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"):
            if name in existing:
                del existing[name]
        old_start, _ = _start_end(master)
        rid = _new_times(old_start, occurrence, occurrence, local)[0]
        existing.add("RECURRENCE-ID", rid)
        cal.add_component(existing)
    old_start, _ = _start_end(existing)
    new_start, new_end = _new_times(old_start, start, end, local)
    _set_times(existing, new_start, new_end)
    _bump(existing, now)
    return cal.to_ical().decode("utf-8")


def cancel_occurrence(ics: str, occurrence: datetime, *, local: tzinfo, now: datetime) -> str:
    """The recurring event without one occurrence (an EXDATE; an override of it is dropped)."""
    import icalendar

    cal: Any = icalendar.Calendar.from_ical(ics)
    events: list[Any] = list(cal.walk("VEVENT"))
    master = next((c for c in events if c.get("RECURRENCE-ID") is None), events[0])
    for override in events:
        rid = override.get("RECURRENCE-ID")
        if rid is not None and to_utc(rid.dt, local) == occurrence:
            cal.subcomponents.remove(override)
    old_start, _ = _start_end(master)
    master.add("EXDATE", _new_times(old_start, occurrence, occurrence, local)[0])
    _bump(master, now)
    return cal.to_ical().decode("utf-8")


def export(name: str, resources: Iterable[str]) -> str:
    """One .ics file holding every given event (and the time zones they name)."""
    import icalendar

    cal = _new_vcalendar()
    cal.add("X-WR-CALNAME", name)
    seen_tz: set[str] = set()
    events = []
    for text in resources:
        part = icalendar.Calendar.from_ical(text)
        for tz in part.walk("VTIMEZONE"):
            tzid = str(tz.get("TZID"))
            if tzid not in seen_tz:
                seen_tz.add(tzid)
                cal.add_component(tz)
        events += part.walk("VEVENT")
    for event in events:
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")
