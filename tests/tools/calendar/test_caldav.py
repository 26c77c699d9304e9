"""CalDAV against a real Radicale: discover, sync (read-only on the server), create/move/cancel
(exactly what they say, on the server), wrong password, server down and resume."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from os1.tools.calendar.ics import CalendarError
from os1.tools.calendar.service import CalendarService
from tests.services.radicale import RadicaleServer


def event(uid: str, summary: str, start: str, end: str, extra: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
            f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def seed(radicale: RadicaleServer, user: str) -> None:
    radicale.put_event(user, "work", event("standup", "Standup with Paul", "20260316T083000Z",
                                           "20260316T084500Z", "LOCATION:room 4\r\n"
                                           "RRULE:FREQ=DAILY;COUNT=5\r\n"), "standup")
    radicale.put_event(user, "work", event("review", "Design review", "20260316T130000Z",
                                           "20260316T140000Z",
                                           "ATTENDEE;CN=Anna:mailto:anna@example.com\r\n"),
                       "review")
    radicale.put_event(user, "work", event("offsite", "Offsite", "20260320T080000Z",
                                           "20260320T160000Z"), "offsite")


@pytest.fixture
def connected(service: CalendarService, radicale: RadicaleServer,
              dav_user: tuple[str, str]) -> tuple[CalendarService, str]:
    user, password = dav_user
    seed(radicale, user)
    result = service.connect_caldav(radicale.url, user, password)
    assert result.calendars == ["Work"]
    service.sync()
    return service, user


def test_discover_and_sync_leaves_the_server_unchanged(
        service: CalendarService, radicale: RadicaleServer, dav_user: tuple[str, str]) -> None:
    user, password = dav_user
    seed(radicale, user)
    before = radicale.resources(user, "work")
    result = service.connect_caldav(radicale.url, user, password)
    assert result.calendars == ["Work"] and result.label.startswith(user)
    synced = service.sync()
    assert (synced.added, synced.updated, synced.deleted) == (3, 0, 0)
    assert radicale.resources(user, "work") == before  # byte for byte
    day = service.day(date(2026, 3, 16))
    assert [v.title for v in day] == ["Standup with Paul", "Design review"]
    assert day[0].location == "room 4" and day[0].start.hour == 9  # Berlin
    assert day[1].attendees == ["Anna <anna@example.com>"]
    again = service.sync()  # nothing changed: nothing fetched
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert service.cal.count(service.user_id) == 3
    # the stored password is encrypted, not the password
    account = service.cal.accounts(service.user_id, "caldav")[0]
    assert account.password_token and password not in account.password_token
    assert password not in repr(account)


def test_incremental_sync_sees_changes_made_elsewhere(
        connected: tuple[CalendarService, str], radicale: RadicaleServer) -> None:
    service, user = connected
    radicale.put_event(user, "work", event("review", "Design review (moved)", "20260316T150000Z",
                                           "20260316T160000Z"), "review")
    radicale.put_event(user, "work", event("new", "Lunch", "20260317T110000Z",
                                           "20260317T120000Z"), "new")
    radicale.request("DELETE", f"/{user}/work/offsite.ics", user)
    result = service.sync()
    assert (result.added, result.updated, result.deleted) == (1, 1, 1)
    titles = [v.title for v in service.agenda(datetime(2026, 3, 16, tzinfo=UTC),
                                              datetime(2026, 3, 21, tzinfo=UTC))]
    assert "Design review (moved)" in titles and "Lunch" in titles and "Offsite" not in titles


def test_create_move_cancel_change_exactly_that_on_the_server(
        connected: tuple[CalendarService, str], radicale: RadicaleServer) -> None:
    service, user = connected
    before = radicale.snapshot(user, "work")
    made = service.create_event("Dentist", "2026-03-18T10:00", "2026-03-18T10:30",
                                location="Main St 4")
    after = radicale.snapshot(user, "work")
    added = {k: v for k, v in after.items() if k not in before}
    assert len(added) == 1 and {k: after[k] for k in before} == before
    new = next(iter(added.values()))
    assert (new.summary, new.start, new.end) == ("Dentist", "2026-03-18T09:00:00+00:00",
                                                 "2026-03-18T09:30:00+00:00")

    review = next(v for v in service.day(date(2026, 3, 16)) if v.title == "Design review")
    moved = service.move_event(review.id, "2026-03-17T16:00")
    assert moved.start.hour == 16 and (moved.end - moved.start).seconds == 3600
    after_move = radicale.snapshot(user, "work")
    assert after_move["review"].start == "2026-03-17T15:00:00+00:00"
    assert {k: v for k, v in after_move.items() if k != "review"} == \
        {k: v for k, v in after.items() if k != "review"}

    service.cancel_event(made.id)
    after_cancel = radicale.snapshot(user, "work")
    assert new.uid not in after_cancel and after_cancel == {
        k: v for k, v in after_move.items() if k != new.uid}
    assert service.sync().added == 0  # our own writes don't come back as new
    assert service.cal.count(service.user_id) == 3


def test_move_and_cancel_one_occurrence_of_a_series(
        connected: tuple[CalendarService, str], radicale: RadicaleServer) -> None:
    service, user = connected
    tuesday = next(v for v in service.day(date(2026, 3, 17)) if v.title.startswith("Standup"))
    service.move_event(tuesday.id, "2026-03-17T11:00")
    wednesday = next(v for v in service.day(date(2026, 3, 18)) if v.title.startswith("Standup"))
    service.cancel_event(wednesday.id)
    state = radicale.snapshot(user, "work")["standup"]
    assert state.start == "2026-03-16T08:30:00+00:00" and "COUNT=5" in state.rrule
    raw = radicale.resources(user, "work")["standup.ics"]
    assert "RECURRENCE-ID" in raw and "EXDATE" in raw
    week = [v for v in service.agenda(datetime(2026, 3, 16, tzinfo=UTC),
                                      datetime(2026, 3, 23, tzinfo=UTC))
            if v.title.startswith("Standup")]
    assert [(v.start.day, v.start.hour) for v in week] == [(16, 9), (17, 11), (19, 9), (20, 9)]


def test_a_change_made_elsewhere_is_not_overwritten(
        connected: tuple[CalendarService, str], radicale: RadicaleServer) -> None:
    service, user = connected
    review = next(v for v in service.day(date(2026, 3, 16)) if v.title == "Design review")
    radicale.put_event(user, "work", event("review", "Design review v2", "20260316T130000Z",
                                           "20260316T140000Z"), "review")
    with pytest.raises(CalendarError, match="changed on"):
        service.move_event(review.id, "2026-03-17T16:00")
    assert radicale.snapshot(user, "work")["review"].summary == "Design review v2"


def test_wrong_password_is_clear_and_secret_free(
        service: CalendarService, radicale: RadicaleServer, dav_user: tuple[str, str]) -> None:
    user, password = dav_user
    wrong = "not-the-" + password
    with pytest.raises(CalendarError) as caught:
        service.connect_caldav(radicale.url, user, wrong)
    text = str(caught.value)
    assert "password is wrong" in text and user in text
    assert wrong not in text and password not in text
    assert service.cal.accounts(service.user_id) == []


def test_not_a_caldav_server(service: CalendarService) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CalendarError, match="doesn't look like a CalDAV"):
            service.connect_caldav(f"http://127.0.0.1:{server.server_port}/", "amy", "pw")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def restarts(radicale: RadicaleServer) -> Iterator[RadicaleServer]:
    yield radicale
    if radicale.process is None or radicale.process.poll() is not None:
        radicale.start(port=radicale.port)


def test_server_down_then_sync_resumes_without_duplicates(
        connected: tuple[CalendarService, str], restarts: RadicaleServer) -> None:
    service, user = connected
    radicale = restarts
    radicale.put_event(user, "work", event("later", "Added while away", "20260319T100000Z",
                                           "20260319T110000Z"), "later")
    radicale.stop_process()
    with pytest.raises(CalendarError) as caught:
        service.sync()
    assert "Couldn't reach" in caught.value.what
    account = service.cal.accounts(service.user_id, "caldav")[0]
    assert account.last_error and "Couldn't reach" in account.last_error
    radicale.start(port=radicale.port)
    result = service.sync()
    assert result.added == 1
    assert service.cal.count(service.user_id) == 4
    assert len({v.id for v in service.day(date(2026, 3, 19))}) == 2
    assert service.cal.accounts(service.user_id, "caldav")[0].last_error is None


def test_interrupted_first_sync_resumes(connected: tuple[CalendarService, str],
                                        radicale: RadicaleServer) -> None:
    """A sync that stored some events but not its token (a crash) carries on cleanly."""
    service, user = connected
    calendar = service.cal.calendars(service.user_id)[0]
    service.cal.set_sync_token(service.user_id, calendar.id, None)  # as if it broke off
    first = service.cal.events_of(service.user_id, calendar.id)[0]
    service.cal.delete_events(service.user_id, [first.id])
    result = service.sync()
    assert (result.added, result.deleted) == (1, 0)
    assert service.cal.count(service.user_id) == 3
