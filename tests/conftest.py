from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.persona.model import Traits
from os1.store import Store, open_engine
from tests.fakes.backend import FakeBackend
from tests.services.postgres import PostgresServer, start_postgres
from tests.services.redis import RedisServer, start_redis

REPO = Path(__file__).resolve().parent.parent
OS1 = str(Path(sys.executable).with_name("os1"))


class FakeClock:
    """The other permitted fake: time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    """A fresh database: an SQLite file, or with OS1_TEST_DATABASE=postgresql an empty
    PostgreSQL database (to run e.g. tests/memory or tests/emotion against PostgreSQL)."""
    if os.environ.get("OS1_TEST_DATABASE", "sqlite").lower() in ("postgresql", "postgres"):
        location: str | Path = request.getfixturevalue("pg_url")
    else:
        location = tmp_path / "os1.db"
    engine = open_engine(location, clock)
    yield Store(engine, clock, label=location)
    engine.dispose()


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def user_id(store: Store) -> int:
    return store.ensure_user("local")


@pytest.fixture
def persona(store: Store, user_id: int):  # type: ignore[no-untyped-def]
    return store.create_persona(
        user_id, name="Iris", name_story="I read a book of names and liked Iris best.",
        user_name="Theodore", voice="female",
        traits=Traits(warmth=0.8, humour=0.6, curiosity=0.7, directness=0.5),
        answers={"user_name": "Theodore", "social": "social", "mother": "close",
                 "voice": "female"})


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real os1 command in a subprocess, isolated from the
    developer's own data and config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    env.update({"OS1_HOME": str(tmp_path / "home"), "TERM": "xterm", "COLUMNS": "100",
                "OS1_MODELS_DIR": str(tmp_path / "models")})
    return env


# -- real servers (tests/services): started once per session, only when a test asks ---------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster (skipped when PostgreSQL isn't installed, unless
    OS1_REQUIRE_SERVICES=1)."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for this test: postgresql://os1:os1-test@127.0.0.1:PORT/os1_t_N."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A throwaway redis-server (skipped when Redis isn't installed, unless
    OS1_REQUIRE_SERVICES=1)."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """redis://127.0.0.1:PORT/0, emptied (FLUSHALL) before this test."""
    redis_server.flushall()
    return redis_server.url


def make_companion(store: Store, persona, backend: FakeBackend, clock: FakeClock,  # type: ignore[no-untyped-def]
                   reply_tokens: int = 128):
    from os1.companion import Companion

    return Companion(store=store, backend=backend, clock=clock, user_id=persona.user_id,
                     persona=persona, reply_tokens=reply_tokens)
