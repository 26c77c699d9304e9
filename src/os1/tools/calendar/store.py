"""The calendar repository: accounts, calendars, events, reminder deliveries, settings.

Like ``os1.memory.store``, every call takes the owner's id and every statement filters on it.
Events are upserted by (calendar, UID), so importing a file twice or resuming a sync that
broke halfway never makes duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from os1.store import Store
from os1.store.repos import _aware, storable
from os1.tools.calendar.ics import ParsedEvent
from os1.tools.calendar.tables import (
    calendar_accounts as A,
)
from os1.tools.calendar.tables import (
    calendar_calendars as C,
)
from os1.tools.calendar.tables import (
    calendar_events as E,
)
from os1.tools.calendar.tables import (
    calendar_reminders as R,
)
from os1.tools.calendar.tables import (
    calendar_settings as S,
)

BATCH = 500
DEFAULT_REMINDER_MINUTES = 5


@dataclass(frozen=True)
class Account:
    id: int
    kind: str  # caldav | ics
    label: str
    url: str
    username: str
    password_token: str | None  # encrypted (os1.secrets); never shown
    last_sync_at: datetime | None
    last_error: str | None

    def __repr__(self) -> str:
        return f"Account(id={self.id}, kind={self.kind!r}, label={self.label!r})"


@dataclass(frozen=True)
class CalendarInfo:
    id: int
    account_id: int
    kind: str  # the account's kind
    name: str
    href: str
    sync_token: str | None


@dataclass(frozen=True)
class StoredEvent:
    id: int
    calendar_id: int
    uid: str
    summary: str
    location: str
    description: str
    start_utc: datetime
    end_utc: datetime
    last_end_utc: datetime | None
    all_day: bool
    recurring: bool
    tzid: str
    attendees: list[str]
    ics: str
    origin: str
    href: str | None
    etag: str | None
    reminder_minutes: int | None


def _event(row: Any) -> StoredEvent:
    return StoredEvent(
        id=row.id, calendar_id=row.calendar_id, uid=row.uid, summary=row.summary,
        location=row.location, description=row.description,
        start_utc=_aware(row.start_utc) or row.start_utc, end_utc=_aware(row.end_utc) or row.end_utc,
        last_end_utc=_aware(row.last_end_utc), all_day=bool(row.all_day),
        recurring=bool(row.recurring), tzid=row.tzid, attendees=list(row.attendees or []),
        ics=row.ics, origin=row.origin, href=row.href, etag=row.etag,
        reminder_minutes=row.reminder_minutes)


def _values(event: ParsedEvent) -> dict[str, Any]:
    return {"summary": storable(event.summary), "location": storable(event.location),
            "description": storable(event.description), "start_utc": event.start_utc,
            "end_utc": event.end_utc, "last_end_utc": event.last_end_utc,
            "all_day": event.all_day, "recurring": event.recurring, "tzid": event.tzid,
            "attendees": [storable(a) for a in event.attendees], "ics": storable(event.ics)}


class CalendarStore:
    """Calendars of every person in one database, each reachable only with its owner's id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = store.clock

    # -- accounts --------------------------------------------------------------------------
    def add_account(self, user_id: int, *, kind: str, label: str, url: str = "",
                    username: str = "", password_token: str | None = None) -> int:
        existing = self.store._read(select(A.c.id).where(
            A.c.user_id == user_id, A.c.kind == kind, A.c.url == url, A.c.username == username))
        with self.store._tx() as conn:
            if existing:
                account_id = int(existing[0][0])
                conn.execute(update(A).where(A.c.user_id == user_id, A.c.id == account_id)
                             .values(label=label, password_token=password_token))
                return account_id
            result = conn.execute(insert(A).values(
                user_id=user_id, kind=kind, label=label, url=url, username=username,
                password_token=password_token, created_at=self.clock.now()))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def accounts(self, user_id: int, kind: str | None = None) -> list[Account]:
        stmt = select(A).where(A.c.user_id == user_id)
        if kind:
            stmt = stmt.where(A.c.kind == kind)
        return [Account(r.id, r.kind, r.label, r.url, r.username, r.password_token,
                        _aware(r.last_sync_at), r.last_error)
                for r in self.store._read(stmt.order_by(A.c.id))]

    def account(self, user_id: int, account_id: int) -> Account | None:
        return next((a for a in self.accounts(user_id) if a.id == account_id), None)

    def note_sync(self, user_id: int, account_id: int, error: str | None) -> None:
        values: dict[str, Any] = {"last_error": error}
        if error is None:
            values["last_sync_at"] = self.clock.now()
        with self.store._tx() as conn:
            conn.execute(update(A).where(A.c.user_id == user_id, A.c.id == account_id)
                         .values(**values))

    # -- calendars -------------------------------------------------------------------------
    def ensure_calendar(self, user_id: int, account_id: int, name: str, href: str = "") -> int:
        rows = self.store._read(select(C.c.id, C.c.href).where(
            C.c.user_id == user_id, C.c.account_id == account_id, C.c.name == name))
        with self.store._tx() as conn:
            if rows:
                if href and rows[0].href != href:
                    conn.execute(update(C).where(C.c.user_id == user_id, C.c.id == rows[0].id)
                                 .values(href=href))
                return int(rows[0].id)
            result = conn.execute(insert(C).values(
                user_id=user_id, account_id=account_id, name=name, href=href,
                created_at=self.clock.now()))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def calendars(self, user_id: int, account_id: int | None = None) -> list[CalendarInfo]:
        stmt = (select(C, A.c.kind).join(A, and_(A.c.id == C.c.account_id, A.c.user_id == user_id))
                .where(C.c.user_id == user_id))
        if account_id is not None:
            stmt = stmt.where(C.c.account_id == account_id)
        return [CalendarInfo(r.id, r.account_id, r.kind, r.name, r.href, r.sync_token)
                for r in self.store._read(stmt.order_by(C.c.id))]

    def set_sync_token(self, user_id: int, calendar_id: int, token: str | None) -> None:
        with self.store._tx() as conn:
            conn.execute(update(C).where(C.c.user_id == user_id, C.c.id == calendar_id)
                         .values(sync_token=token))

    # -- events: writing -------------------------------------------------------------------
    def upsert_events(self, user_id: int, calendar_id: int, events: Sequence[ParsedEvent], *,
                      origin: str, hrefs: dict[str, tuple[str, str]] | None = None) -> tuple[int, int]:
        """Insert new UIDs and update known ones, in batches. ``hrefs``: uid -> (href, etag)
        for CalDAV. Returns (added, updated)."""
        known = {r.uid: r.id for r in self.store._read(select(E.c.uid, E.c.id).where(
            E.c.user_id == user_id, E.c.calendar_id == calendar_id))}
        now = self.clock.now()
        fresh: dict[str, dict[str, Any]] = {}
        changed: dict[str, dict[str, Any]] = {}
        for event in events:
            href, etag = (hrefs or {}).get(event.uid, (None, None))
            values = {**_values(event), "updated_at": now}
            if href is not None:
                values.update(href=href, etag=etag)
            if event.uid in known:
                changed[event.uid] = {"b_id": known[event.uid], **values}
            else:  # a UID twice in one file: the later one wins
                fresh[event.uid] = {"user_id": user_id, "calendar_id": calendar_id,
                                    "uid": storable(event.uid), "origin": origin,
                                    "href": href, "etag": etag, **values}
        inserts, updates = list(fresh.values()), list(changed.values())
        with self.store._tx() as conn:
            for i in range(0, len(inserts), BATCH):
                conn.execute(insert(E), inserts[i:i + BATCH])
            for group in _same_keys(updates):
                cols: dict[str, Any] = {k: bindparam(f"v_{k}") for k in group[0] if k != "b_id"}
                stmt = update(E).where(E.c.user_id == user_id, E.c.id == bindparam("b_id")) \
                    .values(**cols)
                params = [{("b_id" if k == "b_id" else f"v_{k}"): v for k, v in row.items()}
                          for row in group]
                for i in range(0, len(params), BATCH):
                    conn.execute(stmt, params[i:i + BATCH])
        return len(inserts), len(updates)

    def delete_missing(self, user_id: int, calendar_id: int, keep_uids: Iterable[str],
                       origin: str) -> int:
        """Remove events of ``origin`` whose UID isn't in ``keep_uids`` (gone from the file)."""
        keep = set(keep_uids)
        rows = self.store._read(select(E.c.id, E.c.uid).where(
            E.c.user_id == user_id, E.c.calendar_id == calendar_id, E.c.origin == origin))
        gone = [r.id for r in rows if r.uid not in keep]
        self.delete_events(user_id, gone)
        return len(gone)

    def delete_events(self, user_id: int, event_ids: Sequence[int]) -> None:
        with self.store._tx() as conn:
            for i in range(0, len(event_ids), BATCH):
                chunk = list(event_ids[i:i + BATCH])
                conn.execute(delete(R).where(R.c.user_id == user_id, R.c.event_id.in_(chunk)))
                conn.execute(delete(E).where(E.c.user_id == user_id, E.c.id.in_(chunk)))

    def hrefs(self, user_id: int, calendar_id: int) -> dict[str, tuple[int, str | None]]:
        """{href: (event id, etag)} of a CalDAV calendar's stored events."""
        return {r.href: (r.id, r.etag) for r in self.store._read(
            select(E.c.href, E.c.id, E.c.etag).where(
                E.c.user_id == user_id, E.c.calendar_id == calendar_id, E.c.href.is_not(None)))}

    def replace_event(self, user_id: int, event_id: int, event: ParsedEvent, *,
                      etag: str | None = None, href: str | None = None) -> None:
        values = {**_values(event), "updated_at": self.clock.now()}
        if href is not None:
            values.update(href=href, etag=etag)
        with self.store._tx() as conn:
            conn.execute(update(E).where(E.c.user_id == user_id, E.c.id == event_id)
                         .values(**values))

    def add_event(self, user_id: int, calendar_id: int, event: ParsedEvent, *, origin: str,
                  href: str | None = None, etag: str | None = None) -> int:
        with self.store._tx() as conn:
            result = conn.execute(insert(E).values(
                user_id=user_id, calendar_id=calendar_id, uid=storable(event.uid), origin=origin,
                href=href, etag=etag, updated_at=self.clock.now(), **_values(event)))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def set_event_reminder(self, user_id: int, event_id: int, minutes: int | None) -> None:
        with self.store._tx() as conn:
            conn.execute(update(E).where(E.c.user_id == user_id, E.c.id == event_id)
                         .values(reminder_minutes=minutes))

    # -- events: reading -------------------------------------------------------------------
    def event(self, user_id: int, event_id: int) -> StoredEvent | None:
        rows = self.store._read(select(E).where(E.c.user_id == user_id, E.c.id == event_id))
        return _event(rows[0]) if rows else None

    def count(self, user_id: int, calendar_id: int | None = None) -> int:
        stmt = select(func.count()).select_from(E).where(E.c.user_id == user_id)
        if calendar_id is not None:
            stmt = stmt.where(E.c.calendar_id == calendar_id)
        return int(self.store._read(stmt)[0][0])

    def events_of(self, user_id: int, calendar_id: int) -> list[StoredEvent]:
        return [_event(r) for r in self.store._read(select(E).where(
            E.c.user_id == user_id, E.c.calendar_id == calendar_id).order_by(E.c.start_utc))]

    def candidates(self, user_id: int, start: datetime, end: datetime,
                   text: str | None = None) -> list[StoredEvent]:
        """Events that may have an occurrence in [start, end): single events overlapping it
        (padded a day for all-day and floating times) and series not over by then."""
        pad = timedelta(days=1)
        lo, hi = start - pad, end + pad
        single = and_(E.c.recurring.is_(False), E.c.start_utc < hi, E.c.end_utc >= lo)
        series = and_(E.c.recurring.is_(True), E.c.start_utc < hi,
                      or_(E.c.last_end_utc.is_(None), E.c.last_end_utc >= lo))
        stmt = select(E).where(E.c.user_id == user_id, or_(single, series))
        if text:
            like = f"%{text.lower().replace('%', '').replace('_', '')}%"
            stmt = stmt.where(or_(func.lower(E.c.summary).like(like),
                                  func.lower(E.c.location).like(like),
                                  func.lower(E.c.description).like(like),
                                  func.lower(E.c.ics).like(like)))
        return [_event(r) for r in self.store._read(stmt.order_by(E.c.start_utc))]

    # -- reminders and settings ------------------------------------------------------------
    def delivered_keys(self, user_id: int, event_ids: Sequence[int]) -> set[tuple[int, datetime]]:
        if not event_ids:
            return set()
        rows = self.store._read(select(R.c.event_id, R.c.occurrence_start).where(
            R.c.user_id == user_id, R.c.event_id.in_(list(event_ids))))
        return {(r.event_id, _aware(r.occurrence_start) or r.occurrence_start) for r in rows}

    def mark_delivered(self, user_id: int, event_id: int, occurrence_start: datetime,
                       surface: str) -> bool:
        """Record a reminder as shown; False if it had been already (or its event is gone)."""
        if self.event(user_id, event_id) is None:
            return False
        if (event_id, occurrence_start) in self.delivered_keys(user_id, [event_id]):
            return False
        try:
            with self.store.engine.begin() as conn:  # the unique key settles two surfaces racing
                conn.execute(insert(R).values(user_id=user_id, event_id=event_id,
                                              occurrence_start=occurrence_start,
                                              delivered_at=self.clock.now(), surface=surface[:50]))
        except IntegrityError:
            return False
        return True

    def settings(self, user_id: int) -> tuple[int, str]:
        """(default reminder minutes, time zone name)."""
        rows = self.store._read(select(S.c.reminder_minutes, S.c.time_zone)
                                .where(S.c.user_id == user_id))
        return (int(rows[0][0]), str(rows[0][1])) if rows else (DEFAULT_REMINDER_MINUTES, "UTC")

    def set_settings(self, user_id: int, *, reminder_minutes: int | None = None,
                     time_zone: str | None = None) -> None:
        minutes, tz = self.settings(user_id)
        minutes = minutes if reminder_minutes is None else reminder_minutes
        tz = tz if time_zone is None else time_zone
        exists = self.store._read(select(S.c.user_id).where(S.c.user_id == user_id))
        with self.store._tx() as conn:
            if exists:
                conn.execute(update(S).where(S.c.user_id == user_id)
                             .values(reminder_minutes=minutes, time_zone=tz))
            else:
                conn.execute(insert(S).values(user_id=user_id, reminder_minutes=minutes,
                                              time_zone=tz))


def _same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their set of keys (an executemany needs the same columns in each)."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    return list(groups.values())
