"""Opening the database: SQLite by default, any SQLAlchemy URL (PostgreSQL) for the server.

Library errors are translated here into ``StorageError``s that say what to do.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from os1.clock import Clock
from os1.errors import StorageError
from os1.store import migrations


def explain_sqlite_error(exc: BaseException, path: Path | str) -> StorageError:
    """Turn an sqlite3/SQLAlchemy error into words a person can act on."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    if "file is not a database" in text or "malformed" in text:
        return StorageError(
            f"The database at {path} is damaged (SQLite says: {orig}). os1 hasn't touched it.",
            f"Move it aside to start afresh (mv '{path}' '{path}.damaged'), or restore it "
            "from a backup. The damaged file keeps whatever can still be recovered "
            "(sqlite3 FILE .recover).",
        )
    if "readonly" in text or "read-only" in text:
        return StorageError(
            f"os1 can't write to the database at {path}: it (or its folder) is read-only.",
            f"Make it writable (chmod u+w '{path}' '{Path(path).parent}'), or choose another "
            "data directory with --data-dir or OS1_HOME.",
        )
    if "disk is full" in text or "database or disk is full" in text:
        return StorageError(
            f"The disk holding {path} is full, so os1 couldn't save. Nothing stored before was lost.",
            "Free some space and try again.",
        )
    if "unable to open" in text:
        return StorageError(
            f"os1 can't open the database at {path} (SQLite says: {orig}).",
            "Check that the folder exists and that you may write to it, or choose another "
            "data directory with --data-dir or OS1_HOME.",
        )
    if "locked" in text or "busy" in text:
        return StorageError(
            f"The database at {path} is busy: another program is writing to it.",
            "Close other os1 windows, then try again.",
        )
    return StorageError(f"The database at {path} failed: {orig}.",
                        "Try again; if it keeps failing, please report it.")


def _probe_sqlite(path: Path) -> None:
    """Fail early, before the person types anything, if the file can't be read or written.

    Permissions are checked before SQLite opens anything: opening a read-only database in
    WAL mode would leave read-only -wal/-shm files behind, and os1 would stay "read-only"
    even after the person made the database writable.
    """
    for candidate in (path, path.parent):
        if candidate.exists() and not os.access(candidate, os.W_OK):
            raise explain_sqlite_error(sqlite3.OperationalError("attempt to write a readonly "
                                                                "database"), path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    except sqlite3.Error as exc:
        raise explain_sqlite_error(exc, path) from exc
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise explain_sqlite_error(exc, path) from exc
    finally:
        conn.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Forgetting must really delete: freed pages are overwritten, not left readable.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Recall reads the full-text index and a few rows before every reply: keep hot pages
    # in memory (32 MB of cache, reads through mmap) rather than re-reading them each time.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def open_engine(url_or_path: str | Path, clock: Clock) -> Engine:
    """Open (creating if needed) and migrate a database. Raises StorageError."""
    url = str(url_or_path)
    if "://" not in url:
        path = Path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"os1 can't create its data directory {path.parent}: {exc.strerror}.",
                               "Choose another one with --data-dir or OS1_HOME.") from exc
        _probe_sqlite(path)
        engine = create_engine(f"sqlite:///{path}")
        event.listen(engine, "connect", _sqlite_pragmas)
        label: str | Path = path
    else:
        engine = create_engine(url, pool_pre_ping=True)
        label = url.split("@")[-1]  # never show credentials
    try:
        with engine.begin() as conn:
            found = migrations.applied_versions(conn)
            if found and max(found) > migrations.latest_version():
                raise StorageError(
                    f"The database at {label} was written by a newer os1 "
                    f"(schema {max(found)}; this os1 knows up to {migrations.latest_version()}).",
                    "Upgrade os1 (git pull, then run ./run.sh again).",
                )
            migrations.migrate(conn, clock)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise explain_sqlite_error(exc, label) from exc
    return engine


@contextmanager
def transaction(engine: Engine, label: str | Path = "the database") -> Iterator[Connection]:
    """A write transaction whose failures come out as StorageError."""
    try:
        with engine.begin() as conn:
            yield conn
    except (OperationalError, DBAPIError) as exc:
        raise explain_sqlite_error(exc, label) from exc
