"""``os1 setup``: genesis in the terminal — the questions, the boot, the introduction."""

from __future__ import annotations

import asyncio
import time

import typer

from os1.cli.runtime import Runtime
from os1.cli.terminal import console, read_line
from os1.companion import clean_text
from os1.persona import genesis
from os1.persona.model import Persona


def ask_questions(runtime: Runtime) -> dict[str, str]:
    answers = runtime.store.genesis_answers(runtime.user_id)
    if answers:
        console.print("[dim]Picking up where we left off.[/]\n")
    while (question := genesis.next_question(answers)) is not None:
        console.print(f"[bold cyan]{question.text}[/]")
        if question.hint:
            console.print(f"[dim]{question.hint}[/]")
        while True:
            raw, notices = clean_text(read_line("> "))  # invalid UTF-8 becomes U+FFFD
            for notice in notices:
                console.print(f"[dim]({notice})[/]")
            try:
                answers[question.key] = genesis.accept_answer(runtime.store, runtime.user_id,
                                                              question.key, raw)
                break
            except genesis.AnswerNotUnderstood as exc:
                console.print(f"[dim]{exc}[/]")
        console.print()
    return answers


def run_genesis(runtime: Runtime) -> Persona:
    """Ask, boot, return the new persona. Ctrl-C at any point keeps the answers given so far."""
    runtime.preflight()
    runtime.start_backend()  # load the model while the person answers
    console.print(f"\n[cyan]{genesis.WELCOME}[/]\n")
    try:
        answers = ask_questions(runtime)
    except KeyboardInterrupt:
        console.print("\n[dim]Paused. Your answers so far are saved; run os1 again to continue.[/]")
        raise typer.Exit(130) from None
    except EOFError:
        console.print("\n[dim]No more input. Your answers so far are saved; run os1 again to "
                      "continue.[/]")
        raise typer.Exit(1) from None
    console.print("[cyan]Thank you. Please wait as your individualized operating system is "
                  "initiated.[/]\n")
    steps = time.perf_counter()
    with console.status("  [dim]loading the model[/]", spinner="dots") as status:
        backend = runtime.backend()
        status.update("  [dim]getting to know your answers[/]")
        status.update("  [dim]choosing a name[/]")
        persona, _method = asyncio.run(
            genesis.create_persona(runtime.store, backend, runtime.user_id, answers))
    console.print(f"  [dim]ready in {time.perf_counter() - steps:.1f} s[/]\n")
    return persona


def confirm_replace(persona: Persona) -> bool:
    console.print(f"You already have a companion, [bold]{persona.name}[/]. Setting up again gives "
                  "you a new one; your conversation with "
                  f"{persona.name} stays stored, but {persona.name} goes quiet.")
    try:
        answer = read_line("Start again? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")
