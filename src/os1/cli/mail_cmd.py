"""``os1 mail``: connect an IMAP account or import a Maildir/mbox, sync, and see what's
there. Reading, summarizing and acting happen in the conversation, where every action waits
for approval."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from os1.cli.terminal import ask_secret, console, opened_services, plural, progress_bar

if TYPE_CHECKING:
    from os1.tools.factory import Services

app = typer.Typer(help="Your email: connect an IMAP account or import a Maildir/mbox, "
                       "sync, and see what's there.", no_args_is_help=True)


@app.command("connect")
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
    with opened_services(ctx) as (_runtime, services):
        password = ask_secret(f"Password (or app password) for {address}: ")
        account = services.mail.connect(host=host, username=username or address,
                                        password=password, address=address, port=port,
                                        security=security, ca_file=str(ca_file) if ca_file else None,
                                        smtp_host=smtp_host, smtp_port=smtp_port,
                                        smtp_security=smtp_security)
        console.print(f"Connected [bold]{escape(address)}[/] (account {account.id}).")
        if sync:
            _sync(services, account.id)


def _sync(services: Services, account_id: int | None) -> None:
    with progress_bar() as bar:
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


@app.command("sync")
def mail_sync(ctx: typer.Context, account: Annotated[int | None, typer.Option(
        help="Only this account (os1 mail accounts)")] = None) -> None:
    """Fetch new mail (headers first, then bodies). Resumes where it stopped."""
    with opened_services(ctx) as (_runtime, services):
        _sync(services, account)


@app.command("import")
def mail_import(ctx: typer.Context,
                path: Annotated[Path, typer.Argument(help="A Maildir folder or an mbox file")]) -> None:
    """Import a Maildir or mbox (again is fine: nothing is duplicated)."""
    with opened_services(ctx) as (_runtime, services):
        report = services.mail.import_path(path)
        console.print(f"Imported {plural(report.added, 'message')} from {escape(str(path))}"
                      + (f" ({report.skipped} already there)" if report.skipped else "") + ".")


@app.command("accounts")
def mail_accounts(ctx: typer.Context) -> None:
    """The connected accounts (never their passwords)."""
    with opened_services(ctx) as (_runtime, services):
        accounts = services.mail.accounts()
        if not accounts:
            console.print("No mail yet. Connect with: os1 mail connect ADDRESS --host "
                          "imap.example.com (or os1 mail import PATH).")
        for a in accounts:
            console.print(f"{a.id}  {escape(a.name)}  [dim]{a.kind}[/]")


@app.command("inbox")
def mail_inbox(ctx: typer.Context) -> None:
    """The inbox at a glance: what needs you, what's important, what could go."""
    with opened_services(ctx) as (_runtime, services):
        console.print(escape(services.mail.overview().as_text()))
