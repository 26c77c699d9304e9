"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, started on a
free port of 127.0.0.1 (and a unix socket inside the folder), deleted at the end.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the
``postgres`` system user (which Debian's package creates) and its programs run through
``runuser``. The superuser ``postgres`` is reached over the unix socket without a password;
os1 connects over TCP as ``os1``, with a password (scram-sha-256), as it would in production.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.services import STARTUP_SECONDS, ServiceError, free_port, log_tail, unavailable

INSTALL = "sudo apt-get install postgresql (Debian/Ubuntu), or brew install postgresql (macOS)"
ROLE = "os1"
PASSWORD = "os1-test"
SYSTEM_USER = "postgres"
# The server's time zone, when the system has the zone database (PostgreSQL uses it).
ZONE = "Asia/Kolkata" if Path("/usr/share/zoneinfo/Asia/Kolkata").exists() else "UTC"


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin (Debian
    keeps them off PATH), else wherever PATH has them."""
    candidates = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        version = folder.parent.name
        if re.fullmatch(r"\d+(\.\d+)?", version) and (folder / "initdb").exists() \
                and (folder / "pg_ctl").exists():
            candidates.append((float(version), folder))
    if candidates:
        return max(candidates)[1]
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).parent / "initdb").exists():
        return Path(on_path).parent
    return None


class PostgresServer:
    """One running cluster. ``create_database`` gives each test an empty database of its own."""

    def __init__(self, bin_dir: Path, base: Path, *, as_user: str | None) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data_dir = base / "data"
        self.socket_dir = base / "sock"
        self.log_path = base / "postgres.log"
        self.as_user = as_user  # run PostgreSQL's programs as this system user (when root)
        self.host = "127.0.0.1"
        self.port = 0
        self.role = ROLE
        self.password = PASSWORD
        self._numbers = itertools.count(1)
        self._running = False

    # -- lifecycle -------------------------------------------------------------------------
    def _run(self, program: str, *args: str, timeout: float = STARTUP_SECONDS) -> None:
        argv = [str(self.bin_dir / program), *args]
        if self.as_user:
            argv = ["runuser", "-u", self.as_user, "--", *argv]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                    cwd=self.base, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"PostgreSQL's {program} didn't finish within {timeout:.0f} s.",
                               self.log_path) from exc
        if result.returncode != 0:
            raise ServiceError(f"PostgreSQL's {program} failed (exit {result.returncode}).",
                               self.log_path, [result.stdout.strip(), result.stderr.strip()])

    def _chown(self, path: Path) -> None:
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def init(self) -> None:
        for folder in (self.base, self.socket_dir):
            folder.mkdir(exist_ok=True)
            self._chown(folder)
        self.log_path.touch()
        self._chown(self.log_path)
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")

    def start(self, attempts: int = 3) -> None:
        """Start on a free port (another one if something took it in the meantime)."""
        conf = self.data_dir / "postgresql.conf"
        original = conf.read_text(encoding="utf-8")
        for attempt in range(attempts):
            self.port = free_port()
            settings = {
                "port": str(self.port),
                "listen_addresses": f"'{self.host}'",
                "unix_socket_directories": f"'{self.socket_dir}'",
                # Throwaway data: never wait for the disk.
                "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                "max_connections": "100", "shared_buffers": "32MB",
                # Not UTC on purpose: timestamps must come back right whatever the server's
                # zone (psycopg hands them back in it).
                "timezone": f"'{ZONE}'",
                "log_min_messages": "warning", "log_min_error_statement": "panic",
            }
            conf.write_text(original + "\n# os1 tests\n" + "".join(
                f"{key} = {value}\n" for key, value in settings.items()), encoding="utf-8")
            try:
                self._run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path),
                          "-w", "-t", str(int(STARTUP_SECONDS)), timeout=STARTUP_SECONDS + 10)
            except ServiceError:
                in_use = "already in use" in log_tail(self.log_path, 10)
                if in_use and attempt + 1 < attempts:
                    continue
                raise
            self._running = True
            return

    def stop(self) -> None:
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w",
                          "-t", "20")
            except ServiceError:
                with contextlib.suppress(ServiceError):
                    self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate",
                              "-w", "-t", "10")
        shutil.rmtree(self.base, ignore_errors=True)

    # -- administration ----------------------------------------------------------------------
    def admin(self) -> Any:
        """An autocommit connection as the superuser, over the unix socket."""
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres",
                               dbname="postgres", autocommit=True, connect_timeout=10)

    def create_role(self) -> None:
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(self.role), sql.Literal(self.password)))

    def create_database(self, prefix: str = "os1_t") -> str:
        """An empty database owned by the os1 role (so it may create tables in ``public``)."""
        from psycopg import sql

        name = f"{prefix}_{next(self._numbers)}"
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(self.role)))
        return name

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        # FORCE: a test that forgot to dispose of its engine doesn't keep the database alive.
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    def url(self, database: str, *, password: str | None = None) -> str:
        return (f"postgresql://{self.role}:{self.password if password is None else password}"
                f"@{self.host}:{self.port}/{database}")


def start_postgres() -> PostgresServer:
    """Start a cluster, or skip (fail, when services are required) if PostgreSQL is missing."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL isn't installed (no initdb/pg_ctl in /usr/lib/postgresql/*/bin "
                    "or on PATH)", INSTALL)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("The PostgreSQL driver psycopg isn't installed in this environment",
                    "pip install -e '.[server]'")
    as_user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            unavailable("The tests run as root, which PostgreSQL refuses, and there is no "
                        f"'{SYSTEM_USER}' system user to run it as", INSTALL)
        if shutil.which("runuser") is None:
            unavailable("The tests run as root and runuser (to run PostgreSQL as "
                        f"'{SYSTEM_USER}') is missing", "sudo apt-get install util-linux")
        as_user = SYSTEM_USER
    base = Path(tempfile.mkdtemp(prefix="os1-pg-"))  # /tmp: reachable by the postgres user
    server = PostgresServer(bin_dir, base, as_user=as_user)
    atexit.register(server.stop)  # also when the session is interrupted
    try:
        server.init()
        server.start()
        server.create_role()
    except BaseException:
        server.stop()
        raise
    return server
