"""Terminal plumbing shared by commands: reading a line, and streaming the loop's events with
Ctrl-C handled the way people expect (first stops the reply, second leaves)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from os1.events import (
    Done,
    Error,
    Event,
    Made,
    Notice,
    Reminder,
    TextDelta,
    ToolProposal,
    ToolResult,
)

if TYPE_CHECKING:
    from os1.cli.runtime import Runtime
    from os1.tools.factory import Services

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def prepare_stdio() -> None:
    """Invalid UTF-8 typed or piped in must not crash the read: keep the bytes as surrogate
    escapes, and let the loop replace them (and say so)."""
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdin.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]


def read_line(prompt: str) -> str:
    """input() with a styled prompt. Raises EOFError / KeyboardInterrupt like input()."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        return input(prompt)
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


@dataclass
class StreamOutcome:
    done: Done | None = None
    error: Error | None = None
    interrupted: bool = False
    leave: bool = False  # a second Ctrl-C while stopping: the person wants out


def stream_events(loop: asyncio.AbstractEventLoop, events: AsyncIterator[Event],
                  speaker: str) -> StreamOutcome:
    """Print a reply as it is written. Ctrl-C stops it (the loop keeps the partial reply)."""
    outcome = StreamOutcome()
    started = False
    made: list[Made] = []  # shown after the reply, which introduces them

    async def consume() -> None:
        nonlocal started
        async for event in events:
            if isinstance(event, TextDelta):
                if not started:
                    console.print(f"[bold magenta]{speaker}[/] ", end="")
                    started = True
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Notice):
                console.print(f"[dim italic]({event.text})[/]")
            elif isinstance(event, ToolProposal):
                show_proposal(event)
            elif isinstance(event, ToolResult):
                colour = "green" if event.status == "done" else "yellow"
                console.print(f"[{colour}]#{event.proposal_id}: {escape(event.text)}[/]")
            elif isinstance(event, Reminder):
                show_reminder(event)
            elif isinstance(event, Made):
                made.append(event)
            elif isinstance(event, Done):
                outcome.done = event
            elif isinstance(event, Error):
                outcome.error = event

    task = loop.create_task(consume())
    interrupts = 0

    def on_sigint() -> None:
        nonlocal interrupts
        interrupts += 1
        outcome.interrupted = True
        if interrupts >= 2:
            outcome.leave = True
        task.cancel()

    # asyncio can trap signals only in the main thread, and not on Windows; elsewhere Ctrl-C
    # arrives as KeyboardInterrupt, handled below.
    installed = sys.platform != "win32" and threading.current_thread() is threading.main_thread()
    if installed:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        outcome.interrupted = True
    except KeyboardInterrupt:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
            loop.run_until_complete(task)
        outcome.interrupted = True
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
        with contextlib.suppress(Exception):
            loop.run_until_complete(events.aclose())  # type: ignore[attr-defined]
    if started:
        if outcome.interrupted:
            console.print(" [dim](stopped)[/]")
        else:
            sys.stdout.write("\n")
    elif outcome.interrupted:
        console.print("[dim](stopped)[/]")
    for item in made:
        show_made(item)
    if outcome.error is not None:
        what, _, fix = outcome.error.text.partition("\n")
        err_console.print(f"[red]{what}[/]")
        if fix:
            err_console.print(f"[yellow]{fix}[/]")
    return outcome


def show_proposal(event: ToolProposal) -> None:
    """An action waiting for approval, shown whole: nothing in it is abbreviated."""
    console.print(Panel(escape(event.text), title=f"[bold]waiting for you: #{event.proposal_id}[/]",
                        subtitle="say yes to do it, no to drop it  (/approve "
                                 f"{event.proposal_id} · /decline {event.proposal_id})",
                        border_style="yellow", expand=False))


def show_made(event: Made) -> None:
    """Where what os1 made is, and how to open or play it."""
    files = event.files
    if event.kind == "music":
        console.print(f"[cyan]♪ #{event.item_id} {escape(event.title)} "
                      f"({round(event.seconds)} s) — /play {event.item_id} to hear it"
                      + (f", or open {escape(files['audio'])}" if "audio" in files else "") + "[/]")
        return
    for kind, path in files.items():
        if path:
            console.print(f"[cyan]{kind.upper():5} {escape(path)}[/]")


def show_reminder(event: Reminder) -> None:
    console.print(f"[bold yellow]⏰ {escape(event.text)}[/]")


@contextlib.contextmanager
def opened_services(ctx: typer.Context) -> Iterator[tuple[Runtime, Services]]:
    """The data directory opened (locked) with the local person's organizer services, for
    os1 mail / calendar / files / approvals. Imported when a command runs, so 'os1 --help'
    stays quick."""
    from os1.cli.chat import organizer_services
    from os1.cli.runtime import open_runtime

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        yield runtime, organizer_services(runtime)
    finally:
        runtime.close()


def ask_secret(prompt: str) -> str:
    """A password from $OS1_PASSWORD or typed unseen (never an argument: it would sit in the
    shell's history)."""
    import getpass
    import os

    return os.environ.get("OS1_PASSWORD", "") or getpass.getpass(prompt)


def progress_bar() -> Progress:
    return Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def confirm_erasure(question: str, *, refused: str) -> bool:
    """Ask before erasing for good. Without a terminal to ask on, refuse with ``refused``
    ("Nothing was forgotten: forgetting 3 memories needs your confirmation") and --yes."""
    import typer

    from os1.errors import InputError

    if not sys.stdin.isatty():
        raise InputError(f"{refused}, and there's no terminal to ask on.",
                         "Run it again with --yes to go ahead without asking.")
    return bool(typer.confirm(question, default=False))
