"""``os1 letters``: the letter library, handwritten pages and books, from the shell.

The conversation (``os1 chat``) does the same by asking ("write a letter from Chris to
Loretta…", "warmer", "make it look handwritten", "gather my best letters into a book");
this is for looking through the library, scripting, and what is easier typed than said.
Sending a book is a mail: ask in the chat, where it is shown and waits for your yes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from os1.cli.terminal import console, plural

if TYPE_CHECKING:
    from os1.cli.runtime import Runtime
    from os1.tools.letters.service import LetterService

app = typer.Typer(help="Your letters: write, revise, proofread, handwrite; make a book.",
                  no_args_is_help=True)


@contextlib.contextmanager
def _letters(ctx: typer.Context) -> Iterator[tuple[Runtime, LetterService]]:
    from os1.cli.chat import memory_for
    from os1.cli.runtime import open_runtime
    from os1.tools.factory import memory_recall
    from os1.tools.letters.service import LetterService

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        persona = runtime.store.active_persona(runtime.user_id)
        name = persona.user_name if persona else "me"

        class LazyBackend:
            """The model loads only for the commands that write (list and show don't)."""

            def __getattr__(self, attr: str) -> object:
                return getattr(runtime.backend(), attr)

        yield runtime, LetterService(
            runtime.store, runtime.user_id, runtime.clock, backend=LazyBackend(),  # type: ignore[arg-type]
            out_dir=runtime.config.data_dir / "letters", user_name=name,
            remember=memory_recall(memory_for(runtime, persona)))
    finally:
        if runtime.backend_ready():
            with contextlib.suppress(Exception):
                asyncio.run(runtime.backend().aclose())
        runtime.close()


@app.command("list")
def letters_list(ctx: typer.Context) -> None:
    """Every letter: number, who to whom, the occasion, date, versions."""
    with _letters(ctx) as (_runtime, service):
        letters = service.all()
        if not letters:
            console.print("No letters yet. Write one: os1 letters write --from Chris --to Loretta "
                          "--occasion '50th anniversary' 'they met in a bus queue in 1974'")
        for x in letters:
            star = "★ " if x.favorite else ""
            console.print(f"{x.id:>4}  {star}{escape(x.title)}  [dim]{x.written_on} · "
                          f"{plural(x.versions, 'version')}[/]")


@app.command("show")
def letters_show(ctx: typer.Context, letter_id: Annotated[int, typer.Argument()],
                 version: Annotated[int | None, typer.Option(help="An earlier version")] = None,
                 history: Annotated[bool, typer.Option(help="List every version")] = False) -> None:
    """One letter (the newest version, or --version N)."""
    with _letters(ctx) as (runtime, service):
        letter = service.get(letter_id)
        versions = service.library.versions(runtime.user_id, letter_id)
        if history:
            for v in versions:
                console.print(f"v{v.version}  {v.created_at.astimezone():%Y-%m-%d %H:%M}  "
                              f"{escape(v.change)}")
            return
        chosen = next((v for v in versions if v.version == version), None) if version else None
        if version and chosen is None:
            raise typer.BadParameter(f"letter #{letter_id} has versions 1-{len(versions)}")
        console.print(f"[bold]{escape(letter.title)}[/] [dim]({letter.written_on}, version "
                      f"{chosen.version if chosen else letter.version} of {letter.versions})[/]\n")
        console.print(escape(chosen.body if chosen else letter.body))


@app.command("write")
def letters_write(ctx: typer.Context,
                  notes: Annotated[str, typer.Argument(help="What to say: the facts, the feeling")],
                  sender: Annotated[str, typer.Option("--from", help="Who it's from")],
                  recipient: Annotated[str, typer.Option("--to", help="Who it's to")],
                  occasion: Annotated[str, typer.Option(help="What it's for")] = "") -> None:
    """Draft a letter in the sender's voice (from your notes, what os1 remembers of them, and
    earlier letters between the two)."""
    with _letters(ctx) as (_runtime, service):
        with console.status("  [dim]writing[/]", spinner="dots"):
            letter = asyncio.run(service.draft(sender=sender, recipient=recipient,
                                               occasion=occasion, notes=notes))
        console.print(f"[bold]#{letter.id} {escape(letter.title)}[/]\n\n{escape(letter.body)}")


@app.command("add")
def letters_add(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A text file")],
                sender: Annotated[str, typer.Option("--from")],
                recipient: Annotated[str, typer.Option("--to")],
                occasion: Annotated[str, typer.Option()] = "",
                date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None) -> None:
    """Put a letter you wrote yourself into the library."""
    try:
        body = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"can't read {file}: {exc}") from None
    with _letters(ctx) as (_runtime, service):
        letter = service.add(sender=sender, recipient=recipient, body=body, occasion=occasion,
                             written_on=date)
        console.print(f"Added #{letter.id} {escape(letter.title)}.")


@app.command("revise")
def letters_revise(ctx: typer.Context, letter_id: Annotated[int, typer.Argument()],
                   how: Annotated[str, typer.Argument(help="warmer, shorter, 'mention the dog' …")]
                   ) -> None:
    """A new version, changed as you say (the old one is kept)."""
    with _letters(ctx) as (_runtime, service):
        with console.status("  [dim]rewriting[/]", spinner="dots"):
            letter = asyncio.run(service.revise(letter_id, how))
        console.print(f"[bold]Version {letter.version}[/]\n\n{escape(letter.body)}")


@app.command("proofread")
def letters_proofread(ctx: typer.Context, letter_id: Annotated[int, typer.Argument()]) -> None:
    """Spelling, grammar and tone, every change shown; the corrected text is a new version."""
    with _letters(ctx) as (_runtime, service):
        letter, changes = asyncio.run(service.proofread(letter_id))
        console.print(escape(changes))


@app.command("favorite")
def letters_favorite(ctx: typer.Context, letter_id: Annotated[int, typer.Argument()],
                     off: Annotated[bool, typer.Option("--off")] = False) -> None:
    """Mark a letter as one of your best (os1's "best of" picks favourites first)."""
    with _letters(ctx) as (_runtime, service):
        letter = service.update(letter_id, favorite=not off)
        console.print(f"#{letter.id} is {'not ' if off else ''}a favourite.")


@app.command("handwrite")
def letters_handwrite(ctx: typer.Context, letter_id: Annotated[int, typer.Argument()],
                      hand: Annotated[str, typer.Option(help="indie-flower or caveat")] = "indie-flower",
                      out: Annotated[Path | None, typer.Option(help="Folder for the files")] = None
                      ) -> None:
    """The letter as a handwritten page: PDF and PNG."""
    with _letters(ctx) as (_runtime, service):
        page = service.handwrite(letter_id, hand=hand, out_dir=out)
        console.print(f"PDF  {escape(str(page.pdf))}")
        for png in page.pngs:
            console.print(f"PNG  {escape(str(png))}")


@app.command("book")
def letters_book(ctx: typer.Context,
                 title: Annotated[str, typer.Argument(help="The book's title")],
                 letters: Annotated[str | None, typer.Option(
                     help="Letter numbers in order, e.g. 3,1,7 (default: os1's best of)")] = None,
                 subtitle: Annotated[str, typer.Option()] = "",
                 foreword: Annotated[Path | None, typer.Option(
                     help="A text file (default: os1 drafts one)")] = None) -> None:
    """A print-ready PDF and an EPUB, with a foreword and a table of contents, both checked."""
    from os1.cli.terminal import progress_bar

    ids = None
    if letters:
        try:
            ids = [int(x) for x in letters.replace(" ", "").split(",") if x]
        except ValueError:
            raise typer.BadParameter("letters are numbers separated by commas: 3,1,7") from None
    with _letters(ctx) as (_runtime, service):
        if ids is None:
            for choice in service.best_of():
                console.print(f"  {escape(choice.as_text())}")
        text = foreword.read_text(encoding="utf-8") if foreword else None
        with progress_bar() as bar:
            task = bar.add_task("building", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"{stage:8}", completed=done, total=total)

            book = asyncio.run(service.make_book(title=title, letter_ids=ids, subtitle=subtitle,
                                                 foreword=text, progress=progress))
        console.print(f"[bold]{escape(book.title)}[/]: {plural(len(book.letter_ids), 'letter')}")
        console.print(f"PDF   {escape(book.pdf_path or '')}\nEPUB  {escape(book.epub_path or '')}")
        for kind, verdict in book.verdict.items():
            if isinstance(verdict, dict):
                ok = verdict.get("ok")
                said = "valid" if ok else "not checked" if ok is None else "PROBLEMS"
                console.print(f"{kind.upper():5} {said} ({escape(str(verdict.get('tool', '')))})")
                for line in (verdict.get("messages") or [])[:10]:
                    console.print(f"      [dim]{escape(str(line))}[/]")


@app.command("books")
def letters_books(ctx: typer.Context) -> None:
    """The books made so far."""
    with _letters(ctx) as (_runtime, service):
        books = service.books()
        if not books:
            console.print("No books yet: os1 letters book 'A Title'")
        for b in books:
            console.print(f"{b.id:>3}  {escape(b.title)}  [dim]{plural(len(b.letter_ids), 'letter')}"
                          f" · {b.created_at.astimezone():%Y-%m-%d}[/]\n     {escape(b.pdf_path or '')}"
                          f"\n     {escape(b.epub_path or '')}")
