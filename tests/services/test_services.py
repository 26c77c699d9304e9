"""The test servers themselves: each test gets an empty database and an empty Redis."""

from __future__ import annotations

import psycopg

from tests.services.postgres import PostgresServer
from tests.services.redis import RedisServer


def test_each_test_gets_its_own_empty_database(postgres_server: PostgresServer, pg_url: str) -> None:
    assert pg_url.startswith(f"postgresql://os1:os1-test@127.0.0.1:{postgres_server.port}/os1_t_")
    with psycopg.connect(pg_url) as conn:
        user, tables = conn.execute(
            "SELECT current_user, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')"
        ).fetchone() or (None, None)
        assert (user, tables) == ("os1", 0)
        conn.execute("CREATE TABLE scratch (id int)")


def test_redis_is_empty_for_each_test(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.call("EXISTS", "os1-test-key") == b":0"
    assert redis_server.call("SET", "os1-test-key", "1") == b"+OK"


def test_redis_was_flushed(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_server.call("EXISTS", "os1-test-key") == b":0"
