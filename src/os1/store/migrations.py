"""Versioned migrations: a list of small functions, each recorded in ``schema_migrations``.

Append new ones; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect

from os1.clock import Clock
from os1.store import schema


def _m001_initial(conn: Connection) -> None:
    tables = [
        schema.users,
        schema.genesis_answers,
        schema.personas,
        schema.conversations,
        schema.messages,
        schema.summaries,
    ]
    schema.metadata.create_all(conn, tables=tables)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial: users, genesis, personas, conversations, messages, summaries", _m001_initial),
]


def applied_versions(conn: Connection) -> set[int]:
    if not inspect(conn).has_table("schema_migrations"):
        return set()
    return {row[0] for row in conn.execute(schema.schema_migrations.select().with_only_columns(
        schema.schema_migrations.c.version))}


def migrate(conn: Connection, clock: Clock) -> list[int]:
    """Apply what is missing, each in the caller's transaction. Returns versions applied."""
    schema.metadata.create_all(conn, tables=[schema.schema_migrations])
    done = applied_versions(conn)
    applied = []
    for version, name, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(schema.schema_migrations.insert().values(
            version=version, name=name, applied_at=clock.now()))
        applied.append(version)
    return applied


def latest_version() -> int:
    return MIGRATIONS[-1][0]
