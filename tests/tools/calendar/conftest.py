"""Fixtures for the calendar tests: a real Radicale (session), a clean user per test, and a
CalendarService over the real SQLite store with the FakeClock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from os1.secrets import SecretBox, open_box
from os1.store import Store
from os1.tools.calendar import tables
from os1.tools.calendar.service import CalendarService
from tests.conftest import FakeClock
from tests.services.radicale import RadicaleServer, start_radicale

_USERS = itertools.count(1)


@pytest.fixture
def cal_store(store: Store) -> Store:
    """The store with the calendar tables (migration 6 makes them; created here if the
    migration isn't registered yet)."""
    with store.engine.begin() as conn:
        if not inspect(conn).has_table("calendar_events"):
            from os1.store import schema

            schema.metadata.create_all(conn, tables=tables.TABLES)
            tables.create_extras(conn)
    return store


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretBox:
    monkeypatch.delenv("OS1_SECRET_KEY", raising=False)
    return open_box(tmp_path / "secret.key")


@pytest.fixture
def service(cal_store: Store, user_id: int, box: SecretBox, clock: FakeClock) -> CalendarService:
    return CalendarService(cal_store, user_id, box, clock, tz="Europe/Berlin")


@pytest.fixture(scope="session")
def radicale_server() -> Iterator[RadicaleServer]:
    """A throwaway Radicale (skipped when not installed, unless OS1_REQUIRE_SERVICES=1)."""
    server = start_radicale()
    yield server
    server.stop()


@pytest.fixture
def radicale(radicale_server: RadicaleServer) -> RadicaleServer:
    """The server, running (a test may have stopped it)."""
    if radicale_server.process is None or radicale_server.process.poll() is not None:
        radicale_server.start(port=radicale_server.port)
    return radicale_server


@pytest.fixture
def dav_user(radicale: RadicaleServer) -> tuple[str, str]:
    """A fresh user (name, password) with one empty calendar called "work"."""
    name = f"user{next(_USERS)}"
    password = f"pw-{name}-s3cret"
    radicale.add_user(name, password)
    radicale.make_calendar(name, "work", "Work")
    return name, password
