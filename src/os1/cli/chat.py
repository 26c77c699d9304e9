"""``os1 chat``: the conversation in the terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from os1.cli.runtime import Runtime
from os1.cli.terminal import console, read_line, show_proposal, show_reminder, stream_events
from os1.companion import Companion
from os1.emotion.service import build_emotion
from os1.memory.factory import build_memory
from os1.memory.service import MemoryService
from os1.memory.worker import MemoryWorker
from os1.persona.model import Persona
from os1.tools.factory import (
    Services,
    build_organizer,
    build_services,
    memory_recall,
    secret_box,
)
from os1.tools.schedule import ReminderWatch, in_thread

HELP = ("(Ctrl-C stops a reply; Ctrl-C twice or /quit leaves. Everything is saved as you go.\n"
        " /pending shows actions waiting for you; /approve N or /decline N decides one;\n"
        " /play N plays a piece os1 wrote for you.)")


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
    services = organizer_services(runtime)
    organizer = build_organizer(runtime.store, runtime.clock, runtime.user_id,
                                user_name=persona.user_name, backend=backend, services=services,
                                remember=memory_recall(memory))
    companion = Companion(store=runtime.store, backend=backend, clock=runtime.clock,
                          user_id=runtime.user_id, persona=persona,
                          reply_tokens=settings.max_reply_tokens, memory=memory, worker=worker,
                          emotion=emotion, organizer=organizer)
    return companion, worker


def memory_for(runtime: Runtime, persona: Persona | None) -> MemoryService | None:
    """The companion's memory, to read from (os1 letters recalls what it knows of people)."""
    if persona is None or not runtime.config.settings.memory:
        return None
    return build_memory(runtime.store, runtime.clock, user_id=runtime.user_id, persona=persona)


def organizer_services(runtime: Runtime) -> Services:
    """The local person's mail, calendar and files (the secret key lives in the data folder)."""
    return build_services(runtime.store, runtime.clock, runtime.user_id,
                          box=secret_box(runtime.config.data_dir),
                          out_dir=runtime.config.data_dir)


def watch_in_background(runtime: Runtime, companion: Companion,
                        surface: str = "terminal") -> list[Callable[[], None]]:
    """Speak up on its own when an event is near, and keep the file index fresh (daemon
    threads, only for what the person has set up; see os1.tools.schedule). Returns the
    functions that stop them."""
    stops: list[Callable[[], None]] = []
    if companion.organizer is None:
        return stops
    services = companion.organizer.services
    if services.calendar is not None and services.calendar.cal.calendars(runtime.user_id):
        stops.append(ReminderWatch(services.reminders, runtime.clock, surface,
                                   show_reminder).run_in_thread())
    if services.files is not None and services.files.folders():
        stops.append(in_thread(lambda: services.files.watch(60.0), "os1-files"))
    return stops


def decide_command(loop: asyncio.AbstractEventLoop, companion: Companion, line: str,
                   speaker: str) -> None:
    """/pending, /approve N, /decline N."""
    from os1.events import ToolProposal
    from os1.tools.approvals import Proposal

    if companion.organizer is None:
        console.print("[dim](Nothing is waiting: mail, calendar and files aren't set up.)[/]")
        return
    command, _, rest = line.partition(" ")
    if command == "/pending":
        waiting: list[Proposal] = companion.organizer.approvals.pending()
        if not waiting:
            console.print("[dim](Nothing is waiting for you.)[/]")
        for p in waiting:
            show_proposal(ToolProposal(p.id, p.tool, p.preview.as_dict(), p.preview.render(),
                                       p.expires_at.isoformat()))
        return
    try:
        number = int(rest.strip().lstrip("#"))
    except ValueError:
        console.print(f"[yellow]Say which one: {command} 3 (/pending lists them).[/]")
        return
    stream_events(loop, companion.decide(number, command == "/approve"), speaker)


def play_command(companion: Companion, line: str) -> None:
    """/play N: a piece os1 composed, through the speaker (or where the file is)."""
    from os1.cli.music_cmd import play_file
    from os1.errors import Os1Error

    services = companion.organizer.services if companion.organizer is not None else None
    music = getattr(services, "music", None)
    if music is None:
        console.print("[dim](Music isn't set up here: pip install 'os1[music]'.)[/]")
        return
    try:
        number = int(line.partition(" ")[2].strip().lstrip("#"))
    except ValueError:
        pieces = music.list()
        if not pieces:
            console.print("[dim](No music yet: ask “write something for this moment”.)[/]")
            return
        number = pieces[0].id
    try:
        play_file(music.audio(number))
    except Os1Error as exc:
        console.print(f"[yellow]{exc.what} {exc.fix}[/]")


def chat(runtime: Runtime, persona: Persona, *, greet: bool = True) -> int:
    with console.status("  [dim]waking up[/]", spinner="dots"):
        companion, worker = build_companion(runtime, persona)
    backend = companion.backend
    companion.set_mode("text")
    loop = asyncio.new_event_loop()
    stops: list[Callable[[], None]] = []
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
        stops += watch_in_background(runtime, companion)
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
            if line.strip().startswith(("/pending", "/approve", "/decline")):
                decide_command(loop, companion, line.strip(), persona.name)
                continue
            if line.strip().startswith("/play"):
                play_command(companion, line.strip())
                continue
            outcome = stream_events(loop, companion.respond(line), persona.name)
            if outcome.leave:
                return _goodbye(persona)
            pending_exit = outcome.interrupted
    finally:
        for stop in stops:
            stop()
        if worker is not None:
            worker.stop()
        loop.run_until_complete(backend.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
