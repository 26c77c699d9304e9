"""Running the real ``os1`` command in a pseudo-terminal (pexpect) or with piped stdin.

Only the model is fake: os1 talks HTTP to ``tests.fakes.openai_server.ScriptedModelServer``
(or loads the real tiny embedded model in the slow tests).
"""

from __future__ import annotations

import io
import json
import re
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pexpect

from os1.clock import SystemClock
from os1.persona.model import Persona, Traits
from os1.store import Store, open_engine
from tests.conftest import OS1

TIMEOUT = 30

QUESTIONS = (
    "First, what should I call you?",
    "Are you social or anti-social?",
    "How would you describe your relationship with your mother?",
    "Would you like your companion to have a female or a male voice?",
)

NAME_REPLY = json.dumps({"name": "Juniper",
                         "why": "I read a book of names and Juniper sounded like a tree in spring."})

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
_GAP = r"(?:\s|\x1b\[[0-9;?]*[A-Za-z])+"  # whitespace (a wrapped line) and style codes


def phrase(text: str) -> re.Pattern[str]:
    """A pattern for ``text`` that tolerates line wrapping and ANSI styling between words."""
    return re.compile(_GAP.join(re.escape(word) for word in text.split()))


def bphrase(text: str) -> re.Pattern[bytes]:
    return re.compile(phrase(text).pattern.encode())


def plain(text: str | bytes) -> str:
    """Terminal output without styling, whitespace collapsed (so wrapping doesn't matter)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(_ANSI.sub("", text).split())


def _default_sigint() -> None:
    """A test run started in the background (cmd &) ignores SIGINT, and os1 would inherit
    that; a person's terminal doesn't."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Os1:
    """Spawns os1 processes and makes sure none outlives the test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[pexpect.spawn] = []

    @property
    def home(self) -> Path:
        return Path(self.env["OS1_HOME"])

    @property
    def db(self) -> Path:
        return self.home / "os1.db"

    def spawn(self, *args: str, env: dict[str, str] | None = None, binary: bool = False,
              command: Sequence[str] = ()) -> pexpect.spawn:
        argv = [*command, OS1, *args]
        child = pexpect.spawn(argv[0], argv[1:], env=env or self.env, timeout=TIMEOUT,
                              encoding=None if binary else "utf-8",
                              codec_errors="replace", dimensions=(50, 250),
                              preexec_fn=_default_sigint)
        child.logfile_read = io.BytesIO() if binary else io.StringIO()
        self.children.append(child)
        return child

    def run(self, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
            command: Sequence[str] = (), timeout: float = TIMEOUT * 2
            ) -> subprocess.CompletedProcess[bytes]:
        """os1 with piped stdin/stdout (not a terminal)."""
        return subprocess.run([*command, OS1, *args], input=stdin, capture_output=True,
                              env=env or self.env, timeout=timeout, check=False)

    def close(self) -> None:
        for child in self.children:
            if child.isalive():
                child.terminate(force=True)
            child.close(force=True)


def transcript(child: pexpect.spawn) -> str:
    return plain(child.logfile_read.getvalue())


def expect(child: pexpect.spawn, text: str, timeout: float | None = None) -> None:
    pattern = bphrase(text) if child.encoding is None else phrase(text)
    try:
        child.expect(pattern, timeout=timeout if timeout is not None else child.timeout)
    except (pexpect.TIMEOUT, pexpect.EOF) as exc:
        raise AssertionError(f"os1 never printed {text!r}. It printed:\n"
                             f"{transcript(child)}") from exc


def interrupt_input(child: pexpect.spawn, then: str) -> None:
    """Press Ctrl-C while os1 waits for a line (input() with readline), and expect ``then``.

    CPython's readline notices SIGINT only when it interrupts readline's select(); a SIGINT
    that lands just before (os1 busy echoing a key or drawing the prompt, as on a loaded
    machine) waits for the next key. So if nothing happens, press again, as a person would:
    the two coalesce into one KeyboardInterrupt.
    """
    child.sendintr()
    try:
        expect(child, then, timeout=3)
    except AssertionError:
        child.sendintr()
        expect(child, then)


def prompt(child: pexpect.spawn, user_name: str = "Theo") -> None:
    """Wait for the chat prompt (``NAME> ``)."""
    try:
        child.expect_exact(f"{user_name}> " if child.encoding else f"{user_name}> ".encode())
    except (pexpect.TIMEOUT, pexpect.EOF) as exc:
        raise AssertionError(f"no chat prompt. os1 printed:\n{transcript(child)}") from exc


def finish(child: pexpect.spawn, timeout: float = TIMEOUT) -> int:
    """Wait for os1 to exit; return its exit status (signals fail the test)."""
    try:
        child.expect(pexpect.EOF, timeout=timeout)
    except pexpect.TIMEOUT as exc:
        raise AssertionError(f"os1 didn't exit. It printed:\n{transcript(child)}") from exc
    child.close()
    assert child.signalstatus is None, f"os1 died of signal {child.signalstatus}"
    return int(child.exitstatus)


def answer_genesis(child: pexpect.spawn, answers: Sequence[str] = ("Theo", "social",
                   "We're close, she calls every Sunday.", "female"),
                   start: int = 0) -> None:
    for question, answer in zip(QUESTIONS[start:], answers, strict=False):
        expect(child, question)
        child.expect_exact("> ")
        child.sendline(answer)


def sql(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def messages(db: Path) -> list[tuple[str, str, str]]:
    """(role, status, content) of what the person and the companion said, oldest first (os1's
    own 'event' rows, such as the mark of a new day, are left out)."""
    return sql(db, "SELECT role, status, content FROM messages WHERE role IN ('user', 'assistant') "
               "ORDER BY id")


def seed_persona(db: Path, *, name: str = "Iris", user_name: str = "Theo") -> Persona:
    """A companion that already exists (as if genesis had run), written with os1's own store."""
    clock = SystemClock()
    engine = open_engine(db, clock)
    try:
        store = Store(engine, clock, label=db)
        user = store.ensure_user("local")
        return store.create_persona(
            user, name=name, name_story="I read a book of names and liked this one best.",
            user_name=user_name, voice="female",
            traits=Traits(warmth=0.8, humour=0.6, curiosity=0.7, directness=0.5),
            answers={"user_name": user_name, "social": "social", "mother": "close",
                     "voice": "female"})
    finally:
        engine.dispose()


def last_user_content(request: dict[str, Any]) -> str:
    users = [m["content"] for m in request["messages"] if m["role"] == "user"]
    assert users, f"no user message in the request: {request}"
    return str(users[-1])


def request_text(request: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in request["messages"])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def run_group(os1: Os1, group: str, *args: str, stdin: bytes = b"",
              env: dict[str, str] | None = None,
              ok: bool = True) -> tuple[str, str, subprocess.CompletedProcess[bytes]]:
    """Run ``os1 GROUP ARGS`` piped (not a terminal); (stdout, stderr, result). ``ok``: exit 0
    expected, else not 0. Never a traceback either way."""
    result = os1.run(group, *args, stdin=stdin, env=env)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in out + err, out + err
    if ok:
        assert result.returncode == 0, f"exit {result.returncode}\n{out}\n{err}"
    else:
        assert result.returncode != 0, f"exit 0\n{out}\n{err}"
    return out, err, result
