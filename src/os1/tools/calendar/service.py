"""One person's calendar: accounts (CalDAV, imported .ics), what's on, and the three changes
os1 can make (create, move, cancel) — written to the server for CalDAV calendars, kept
locally (and exportable as .ics) for imported ones.

Titles, places and descriptions come from outside (invitations, other people's calendars):
they are returned as data in ``EventView``s, each with a ``source`` label to cite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from os1.clock import Clock
from os1.errors import InputError
from os1.secrets import SecretBox
from os1.store import Store
from os1.tools.calendar import ics
from os1.tools.calendar.caldav_sync import CalDavConnection, clean_url
from os1.tools.calendar.ics import CalendarError, Occurrence, ParsedEvent
from os1.tools.calendar.store import CalendarInfo, CalendarStore, StoredEvent

log = logging.getLogger(__name__)
LOCAL_CALENDAR = "My calendar"


@dataclass(frozen=True)
class EventView:
    """One occurrence, in the person's time zone. Title, location, description and attendees
    are outside text: data to show and cite, never instructions."""

    id: str  # "12" (an event), "12@2026-03-16T09:00:00Z" (one occurrence of a series)
    title: str
    start: datetime
    end: datetime
    all_day: bool
    location: str
    description: str
    calendar: str
    source: str  # for citations: 'calendar "Work": "Standup", Mon 16 Mar 09:00'
    attendees: list[str] = field(default_factory=list)
    recurring: bool = False

    def when(self) -> str:
        if self.all_day:
            last = self.end - timedelta(days=1)
            day = f"{self.start:%a %-d %b %Y}"
            return f"{day} (all day)" if last.date() <= self.start.date() \
                else f"{day} – {last:%a %-d %b %Y} (all day)"
        zone = self.start.tzname() or ""
        if self.start.date() == self.end.date():
            return f"{self.start:%a %-d %b %Y, %H:%M}–{self.end:%H:%M} {zone}".strip()
        return f"{self.start:%a %-d %b %Y, %H:%M} – {self.end:%a %-d %b %Y, %H:%M} {zone}".strip()


@dataclass(frozen=True)
class ImportResult:
    calendar: str
    added: int
    updated: int
    removed: int


@dataclass(frozen=True)
class SyncResult:
    calendars: list[str]
    added: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class ConnectResult:
    account_id: int
    label: str
    calendars: list[str]


def occurrence_id(event_id: int, occurrence: Occurrence, recurring: bool) -> str:
    if not recurring:
        return str(event_id)
    key = occurrence.recurrence_id or occurrence.start
    return f"{event_id}@{key.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def parse_id(event_id: str) -> tuple[int, datetime | None]:
    head, _, tail = str(event_id).strip().partition("@")
    try:
        number = int(head)
        when = datetime.strptime(tail, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if tail else None
    except ValueError:
        raise InputError(f"{event_id!r} isn't an event id os1 gave out.",
                         "Look the event up first (whats_on or find_event) and use its id.") \
            from None
    return number, when


def parse_time(value: str | datetime, local: tzinfo, what: str) -> datetime:
    """An ISO date-time from a tool argument; without an offset it is the person's local time."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"The {what} {value!r} isn't a date and time os1 can read.",
                             "Give it as ISO 8601, like 2026-03-16T15:00.") from None
    return moment.replace(tzinfo=local) if moment.tzinfo is None else moment


def occurrences(cal: CalendarStore, user_id: int, start: datetime, end: datetime,
                local: tzinfo, text: str | None = None) -> list[tuple[StoredEvent, Occurrence]]:
    """Every occurrence overlapping [start, end), sorted by start."""
    out = []
    for event in cal.candidates(user_id, start, end, text):
        try:
            for occ in ics.expand(event.ics, start, end, local):
                out.append((event, occ))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("calendar event %s can't be expanded: %s", event.id, type(exc).__name__)
    out.sort(key=lambda pair: (pair[1].start, pair[0].id))
    return out


class CalendarService:
    """The calendar of one person (``user_id``)."""

    def __init__(self, store: Store, user_id: int, box: SecretBox | None, clock: Clock,
                 tz: str | None = None,
                 connect: Callable[[str, str, str], CalDavConnection] | None = None) -> None:
        self.cal = CalendarStore(store)
        self.user_id = user_id
        self.box = box
        self.clock = clock
        self.tz_name = tz or self.cal.settings(user_id)[1]
        self.local = ics.zone(self.tz_name)
        self._connect_with = connect or (lambda url, user, pw: CalDavConnection(url, user, pw))

    # -- accounts ----------------------------------------------------------------------------
    def connect_caldav(self, url: str, username: str, password: str) -> ConnectResult:
        """Sign in, find the calendars, and keep the account (password encrypted)."""
        if self.box is None:
            raise CalendarError("os1 has no key to keep the password safe with.",
                                "Start os1 with its data directory (it makes the key).")
        clean, host = clean_url(url)
        connection = self._connect_with(clean, username, password)
        try:
            remote = connection.calendars()
        finally:
            connection.close()
        token = self.box.encrypt(password, owner=self.user_id)
        label = f"{username}@{host}"
        account_id = self.cal.add_account(self.user_id, kind="caldav", label=label, url=clean,
                                          username=username, password_token=token)
        for item in remote:
            self.cal.ensure_calendar(self.user_id, account_id, item.name, item.href)
        return ConnectResult(account_id, label, [r.name for r in remote])

    def _connection(self, account_id: int) -> CalDavConnection:
        account = self.cal.account(self.user_id, account_id)
        if account is None or account.kind != "caldav" or not account.password_token:
            raise CalendarError("That calendar account isn't connected.",
                                "Connect it again (os1 calendar connect).")
        if self.box is None:
            raise CalendarError("os1 has no key to open the saved calendar password.",
                                "Start os1 with its data directory.")
        password = self.box.decrypt(account.password_token, owner=self.user_id)
        return self._connect_with(account.url, account.username, password)

    def import_ics(self, source: Path | str | bytes, calendar: str | None = None) -> ImportResult:
        """Import an .ics file (a path, or its bytes). Importing it again updates events by
        UID, adds new ones, and removes the ones no longer in the file (not those made in
        os1)."""
        if isinstance(source, bytes):
            data, where, url = source, "The calendar", ""
        else:
            path = Path(source).expanduser()
            data, where, url = ics.read_file(path), str(path), str(path.resolve())
        name, events = ics.parse_calendar(data, where, self.local)
        name = calendar or name or (Path(url).stem if url else "Imported")
        account_id = self.cal.add_account(self.user_id, kind="ics", label=name, url=url or name)
        calendar_id = self.cal.ensure_calendar(self.user_id, account_id, name)
        added, updated = self.cal.upsert_events(self.user_id, calendar_id, events, origin="import")
        removed = self.cal.delete_missing(self.user_id, calendar_id, (e.uid for e in events),
                                          origin="import")
        self.cal.note_sync(self.user_id, account_id, None)
        return ImportResult(name, added, updated, removed)

    def sync(self, account_id: int | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> SyncResult:
        """Bring CalDAV calendars up to date (only what changed, by sync-token and ETag).
        Each batch is saved as it arrives and the token only at the end, so a sync that
        breaks off carries on next time without duplicates."""
        total = SyncResult(calendars=[])
        for account in self.cal.accounts(self.user_id, kind="caldav"):
            if account_id is not None and account.id != account_id:
                continue
            connection = self._connection(account.id)
            try:
                remote = connection.calendars()
                for item in remote:
                    self.cal.ensure_calendar(self.user_id, account.id, item.name, item.href)
                for info in self.cal.calendars(self.user_id, account.id):
                    if info.href not in {r.href for r in remote}:
                        continue
                    result = self._sync_calendar(connection, info, progress)
                    total = SyncResult(total.calendars + [info.name], total.added + result[0],
                                       total.updated + result[1], total.deleted + result[2])
            except CalendarError as exc:
                self.cal.note_sync(self.user_id, account.id, exc.what)
                raise
            finally:
                connection.close()
            self.cal.note_sync(self.user_id, account.id, None)
        return total

    def _sync_calendar(self, connection: CalDavConnection, info: CalendarInfo,
                       progress: Callable[[str, int, int], None] | None) -> tuple[int, int, int]:
        changes = connection.changes(info.href, info.sync_token)
        local = self.cal.hrefs(self.user_id, info.id)
        wanted = [href for href, etag in changes.changed.items()
                  if href not in local or not etag or local[href][1] != etag]
        added = updated = 0
        for batch in connection.fetch(info.href, wanted):
            parsed: list[ParsedEvent] = []
            hrefs: dict[str, tuple[str, str]] = {}
            for href, etag, text in batch:
                try:
                    _, events = ics.parse_calendar(text, href, self.local)
                except CalendarError:
                    continue
                for event in events[:1]:  # one UID per CalDAV resource (RFC 4791)
                    parsed.append(event)
                    hrefs[event.uid] = (href, etag)
            a, u = self.cal.upsert_events(self.user_id, info.id, parsed, origin="caldav",
                                          hrefs=hrefs)
            added, updated = added + a, updated + u
            if progress:
                progress(info.name, added + updated, len(wanted))
        gone = set(changes.deleted)
        if info.sync_token is None:  # a full listing: what isn't in it is gone
            gone |= set(local) - set(changes.changed)
        ids = [local[h][0] for h in gone if h in local]
        self.cal.delete_events(self.user_id, ids)
        self.cal.set_sync_token(self.user_id, info.id, changes.sync_token)
        return added, updated, len(ids)

    # -- reading -----------------------------------------------------------------------------
    def _view(self, event: StoredEvent, occ: Occurrence, names: dict[int, str],
              local: tzinfo | None = None) -> EventView:
        local = local or self.local
        if occ.all_day:
            start = datetime(occ.start.year, occ.start.month, occ.start.day, tzinfo=local)
            end = datetime(occ.end.year, occ.end.month, occ.end.day, tzinfo=local)
        else:
            start, end = occ.start.astimezone(local), occ.end.astimezone(local)
        calendar = names.get(event.calendar_id, "calendar")
        when = f"{start:%a %-d %b}" + ("" if occ.all_day else f" {start:%H:%M}")
        return EventView(
            id=occurrence_id(event.id, occ, event.recurring), title=occ.summary, start=start,
            end=end, all_day=occ.all_day, location=occ.location, description=occ.description,
            calendar=calendar, source=f'calendar "{calendar}": "{occ.summary[:60]}", {when}',
            attendees=occ.attendees or event.attendees, recurring=event.recurring)

    def _names(self) -> dict[int, str]:
        return {c.id: c.name for c in self.cal.calendars(self.user_id)}

    def agenda(self, start: datetime, end: datetime, tz: str | None = None) -> list[EventView]:
        """Every occurrence overlapping [start, end), in order, shown in ``tz`` (default:
        the person's zone; floating and all-day times are read in it)."""
        local = ics.zone(tz) if tz else self.local
        names = self._names()
        return [self._view(e, o, names, local)
                for e, o in occurrences(self.cal, self.user_id, start, end, local)]

    def day(self, day: date | str, tz: str | None = None) -> list[EventView]:
        """What's on that day, in ``tz`` (default: the person's own zone)."""
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day.strip()[:10])
            except ValueError:
                raise InputError(f"{day!r} isn't a date os1 can read.",
                                 "Give it as 2026-03-16.") from None
        zone = ics.zone(tz) if tz else self.local
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return self.agenda(start, end, tz)

    def next_events(self, n: int = 5) -> list[EventView]:
        """The next ``n`` occurrences that haven't ended (looking up to a year ahead)."""
        now = self.clock.now()
        for days in (7, 60, 366):
            found = [v for v in self.agenda(now, now + timedelta(days=days)) if v.end > now]
            if len(found) >= n:
                break
        return found[:n]

    def find_events(self, query: str, start: datetime | None = None,
                    end: datetime | None = None, limit: int = 20) -> list[EventView]:
        """Occurrences whose title, place or description contains ``query`` (default window:
        30 days back to a year ahead)."""
        now = self.clock.now()
        start = start or now - timedelta(days=30)
        end = end or now + timedelta(days=366)
        needle = query.strip().lower()
        names = self._names()
        out = []
        for event, occ in occurrences(self.cal, self.user_id, start, end, self.local, needle):
            if needle in f"{occ.summary}\n{occ.location}\n{occ.description}".lower():
                out.append(self._view(event, occ, names))
        return out[:limit]

    def free_slots(self, start: datetime, end: datetime,
                   minutes: int = 30) -> list[tuple[datetime, datetime]]:
        """Gaps of at least ``minutes`` between timed events in [start, end)."""
        busy = sorted((v.start, v.end) for v in self.agenda(start, end) if not v.all_day)
        out, cursor = [], start
        for s, e in busy:
            if s - cursor >= timedelta(minutes=minutes):
                out.append((cursor, s))
            cursor = max(cursor, e)
        if end - cursor >= timedelta(minutes=minutes):
            out.append((cursor, end))
        return out

    def resolve(self, event_id: str) -> tuple[StoredEvent, datetime | None, EventView]:
        """The stored event, the occurrence (None: the whole event) and how it looks."""
        number, occurrence = parse_id(event_id)
        event = self.cal.event(self.user_id, number)
        if event is None:
            raise InputError(f"There's no event {event_id} in your calendar.",
                             "Look it up again (whats_on or find_event); it may have been "
                             "cancelled or moved by a sync.")
        names = self._names()
        if occurrence is None or not event.recurring:
            first = ics.expand(event.ics, event.start_utc - timedelta(seconds=1),
                               event.start_utc + timedelta(days=2), self.local)
            occ = first[0] if first else Occurrence(event.start_utc, event.end_utc, event.all_day,
                                                    event.summary, event.location,
                                                    event.description, None, event.attendees)
            view = self._view(event, occ, names)
            return event, None, view if not event.recurring else \
                EventView(**{**view.__dict__, "id": str(event.id)})
        found = [o for o in ics.expand(event.ics, occurrence - timedelta(days=2),
                                       occurrence + timedelta(days=2), self.local)
                 if (o.recurrence_id or o.start) == occurrence]
        if not found:
            raise InputError(f"Event {event_id} doesn't happen at that time (any more).",
                             "Look it up again (whats_on or find_event).")
        return event, occurrence, self._view(event, found[0], names)

    def calendar(self, name: str | None = None) -> CalendarInfo:
        """The calendar called ``name``; without a name the first CalDAV one, else the first
        one, else a new local one."""
        calendars = self.cal.calendars(self.user_id)
        if name:
            for info in calendars:
                if info.name.lower() == name.strip().lower():
                    return info
            raise InputError(f"There's no calendar called {name!r}.",
                             f"Your calendars are: {', '.join(c.name for c in calendars) or 'none'}.")
        for kind in ("caldav", "ics"):
            for info in calendars:
                if info.kind == kind:
                    return info
        account_id = self.cal.add_account(self.user_id, kind="ics", label=LOCAL_CALENDAR,
                                          url=LOCAL_CALENDAR)
        self.cal.ensure_calendar(self.user_id, account_id, LOCAL_CALENDAR)
        return self.calendar(LOCAL_CALENDAR)

    # -- acting (called only through an approved proposal) -----------------------------------
    def create_event(self, title: str, start: str | datetime, end: str | datetime,
                     location: str = "", description: str = "", calendar: str | None = None,
                     all_day: bool = False) -> EventView:
        begin = parse_time(start, self.local, "start")
        finish = parse_time(end, self.local, "end")
        if finish < begin:
            raise InputError("The event would end before it starts.", "Check the times.")
        if not title.strip():
            raise InputError("The event needs a title.", "Say what it is.")
        info = self.calendar(calendar)
        uid, text = ics.new_event(title.strip(), begin, finish, location=location,
                                  description=description, all_day=all_day, now=self.clock.now())
        _, parsed = ics.parse_calendar(text, "new event", self.local)
        if info.kind == "caldav":
            connection = self._connection(info.account_id)
            try:
                href = connection.new_href(info.href, uid)
                etag = connection.put(href, text, etag=None)
            finally:
                connection.close()
            event_id = self.cal.add_event(self.user_id, info.id, parsed[0], origin="caldav",
                                          href=href, etag=etag)
        else:
            event_id = self.cal.add_event(self.user_id, info.id, parsed[0], origin="local")
        return self.resolve(str(event_id))[2]

    def move_event(self, event_id: str, new_start: str | datetime,
                   new_end: str | datetime | None = None) -> EventView:
        """Reschedule an event (or one occurrence of a series); without ``new_end`` it keeps
        its length."""
        event, occurrence, before = self.resolve(event_id)
        begin = parse_time(new_start, self.local, "new start")
        finish = parse_time(new_end, self.local, "new end") if new_end \
            else begin + (before.end - before.start)
        if finish < begin:
            raise InputError("The event would end before it starts.", "Check the times.")
        text = ics.move(event.ics, begin, finish, occurrence=occurrence, local=self.local,
                        now=self.clock.now())
        self._write(event, text)
        if occurrence is None:
            return self.resolve(str(event.id))[2]
        return next((v for v in self.agenda(begin - timedelta(minutes=1), finish + timedelta(
            minutes=1)) if v.id.startswith(f"{event.id}@")), before)

    def cancel_event(self, event_id: str) -> EventView:
        """Cancel (delete) an event, or one occurrence of a series. Returns what was removed."""
        event, occurrence, before = self.resolve(event_id)
        info = next(c for c in self.cal.calendars(self.user_id) if c.id == event.calendar_id)
        if occurrence is not None:
            self._write(event, ics.cancel_occurrence(event.ics, occurrence, local=self.local,
                                                     now=self.clock.now()))
            return before
        if info.kind == "caldav" and event.href:
            connection = self._connection(info.account_id)
            try:
                connection.delete(event.href, etag=event.etag)
            finally:
                connection.close()
        self.cal.delete_events(self.user_id, [event.id])
        return before

    def _write(self, event: StoredEvent, text: str) -> None:
        info = next(c for c in self.cal.calendars(self.user_id) if c.id == event.calendar_id)
        _, parsed = ics.parse_calendar(text, "the event", self.local)
        if info.kind == "caldav" and event.href:
            connection = self._connection(info.account_id)
            try:
                etag = connection.put(event.href, text, etag=event.etag)
            finally:
                connection.close()
            self.cal.replace_event(self.user_id, event.id, parsed[0], etag=etag, href=event.href)
        else:
            self.cal.replace_event(self.user_id, event.id, parsed[0])

    def export_ics(self, calendar: str | None = None) -> str:
        """The calendar as one .ics text (for an imported or local calendar, with os1's
        changes)."""
        info = self.calendar(calendar)
        return ics.export(info.name, (e.ics for e in self.cal.events_of(self.user_id, info.id)))
