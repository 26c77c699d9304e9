"""``os1 chat``: the conversation in the terminal."""

from __future__ import annotations

import asyncio

from os1.cli.runtime import Runtime
from os1.cli.terminal import console, read_line, stream_events
from os1.companion import Companion
from os1.emotion.service import build_emotion
from os1.memory.factory import build_memory
from os1.memory.worker import MemoryWorker
from os1.persona.model import Persona

HELP = "(Ctrl-C stops a reply; Ctrl-C twice or /quit leaves. Everything is saved as you go.)"


def _goodbye(persona: Persona, *, newline: bool = False) -> int:
    console.print(("\n" if newline else "") + f"[dim]Bye for now. {persona.name} will remember.[/]")
    return 0


def build_companion(runtime: Runtime, persona: Persona) -> tuple[Companion, MemoryWorker | None]:
    """The person's companion with everything it uses (shared by chat and talk)."""
    settings = runtime.config.settings
    memory, worker = None, None
    backend = runtime.backend()
    if settings.memory:
        memory = build_memory(runtime.store, runtime.clock, user_id=runtime.user_id,
                              persona=persona)
        memory.memories.enqueue_episodes(runtime.user_id, runtime.store.current_conversation(
            runtime.user_id, persona.id))
        worker = MemoryWorker(memory, backend, idle_delay=settings.memory_idle_seconds)
    emotion = build_emotion(runtime.store, runtime.clock, user_id=runtime.user_id,
                            user_name=persona.user_name, aware=settings.emotion)
    companion = Companion(store=runtime.store, backend=backend, clock=runtime.clock,
                          user_id=runtime.user_id, persona=persona,
                          reply_tokens=settings.max_reply_tokens, memory=memory, worker=worker,
                          emotion=emotion)
    return companion, worker


def chat(runtime: Runtime, persona: Persona, *, greet: bool = True) -> int:
    with console.status("  [dim]waking up[/]", spinner="dots"):
        companion, worker = build_companion(runtime, persona)
    backend = companion.backend
    companion.set_mode("text")
    loop = asyncio.new_event_loop()
    try:
        if worker is not None:
            worker.hold()  # the greeting comes first
            worker.start()
        console.print(f"[dim]{HELP}[/]\n")
        if greet:
            outcome = stream_events(loop, companion.greet(), persona.name)
            if outcome.leave:
                return 0
        if worker is not None:
            worker.release()
        you = f"{persona.user_name}> "
        pending_exit = False
        while True:
            try:
                line = read_line(you)
            except KeyboardInterrupt:
                if pending_exit:
                    return _goodbye(persona, newline=True)
                console.print("\n[dim](Press Ctrl-C again to leave. Everything is saved.)[/]")
                pending_exit = True
                continue
            except EOFError:
                return _goodbye(persona, newline=True)
            if line.strip() in ("/quit", "/exit", "/bye"):
                return _goodbye(persona)
            if line.strip() in ("/help", "/?"):
                console.print(f"[dim]{HELP}[/]")
                continue
            outcome = stream_events(loop, companion.respond(line), persona.name)
            if outcome.leave:
                return _goodbye(persona)
            pending_exit = outcome.interrupted
    finally:
        if worker is not None:
            worker.stop()
        loop.run_until_complete(backend.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
