"""The ``os1`` command. Each command group lives in its own module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from os1 import __version__
from os1.cli import (
    approvals_cmd,
    calendar_cmd,
    config_cmd,
    files_cmd,
    letters_cmd,
    mail_cmd,
    memory_cmd,
    models_cmd,
    mood_cmd,
    music_cmd,
    serve_cmd,
)
from os1.cli.terminal import console, err_console, prepare_stdio
from os1.errors import Os1Error

app = typer.Typer(
    help="os1: a companion that listens, understands and knows you.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(models_cmd.app, name="models")
app.add_typer(memory_cmd.app, name="memory")
app.add_typer(mood_cmd.app, name="mood")
app.add_typer(mail_cmd.app, name="mail")
app.add_typer(calendar_cmd.app, name="calendar")
app.add_typer(files_cmd.app, name="files")
app.add_typer(approvals_cmd.app, name="approvals")
app.add_typer(letters_cmd.app, name="letters")
app.add_typer(music_cmd.app, name="music")
app.command("serve")(serve_cmd.serve)

DATA_DIR_HELP = "Where os1 keeps your companion (default: your user data folder; env OS1_HOME)."


def _version(value: bool) -> None:
    if value:
        console.print(f"os1 {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: str = typer.Option(None, "--data-dir", help=DATA_DIR_HELP, envvar="OS1_HOME"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """Talk with your companion (the same as 'os1 chat')."""
    ctx.obj = {"data_dir": data_dir}
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat_command, ctx)


def _open(ctx: typer.Context) -> Any:
    from os1.cli.runtime import open_runtime

    return open_runtime(ctx.obj.get("data_dir"))


def _meet(runtime: Any) -> Any:
    """The person's companion: genesis the first time, else start loading the model now."""
    from os1.cli.setup_cmd import run_genesis

    persona = runtime.store.active_persona(runtime.user_id)
    if persona is None:
        return run_genesis(runtime)
    runtime.preflight()
    runtime.start_backend()
    return persona


@app.command("chat")
def chat_command(ctx: typer.Context) -> None:
    """Talk with your companion. Runs genesis first if you haven't met yet."""
    from os1.cli.chat import chat

    runtime = _open(ctx)
    try:
        persona = _meet(runtime)
        raise typer.Exit(chat(runtime, persona))
    finally:
        runtime.close()


@app.command("talk")
def talk_command(
    ctx: typer.Context,
    input_file: Annotated[Path | None, typer.Option(
        "--input", help="Talk with a recording (WAV) instead of the microphone (no sound "
        "device needed).")] = None,
    output_file: Annotated[Path | None, typer.Option(
        "--output", help="With --input: save what os1 said (WAV).")] = None,
    input_device: Annotated[str | None, typer.Option(
        "--input-device", help="Microphone: a number or name from `python -m sounddevice`.")] = None,
    output_device: Annotated[str | None, typer.Option(
        "--output-device", help="Speaker, likewise.")] = None,
    voices: bool = typer.Option(False, "--voices", help="List the voices os1 can speak with."),
    no_greeting: bool = typer.Option(False, "--no-greeting", help="Don't speak first."),
) -> None:
    """Talk out loud: microphone in, speaker out. Interrupt any time by speaking."""
    from os1.cli.talk_cmd import list_voices, talk

    if voices:
        raise typer.Exit(list_voices())
    runtime = _open(ctx)
    try:
        persona = _meet(runtime)
        raise typer.Exit(talk(runtime, persona, input_file=input_file, output_file=output_file,
                              input_device=input_device, output_device=output_device,
                              greet=not no_greeting))
    finally:
        runtime.close()


@app.command("setup")
def setup_command(
    ctx: typer.Context,
    again: bool = typer.Option(False, "--again", help="Meet a new companion (asks first)."),
) -> None:
    """Genesis: answer a few questions, and your companion is born."""
    from os1.cli.chat import chat
    from os1.cli.setup_cmd import confirm_replace, run_genesis

    runtime = _open(ctx)
    try:
        persona = runtime.store.active_persona(runtime.user_id)
        if persona is not None:
            if not again:
                console.print(f"You've already met [bold]{persona.name}[/]. Run 'os1' to talk, "
                              "or 'os1 setup --again' to start over with a new companion.")
                return
            if not confirm_replace(persona):
                console.print("Nothing changed.")
                return
            runtime.store.clear_genesis_answers(runtime.user_id)
        persona = run_genesis(runtime)
        raise typer.Exit(chat(runtime, persona))
    finally:
        runtime.close()


def hoist_global_options(argv: list[str]) -> list[str]:
    """Let --data-dir stand anywhere (os1 config show --data-dir X), not only first."""
    out: list[str] = []
    front: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--data-dir" and i + 1 < len(argv):
            front += argv[i:i + 2]
            i += 2
            continue
        if arg.startswith("--data-dir="):
            front.append(arg)
        else:
            out.append(arg)
        i += 1
    return front + out


def run(argv: list[str] | None = None) -> None:
    """Entry point: every error a person can hit is printed as what happened + what to do."""
    prepare_stdio()
    argv = hoist_global_options(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="os1", standalone_mode=False)
    except Os1Error as exc:
        err_console.print(f"[red]{exc.what}[/]")
        if exc.fix:
            err_console.print(f"[yellow]{exc.fix}[/]")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: wrong option, missing argument
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort):
        err_console.print("\n[dim]Stopped. Nothing that was saved is lost.[/]")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
