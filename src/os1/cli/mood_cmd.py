"""``os1 mood``: the person's mood over the days, as a chart in the terminal or a PNG.

It only reads what is already on the mood timeline (the ``message_emotions`` rows written as
the person talks), so the emotion model is never loaded here. It opens the data directory
the way 'os1 chat' does (the same lock, the same owner-scoped reads): one person's mood is
never drawn from another's rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from os1.cli.terminal import confirm_erasure, console, plural
from os1.errors import InputError

if TYPE_CHECKING:  # imported when a command runs: 'os1 --help' needn't load numpy
    from os1.cli.runtime import Runtime
    from os1.emotion.chart import MoodChart

app = typer.Typer(help="Your mood over the days: a chart in the terminal, or a PNG (--png). "
                       "'os1 mood clear' erases it.", invoke_without_command=True)

DEFAULT_DAYS = 30
NOTHING_YET = "I haven't read any of your messages yet; talk with me and try again."
FALLBACK_WIDTH = 80
MIN_WIDTH, MAX_WIDTH = 40, 160


@contextlib.contextmanager
def _opened(ctx: typer.Context) -> Iterator[Runtime]:
    from os1.cli.runtime import open_runtime

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        yield runtime
    finally:
        runtime.close()


# -- where the PNG goes --------------------------------------------------------------------
def _target(raw: str) -> Path:
    """The PNG's path, checked before anything is read (so a typo costs nothing)."""
    if not raw.strip():
        raise InputError("--png needs a file name.", "For example: os1 mood --png mood.png")
    path = Path(raw).expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder.", f"Give a file name in it, e.g. {path / 'mood.png'}")
    folder = path.parent
    if not folder.exists():
        raise InputError(f"There's no folder {folder} to save the chart in.",
                         "Create it first, or give a path in a folder that exists.")
    if not folder.is_dir():
        raise InputError(f"{folder} isn't a folder, so I can't save the chart inside it.",
                         "Give a path in a folder, e.g. mood.png for the current one.")
    if not os.access(folder, os.W_OK):
        raise _not_allowed(folder)
    return path


def _not_allowed(folder: Path) -> InputError:
    return InputError(f"I'm not allowed to write in {folder}.",
                      "Choose a folder you can write to, e.g. your home folder.")


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` all at once: a temporary file beside it, then renamed into place, so
    there is never a half-written image. Readable only by its owner (it is about feelings)."""
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except PermissionError as exc:
        raise _not_allowed(path.parent) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder.", "Give a file name, e.g. mood.png") from exc
    except OSError as exc:
        raise InputError(f"I couldn't save the chart to {path}: {exc.strerror or exc}.",
                         "Check the folder (space left, permissions) or choose another.") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


# -- reading the timeline ------------------------------------------------------------------
def _chart(runtime: Runtime, span: int) -> MoodChart | None:
    """The last ``span`` days (today included) of this person's timeline; None when empty."""
    from os1.emotion.chart import MoodChart, summary
    from os1.emotion.mood import timeline

    found = timeline(runtime.store, runtime.user_id, runtime.clock.now(), span)
    if not found.days:
        return None
    return MoodChart(days=found.days, first=found.days[0].day, last=found.today, span=span,
                     summary=summary(found.days, found.trend))


def _nothing(runtime: Runtime, span: int) -> tuple[str, str]:
    """Why there's nothing to draw, and what to do: never read, or nothing in the span."""
    from os1.emotion.mood import MoodStore

    moods = MoodStore(runtime.store)
    latest = moods.latest(runtime.user_id, limit=1)
    if not latest:
        return NOTHING_YET, ""
    when = latest[0].created_at.astimezone().date()
    return (f"I haven't read any of your messages in the last {plural(span, 'day')} "
            f"(the last was on {when.day} {when:%B %Y}).",
            f"Look further back, e.g. os1 mood --days {min(3650, max(90, 2 * span))}")


def _width() -> int:
    """The terminal's width (COLUMNS if set); 80 when output isn't a terminal."""
    columns = shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns or FALLBACK_WIDTH))


def _show(ctx: typer.Context, span: int, png: str | None) -> None:
    from os1.emotion import chart as draw

    target = _target(png) if png is not None else None
    with _opened(ctx) as runtime:
        found = _chart(runtime, span)
        if found is None:
            what, fix = _nothing(runtime, span)
            if target is not None:
                raise InputError(what, fix)
            console.print(what if not fix else f"{what}\n{fix}")
            return
    if target is not None:
        _write(target, draw.png(found))
        console.print(f"Saved your mood chart to {escape(str(target))}.")
        console.print(found.summary)
        console.print(f"[dim]{escape(found.based_on())}[/]")
        return
    colour = console.color_system is not None and sys.stdout.isatty()
    sys.stdout.write(draw.terminal(found, width=_width(), colour=colour) + "\n\n")
    sys.stdout.write(draw.feelings_text(found) + "\n\n")
    sys.stdout.flush()
    console.print(found.summary)
    console.print(f"[dim]{escape(found.based_on())}[/]")


@app.callback()
def mood(
    ctx: typer.Context,
    days: int = typer.Option(None, "--days", min=1, max=3650, show_default=False,
                             help=f"How many days back, today included (default {DEFAULT_DAYS})."),
    png: str = typer.Option(None, "--png", metavar="PATH",
                            help="Save the chart as a PNG image instead of drawing it here."),
    week: bool = typer.Option(False, "--week", help="Just the last 7 days (--days 7)."),
) -> None:
    """Your mood over the days: how pleasant or heavy, how calm or stirred up, and what you
    seemed to feel, from the messages you've sent."""
    if ctx.invoked_subcommand is not None:
        return
    if week and days not in (None, 7):
        raise InputError("--week and --days ask for different spans.",
                         "Use one of them: --week is the same as --days 7.")
    _show(ctx, 7 if week else days or DEFAULT_DAYS, png)


@app.command()
def clear(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Don't ask to confirm."),
) -> None:
    """Erase your mood timeline for good (your conversation itself is kept)."""
    from os1.emotion.mood import MoodStore

    with _opened(ctx) as runtime:
        moods = MoodStore(runtime.store)
        count = moods.count(runtime.user_id)
        if not count:
            console.print("Your mood timeline is already empty.")
            return
        reads = f"{plural(count, 'read')} of your messages"
        if not yes and not confirm_erasure(
                f"Erase your mood timeline ({reads}) for good?",
                refused=f"Nothing was erased: erasing {reads} needs your confirmation"):
            console.print("Nothing was erased.")
            return
        erased = moods.clear(runtime.user_id)
        console.print(f"Erased your mood timeline: {plural(erased, 'read')} of your messages, "
                      "for good. Your conversation itself is kept.")
