"""Real servers for the tests: a throwaway PostgreSQL cluster and a Redis, started once per
session on free ports and removed afterwards.

When a server's programs aren't installed the tests that need it are skipped, with the
command that installs them; ``OS1_REQUIRE_SERVICES=1`` (set by test.sh, which installs
them) turns that skip into a failure, so a green run really ran them.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import pytest

STARTUP_SECONDS = 30.0


def services_required() -> bool:
    return os.environ.get("OS1_REQUIRE_SERVICES", "").strip() not in ("", "0")


def unavailable(what: str, install: str) -> NoReturn:
    """Skip (or, when the services are required, fail) because ``what`` can't run here."""
    message = f"{what}. Install it with: {install}"
    if services_required():
        pytest.fail(f"{message} (OS1_REQUIRE_SERVICES=1, so this fails instead of skipping)",
                    pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log was written)"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


class ServiceError(RuntimeError):
    """A test server didn't start or stop; the message carries its log's last lines."""

    def __init__(self, what: str, log: Path, extra: Iterable[str] = ()) -> None:
        details = "\n".join(extra)
        super().__init__(f"{what}\n{details}\n--- last lines of {log} ---\n{log_tail(log)}".strip())


def end_process(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a test server's process: politely, then for good after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
