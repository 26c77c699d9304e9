"""The calendar tools through the registry: reads run, acts only preview (exactly)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from os1.tools.base import Effect, ToolRegistry
from os1.tools.calendar.service import CalendarService
from os1.tools.calendar.tools import CalendarTools
from tests.tools.calendar.test_ics import SAMPLE


@pytest.fixture
def registry(service: CalendarService) -> ToolRegistry:
    service.import_ics(SAMPLE.replace("\n", "\r\n").encode())
    return ToolRegistry(CalendarTools(service))


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_effects_and_schemas(registry: ToolRegistry) -> None:
    assert {s.name for s in registry.specs(Effect.READ)} == {"whats_on", "find_event"}
    assert {s.name for s in registry.specs(Effect.ACT)} == {"create_event", "move_event",
                                                            "cancel_event"}
    assert "start" in registry.get("whats_on").parameters["properties"]
    with pytest.raises(PermissionError):
        run(registry.run_read("cancel_event", {"event_id": "1"}))


def test_whats_on_a_day_and_a_range(registry: ToolRegistry) -> None:
    day = run(registry.run_read("whats_on", {"start": "2026-03-16"}))
    assert [e["title"] for e in day] == ["Mum's birthday", "Standup", "Lunch",
                                         "Call with New York"]
    assert day[3]["when"] == "Mon 16 Mar 2026, 14:00–15:00 CET" and day[3]["source"]
    week = run(registry.run_read("whats_on", {"start": "2026-03-16", "end": "2026-03-18"}))
    assert [e["title"] for e in week].count("Standup") == 1
    assert "Standup (late)" in [e["title"] for e in week]
    found = run(registry.run_read("find_event", {"query": "new york"}))
    assert [e["title"] for e in found] == ["Call with New York"]


def test_create_preview_shows_exactly_what_happens(registry: ToolRegistry,
                                                   service: CalendarService) -> None:
    args = {"title": "Dentist", "start": "2026-03-18T10:00", "end": "2026-03-18T10:30",
            "location": "Main St 4", "description": "Bring the form"}
    _, preview = run(registry.preview("create_event", args))
    assert preview.fields == {"Title": "Dentist", "When": "Wed 18 Mar 2026, 10:00–10:30 CET",
                              "Where": "Main St 4", "Calendar": "Home"}
    assert preview.body == "Bring the form" and len(preview.affected) == 1
    assert service.find_events("Dentist") == []  # a preview changes nothing


def test_move_preview_shows_from_and_to(registry: ToolRegistry, service: CalendarService) -> None:
    call = next(v for v in service.day(date(2026, 3, 16)) if v.title == "Call with New York")
    _, preview = run(registry.preview("move_event", {"event_id": call.id,
                                                     "new_start": "2026-03-17T16:00"}))
    assert preview.fields["From"] == "Mon 16 Mar 2026, 14:00–15:00 CET"
    assert preview.fields["To"] == "Tue 17 Mar 2026, 16:00–17:00 CET"
    assert preview.fields["Where"] == "Zoom" and preview.fields["Calendar"] == "Home"
    assert "→" in preview.affected[0]
    assert service.day(date(2026, 3, 16))[-1].title == "Call with New York"  # unchanged


def test_cancel_preview_of_a_series_occurrence(registry: ToolRegistry,
                                               service: CalendarService) -> None:
    standup = next(v for v in service.day(date(2026, 3, 16)) if v.title == "Standup")
    _, preview = run(registry.preview("cancel_event", {"event_id": standup.id}))
    assert preview.title == "Cancel an event"
    assert preview.fields["Repeats"] == "yes — cancels only this occurrence"
    assert preview.fields["When"] == "Mon 16 Mar 2026, 09:30–09:45 CET"
    whole = standup.id.split("@")[0]
    _, series = run(registry.preview("cancel_event", {"event_id": whole}))
    assert series.fields["Repeats"] == "yes — cancels every occurrence"


def test_attendees_show_as_who(service: CalendarService) -> None:
    service.import_ics((b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n"
                        b"UID:meet\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260319T090000Z\r\n"
                        b"DTEND:20260319T100000Z\r\nSUMMARY:Planning\r\n"
                        b"ATTENDEE;CN=Paul:mailto:paul@example.com\r\nEND:VEVENT\r\n"
                        b"END:VCALENDAR\r\n"), calendar="Team")
    tools = CalendarTools(service)
    view = service.find_events("Planning")[0]
    preview = tools._preview_cancel_event(view.id)
    assert preview.fields["Who"] == "Paul <paul@example.com>"
    assert preview.fields["Calendar"] == "Team"


def test_bad_times_are_clear(registry: ToolRegistry) -> None:
    from os1.errors import InputError

    with pytest.raises(InputError, match="isn't a date and time"):
        run(registry.preview("create_event", {"title": "x", "start": "Friday 3pm",
                                              "end": "2026-03-18T10:30"}))
    with pytest.raises(InputError, match="ends before|end before"):
        run(registry.preview("create_event", {"title": "x", "start": "2026-03-18T10:30",
                                              "end": "2026-03-18T10:00"}))
    with pytest.raises(InputError, match="isn't an event id"):
        run(registry.preview("cancel_event", {"event_id": "lunch"}))
