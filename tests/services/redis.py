"""A throwaway Redis for the tests: redis-server on a free port of 127.0.0.1, nothing saved
to disk, stopped at the end. Spoken to over a plain socket, so no Redis client is needed."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.services import STARTUP_SECONDS, ServiceError, end_process, free_port, log_tail, unavailable

INSTALL = "sudo apt-get install redis-server (Debian/Ubuntu), or brew install redis (macOS)"


def find_redis_server() -> str | None:
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _command(*parts: str) -> bytes:
    """One command in Redis's wire protocol (RESP)."""
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RedisServer:
    def __init__(self, program: str, base: Path) -> None:
        self.program = program
        self.base = base
        self.log_path = base / "redis.log"
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def call(self, *parts: str, timeout: float = 5.0) -> bytes:
        """Send one command and return the first line of the reply (e.g. b'+PONG')."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(_command(*parts))
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.strip()

    def flushall(self) -> None:
        reply = self.call("FLUSHALL")
        if reply != b"+OK":
            raise ServiceError(f"Redis refused FLUSHALL: {reply!r}", self.log_path)

    def start(self, attempts: int = 3) -> None:
        for attempt in range(attempts):
            self.port = free_port()
            self.log_path.write_bytes(b"")
            self.process = subprocess.Popen(
                [self.program, "--port", str(self.port), "--bind", self.host, "--save", "",
                 "--appendonly", "no", "--dir", str(self.base), "--logfile", str(self.log_path),
                 "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(OSError):
                    if self.call("PING", timeout=1.0) == b"+PONG":
                        return
                time.sleep(0.05)
            exited = self.process.poll() is not None
            self.stop_process()
            if exited and "in use" in log_tail(self.log_path, 10) and attempt + 1 < attempts:
                continue
            what = (f"redis-server exited (code {self.process.returncode}) while starting"
                    if exited else f"redis-server didn't answer PING within {STARTUP_SECONDS:.0f} s")
            raise ServiceError(f"{what} on port {self.port}.", self.log_path)

    def stop_process(self) -> None:
        end_process(self.process)

    def stop(self) -> None:
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)


def start_redis() -> RedisServer:
    """Start a Redis, or skip (fail, when services are required) if it isn't installed."""
    program = find_redis_server()
    if program is None:
        unavailable("Redis isn't installed (no redis-server on PATH)", INSTALL)
    server = RedisServer(program, Path(tempfile.mkdtemp(prefix="os1-redis-")))
    atexit.register(server.stop)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
