"""Shared setup for the server benchmarks (server_sessions.py, server_chat.py, server_openai.py):
seeding people straight into the database with os1's own Store and Accounts, starting the
server (server_run.py) as a process of its own, a throwaway PostgreSQL cluster, reading the
server's memory, and checking afterwards what the database holds.

Why seed through the API objects rather than ``POST /api/auth/signup``: signing up hashes the
password with argon2id (about 50 ms of a core, on purpose), so 10,000 sign-ups would take
minutes and measure argon2. The rows written here are the ones signup, genesis and
``POST /api/keys`` write (a user, an active persona, a browser session, an API key), minus
the password hash, which no benchmark here signs in with.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as c  # noqa: E402

PYTHON = sys.executable


def raise_nofile() -> int:
    """Allow as many open files as the hard limit does (10k sockets need 10k descriptors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int | str = "self") -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment(args: Any) -> dict[str, Any]:
    import uvicorn
    import websockets

    quiet = getattr(args, "quiet", None)
    return {"cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "uvicorn": uvicorn.__version__, "websockets": websockets.__version__,
            "os1_commit": c.os1_commit(), "load_before": c.load_average(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **({"wait_quiet": quiet} if quiet else {})}


def add_common_flags(parser: Any) -> None:
    parser.add_argument("--postgres", action="store_true",
                        help="store in a throwaway PostgreSQL cluster (default: SQLite)")
    parser.add_argument("--load-models", action=__import__("argparse").BooleanOptionalAction,
                        default=True, help="the server loads the embedder and the emotion "
                        "classifier (memory by meaning, emotion reading); default: yes")
    parser.add_argument("--tokens", type=int, default=60, help="tokens per reply (default 60)")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="the simulated model's tokens/s per reply (default 30, like the "
                             "1.5B model on this machine)")
    parser.add_argument("--first-token-ms", type=float, default=200.0,
                        help="the simulated model's time to first token (default 200)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait (untimed) up to this long for other processes to leave the "
                             "CPU alone, before starting and before each measured phase")
    parser.add_argument("--server-deflate", action=__import__("argparse").BooleanOptionalAction,
                        default=False, help="the server accepts permessage-deflate on its "
                        "WebSockets (default: no, as os1 serve: ~35 KB of zlib state per socket "
                        "for little gain on small chat frames)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")


POSTGRES: Postgres | None = None  # the cluster of the current run, if any


# -- PostgreSQL -------------------------------------------------------------------------------
class Postgres:
    """A throwaway cluster with PostgreSQL's defaults (fsync on, synchronous_commit on,
    shared_buffers 128MB, max_connections 100): only the port, the listen address and the
    socket folder are set. As root, it runs as the ``postgres`` system user via runuser."""

    ROLE, PASSWORD = "os1", "os1-bench"

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: float(p.parent.parent.name))
        if not bins:
            raise SystemExit("PostgreSQL isn't installed (apt-get install postgresql).")
        self.bin = bins[-1].parent
        self.version = self.bin.parent.name
        self.base = Path(tempfile.mkdtemp(prefix="os1-bench-pg-"))
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.log = self.base / "postgres.log"
        self.as_user = "postgres" if os.geteuid() == 0 else None
        self.port = free_port()
        self.running = False

    def _run(self, *argv: str) -> None:
        cmd = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=self.base)

    def start(self) -> Postgres:
        for path in (self.base, self.sock):
            path.mkdir(exist_ok=True)
        self.log.touch()
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            for path in (self.base, self.sock, self.log):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--auth-local=trust", "--auth-host=scram-sha-256")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# os1 benchmark: only where it listens\nport = {self.port}\n"
                       f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.sock}'\n")
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60")
        self.running = True
        import psycopg

        with psycopg.connect(host=str(self.sock), port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {self.ROLE} LOGIN PASSWORD '{self.PASSWORD}'")
            conn.execute(f"CREATE DATABASE os1 OWNER {self.ROLE}")
            settings = {row[0]: row[1] for row in conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', "
                "'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level', "
                "'full_page_writes', 'server_version')")}
        self.settings = settings
        return self

    @property
    def url(self) -> str:
        return f"postgresql://{self.ROLE}:{self.PASSWORD}@127.0.0.1:{self.port}/os1"

    def describe(self) -> dict[str, Any]:
        return {"version": self.version, "settings": self.settings}

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, WAL writer, checkpointer…)."""
        try:
            main = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        found = [main]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == main:
                        found.append(int(entry.name))
        return found

    def stop(self) -> None:
        if self.running:
            self.running = False
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30")
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def database(args: Any) -> Iterator[tuple[str, dict[str, Any], Path]]:
    """(database URL or path, a description, a scratch folder) for one benchmark run."""
    scratch = Path(tempfile.mkdtemp(prefix="os1-bench-server-"))
    global POSTGRES
    pg = None
    try:
        if args.postgres:
            pg = POSTGRES = Postgres().start()
            yield pg.url, {"kind": "postgresql", **pg.describe()}, scratch
        else:
            path = scratch / "server.db"
            yield str(path), {"kind": "sqlite", "path": str(path),
                              "pragmas": "WAL, synchronous=NORMAL (os1's)"}, scratch
    finally:
        if pg is not None:
            POSTGRES = None
            pg.stop()
        if not getattr(args, "keep", False):
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            c.log(f"kept {scratch}")


# -- seeding ---------------------------------------------------------------------------------
@dataclass
class Person:
    user_id: int
    handle: str
    session: str  # the os1_session cookie
    key: str | None  # an API key (Authorization: Bearer …)


def seed(url: str, count: int, *, keys: bool = False, features: bool = True,
         threads: int = 1) -> tuple[list[Person], float]:
    """``count`` people who finished genesis, each with a browser session (and an API key),
    written with os1's Store and Accounts. Returns them and the seconds it took."""
    from os1.clock import SystemClock
    from os1.server.accounts import Accounts
    from os1.store import Store, open_engine

    clock = SystemClock()
    engine = open_engine(url, clock)
    store = Store(engine, clock, label=url)
    accounts = Accounts(store)
    started = time.perf_counter()

    def one(i: int) -> Person:
        handle = f"bench{i:05d}"
        user_id = store.ensure_user(handle)
        store.create_persona(user_id, **c.PERSONA)  # type: ignore[arg-type]
        if not features:
            accounts.save_settings(user_id, {"memory": False, "emotion": False, "voice": ""})
        token, _csrf = accounts.start_session(user_id)
        key = accounts.create_key(user_id, "bench")[1] if keys else None
        return Person(user_id, handle, token, key)

    try:
        if threads > 1:
            with ThreadPoolExecutor(threads) as pool:
                people = list(pool.map(one, range(count)))
        else:
            people = [one(i) for i in range(count)]
    finally:
        engine.dispose()
    return people, time.perf_counter() - started


def stored_messages(url: str, people: list[Person]) -> list[Any]:
    """Every user and assistant message of these people (read after the run)."""
    from sqlalchemy import select

    from os1.clock import SystemClock
    from os1.store import open_engine
    from os1.store import schema as s

    engine = open_engine(url, SystemClock())
    ids = [p.user_id for p in people]
    rows: list[Any] = []
    try:
        with engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows += list(conn.execute(select(
                    s.messages.c.user_id, s.messages.c.role, s.messages.c.content,
                    s.messages.c.status).where(s.messages.c.user_id.in_(ids[start:start + 500]),
                                               s.messages.c.role.in_(("user", "assistant")))))
    finally:
        engine.dispose()
    return rows


def check_stored(url: str, people: list[Person], expected: dict[str, str]) -> dict[str, Any]:
    """What the database holds against what was said: ``expected`` maps each message's tag to
    the reply body (after the marker) that must be stored for it."""
    from simulated_model import TAG, parse

    rows = stored_messages(url, people)
    user_tags = set()
    replies: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row.role == "user":
            user_tags.update(TAG.findall(row.content))
        else:
            parsed = parse(row.content)
            rest = parsed[2] if parsed else row.content
            found = re.match(r"re ([A-Za-z0-9_-]+):", rest)
            replies.setdefault(found.group(1) if found else "?", []).append((row.status, rest))
    missing_user = [t for t in expected if t not in user_tags]
    complete = [t for t, body in expected.items()
                if any(st == "complete" and rest == body for st, rest in replies.get(t, []))]
    return {"user_rows": sum(1 for r in rows if r.role == "user"),
            "assistant_rows": sum(1 for r in rows if r.role == "assistant"),
            "expected_exchanges": len(expected),
            "user_messages_missing": len(missing_user),
            "replies_complete_and_exact": len(complete),
            "replies_missing_or_wrong": len(expected) - len(complete),
            "examples_missing": (missing_user + [t for t in expected if t not in set(complete)])[:5]}


# -- the server process -----------------------------------------------------------------------
class ServerProcess:
    def __init__(self, url: str, args: Any, scratch: Path, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws"
        argv = [PYTHON, str(HERE / "server_run.py"), "--database", url, "--port", str(self.port),
                "--tokens", str(args.tokens), "--rate", str(args.rate),
                "--first-token-ms", str(args.first_token_ms), *(extra or [])]
        if args.load_models:
            argv.append("--load-models")
        if not args.server_deflate:
            argv.append("--no-ws-deflate")
        self.stderr_path = scratch / "server.stderr"
        self.stderr = open(self.stderr_path, "w", encoding="utf-8")  # noqa: SIM115
        started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise SystemExit(f"the server didn't start:\n{self.stderr_path.read_text()[-3000:]}")
        self.startup_s = time.perf_counter() - started
        self.pid = self.proc.pid

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.base + path, timeout=60) as reply:  # noqa: S310
            return json.loads(reply.read())

    def post(self, path: str) -> dict[str, Any]:
        req = urllib.request.Request(self.base + path, method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=60) as reply:  # noqa: S310
            return json.loads(reply.read())

    def rss(self) -> dict[str, int]:
        return rss_kb(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> dict[str, Any]:
        """SIGINT (uvicorn's graceful shutdown: running turns are finished or stored)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        problems = [line for line in text.splitlines()
                    if re.search(r"ERROR|Traceback|exception", line, re.IGNORECASE)]
        return {"exit_code": self.proc.returncode, "stderr_error_lines": len(problems),
                "stderr_first_errors": problems[:5]}


def loop_lag_summary(samples: list[float]) -> dict[str, Any]:
    return {"n": len(samples), "p50": c.r(c.percentile(samples, 50), 2),
            "p99": c.r(c.percentile(samples, 99), 2),
            "max": c.r(max(samples), 2) if samples else None}


def dist(values: list[float], digits: int = 1) -> dict[str, Any]:
    """p50/p90/p99/max (and n) of a list of milliseconds."""
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": c.r(c.percentile(values, 50), digits),
            "p90": c.r(c.percentile(values, 90), digits),
            "p99": c.r(c.percentile(values, 99), digits),
            "max": c.r(max(values), digits), "mean": c.r(sum(values) / len(values), digits)}


def wait_quiet(args: Any, what: str) -> dict[str, Any] | None:
    if not args.wait_quiet:
        return None
    c.log(f"waiting for a quiet machine before {what}")
    return c.wait_for_quiet(args.wait_quiet)


class Watch:
    """Cores used over a span by the server, by the clients (this process and its workers),
    and by everything else on the machine (the disturbance figure)."""

    def __init__(self, server_pid: int, client_pids: list[int]) -> None:
        self.server_pid, self.client_pids = server_pid, client_pids
        self.t0 = time.perf_counter()
        self.busy0 = c._busy_ticks()
        self.server0 = cpu_seconds(server_pid)
        self.clients0 = self._clients()
        self.db0 = self._db()

    @staticmethod
    def _db() -> dict[int, float]:
        if POSTGRES is None:
            return {}
        out = {}
        for pid in POSTGRES.pids():
            with contextlib.suppress(OSError):
                out[pid] = cpu_seconds(pid)
        return out

    def _clients(self) -> float:
        own = os.times()
        total = own.user + own.system
        for pid in self.client_pids:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        busy = (c._busy_ticks() - self.busy0) / os.sysconf("SC_CLK_TCK")
        server = cpu_seconds(self.server_pid) - self.server0
        clients = self._clients() - self.clients0
        db_now = self._db()
        db = sum(t - self.db0.get(pid, 0.0) for pid, t in db_now.items())
        out = {"server_cores": round(server / wall, 3), "client_cores": round(clients / wall, 3)}
        if POSTGRES is not None:
            out["postgres_cores"] = round(db / wall, 3)
        out["others_cores"] = round(max(0.0, busy - server - clients - db) / wall, 3)
        return out


def py_spy(pid: int, output: Path, wall: bool = False) -> subprocess.Popen:
    """py-spy recording ``pid`` (raw collapsed stacks, per thread) until it gets SIGINT: only
    the thread holding the GIL (CPU), or with ``wall`` every thread, waiting or not (where the
    event loop's thread sits blocked, e.g. in a database call). py-spy is in .venv/bin."""
    exe = Path(PYTHON).parent / "py-spy"
    mode = ["--idle"] if wall else ["-g"]
    return subprocess.Popen([str(exe if exe.exists() else "py-spy"), "record", "-p", str(pid),
                             "-o", str(output), "-f", "raw", "-t", *mode, "-r", "200",
                             "--nonblocking"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
