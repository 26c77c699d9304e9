"""``os1 memory``: see, search, correct, export and erase what your companion remembers.

Every command opens the data directory the way 'os1 chat' does (the same lock, the same
owner-scoped repositories), so what it shows is exactly what the companion recalls from.
The embedding model is loaded only by the commands that need meaning (search, edit,
forget --about, import, learn); listing and exporting answer at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from os1.cli.terminal import confirm_erasure, console, err_console, plural
from os1.errors import InputError

if TYPE_CHECKING:  # imported when a command runs: 'os1 --help' needn't load numpy
    from os1.cli.runtime import Runtime
    from os1.llm.base import ChatBackend
    from os1.memory.service import MemoryService
    from os1.memory.store import Memory

app = typer.Typer(help="What your companion remembers: list, search, show, edit, forget, "
                       "export, import, learn.", no_args_is_help=True)

ABOUT_SIMILARITY = 0.55  # 'forget --about': what counts as being about the topic by meaning
LIST_LIMIT = 100
HOW_TO_LIST = "'os1 memory list --all' shows every memory with its number."


# -- opening -------------------------------------------------------------------------------
@contextlib.contextmanager
def _opened(ctx: typer.Context, *, meaning: bool) -> Iterator[tuple[Runtime, MemoryService]]:
    """The runtime and the active companion's memory; closed (lock released) on the way out.

    ``meaning``: load the embedding model (for anything that embeds or searches by meaning).
    """
    from os1.cli.runtime import open_runtime
    from os1.memory.factory import build_memory

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        persona = runtime.store.active_persona(runtime.user_id)
        if persona is None:
            raise InputError("You haven't met your companion yet, so there are no memories.",
                             "Run 'os1' first to meet your companion.")
        memory = build_memory(runtime.store, runtime.clock, user_id=runtime.user_id,
                              persona=persona, load=meaning)
        yield runtime, memory
    finally:
        runtime.close()


def _get(memory: MemoryService, memory_id: int) -> Memory:
    """The person's own memory #id. Another person's is as unknown as one never made."""
    found = memory.memories.get(memory.user_id, memory_id)
    if found is None:
        raise InputError(f"No memory #{memory_id}.", HOW_TO_LIST)
    return found


# -- showing -------------------------------------------------------------------------------
def _date(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone()
    return f"{local.day} {local:%b %Y}"


def _no_longer(memory: Memory) -> str:
    """'(replaced 3 Jun 2026: Theodore said …)' for a memory that is no longer valid."""
    if memory.valid:
        return ""
    note = "replaced" if memory.superseded_by is not None or memory.invalid_reason else \
        "no longer valid"
    if memory.invalid_at is not None:
        note += f" {_date(memory.invalid_at)}"
    if memory.invalid_reason:
        note += f": {memory.invalid_reason}"
    return f"({note})"


def _content_cell(memory: Memory) -> str:
    text = escape(memory.content)
    if memory.kind == "moment":
        text = f"“{text}”"
    if not memory.valid:
        text = f"[dim]{text} {escape(_no_longer(memory))}[/]"
    return text


def _memory_table(memories: list[Memory], scores: dict[int, float] | None = None) -> Table:
    table = Table(box=None, pad_edge=False)
    if scores is not None:
        table.add_column("score", justify="right", style="cyan", no_wrap=True)
    table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("learned", no_wrap=True)
    table.add_column("memory", overflow="fold")
    for m in memories:
        cells = [str(m.id), m.kind, _date(m.learned_at), _content_cell(m)]
        if scores is not None:
            cells.insert(0, f"{scores[m.id]:.2f}")
        table.add_row(*cells)
    return table


def _print_json(value: Any) -> None:
    """Plain JSON on stdout: no colour, no wrapping, pipeable to jq."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def _learning_status(memory: MemoryService) -> list[str]:
    counts = memory.memories.episode_counts(memory.user_id)
    parts = []
    pending = counts.get("pending", 0)
    failing = counts.get("failing", 0)
    if pending:
        parts.append(f"{plural(pending, 'message')} waiting to be learned from")
    if failing:
        parts.append(f"{failing} failing (retried automatically; 'os1 memory learn' to try now)")
    return parts


def _footer(memory: MemoryService, *, everything: bool) -> str:
    uid = memory.user_id
    total = memory.memories.count(uid, include_invalid=True)
    valid = memory.memories.count(uid, include_invalid=False)
    moments = memory.memories.count(uid, kinds=("moment",), include_invalid=False)
    main = valid - moments
    first = plural(main, "memory", "memories")
    others = [text for n, text in ((moments, f"{moments} of your own words"),
                                   (total - valid, f"{total - valid} replaced")) if n]
    if others:
        first += f", {', '.join(others)}" if everything else \
            f" ({', '.join(others)} shown with --all)"
    return " · ".join([first, *_learning_status(memory)])


@app.command("list")
def list_(
    ctx: typer.Context,
    everything: bool = typer.Option(False, "--all", help="Include replaced memories and your "
                                    "own words kept as they were said (moments)."),
    kind: str = typer.Option(None, "--kind", help="Only this kind: fact, person, preference, "
                             "plan, event, feeling, reflection or moment."),
    limit: int = typer.Option(LIST_LIMIT, "--limit", min=0, help="How many (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What your companion remembers, newest first."""
    from os1.memory.store import KINDS

    if kind is not None and kind not in KINDS:
        raise InputError(f"There's no kind of memory called '{kind}'.",
                         f"Kinds: {', '.join(KINDS)}.")
    with _opened(ctx, meaning=False) as (_runtime, memory):
        learned = tuple(k for k in KINDS if k != "moment")  # moments: the person's own words
        kinds = (kind,) if kind else (None if everything else learned)
        found = memory.memories.find(memory.user_id, kinds=kinds, include_invalid=everything,
                                     limit=limit + 1 if limit else None)
        more = bool(limit) and len(found) > limit
        found = found[:limit] if limit else found
        if as_json:
            _print_json([m.as_dict() for m in found])
            return
        if not found:
            console.print("Nothing remembered yet." if not kind else f"No {kind} memories.")
        else:
            console.print(_memory_table(found))
        footer = _footer(memory, everything=everything or kind == "moment")
        if more:
            footer = f"showing the newest {limit} (--limit 0 shows all) · " + footer
        console.print(f"\n[dim]{escape(footer)}[/]")


@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Words or a question, e.g. 'who was I married to'."),
    limit: int = typer.Option(10, "--limit", min=1),
    everything: bool = typer.Option(False, "--all", help="Include replaced memories."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find memories by meaning and by words, the way your companion recalls them."""
    with _opened(ctx, meaning=True) as (_runtime, memory):
        if memory.embedder is None and memory.embedder_problem:
            err_console.print(f"[dim]({escape(memory.embedder_problem)})[/]")
        hits = memory.recall(query, limit=limit, include_invalid=True if everything else None)
        if as_json:
            _print_json([{"score": round(h.score, 4), "similarity": round(h.similarity, 4),
                          "keyword": round(h.keyword, 4), **h.memory.as_dict()} for h in hits])
            return
        if not hits:
            console.print("Nothing remembered about that.")
            return
        console.print(_memory_table([h.memory for h in hits],
                                    scores={h.memory.id: h.score for h in hits}))


@app.command()
def show(
    ctx: typer.Context,
    memory_id: int = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Everything about one memory: its history, and what a reflection was drawn from."""
    with _opened(ctx, meaning=False) as (_runtime, memory):
        m = _get(memory, memory_id)
        uid = memory.user_id
        sources = memory.memories.many(uid, memory.memories.sources_of(uid, m.id))
        reflections = memory.memories.many(uid, memory.memories.reflections_citing(uid, [m.id]))
        replaced_by = memory.memories.get(uid, m.superseded_by) if m.superseded_by else None
        replaces = [o for o in memory.memories.find(uid, include_invalid=True)
                    if o.superseded_by == m.id]
        if as_json:
            _print_json({**m.as_dict(), "sources": sorted(sources),
                         "reflections": sorted(reflections), "replaces": [o.id for o in replaces]})
            return
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")

        def row(label: str, value: object) -> None:
            if value not in (None, "", []):
                table.add_row(label, escape(str(value)))

        row("memory", f"#{m.id}")
        row("kind", m.kind)
        row("content", m.content)
        row("about", m.about)
        row("topic", m.topic)
        row("importance", f"{m.importance:.2f}")
        when = " ".join(filter(None, [_date(m.happens_at),
                                      f"(“{m.date_text}”)" if m.date_text else ""]))
        row("when", when)
        row("learned", f"{m.learned_at.astimezone():%Y-%m-%d %H:%M}")
        row("last seen", f"{m.last_seen_at.astimezone():%Y-%m-%d %H:%M}"
                         f" ({plural(m.times_seen, 'time')} in all)")
        row("origin", m.origin)
        row("from message", m.message_id)
        row("status", "valid" if m.valid else _no_longer(m).strip("()"))
        if m.superseded_by is not None:
            row("replaced by", f"#{m.superseded_by}"
                + (f": {replaced_by.content}" if replaced_by else ""))
        for old in replaces:
            row("replaces", f"#{old.id}: {old.content}")
        for source_id in sorted(sources):
            row("drawn from", f"#{source_id}: {sources[source_id].content}")
        for reflection_id in sorted(reflections):
            row("reflected in", f"#{reflection_id}: {reflections[reflection_id].content}")
        console.print(table)


def _in_editor(text: str, memory_id: int) -> str:
    """The text after the person edited it in $VISUAL / $EDITOR ('' if they emptied it)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix=f"os1-memory-{memory_id}-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        # Through the shell, like git does: EDITOR may be 'code --wait'.
        done = subprocess.run(f"{editor} {shlex.quote(name)}", shell=True, check=False)
        if done.returncode != 0:
            raise InputError(f"The editor ({editor}) stopped with status {done.returncode}; "
                             "nothing changed.",
                             f"Set $EDITOR, or give the text: os1 memory edit {memory_id} "
                             "\"new text\"")
        return path.read_text(encoding="utf-8", errors="replace").strip()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


@app.command()
def edit(
    ctx: typer.Context,
    memory_id: int = typer.Argument(..., metavar="ID"),
    text: str = typer.Argument(None, help="The new text (default: open $EDITOR)."),
) -> None:
    """Correct a memory: replace its text (it is found by the new words and meaning)."""
    with _opened(ctx, meaning=True) as (_runtime, memory):
        current = _get(memory, memory_id)
        if text is None:
            new = _in_editor(current.content, memory_id)
            if not new:
                console.print("Nothing changed.")
                return
        else:
            new = text.strip()
            if not new:
                raise InputError("A memory can't be empty.",
                                 f"To remove it: os1 memory forget {memory_id}")
        if new == current.content.strip():
            console.print("Nothing changed.")
            return
        memory.correct(memory_id, new)
        console.print(f"#{memory_id} now reads: {escape(new)}")


def _drop_cached_state(data_dir: Path) -> int:
    """Saved KV caches may hold a forgotten memory's words; they are only a cache."""
    dropped = 0
    for path in (data_dir / "cache").glob("*.kvstate"):
        try:
            path.unlink()
            dropped += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            err_console.print(f"[yellow]Couldn't delete the cached model state {path} "
                              f"({exc.strerror}); delete it yourself: it may hold what was "
                              "forgotten.[/]")
    return dropped


@app.command()
def forget(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(metavar="ID", show_default=False)] = None,
    about: str = typer.Option(None, "--about", help="Forget everything about this topic."),
    everything: bool = typer.Option(False, "--all", help="Forget every memory."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Don't ask to confirm."),
) -> None:
    """Forget memories for good, with every reflection drawn from them.

    Asks first (unless --yes). The conversation itself is kept; cached model state, which
    may hold the forgotten words, is deleted.
    """
    if sum([bool(ids), about is not None, everything]) != 1:
        raise InputError("Say what to forget: memory numbers, --about TOPIC, or --all.",
                         "For example: os1 memory forget 12 14, or os1 memory forget --about "
                         "Catherine. " + HOW_TO_LIST)
    if about is not None and not about.strip():
        raise InputError("--about needs a topic.", "For example: os1 memory forget --about Amy")
    with _opened(ctx, meaning=about is not None) as (runtime, memory):
        uid = memory.user_id
        if ids:
            wanted = list(dict.fromkeys(ids))
            found = memory.memories.many(uid, wanted)
            missing = [i for i in wanted if i not in found]
            if missing:
                raise InputError(f"No memory #{missing[0]}." if len(missing) == 1 else
                                 f"No memories {', '.join(f'#{i}' for i in missing)}.",
                                 "Nothing was forgotten. " + HOW_TO_LIST)
            targets = [found[i] for i in wanted]
        elif everything:
            targets = memory.memories.find(uid, include_invalid=True)
        else:
            targets = [h.memory for h in memory.recall(about, limit=500, include_invalid=True)
                       if h.keyword > 0 or h.similarity >= ABOUT_SIMILARITY]
        if not targets:
            console.print(f"Nothing about {escape(about)} to forget." if about else
                          "Nothing to forget.")
            return
        target_ids = {m.id for m in targets}
        drawn = [r for r in memory.memories.many(
            uid, memory.memories.reflections_citing(uid, sorted(target_ids))).values()
            if r.id not in target_ids]
        shown = targets + drawn
        console.print(_memory_table(shown[:40]))
        if len(shown) > 40:
            console.print(f"[dim]… and {len(shown) - 40} more.[/]")
        count = plural(len(shown), "memory", "memories")
        if drawn:
            count += f" (with {plural(len(drawn), 'reflection')} drawn from them)"
        if not yes and not confirm_erasure(
                f"Forget {count} for good?",
                refused=f"Nothing was forgotten: forgetting {count} needs your confirmation"):
            console.print("Nothing was forgotten.")
            return
        deleted = memory.forget(sorted(target_ids))
        _drop_cached_state(runtime.config.data_dir)
        console.print(f"Forgotten: {plural(len(deleted), 'memory', 'memories')}, for good.")


# -- export and import ---------------------------------------------------------------------
def _write_private(path: Path, text: str) -> None:
    """Write ``path`` readable only by its owner, all at once (never a half-written file)."""
    if path.is_dir():
        raise InputError(f"{path} is a folder.", "Give a file name, e.g. memories.json.")
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)  # mkstemp: created 0600, never an existing file or a symlink
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise InputError(f"Couldn't write {path}: {exc.strerror}.",
                         "Choose another place, or leave FILE out to print to the terminal.") \
            from exc


@app.command("export")
def export_(
    ctx: typer.Context,
    file: str = typer.Argument("-", help="Where to write (default '-': print it)."),
) -> None:
    """Write every memory (with its history) as JSON you can read and import again."""
    from os1.memory.transfer import export

    with _opened(ctx, meaning=False) as (_runtime, memory):
        data = export(memory)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if file == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_private(Path(file), text)
    console.print(f"Exported {plural(len(data['memories']), 'memory', 'memories')} to "
                  f"{escape(file)} (readable only by you).")


def _read_export(file: str) -> Any:
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"Couldn't read {file}: {exc.strerror}.",
                         "Give the path of a file made by 'os1 memory export FILE'.") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} isn't text (byte {exc.start} isn't UTF-8).",
                         "Import a file made by 'os1 memory export FILE'.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{file} isn't valid JSON: {exc.msg} at line {exc.lineno}, column "
                         f"{exc.colno}.",
                         "Import a file made by 'os1 memory export FILE' (unedited, or fix "
                         "that spot).") from exc


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="A file made by 'os1 memory export' ('-': stdin)."),
) -> None:
    """Add memories from an export. Ones already here are skipped, so importing twice is safe."""
    from os1.memory.transfer import import_

    data = _read_export(file)
    with _opened(ctx, meaning=True) as (_runtime, memory):
        try:
            result = import_(memory, data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"The export has a value os1 can't use ({exc}).",
                             "Memories before it were imported; fix the file and import it "
                             "again (those are skipped).") from exc
    console.print(f"Imported {plural(result['added'], 'memory', 'memories')}"
                  + (f"; {result['skipped']} already known, skipped." if result["skipped"]
                     else "."))


# -- learning now --------------------------------------------------------------------------
@dataclass
class _Learning:
    tried: int = 0
    learned: int = 0  # episodes learned from (done)
    skipped: int = 0  # nothing in them to learn
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    reflections: int = 0


async def _learn(memory: MemoryService, backend: ChatBackend, waiting: int,
                 progress: Any) -> _Learning:
    """Every waiting episode once (a failure is kept, and won't come round again this run)."""
    from os1.memory import reflect

    outcome = _Learning()
    uid = memory.user_id
    try:
        while True:
            episode = await memory.learn_next(backend)
            if episode is None:
                break
            outcome.tried += 1
            now = memory.memories.last_episode_before(uid, episode.conversation_id,
                                                      episode.message_id + 1)
            status = now.status if now is not None else "done"
            if status == "done":
                outcome.learned += 1
            elif status == "skipped":
                outcome.skipped += 1
            else:
                outcome.failed += 1
                if now is not None and now.last_error and now.last_error not in outcome.errors:
                    outcome.errors.append(now.last_error)
            progress.update(f"  [dim]learned from {outcome.learned} of {waiting} messages…[/]")
        if reflect.due(memory):
            progress.update("  [dim]reflecting…[/]")
            outcome.reflections = len(await reflect.reflect(memory, backend))
    finally:
        await backend.aclose()
    return outcome


@app.command()
def learn(ctx: typer.Context) -> None:
    """Learn from the messages waiting now, with the configured model.

    Ctrl-C stops; what wasn't learned from yet stays waiting.
    """
    with _opened(ctx, meaning=True) as (runtime, memory):
        uid = memory.user_id
        runtime.preflight()
        conversation = runtime.store.current_conversation(uid, memory.persona.id)
        memory.memories.enqueue_episodes(uid, conversation)
        memory.memories.retry_failing(uid)
        counts = memory.memories.episode_counts(uid)
        waiting = counts.get("pending", 0) + counts.get("failing", 0)
        if not waiting:
            console.print("Nothing waiting to be learned from.")
            return
        before = memory.memories.count(uid)
        try:
            with console.status(f"  [dim]learning from {plural(waiting, 'message')}…[/]",
                                spinner="dots") as progress:
                backend = runtime.backend()
                outcome = asyncio.run(_learn(memory, backend, waiting, progress))
        except KeyboardInterrupt:
            err_console.print("\n[dim]Stopped. The messages not learned from yet are still "
                              "waiting; nothing is lost.[/]")
            raise typer.Exit(130) from None
        added = memory.memories.count(uid) - before
        line = f"Learned from {plural(outcome.learned, 'message')}"
        line += f": {plural(added, 'new memory', 'new memories')}" if added >= 0 else ""
        if outcome.skipped:
            line += f" ({outcome.skipped} had nothing to learn)"
        if outcome.reflections:
            line += f", and {plural(outcome.reflections, 'reflection')}"
        console.print(line + ".")
        if outcome.failed:
            why = f" ({escape('; '.join(outcome.errors[:2]))})" if outcome.errors else ""
            err_console.print(f"[yellow]{plural(outcome.failed, 'message')} couldn't be "
                              f"learned from yet{why}. Nothing is lost: "
                              f"{'it is' if outcome.failed == 1 else 'they are'} kept and "
                              "retried automatically, or run 'os1 memory learn' again.[/]")
            raise typer.Exit(1)
