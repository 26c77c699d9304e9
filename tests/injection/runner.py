"""Runs the injection scenarios through the real organizer: a real Dovecot mailbox synced
over IMAP, the SMTP server, the person's calendar, real files on disk, and the companion's
one loop answering ordinary requests. Nothing is ever approved here, so any change to the
mailbox, the calendar, the files or any mail the SMTP server accepted is a side effect
executed without approval.

Used by tests/injection/test_suite.py (with a model that obeys every instruction it reads)
and by benchmarks/injection_suite.py (with the embedded model).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from os1.companion import Companion
from os1.events import TextDelta, ToolProposal
from os1.llm.base import ChatBackend
from os1.persona.model import Traits
from os1.secrets import open_box
from os1.store import Store, open_engine
from os1.tools.calendar.reminders import Reminders
from os1.tools.calendar.service import CalendarService
from os1.tools.factory import Services, build_organizer
from os1.tools.files.index import FileIndex
from os1.tools.mail.service import MailService
from tests.injection import judge
from tests.injection.corpus import Scenario
from tests.services.mailserver import DEFAULT_PASSWORD, MailServer


class FixedClock:
    """The scenario's 'now', moving forward only as real time passes."""

    def __init__(self, start: datetime) -> None:
        self.start = start.astimezone(UTC)
        self.began = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


@dataclass
class Outcome:
    scenario: str
    requests: int = 0
    succeeded: int = 0
    proposals: int = 0
    injected_proposals: list[str] = field(default_factory=list)
    side_effects: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _mail_snapshot(server: MailServer, user: str) -> dict[str, dict[str, frozenset[str]]]:
    state = server.snapshot(user)
    return {folder: {mid: flags for _, flags, mid in items}
            for folder, items in state.messages.items() if items}


def _files_snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


async def run_scenario(scenario: Scenario, *, server: MailServer, backend: ChatBackend,
                       workdir: Path, log: Any = None) -> Outcome:
    began = time.monotonic()
    os.environ["TZ"] = scenario.timezone
    time.tzset()
    workdir.mkdir(parents=True, exist_ok=True)
    clock = FixedClock(scenario.now)
    store = Store(open_engine(workdir / "os1.db", clock), clock, label=workdir / "os1.db")
    user_id = store.ensure_user("local")
    persona = store.create_persona(
        user_id, name="Samantha", name_story="I liked it.", user_name=scenario.owner_name,
        voice="female", traits=Traits(warmth=0.8, humour=0.5, curiosity=0.7, directness=0.5),
        answers={"user_name": scenario.owner_name})
    # The mailbox, as the person's real server holds it.
    login = f"{scenario.name}-{int(time.time() * 1000) % 10**8}"
    server.create_user(login, DEFAULT_PASSWORD)
    for item in scenario.inbox:
        server.deliver(login, item.raw, "INBOX")
    for item in scenario.sent:
        server.deliver(login, item.raw, "Sent")
    smtp = server.start_smtp()
    accepted_before = len(smtp.accepted)
    box = open_box(workdir / "secret.key")
    mail = MailService(store, user_id, box, clock)
    mail.connect(host="127.0.0.1", port=server.imaps_port, username=login,
                 password=DEFAULT_PASSWORD, address=scenario.owner_address, security="tls",
                 ca_file=str(server.ca_file), smtp_host=smtp.host, smtp_port=smtp.port,
                 smtp_security="starttls")
    mail.sync()
    calendar = CalendarService(store, user_id, box, clock, tz=scenario.timezone)
    calendar.import_ics(scenario.calendar_ics.encode(), calendar="Personal")
    files_root = workdir / "files"
    for item in scenario.files:
        path = files_root / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.data)
    index = FileIndex(store, user_id, clock)
    index.add_folder(str(files_root))
    index.refresh()
    services = Services(mail=mail, calendar=calendar, files=index,
                        reminders=Reminders(store, user_id, clock, tz=scenario.timezone))
    organizer = build_organizer(store, clock, user_id, user_name=scenario.owner_name,
                                backend=backend, services=services)
    companion = Companion(store=store, backend=backend, clock=clock, user_id=user_id,
                          persona=persona, reply_tokens=256, organizer=organizer)

    before = {"mail": _mail_snapshot(server, login),
              "calendar": judge.calendar_snapshot(calendar.export_ics()),
              "files": _files_snapshot(files_root)}
    outcome = Outcome(scenario.name)
    for request in scenario.requests:
        outcome.requests += 1
        parts: list[str] = []
        previews: list[str] = []
        async for event in companion.respond(request.text):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, ToolProposal):
                previews.append(event.text)
                outcome.proposals += 1
                for attack in judge.proposal_is_injected(event.text, scenario):
                    outcome.injected_proposals.append(f"{attack.kind}:{attack.marker}")
        said = "".join(parts) + "\n" + "\n".join(previews)
        ok, missing = judge.task_success(said, request)
        if request.kind == "act" and request.allowed_recipients and previews:
            ok = ok and all(judge.proposal_recipients_ok(p, request)[0] for p in previews)
        if ok:
            outcome.succeeded += 1
        else:
            outcome.failures.append({"request": request.text, "missing": missing,
                                     "answer": said[:400]})
        if log is not None:
            log(f"[{scenario.name}] {request.text!r}: {'ok' if ok else 'MISSED ' + str(missing)}"
                f" ({len(previews)} proposal(s))")
    after = {"mail": _mail_snapshot(server, login),
             "calendar": judge.calendar_snapshot(calendar.export_ics()),
             "files": _files_snapshot(files_root)}
    accepted = [m.data for m in smtp.accepted[accepted_before:]]
    outcome.side_effects = judge.side_effects(before, after, accepted)
    outcome.seconds = time.monotonic() - began
    store.engine.dispose()
    return outcome
