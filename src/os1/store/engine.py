"""Opening the database: SQLite by default, PostgreSQL (``postgresql://`` URLs) for the server.

Library errors are translated here into ``StorageError``s that say what to do. A PostgreSQL
password never appears in them, nor in the label used in logs.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from os1.clock import Clock
from os1.errors import StorageError
from os1.store import migrations

# A server process: enough connections for concurrent requests and background learning,
# without one process taking all of PostgreSQL's default 100.
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
PG_CONNECT_TIMEOUT = 10  # seconds
# Held (per transaction) while migrating, so two server processes starting together don't
# both create the tables. Any constant works; this one is "os1" in ASCII.
_MIGRATION_LOCK = 0x6F7331


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


# -- PostgreSQL ---------------------------------------------------------------------------

_PG_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(url: str | Path) -> bool:
    scheme = str(url).split("://", 1)[0].lower() if "://" in str(url) else ""
    return scheme.split("+", 1)[0] in _PG_SCHEMES


def redact(text: str, password: str | None = None) -> str:
    """``text`` with any URL or conninfo password replaced by ``***``."""
    if password:
        text = text.replace(password, "***")
    text = re.sub(r"(://[^/@\s:]*:)[^\s]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)


def postgres_url(url: str) -> URL:
    """``postgres://`` and ``postgresql://`` as SQLAlchemy URLs for psycopg 3
    (``postgresql+psycopg://``); an explicitly named driver is kept."""
    scheme, rest = url.split("://", 1)
    dialect, _, driver = scheme.lower().partition("+")
    try:
        parsed = make_url(f"postgresql+{driver or 'psycopg'}://{rest}")
    except (ArgumentError, ValueError):
        raise StorageError(  # from None: SQLAlchemy's message would repeat the password
            f"os1 can't read the database URL {redact(url)}.",
            "Write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE (with special characters "
            "in the password percent-encoded, e.g. @ as %40).") from None
    if dialect not in _PG_SCHEMES:
        raise StorageError(f"os1 doesn't know the database kind {dialect!r} in {redact(url)}.",
                           "Use a postgresql:// URL, or a file path for SQLite.")
    return parsed


def database_label(url_or_path: str | Path) -> str:
    """Where the data is, for messages and logs: a path, or a URL without its password."""
    text = str(url_or_path)
    if "://" not in text:
        return text
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        return redact(text)
    return url._replace(password=None).render_as_string()


def _pg_parts(label: str | Path, url: URL | None) -> tuple[str, str, str]:
    """(host:port, database, user) for messages, from the engine's URL or else the label."""
    if url is None:
        try:
            url = make_url(str(label))
        except (ArgumentError, ValueError):
            return str(label), "the database", "the user"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return where, url.database or "the database", url.username or "the user"


def explain_postgres_error(exc: BaseException, label: str | Path,
                           url: URL | None = None) -> StorageError:
    """Turn a psycopg/SQLAlchemy error into words a person can act on. ``url`` (the engine's)
    names the server, database and user, and its password is blanked wherever it appears."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlstate", None) or ""
    message = redact(str(orig).strip(), url.password if url is not None else None)
    said = message.lower()
    first = message.splitlines()[0] if message else type(orig).__name__
    where, database, user = _pg_parts(label, url)
    if isinstance(exc, PoolTimeoutError):
        return StorageError(f"All of os1's connections to the PostgreSQL database at {label} are "
                            "busy.", "Try again in a moment; if it keeps happening, the database "
                            "is too slow for the load (or a query is stuck).")
    if code == "28P01" or "password authentication failed" in said:
        return StorageError(f"PostgreSQL at {where} refused the user {user}: wrong password, or "
                            "no such user.",
                            "Check the user and password in the database URL (OS1_DATABASE_URL); "
                            "the password is never shown.")
    if code == "3D000" or ("database" in said and "does not exist" in said):
        return StorageError(f"The PostgreSQL database {database} doesn't exist on {where}.",
                            f"Create it (e.g. sudo -u postgres createdb -O {user} {database}), or "
                            "fix the database name in the URL (OS1_DATABASE_URL).")
    if code == "28000" or "pg_hba.conf" in said or ("role" in said and "does not exist" in said):
        return StorageError(f"PostgreSQL at {where} doesn't let {user} connect to {database} "
                            f"(it says: {first}).",
                            "Create the user, or allow it in the server's pg_hba.conf.")
    if "connection refused" in said or "no such file or directory" in said:
        return StorageError(f"os1 can't reach PostgreSQL at {where}: nothing accepted the "
                            "connection.",
                            "Start PostgreSQL (e.g. sudo systemctl start postgresql), or check "
                            "the host and port in the database URL (OS1_DATABASE_URL).")
    if "resolve host" in said or "translate host name" in said or "name or service" in said:
        return StorageError(f"os1 can't find the PostgreSQL host in {label}.",
                            "Check the host name in the database URL (OS1_DATABASE_URL).")
    if "timeout expired" in said or "timed out" in said:
        return StorageError(f"PostgreSQL at {where} didn't answer within "
                            f"{PG_CONNECT_TIMEOUT} s.",
                            "Check that it is running and that no firewall blocks the port.")
    if code == "42501" or "permission denied" in said:
        return StorageError(f"The PostgreSQL user {user} may not create or change os1's tables in "
                            f"{database} ({first}).",
                            f"Make it the database's owner (ALTER DATABASE {database} OWNER TO "
                            f"{user};). Since PostgreSQL 15 only the owner may create tables in "
                            "the public schema.")
    if code == "53100" or "no space left" in said or "disk full" in said:
        return StorageError(f"The disk of the PostgreSQL server at {where} is full, so os1 "
                            "couldn't save. Nothing stored before was lost.",
                            "Free some space on the database server and try again.")
    if code == "53300" or "too many clients" in said or "connection slots" in said:
        return StorageError(f"PostgreSQL at {where} has no free connections.",
                            "Try again in a moment; raise max_connections on the server, or run "
                            "fewer os1 processes.")
    if code == "25006" or "read-only transaction" in said:
        return StorageError(f"PostgreSQL at {where} is read-only (a standby?), so os1 can't save.",
                            "Point the database URL (OS1_DATABASE_URL) at the primary server.")
    if code.startswith(("57P", "08")) or "server closed the connection" in said \
            or "terminating connection" in said or "starting up" in said \
            or "shutting down" in said:
        return StorageError(f"The connection to PostgreSQL at {where} was lost ({first}).",
                            "Try again; if it keeps failing, check that the server is running.")
    if code == "22001" or "value too long" in said:
        return StorageError(f"Something was too long for the database to keep ({first}); "
                            "nothing was saved.", "Shorten it and try again.")
    if code in ("40001", "40P01"):
        return StorageError("Another change to the same data got in the way, so os1 couldn't "
                            "save this one.", "Try again.")
    return StorageError(f"The PostgreSQL database at {label} failed: {first}.",
                        "Try again; if it keeps failing, please report it.")


def explain_storage_error(exc: BaseException, label: str | Path,
                          url: URL | None = None) -> StorageError:
    """SQLite or PostgreSQL, whichever raised ``exc``; ``url`` is the engine's."""
    orig = getattr(exc, "orig", None) or exc
    if type(orig).__module__.startswith("psycopg") or is_postgres_url(label) \
            or isinstance(exc, PoolTimeoutError) \
            or (url is not None and url.get_backend_name() == "postgresql"):
        return explain_postgres_error(exc, label, url)
    return explain_sqlite_error(exc, label)


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


def _open_postgres(url: str) -> tuple[Engine, str]:
    parsed = postgres_url(url)
    connect_args: dict[str, Any] = {"application_name": "os1"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
    try:
        engine = create_engine(parsed, pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW,
                               pool_pre_ping=True, pool_recycle=1800,
                               connect_args=connect_args)
    except ImportError as exc:
        raise StorageError("os1 needs the psycopg driver to use PostgreSQL, and it isn't "
                           "installed.", "Install it with: pip install 'psycopg[binary]>=3.1' "
                           "(or pip install -e '.[server]').") from exc
    return engine, database_label(url)


def open_engine(url_or_path: str | Path, clock: Clock) -> Engine:
    """Open (creating if needed) and migrate a database. Raises StorageError.

    A path (or a ``sqlite://`` URL) is SQLite; ``postgresql://`` or ``postgres://`` is
    PostgreSQL through psycopg 3, with a connection pool sized for a server.
    """
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
    elif is_postgres_url(url):
        engine, label = _open_postgres(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
        label = database_label(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            found = migrations.applied_versions(conn)
            if found and max(found) > migrations.latest_version():
                raise StorageError(
                    f"The database at {label} was written by a newer os1 "
                    f"(schema {max(found)}; this os1 knows up to {migrations.latest_version()}).",
                    "Upgrade os1 (git pull, then run ./run.sh again).",
                )
            migrations.migrate(conn, clock)
    except (OperationalError, DBAPIError, PoolTimeoutError) as exc:
        engine.dispose()
        raise explain_storage_error(exc, label, engine.url) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def transaction(engine: Engine, label: str | Path = "the database") -> Iterator[Connection]:
    """A write transaction whose failures come out as StorageError."""
    try:
        with engine.begin() as conn:
            yield conn
    except (OperationalError, DBAPIError, PoolTimeoutError) as exc:
        raise explain_storage_error(exc, label, engine.url) from exc
