"""``os1 mail``, ``os1 calendar``, ``os1 files``, ``os1 approvals``: connecting what the
organizer reads, and seeing what it did.

Connecting and syncing happen here; reading, summarizing and acting happen in the
conversation (``os1 chat``), where every action waits for approval.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from os1.cli.terminal import console, plural

if TYPE_CHECKING:
    from os1.cli.runtime import Runtime
    from os1.tools.factory import Services

mail_app = typer.Typer(help="Your email: connect an IMAP account or import a Maildir/mbox, "
                            "sync, and see what's there.", no_args_is_help=True)
calendar_app = typer.Typer(help="Your calendar: connect CalDAV or import .ics files; "
                                "reminders.", no_args_is_help=True)
files_app = typer.Typer(help="Folders os1 may read and search (text, Markdown, PDF, Word, "
                             "email files).", no_args_is_help=True)
approvals_app = typer.Typer(help="Actions waiting for your approval, and the audit log of "
                                 "everything proposed and done.", invoke_without_command=True)


@contextlib.contextmanager
def _opened(ctx: typer.Context) -> Iterator[tuple[Runtime, Services]]:
    from os1.cli.chat import organizer_services
    from os1.cli.runtime import open_runtime

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        yield runtime, organizer_services(runtime)
    finally:
        runtime.close()


def _password(prompt: str) -> str:
    """From $OS1_PASSWORD or the terminal (never an argument: it would sit in history)."""
    env = os.environ.get("OS1_PASSWORD", "")
    if env:
        return env
    return getpass.getpass(prompt)


def _bar() -> Progress:
    return Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


# -- mail ----------------------------------------------------------------------------------
@mail_app.command("connect")
def mail_connect(ctx: typer.Context,
                 address: Annotated[str, typer.Argument(help="Your email address")],
                 host: Annotated[str, typer.Option(help="IMAP server, e.g. imap.fastmail.com")],
                 username: Annotated[str | None, typer.Option(help="Sign-in name (default: the "
                                                                   "address)")] = None,
                 port: Annotated[int | None, typer.Option(help="IMAP port (993 for TLS)")] = None,
                 security: Annotated[str, typer.Option(help="tls | starttls")] = "tls",
                 smtp_host: Annotated[str | None, typer.Option(help="SMTP server for sending "
                                                                    "(default: the IMAP host)")] = None,
                 smtp_port: Annotated[int | None, typer.Option()] = None,
                 smtp_security: Annotated[str, typer.Option(help="tls | starttls")] = "starttls",
                 ca_file: Annotated[Path | None, typer.Option(help="Trust this CA certificate "
                                                                  "(a self-hosted server)")] = None,
                 sync: Annotated[bool, typer.Option(help="Sync right away")] = True) -> None:
    """Connect an IMAP account. The password (or app password) is asked for and kept
    encrypted with the key in your data folder (or $OS1_SECRET_KEY)."""
    with _opened(ctx) as (_runtime, services):
        password = _password(f"Password (or app password) for {address}: ")
        account = services.mail.connect(host=host, username=username or address,
                                        password=password, address=address, port=port,
                                        security=security, ca_file=str(ca_file) if ca_file else None,
                                        smtp_host=smtp_host, smtp_port=smtp_port,
                                        smtp_security=smtp_security)
        console.print(f"Connected [bold]{escape(address)}[/] (account {account.id}).")
        if sync:
            _sync(services, account.id)


def _sync(services: Services, account_id: int | None) -> None:
    with _bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{phase:8}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        report = services.mail.sync(account_id, progress=progress)
    console.print(f"Synced: {plural(report.new_messages, 'new message')}, "
                  f"{plural(report.bodies, 'body', 'bodies')} downloaded"
                  + (f", {report.skipped_large} too large to download (headers kept)"
                     if report.skipped_large else "") + ". It's safe to stop a sync: the "
                  "next one carries on.")


@mail_app.command("sync")
def mail_sync(ctx: typer.Context, account: Annotated[int | None, typer.Option(
        help="Only this account (os1 mail accounts)")] = None) -> None:
    """Fetch new mail (headers first, then bodies). Resumes where it stopped."""
    with _opened(ctx) as (_runtime, services):
        _sync(services, account)


@mail_app.command("import")
def mail_import(ctx: typer.Context,
                path: Annotated[Path, typer.Argument(help="A Maildir folder or an mbox file")]) -> None:
    """Import a Maildir or mbox (again is fine: nothing is duplicated)."""
    with _opened(ctx) as (_runtime, services):
        report = services.mail.import_path(path)
        console.print(f"Imported {plural(report.added, 'message')} from {escape(str(path))}"
                      + (f" ({report.skipped} already there)" if report.skipped else "") + ".")


@mail_app.command("accounts")
def mail_accounts(ctx: typer.Context) -> None:
    """The connected accounts (never their passwords)."""
    with _opened(ctx) as (_runtime, services):
        accounts = services.mail.accounts()
        if not accounts:
            console.print("No mail yet. Connect with: os1 mail connect ADDRESS --host "
                          "imap.example.com (or os1 mail import PATH).")
        for a in accounts:
            console.print(f"{a.id}  {escape(a.name)}  [dim]{a.kind}[/]")


@mail_app.command("inbox")
def mail_inbox(ctx: typer.Context) -> None:
    """The inbox at a glance: what needs you, what's important, what could go."""
    with _opened(ctx) as (_runtime, services):
        console.print(escape(services.mail.overview().as_text()))


# -- calendar ------------------------------------------------------------------------------
@calendar_app.command("connect")
def calendar_connect(ctx: typer.Context,
                     url: Annotated[str, typer.Argument(help="The CalDAV address")],
                     username: Annotated[str, typer.Option(help="Sign-in name")]) -> None:
    """Connect a CalDAV account (Nextcloud, Fastmail, Radicale, iCloud …) and sync it."""
    with _opened(ctx) as (_runtime, services):
        result = services.calendar.connect_caldav(url, username, _password(
            f"Password for {username}: "))
        synced = services.calendar.sync(result.account_id)
        console.print(f"Connected: {', '.join(result.calendars) or 'no calendars'}; "
                      f"{plural(synced.added, 'event')} added.")


@calendar_app.command("import")
def calendar_import(ctx: typer.Context,
                    path: Annotated[Path, typer.Argument(help="An .ics file")]) -> None:
    """Import an .ics file (again is fine: events are matched by their UID)."""
    with _opened(ctx) as (_runtime, services):
        result = services.calendar.import_ics(path)
        console.print(f"{escape(result.calendar)}: {result.added} added, {result.updated} "
                      f"updated, {result.removed} removed.")


@calendar_app.command("sync")
def calendar_sync(ctx: typer.Context) -> None:
    """Fetch changes from CalDAV accounts."""
    with _opened(ctx) as (_runtime, services):
        result = services.calendar.sync()
        console.print(f"{result.added} added, {result.updated} updated, {result.deleted} removed.")


@calendar_app.command("day")
def calendar_day(ctx: typer.Context, day: Annotated[str, typer.Argument(
        help="today, tomorrow, friday, 2026-12-01 …")] = "today") -> None:
    """What's on a day."""
    from os1.tools.organizer import day_range

    with _opened(ctx) as (runtime, services):
        start, end, label = day_range(f"what's on {day}", runtime.clock.now())
        events = services.calendar.agenda(start, end)
        console.print(f"[bold]{label}[/]")
        if not events:
            console.print("  nothing")
        for e in events:
            console.print(f"  {escape(e.when())}  {escape(e.title)}"
                          + (f" [dim]({escape(e.location)})[/]" if e.location else ""))


@calendar_app.command("remind")
def calendar_remind(ctx: typer.Context, minutes: Annotated[int, typer.Argument(
        help="How long before each event to speak up")]) -> None:
    """Set how long before an event os1 reminds you (default 5 minutes)."""
    with _opened(ctx) as (_runtime, services):
        services.reminders.set_lead_time(minutes)
        console.print(f"I'll remind you {plural(minutes, 'minute')} before each event.")


# -- files ---------------------------------------------------------------------------------
@files_app.command("add")
def files_add(ctx: typer.Context, folder: Annotated[Path, typer.Argument()]) -> None:
    """Let os1 read and search a folder, and index it now."""
    with _opened(ctx) as (_runtime, services):
        added = services.files.add_folder(str(folder.expanduser()))
        console.print(f"Added {escape(str(added.path))}.")
        _refresh(services)


def _refresh(services: Services) -> None:
    with _bar() as bar:
        task = bar.add_task("indexing", total=None)

        def progress(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total)

        report = services.files.refresh(progress=progress)
    console.print(report.summary())
    for note in report.notes[:20]:
        console.print(f"  [yellow]{escape(str(getattr(note, 'path', '')))}[/]: "
                      f"{escape(str(getattr(note, 'note', note)))}")


@files_app.command("refresh")
def files_refresh(ctx: typer.Context) -> None:
    """Re-read what changed in the indexed folders (the chat also does this as it runs)."""
    with _opened(ctx) as (_runtime, services):
        _refresh(services)


@files_app.command("list")
def files_list(ctx: typer.Context) -> None:
    """The folders os1 may read."""
    with _opened(ctx) as (_runtime, services):
        folders = services.files.folders()
        if not folders:
            console.print("No folders yet: os1 files add ~/Documents")
        for f in folders:
            console.print(escape(str(f.path)))


@files_app.command("remove")
def files_remove(ctx: typer.Context, folder: Annotated[Path, typer.Argument()]) -> None:
    """Stop reading a folder and forget its index (the files themselves are untouched)."""
    with _opened(ctx) as (_runtime, services):
        n = services.files.remove_folder(str(folder.expanduser()))
        console.print(f"Removed; {plural(n, 'file')} dropped from the index.")


@files_app.command("search")
def files_search(ctx: typer.Context, query: Annotated[str, typer.Argument()]) -> None:
    """Search the indexed files, with the place of each passage."""
    with _opened(ctx) as (_runtime, services):
        for hit in services.files.search(query, limit=10):
            console.print(f"[bold]{escape(hit.source)}[/]\n  {escape(hit.snippet)}")


# -- approvals -----------------------------------------------------------------------------
@approvals_app.callback()
def approvals_list(ctx: typer.Context,
                   audit: Annotated[bool, typer.Option(help="Show the audit log")] = False) -> None:
    """What is waiting for you (approve it in os1 chat: /approve N)."""
    if ctx.invoked_subcommand is not None:
        return
    from os1.tools.approvals import Approvals

    with _opened(ctx) as (runtime, _services):
        approvals = Approvals(runtime.store, runtime.user_id, runtime.clock)
        if audit:
            for entry in reversed(approvals.audit()):
                console.print(f"{entry.at.astimezone():%Y-%m-%d %H:%M}  #{entry.proposal_id}  "
                              f"{entry.event:9} {escape(entry.tool)}  "
                              f"[dim]{escape(entry.detail[:100])}[/]")
            return
        waiting = approvals.pending()
        if not waiting:
            console.print("Nothing is waiting for you.")
        for p in waiting:
            console.print(f"[bold]#{p.id}[/] {escape(p.preview.render())}\n")
