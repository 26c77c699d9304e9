"""``os1 files``: the folders os1 may read and search, and their index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from os1.cli.terminal import console, opened_services, plural, progress_bar

if TYPE_CHECKING:
    from os1.tools.factory import Services

app = typer.Typer(help="Folders os1 may read and search (text, Markdown, PDF, Word, "
                       "email files).", no_args_is_help=True)


@app.command("add")
def files_add(ctx: typer.Context, folder: Annotated[Path, typer.Argument()]) -> None:
    """Let os1 read and search a folder, and index it now."""
    with opened_services(ctx) as (_runtime, services):
        added = services.files.add_folder(str(folder.expanduser()))
        console.print(f"Added {escape(str(added.path))}.")
        _refresh(services)


def _refresh(services: Services) -> None:
    with progress_bar() as bar:
        task = bar.add_task("indexing", total=None)

        def progress(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total)

        report = services.files.refresh(progress=progress)
    console.print(report.summary())
    for note in report.notes[:20]:
        console.print(f"  [yellow]{escape(str(getattr(note, 'path', '')))}[/]: "
                      f"{escape(str(getattr(note, 'note', note)))}")


@app.command("refresh")
def files_refresh(ctx: typer.Context) -> None:
    """Re-read what changed in the indexed folders (the chat also does this as it runs)."""
    with opened_services(ctx) as (_runtime, services):
        _refresh(services)


@app.command("list")
def files_list(ctx: typer.Context) -> None:
    """The folders os1 may read."""
    with opened_services(ctx) as (_runtime, services):
        folders = services.files.folders()
        if not folders:
            console.print("No folders yet: os1 files add ~/Documents")
        for f in folders:
            console.print(escape(str(f.path)))


@app.command("remove")
def files_remove(ctx: typer.Context, folder: Annotated[Path, typer.Argument()]) -> None:
    """Stop reading a folder and forget its index (the files themselves are untouched)."""
    with opened_services(ctx) as (_runtime, services):
        n = services.files.remove_folder(str(folder.expanduser()))
        console.print(f"Removed; {plural(n, 'file')} dropped from the index.")


@app.command("search")
def files_search(ctx: typer.Context, query: Annotated[str, typer.Argument()]) -> None:
    """Search the indexed files, with the place of each passage."""
    with opened_services(ctx) as (_runtime, services):
        for hit in services.files.search(query, limit=10):
            console.print(f"[bold]{escape(hit.source)}[/]\n  {escape(hit.snippet)}")
