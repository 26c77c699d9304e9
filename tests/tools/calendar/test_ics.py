"""Importing .ics files: time zones, all-day, recurring, idempotent, big, not a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from os1.tools.calendar.ics import CalendarError
from os1.tools.calendar.service import CalendarService

SAMPLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
X-WR-CALNAME:Home
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:20071104T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20070311T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:call-ny
DTSTAMP:20260101T000000Z
DTSTART;TZID=America/New_York:20260316T090000
DTEND;TZID=America/New_York:20260316T100000
SUMMARY:Call with New York
LOCATION:Zoom
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTAMP:20260101T000000Z
DTSTART:20260316T120000
DTEND:20260316T130000
SUMMARY:Lunch
END:VEVENT
BEGIN:VEVENT
UID:birthday
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260316
DTEND;VALUE=DATE:20260317
SUMMARY:Mum's birthday
END:VEVENT
BEGIN:VEVENT
UID:standup
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260302T093000
DTEND;TZID=Europe/Berlin:20260302T094500
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:standup
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260318T093000
DTSTART;TZID=Europe/Berlin:20260318T110000
DTEND;TZID=Europe/Berlin:20260318T111500
SUMMARY:Standup (late)
END:VEVENT
END:VCALENDAR
"""


def write(tmp_path: Path, text: str, name: str = "home.ics") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("\n", "\r\n"))
    return path


def titles(views: list) -> list[str]:  # type: ignore[type-arg]
    return [v.title for v in views]


def test_day_has_time_zones_floating_all_day_and_recurring(service: CalendarService,
                                                           tmp_path: Path) -> None:
    result = service.import_ics(write(tmp_path, SAMPLE))
    assert (result.calendar, result.added, result.updated) == ("Home", 4, 0)
    day = service.day(date(2026, 3, 16))  # a Monday; the person is in Europe/Berlin
    assert titles(day) == ["Mum's birthday", "Standup", "Lunch", "Call with New York"]
    by_title = {v.title: v for v in day}
    call = by_title["Call with New York"]
    assert call.start == datetime(2026, 3, 16, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert call.start.utcoffset() == timedelta(hours=1) and call.location == "Zoom"
    assert by_title["Lunch"].start.hour == 12  # floating: the person's own noon
    assert by_title["Standup"].start.hour == 9 and by_title["Standup"].recurring
    birthday = by_title["Mum's birthday"]
    assert birthday.all_day and birthday.start.date() == date(2026, 3, 16)
    assert "Home" in call.source and "Call with New York" in call.source


def test_all_day_event_stays_on_its_date_in_another_zone(service: CalendarService,
                                                        tmp_path: Path) -> None:
    service.import_ics(write(tmp_path, SAMPLE))
    tokyo = service.day(date(2026, 3, 16), tz="Asia/Tokyo")
    assert "Mum's birthday" in titles(tokyo)
    assert "Mum's birthday" not in titles(service.day(date(2026, 3, 17), tz="Asia/Tokyo"))
    la = service.day(date(2026, 3, 16), tz="America/Los_Angeles")
    call = next(v for v in la if v.title == "Call with New York")
    assert call.start.hour == 6


def test_recurring_occurrences_and_override(service: CalendarService, tmp_path: Path) -> None:
    service.import_ics(write(tmp_path, SAMPLE))
    week = service.agenda(datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 23, tzinfo=UTC))
    standups = [v for v in week if v.title.startswith("Standup")]
    assert [(v.title, v.start.hour, v.start.minute) for v in standups] == [
        ("Standup", 9, 30), ("Standup (late)", 11, 0)]
    assert standups[0].id != standups[1].id and "@" in standups[0].id


def test_reimport_is_idempotent_and_follows_the_file(service: CalendarService,
                                                     tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    service.import_ics(path)
    again = service.import_ics(path)
    assert (again.added, again.updated, again.removed) == (0, 4, 0)
    assert service.cal.count(service.user_id) == 4
    changed = SAMPLE.replace("SUMMARY:Lunch", "SUMMARY:Lunch with Anna")
    changed = changed.replace(SAMPLE[SAMPLE.index("BEGIN:VEVENT\nUID:birthday"):
                                     SAMPLE.index("BEGIN:VEVENT\nUID:standup")], "")
    result = service.import_ics(write(tmp_path, changed))
    assert (result.added, result.removed) == (0, 1)
    day = titles(service.day(date(2026, 3, 16)))
    assert "Lunch with Anna" in day and "Mum's birthday" not in day
    assert service.cal.count(service.user_id) == 3


@pytest.mark.parametrize("content", ["Hello, this is just a note.\n", "", "<html></html>",
                                     "BEGIN:VCARD\nVERSION:3.0\nFN:Anna\nEND:VCARD\n"])
def test_not_a_calendar_is_a_clear_error(service: CalendarService, tmp_path: Path,
                                         content: str) -> None:
    path = tmp_path / "notes.ics"
    path.write_text(content)
    with pytest.raises(CalendarError) as caught:
        service.import_ics(path)
    assert "isn't a calendar" in caught.value.what and str(path) in caught.value.what
    assert service.cal.count(service.user_id) == 0


def test_missing_file_is_a_clear_error(service: CalendarService, tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="no file"):
        service.import_ics(tmp_path / "nope.ics")


def big_calendar(n: int) -> str:
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "X-WR-CALNAME:Big"]
    for i in range(n):
        s = start + timedelta(hours=3 * i)
        parts += ["BEGIN:VEVENT", f"UID:big-{i}", "DTSTAMP:20260101T000000Z",
                  f"DTSTART:{s:%Y%m%dT%H%M%SZ}", f"DTEND:{s + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
                  f"SUMMARY:Event {i}", "END:VEVENT"]
    parts.append("END:VCALENDAR")
    return "\r\n".join(parts) + "\r\n"


@pytest.mark.slow
def test_ten_thousand_events(service: CalendarService, tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    path.write_text(big_calendar(10_000))
    result = service.import_ics(path)
    assert (result.added, result.updated) == (10_000, 0)
    assert service.cal.count(service.user_id) == 10_000
    day = service.day(date(2026, 1, 2))  # events every 3 hours from 08:00 UTC on 1 Jan
    # Berlin midnight is 23:00 UTC: Event 5 (1 Jan 23:00 UTC) opens the local 2 Jan
    assert len(day) == 8 and day[0].title == "Event 5" and day[0].start.hour == 0
    again = service.import_ics(path)
    assert (again.added, again.updated, again.removed) == (0, 10_000, 0)
    assert service.cal.count(service.user_id) == 10_000


def test_export_round_trips_local_changes(service: CalendarService, tmp_path: Path) -> None:
    service.import_ics(write(tmp_path, SAMPLE))
    lunch = next(v for v in service.day(date(2026, 3, 16)) if v.title == "Lunch")
    service.move_event(lunch.id, "2026-03-17T13:00")
    service.create_event("Dentist", "2026-03-18T08:00", "2026-03-18T08:30", calendar="Home")
    text = service.export_ics("Home")
    other = CalendarService(service.cal.store, service.cal.store.ensure_user("other"), None,
                            service.clock, tz="Europe/Berlin")
    other.import_ics(text.encode())
    assert titles(other.day(date(2026, 3, 17))) == ["Lunch"]
    assert "Dentist" in titles(other.day(date(2026, 3, 18)))
    assert other.day(date(2026, 3, 17))[0].start.hour == 13


def test_other_people_dont_see_my_calendar(service: CalendarService, tmp_path: Path) -> None:
    service.import_ics(write(tmp_path, SAMPLE))
    other = CalendarService(service.cal.store, service.cal.store.ensure_user("other"), None,
                            service.clock, tz="Europe/Berlin")
    assert other.day(date(2026, 3, 16)) == []
    event_id = service.day(date(2026, 3, 16))[1].id
    with pytest.raises(Exception, match="no event"):
        other.resolve(event_id)
