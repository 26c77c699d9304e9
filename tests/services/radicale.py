"""A throwaway CalDAV server for the tests: Radicale (the PyPI package in the venv) on a free
port of 127.0.0.1, filesystem storage in a temp dir, htpasswd users with plain passwords,
stopped at the end.

The helpers talk to it with plain HTTP (urllib) and read its storage folder directly, so a
test's view of the server doesn't depend on the CalDAV client under test.
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.services import STARTUP_SECONDS, ServiceError, end_process, free_port, log_tail, unavailable

INSTALL = ".venv/bin/pip install radicale"


@dataclass(frozen=True)
class EventState:
    """One event as the server keeps it (the master component of each resource)."""

    uid: str
    summary: str
    start: str  # the DTSTART as written (iso), so time zones show
    end: str
    rrule: str = ""


class RadicaleServer:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.storage = base / "collections"
        self.config_path = base / "radicale.conf"
        self.users_path = base / "users"
        self.log_path = base / "radicale.log"
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.users: dict[str, str] = {}

    # -- addresses -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def calendar_url(self, user: str, calendar: str) -> str:
        return f"{self.url}{user}/{calendar}/"

    # -- users and collections -------------------------------------------------------------
    def add_user(self, user: str, password: str) -> None:
        """Add (or change) a user; Radicale rereads the htpasswd file on each login."""
        self.users[user] = password
        self.users_path.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()))

    def request(self, method: str, path_or_url: str, user: str, body: str = "",
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        url = path_or_url if "://" in path_or_url else self.url + path_or_url.lstrip("/")
        token = base64.b64encode(f"{user}:{self.users[user]}".encode()).decode()
        req = urllib.request.Request(url, data=body.encode() if body else None, method=method,
                                     headers={"Authorization": f"Basic {token}",
                                              "Content-Type": "text/calendar; charset=utf-8",
                                              **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def make_calendar(self, user: str, name: str, display_name: str | None = None) -> str:
        """MKCALENDAR /user/name/ (the user's home collection is made on first login)."""
        self.request("PROPFIND", f"/{user}/", user, headers={"Depth": "0"})
        body = ("<?xml version='1.0' encoding='utf-8'?>"
                "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'>"
                f"<D:set><D:prop><D:displayname>{display_name or name}</D:displayname>"
                "</D:prop></D:set></C:mkcalendar>")
        status, reply = self.request("MKCALENDAR", f"/{user}/{name}/", user, body,
                                     {"Content-Type": "application/xml"})
        if status not in (200, 201):
            raise ServiceError(f"Radicale refused MKCALENDAR /{user}/{name}/: {status} "
                               f"{reply[:200]!r}", self.log_path)
        return self.calendar_url(user, name)

    def put_event(self, user: str, calendar: str, ics: str, name: str) -> None:
        status, reply = self.request("PUT", f"/{user}/{calendar}/{name}.ics", user, ics)
        if status not in (200, 201, 204):
            raise ServiceError(f"Radicale refused PUT: {status} {reply[:200]!r}", self.log_path)

    def snapshot(self, user: str, calendar: str) -> dict[str, EventState]:
        """Every event on the server in this calendar, read from Radicale's storage folder:
        {uid: EventState}. Compare two snapshots to see exactly what changed."""
        import icalendar

        folder = self.storage / "collection-root" / user / calendar
        out: dict[str, EventState] = {}
        for path in sorted(folder.glob("*.ics")):
            cal = icalendar.Calendar.from_ical(path.read_bytes())
            for comp in cal.walk("VEVENT"):
                if comp.get("RECURRENCE-ID") is not None:
                    continue
                uid = str(comp.get("UID"))
                end = comp.get("DTEND")
                out[uid] = EventState(
                    uid=uid, summary=str(comp.get("SUMMARY", "")),
                    start=comp.decoded("DTSTART").isoformat(),
                    end=end.dt.isoformat() if end is not None else "",
                    rrule=_text(comp["RRULE"].to_ical()) if comp.get("RRULE") else "")
        return out

    def resources(self, user: str, calendar: str) -> dict[str, str]:
        """{file name: raw text} of every resource in the calendar, as stored."""
        folder = self.storage / "collection-root" / user / calendar
        return {p.name: p.read_text() for p in sorted(folder.glob("*.ics"))}

    def wipe(self) -> None:
        """Forget every collection (between tests)."""
        shutil.rmtree(self.storage / "collection-root", ignore_errors=True)

    # -- process ---------------------------------------------------------------------------
    def _write_config(self) -> None:
        self.config_path.write_text(f"""
[server]
hosts = {self.host}:{self.port}
[auth]
type = htpasswd
htpasswd_filename = {self.users_path}
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {self.storage}
[web]
type = none
[logging]
level = warning
""")

    def _answers(self) -> bool:
        req = urllib.request.Request(self.url, method="OPTIONS")
        try:
            with urllib.request.urlopen(req, timeout=1) as resp:
                return resp.status < 500
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    def start(self, attempts: int = 3, port: int | None = None) -> None:
        """Start Radicale (on ``port`` to restart it where clients expect it)."""
        if not self.users_path.exists():
            self.users_path.write_text("")
        for attempt in range(attempts):
            self.port = port or free_port()
            self._write_config()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "radicale", "--config", str(self.config_path)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if self._answers():
                    return
                time.sleep(0.05)
            exited = self.process.poll() is not None
            self.stop_process()
            tail = log_tail(self.log_path, 10).lower()
            if exited and "in use" in tail and attempt + 1 < attempts and port is None:
                continue
            what = (f"Radicale exited (code {self.process.returncode}) while starting"
                    if exited else f"Radicale didn't answer within {STARTUP_SECONDS:.0f} s")
            raise ServiceError(f"{what} on port {self.port}.", self.log_path)

    def stop_process(self) -> None:
        end_process(self.process)

    def restart(self) -> None:
        """Stop and start again on the same port, keeping the storage."""
        self.stop_process()
        self.start(port=self.port)

    def stop(self) -> None:
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)

    def __repr__(self) -> str:  # never the users' passwords
        return f"RadicaleServer({self.url})"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def start_radicale() -> RadicaleServer:
    """Start a Radicale, or skip (fail, when services are required) if it isn't installed."""
    if importlib.util.find_spec("radicale") is None:
        unavailable("Radicale isn't installed in this Python", INSTALL)
    server = RadicaleServer(Path(tempfile.mkdtemp(prefix="os1-radicale-")))
    atexit.register(server.stop)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server

