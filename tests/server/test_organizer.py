"""The organizer through the server: reminders reach the open tab by themselves, and an
action proposed in the chat waits for the Approve button (its owner's only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.backend import FakeBackend
from tests.server.conftest import LiveServer, csrf, open_ws, sign_up, start_server, until


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    started = start_server(tmp_path / "server.db", FakeBackend(default="Noted."),
                           secret_key_file=tmp_path / "secret.key")
    yield started
    started.stop()


def ics(title: str, start: datetime, minutes: int = 30) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + timedelta(minutes=minutes)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//os1 tests//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{abs(hash(title))}@tests\r\nDTSTAMP:{start:{fmt}}\r\nDTSTART:{start:{fmt}}\r\n"
            f"DTEND:{end:{fmt}}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_reminder_reaches_the_open_tab_once(server: LiveServer) -> None:
    amy = sign_up(server, "amy")
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=3)
    imported = amy.post("/api/calendar/import", json={"ics": ics("Standup with Paul", soon)},
                        headers=csrf(amy))
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == 1
    with open_ws(server, amy) as ws:
        frames = until(ws, "reminder", timeout=15)
        reminder = frames[-1]
        assert "Standup with Paul" in reminder["text"]
    # Said once: a new tab doesn't hear it again.
    with open_ws(server, amy) as ws, pytest.raises(TimeoutError):
        until(ws, "reminder", timeout=2)
    eve = sign_up(server, "eve")
    assert eve.get("/api/calendar/agenda?days=2").json()["events"] == []


def test_an_action_waits_for_its_owner_to_approve(server: LiveServer) -> None:
    amy = sign_up(server, "amy")
    eve = sign_up(server, "eve")
    server.backend.script = [json.dumps({"title": "Lunch with Paul", "when": "tomorrow at 1pm",
                                         "minutes": 60, "location": "Rosa's"})]
    with open_ws(server, amy) as ws:
        ws.send(json.dumps({"type": "message", "text": "Schedule lunch with Paul tomorrow at 1pm"}))
        frames = until(ws, "done")
        proposal = next(f for f in frames if f["type"] == "tool_proposal")
        assert "Lunch with Paul" in proposal["text"] and "Rosa's" in proposal["text"]
        assert amy.get("/api/calendar/agenda?days=3").json()["events"] == []  # not yet
        pending = amy.get("/api/proposals").json()["proposals"]
        assert [p["id"] for p in pending] == [proposal["proposal_id"]]
        assert eve.post(f"/api/proposals/{proposal['proposal_id']}/approve",
                        headers=csrf(eve)).status_code == 404
        decided = amy.post(f"/api/proposals/{proposal['proposal_id']}/approve",
                           headers=csrf(amy))
        assert decided.status_code == 200, decided.text
        assert [e["status"] for e in decided.json()["events"]
                if e["type"] == "tool_result"] == ["done"]
        result = until(ws, "tool_result")[-1]  # the tab hears it too
        assert result["status"] == "done"
    events = amy.get("/api/calendar/agenda?days=3").json()["events"]
    assert [e["title"] for e in events] == ["Lunch with Paul"]
    audit = [e["event"] for e in amy.get("/api/audit").json()["entries"]]
    assert audit[:3] == ["executed", "approved", "proposed"]
    assert eve.get("/api/audit").json()["entries"] == []
