from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from os1.errors import StorageError
from os1.store import Store, open_engine
from os1.store.migrations import MIGRATIONS, latest_version


def test_migrations_recorded_once(tmp_path: Path, clock) -> None:
    path = tmp_path / "os1.db"
    open_engine(path, clock).dispose()
    open_engine(path, clock).dispose()  # second open applies nothing
    rows = sqlite3.connect(path).execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == [v for v, _, _ in MIGRATIONS]


def test_every_data_table_has_an_owner(tmp_path: Path, clock) -> None:
    path = tmp_path / "os1.db"
    open_engine(path, clock).dispose()
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    # The full-text indexes' own tables (memories, mail, files) are keyed by the id of a row
    # that has the owner, and carry the owner as a token.
    tables = [t for t in tables if "_fts" not in t]
    # Failed sign-ins are counted by the name tried and the address, which needn't be anyone's
    # account (that is the point of counting them); nothing is ever shown from them.
    for table in set(tables) - {"schema_migrations", "users", "login_failures"}:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        assert "user_id" in columns, table


def test_messages_are_scoped_to_their_owner(store: Store, persona) -> None:
    alice = persona.user_id
    bob = store.ensure_user("bob")
    conv = store.current_conversation(alice, persona.id)
    store.add_message(alice, conv, role="user", source="user", content="secret")
    assert store.messages(bob, conv) == []
    with pytest.raises(PermissionError):
        store.add_message(bob, conv, role="user", source="user", content="intrusion")
    assert [m.content for m in store.messages(alice, conv)] == ["secret"]


def test_newer_schema_is_refused(tmp_path: Path, clock) -> None:
    path = tmp_path / "os1.db"
    open_engine(path, clock).dispose()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', '2030-01-01')",
                 (latest_version() + 1,))
    conn.commit()
    with pytest.raises(StorageError, match="newer os1"):
        open_engine(path, clock)


def test_damaged_file_is_refused_and_untouched(tmp_path: Path, clock) -> None:
    path = tmp_path / "os1.db"
    path.write_bytes(b"this is not a database, just bytes" * 100)
    before = path.read_bytes()
    with pytest.raises(StorageError) as info:
        open_engine(path, clock)
    assert "damaged" in info.value.what and "mv" in info.value.fix
    assert path.read_bytes() == before


def test_persona_replacement_retires_the_old_one(store: Store, persona) -> None:
    new = store.create_persona(persona.user_id, name="Wren", name_story="…", user_name="Theo",
                               voice="male", traits=persona.traits, answers={})
    assert store.active_persona(persona.user_id) == new
    conn = store.engine.raw_connection()
    rows = conn.execute("SELECT name, active, retired_at IS NOT NULL FROM personas ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("Iris", 0, 1), ("Wren", 1, 0)]


def test_genesis_answers_upsert(store: Store, user_id: int) -> None:
    store.save_genesis_answer(user_id, "user_name", "Theo")
    store.save_genesis_answer(user_id, "user_name", "Theodore")
    assert store.genesis_answers(user_id) == {"user_name": "Theodore"}
