"""The calendar tables, on the shared metadata (created by migration 6, os1.store.migrations).

Every row carries ``user_id``; table names start with "calendar_".

An event row is one iCalendar UID in one calendar: the master component and its overrides
(RECURRENCE-ID) kept as iCalendar text in ``ics``, so recurring events are expanded on read
(with their time zones) rather than stored as a fixed list of occurrences. ``start_utc`` /
``end_utc`` are the first occurrence; ``last_end_utc`` is when the series ends (NULL: never,
or unknown), which is what lets a day's query skip series that are over.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from os1.store.schema import metadata


def _owner(**kw: Any) -> Column[int]:
    return Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), **kw)


calendar_accounts = Table(
    "calendar_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    _owner(nullable=False),
    Column("kind", String(10), nullable=False),  # caldav | ics
    Column("label", String(200), nullable=False),  # shown to the person: "amy@cal.example.com"
    Column("url", Text, nullable=False, default=""),  # CalDAV URL, or the .ics file imported
    Column("username", String(320), nullable=False, default=""),
    Column("password_token", Text),  # os1.secrets token; never the password itself
    Column("last_sync_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_calendar_accounts_owner", "user_id", "kind"),
)

calendar_calendars = Table(
    "calendar_calendars",
    metadata,
    Column("id", Integer, primary_key=True),
    _owner(nullable=False),
    Column("account_id", Integer, ForeignKey("calendar_accounts.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", String(200), nullable=False),
    Column("href", Text, nullable=False, default=""),  # CalDAV collection URL; "" for ICS
    Column("sync_token", Text),  # saved only once a sync of this calendar is complete
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "account_id", "name", name="uq_calendar_calendars_name"),
)

calendar_events = Table(
    "calendar_events",
    metadata,
    Column("id", Integer, primary_key=True),
    _owner(nullable=False),
    Column("calendar_id", Integer, ForeignKey("calendar_calendars.id", ondelete="CASCADE"),
           nullable=False),
    Column("uid", String(500), nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("location", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("start_utc", DateTime(timezone=True), nullable=False),
    Column("end_utc", DateTime(timezone=True), nullable=False),
    Column("last_end_utc", DateTime(timezone=True)),  # recurring: series end; NULL = open
    Column("all_day", Boolean, nullable=False, default=False),
    Column("recurring", Boolean, nullable=False, default=False),
    Column("tzid", String(100), nullable=False, default=""),
    Column("attendees", JSON, nullable=False, default=list),
    Column("ics", Text, nullable=False),  # VCALENDAR with this UID's components
    Column("origin", String(10), nullable=False, default="import"),  # import | caldav | local
    Column("href", Text),  # CalDAV resource URL
    Column("etag", String(300)),
    Column("reminder_minutes", Integer),  # per-event lead time; NULL: the person's default
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "calendar_id", "uid", name="uq_calendar_events_uid"),
    Index("ix_calendar_events_owner_start", "user_id", "start_utc"),
    Index("ix_calendar_events_owner_recurring", "user_id", "recurring", "start_utc"),
)

calendar_reminders = Table(
    "calendar_reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    _owner(nullable=False),
    Column("event_id", Integer, ForeignKey("calendar_events.id", ondelete="CASCADE"),
           nullable=False),
    Column("occurrence_start", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    Column("surface", String(50), nullable=False),
    UniqueConstraint("user_id", "event_id", "occurrence_start", name="uq_calendar_reminders"),
)

calendar_settings = Table(
    "calendar_settings",
    metadata,
    _owner(primary_key=True),
    Column("reminder_minutes", Integer, nullable=False, default=5),
    Column("time_zone", String(100), nullable=False, default="UTC"),
)

TABLES: list[Table] = [calendar_accounts, calendar_calendars, calendar_events,
                       calendar_reminders, calendar_settings]


def create_extras(conn: Connection) -> None:
    """Indexes the metadata can't express (full-text), per dialect. Called after TABLES.

    None: an event search is a case-insensitive substring match over a person's events
    (thousands, not millions), which both SQLite and PostgreSQL do without an index."""
