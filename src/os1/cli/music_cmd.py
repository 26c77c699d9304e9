"""``os1 music``: pieces os1 writes for a moment — compose, list, play, export."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from os1.cli.terminal import console, err_console

if TYPE_CHECKING:
    from os1.cli.runtime import Runtime
    from os1.tools.music.service import MusicService, StoredPiece

SOURCES = {"timeline": ", from your mood over the last day",
           "recent": ", from your recent mood", "neutral": ": I don't know your mood yet, so a gentle calm"}

app = typer.Typer(help="Music os1 writes for a moment: compose, list, play, export.",
                  no_args_is_help=True)


@contextlib.contextmanager
def opened_music(ctx: typer.Context) -> Iterator[tuple[Runtime, MusicService]]:
    """The data directory opened (locked) with the local person's pieces; the sounds go to
    DATA_DIR/music. Imported when a command runs, so 'os1 --help' stays quick."""
    from os1.cli.runtime import open_runtime
    from os1.tools.music.service import MusicService

    runtime = open_runtime((ctx.obj or {}).get("data_dir"))
    try:
        yield runtime, MusicService(runtime.store, runtime.user_id, runtime.clock,
                                    runtime.config.data_dir / "music")
    finally:
        runtime.close()


def _describe(piece: StoredPiece) -> str:
    plan = piece.plan
    return (f"[bold]{escape(piece.title)}[/]  [dim]#{piece.id}[/]\n"
            f"  {escape(str(plan.get('key', '')))}, {plan.get('tempo')} bpm, "
            f"{plan.get('time_signature')}, {' '.join(plan.get('form') or [])}, "
            f"{piece.seconds:.0f} s, {escape(str(plan.get('accompaniment', '')))}")


@app.command("compose")
def music_compose(ctx: typer.Context,
                  description: Annotated[str, typer.Argument(
                      help="What the piece is for: \"the night we walked on the beach\"")],
                  seconds: Annotated[float, typer.Option(help="Length, 30 to 90 seconds")] = 60,
                  seed: Annotated[int | None, typer.Option(
                      help="The same seed writes the same piece")] = None,
                  play: Annotated[bool, typer.Option("--play", help="Play it when done")] = False,
                  ) -> None:
    """Compose a short piano piece for a moment, following your recent mood."""
    with opened_music(ctx) as (_runtime, music):
        with console.status("Composing and rendering…"):
            piece = music.compose(description, seconds=seconds, seed=seed)
        console.print(_describe(piece))
        mood = piece.mood
        feeling = ", ".join(mood.get("labels") or []) or "calm"
        origin = SOURCES.get(str(mood.get("source")), "")
        console.print(f"  [dim]the mood it follows: {escape(feeling)} (valence {mood.get('valence')}, "
                      f"arousal {mood.get('arousal')}{origin})[/]")
        for remark in piece.plan.get("remarks") or []:
            console.print(f"  [yellow]{escape(remark)}[/]")
        if piece.audio_problem:
            err_console.print(f"[yellow]{escape(piece.audio_problem)}[/]")
            console.print(f"The piece is kept; export its MIDI with: os1 music export {piece.id} "
                          "piece.mid --midi")
            return
        console.print(f"  {escape(str(piece.audio_path))}")
        if play and piece.audio_path is not None:
            play_file(piece.audio_path)


@app.command("list")
def music_list(ctx: typer.Context) -> None:
    """The pieces os1 has written for you, newest first."""
    with opened_music(ctx) as (_runtime, music):
        pieces = music.list()
        if not pieces:
            console.print("No pieces yet. Try: os1 music compose \"this evening\"")
        for piece in pieces:
            when = piece.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            console.print(f"{_describe(piece)}\n  [dim]{when} · for {escape(piece.moment) or '—'}[/]")


@app.command("play")
def music_play(ctx: typer.Context,
               piece_id: Annotated[int, typer.Argument(help="The piece's number (os1 music list)")]
               ) -> None:
    """Play a piece through the speaker (or say where its file is when there's none)."""
    with opened_music(ctx) as (_runtime, music):
        piece = music.get(piece_id)
        path = music.audio(piece_id)
    console.print(f"[bold]{escape(piece.title)}[/]")
    play_file(path)


@app.command("export")
def music_export(ctx: typer.Context,
                 piece_id: Annotated[int, typer.Argument(help="The piece's number (os1 music list)")],
                 path: Annotated[Path, typer.Argument(help="Where to save it (a file or a folder)")],
                 midi: Annotated[bool, typer.Option("--midi", help="Save the MIDI instead of the "
                                                    "WAV")] = False) -> None:
    """Save a piece as a WAV (or, with --midi, as a MIDI file)."""
    from os1.tools.output import file_stem, write_atomically

    with opened_music(ctx) as (_runtime, music):
        piece = music.get(piece_id)
        suffix = ".mid" if midi else ".wav"
        target = path / f"{file_stem(piece.title, fallback='piece')}{suffix}" if path.is_dir() else path
        data = music.midi(piece_id) if midi else music.audio(piece_id).read_bytes()
        write_atomically(target, data)
    console.print(f"Saved {escape(piece.title)} to {escape(str(target))}")


def play_file(path: Path) -> None:
    """Through sounddevice when there is a speaker; otherwise say how to play the file. Never
    fails on a machine without a sound card."""
    from os1.errors import AudioError

    try:
        from os1.voice.audio import read_wav
        from os1.voice.transports import import_sounddevice

        sd = import_sounddevice()
        sd.query_devices(kind="output")
        samples, rate = read_wav(path)
    except Exception as exc:  # no sound library, no PortAudio, no output device
        reason = exc.what if isinstance(exc, AudioError) else (str(exc) or type(exc).__name__)
        player = f"aplay {path}" if shutil.which("aplay") else "any audio player"
        console.print(f"I can't play sound here ({escape(reason)}).\nThe piece is at "
                      f"{escape(str(path))}: play it with {escape(player)}, or open it in a browser.")
        return
    console.print(f"Playing {path.name} ({len(samples) / rate:.0f} s; Ctrl-C stops)…")
    try:
        sd.play(samples, rate)
        sd.wait()
    except KeyboardInterrupt:
        sd.stop()
        console.print("Stopped.")
    except Exception as exc:  # the device went away mid-piece
        console.print(f"Playing stopped ({escape(str(exc))}). The piece is at {escape(str(path))}.")
