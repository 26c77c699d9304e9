"""``os1 calendar``: connect CalDAV or import .ics files, see a day, set reminders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from os1.cli.terminal import ask_secret, console, opened_services, plural

app = typer.Typer(help="Your calendar: connect CalDAV or import .ics files; reminders.",
                  no_args_is_help=True)


@app.command("connect")
def calendar_connect(ctx: typer.Context,
                     url: Annotated[str, typer.Argument(help="The CalDAV address")],
                     username: Annotated[str, typer.Option(help="Sign-in name")]) -> None:
    """Connect a CalDAV account (Nextcloud, Fastmail, Radicale, iCloud …) and sync it."""
    with opened_services(ctx) as (_runtime, services):
        result = services.calendar.connect_caldav(url, username, ask_secret(
            f"Password for {username}: "))
        synced = services.calendar.sync(result.account_id)
        console.print(f"Connected: {', '.join(result.calendars) or 'no calendars'}; "
                      f"{plural(synced.added, 'event')} added.")


@app.command("import")
def calendar_import(ctx: typer.Context,
                    path: Annotated[Path, typer.Argument(help="An .ics file")]) -> None:
    """Import an .ics file (again is fine: events are matched by their UID)."""
    with opened_services(ctx) as (_runtime, services):
        result = services.calendar.import_ics(path)
        console.print(f"{escape(result.calendar)}: {result.added} added, {result.updated} "
                      f"updated, {result.removed} removed.")


@app.command("sync")
def calendar_sync(ctx: typer.Context) -> None:
    """Fetch changes from CalDAV accounts."""
    with opened_services(ctx) as (_runtime, services):
        result = services.calendar.sync()
        console.print(f"{result.added} added, {result.updated} updated, {result.deleted} removed.")


@app.command("day")
def calendar_day(ctx: typer.Context, day: Annotated[str, typer.Argument(
        help="today, tomorrow, friday, 2026-12-01 …")] = "today") -> None:
    """What's on a day."""
    from os1.tools.calendar.when import day_range

    with opened_services(ctx) as (runtime, services):
        start, end, label = day_range(f"what's on {day}", runtime.clock.now())
        events = services.calendar.agenda(start, end)
        console.print(f"[bold]{label}[/]")
        if not events:
            console.print("  nothing")
        for e in events:
            console.print(f"  {escape(e.when())}  {escape(e.title)}"
                          + (f" [dim]({escape(e.location)})[/]" if e.location else ""))


@app.command("remind")
def calendar_remind(ctx: typer.Context, minutes: Annotated[int, typer.Argument(
        help="How long before each event to speak up")]) -> None:
    """Set how long before an event os1 reminds you (default 5 minutes)."""
    with opened_services(ctx) as (_runtime, services):
        services.reminders.set_lead_time(minutes)
        console.print(f"I'll remind you {plural(minutes, 'minute')} before each event.")
