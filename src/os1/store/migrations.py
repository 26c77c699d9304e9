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


def _m002_memory(conn: Connection) -> None:
    tables = [schema.episodes, schema.memories, schema.memory_vectors, schema.memory_sources]
    schema.metadata.create_all(conn, tables=tables)
    if conn.dialect.name == "sqlite":
        # Keyword search: an FTS5 index kept in step with ``memories`` by triggers, so a
        # forgotten memory leaves the index in the same transaction as its row.
        for statement in (
            "CREATE VIRTUAL TABLE memories_fts USING fts5(content, about, topic, "
            "tokenize='porter unicode61 remove_diacritics 2')",
            "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN "
            "INSERT INTO memories_fts(rowid, content, about, topic) "
            "VALUES (new.id, new.content, new.about, new.topic); END",
            "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
            "DELETE FROM memories_fts WHERE rowid = old.id; END",
            "CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, about, topic ON memories "
            "BEGIN DELETE FROM memories_fts WHERE rowid = old.id; "
            "INSERT INTO memories_fts(rowid, content, about, topic) "
            "VALUES (new.id, new.content, new.about, new.topic); END",
        ):
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE INDEX ix_memories_fulltext ON memories USING GIN "
            "(to_tsvector('english', content || ' ' || about || ' ' || topic))")


def _m003_fulltext_owner(conn: Connection) -> None:
    """The full-text index carries each memory's owner as a token of its own column, so a
    search is the intersection of two posting lists (owner AND words) inside FTS5, instead of
    every match in every person's memories being joined back to its row to check the owner."""
    # Lookups that run on every learned memory stay indexed at 100k memories.
    conn.exec_driver_sql("CREATE INDEX ix_memories_owner_message ON memories (user_id, message_id)")
    conn.exec_driver_sql("CREATE INDEX ix_memories_owner_slot_lower ON memories "
                         "(user_id, lower(about), lower(topic))")
    if conn.dialect.name != "sqlite":
        return
    for statement in (
        "DROP TRIGGER IF EXISTS memories_fts_insert",
        "DROP TRIGGER IF EXISTS memories_fts_delete",
        "DROP TRIGGER IF EXISTS memories_fts_update",
        "DROP TABLE IF EXISTS memories_fts",
        "CREATE VIRTUAL TABLE memories_fts USING fts5(content, about, topic, owner, "
        "tokenize='porter unicode61 remove_diacritics 2')",
        "INSERT INTO memories_fts(rowid, content, about, topic, owner) "
        "SELECT id, content, about, topic, 'u' || user_id FROM memories",
        "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN "
        "INSERT INTO memories_fts(rowid, content, about, topic, owner) "
        "VALUES (new.id, new.content, new.about, new.topic, 'u' || new.user_id); END",
        "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
        "DELETE FROM memories_fts WHERE rowid = old.id; END",
        "CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, about, topic ON memories "
        "BEGIN DELETE FROM memories_fts WHERE rowid = old.id; "
        "INSERT INTO memories_fts(rowid, content, about, topic, owner) "
        "VALUES (new.id, new.content, new.about, new.topic, 'u' || new.user_id); END",
    ):
        conn.exec_driver_sql(statement)


def _m004_emotion(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.message_emotions])


def _m005_accounts(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.credentials, schema.auth_sessions,
                                             schema.api_keys, schema.login_failures,
                                             schema.user_settings])


def _m006_organizer(conn: Connection) -> None:
    """Issue 7: proposals and the audit log, mail, calendar, file index. Each capability
    keeps its tables in its own package (os1.tools.*.tables)."""
    from os1.tools import tables as approvals
    from os1.tools.calendar import tables as calendar
    from os1.tools.files import tables as files
    from os1.tools.mail import tables as mail

    for module in (approvals, mail, calendar, files):
        schema.metadata.create_all(conn, tables=module.TABLES)
    for module in (mail, calendar, files):
        module.create_extras(conn)


def _m007_letters_music(conn: Connection) -> None:
    """Issue 8: the letter library (letters, their versions), books, composed pieces."""
    from os1.tools.letters import tables as letters
    from os1.tools.music import tables as music

    for module in (letters, music):
        schema.metadata.create_all(conn, tables=module.TABLES)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial: users, genesis, personas, conversations, messages, summaries", _m001_initial),
    (2, "memory: episodes, memories, vectors, reflection sources, full-text index", _m002_memory),
    (3, "memory: the owner inside the full-text index; message and slot indexes",
     _m003_fulltext_owner),
    (4, "emotion: the read of each message, for the mood timeline", _m004_emotion),
    (5, "accounts: passwords, sessions, API keys, sign-in failures, settings", _m005_accounts),
    (6, "organizer: proposals, audit log, mail, calendar, file index", _m006_organizer),
    (7, "letters, books and music: the letter library with versions, books, pieces",
     _m007_letters_music),
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
