"""Reminders with the FakeClock: due at the right time, said once, kept when nobody saw
them, one per occurrence, moving with a moved event, gone with a cancelled one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from os1.store import Store
from os1.tools.calendar.reminders import Reminders
from os1.tools.calendar.service import CalendarService
from tests.conftest import FakeClock

T0 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@pytest.fixture
def reminders(cal_store: Store, user_id: int, clock: FakeClock) -> Reminders:
    clock.current = T0
    return Reminders(cal_store, user_id, clock, tz="Europe/Berlin")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_due_five_minutes_before_and_said_once(service: CalendarService,
                                                reminders: Reminders) -> None:
    service.create_event("Standup with Paul", at(60).isoformat(), at(75).isoformat(),
                         location="room 4")
    assert reminders.due(at(54)) == []
    assert reminders.next_due_at(at(0)) == at(55)
    due = reminders.due(at(55))
    assert len(due) == 1
    assert due[0].text == ("Wake up — you have a meeting in five minutes: "
                           "Standup with Paul (room 4).")
    assert due[0].minutes_before == 5 and due[0].occurrence_start == at(60)
    assert reminders.delivered(due[0], "terminal") is True
    assert reminders.due(at(56)) == [] and reminders.missed(at(61)) == []
    assert reminders.delivered(due[0], "browser") is False
    assert reminders.next_due_at(at(56)) is None


def test_undelivered_stays_due_then_missed(service: CalendarService,
                                           reminders: Reminders) -> None:
    service.create_event("Call Anna", at(30).isoformat(), at(60).isoformat())
    assert [r.title for r in reminders.due(at(25))] == ["Call Anna"]
    late = reminders.due(at(28))  # nobody was there at 25: still due, with the time left
    assert len(late) == 1 and "two minutes" in late[0].text
    assert reminders.next_due_at(at(28)) == at(28)
    assert reminders.due(at(31)) == []
    missed = reminders.missed(at(31))
    assert len(missed) == 1 and missed[0].text.startswith("While you were away: Call Anna")
    assert "09:30" in missed[0].text  # Berlin time
    reminders.delivered(missed[0], "voice")
    assert reminders.missed(at(32)) == []


def test_each_occurrence_of_a_series_gets_its_reminder(service: CalendarService,
                                                       reminders: Reminders,
                                                       tmp_path: object) -> None:
    service.import_ics(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n"
                        b"UID:daily\r\nDTSTAMP:20260101T000000Z\r\n"
                        b"DTSTART;TZID=Europe/Berlin:20260316T100000\r\n"
                        b"DTEND;TZID=Europe/Berlin:20260316T101500\r\n"
                        b"RRULE:FREQ=DAILY\r\nSUMMARY:Daily\r\nEND:VEVENT\r\n"
                        b"END:VCALENDAR\r\n")
    first = reminders.due(at(55))
    assert len(first) == 1 and first[0].occurrence_start == at(60)
    reminders.delivered(first[0], "terminal")
    assert reminders.next_due_at(at(61)) == at(55 + 24 * 60)
    second = reminders.due(at(55 + 24 * 60))
    assert len(second) == 1 and second[0].occurrence_start == at(60 + 24 * 60)


def test_moved_event_reminder_moves_and_cancelled_goes(service: CalendarService,
                                                       reminders: Reminders) -> None:
    made = service.create_event("Dentist", at(60).isoformat(), at(90).isoformat())
    other = service.create_event("Gym", at(120).isoformat(), at(180).isoformat())
    service.move_event(made.id, at(240).isoformat())
    assert reminders.due(at(55)) == []
    assert reminders.next_due_at(at(0)) == at(115)  # the gym now comes first
    service.cancel_event(other.id)
    assert reminders.next_due_at(at(0)) == at(235)
    moved = reminders.due(at(235))
    assert [(r.title, r.occurrence_start) for r in moved] == [("Dentist", at(240))]
    assert reminders.missed(at(200)) == []


def test_lead_time_per_person_and_per_event(service: CalendarService,
                                           reminders: Reminders) -> None:
    made = service.create_event("Train", at(60).isoformat(), at(120).isoformat())
    reminders.set_lead_time(15)
    assert reminders.next_due_at(at(0)) == at(45)
    assert "fifteen minutes" in reminders.due(at(45))[0].text
    reminders.set_lead_time(30, event_id=int(made.id))
    due = reminders.due(at(30))
    assert len(due) == 1 and due[0].minutes_before == 30 and "half an hour" in due[0].text


def test_all_day_events_get_no_wake_up_call(service: CalendarService,
                                            reminders: Reminders) -> None:
    service.create_event("Holiday", "2026-03-17T00:00", "2026-03-18T00:00", all_day=True)
    assert reminders.next_due_at(at(0)) is None
