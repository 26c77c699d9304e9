"""The music service over a real SQLite store: pieces kept per person with what they were for,
the mood read from the timeline, audio rebuilt from the stored MIDI; the tools and the CLI."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import mido
import pytest
from typer.testing import CliRunner

from os1.cli import music_cmd
from os1.emotion.classifier import EmotionRead
from os1.emotion.mood import MoodStore
from os1.errors import InputError
from os1.store import Store
from os1.tools.base import Effect, ToolRegistry
from os1.tools.music.compose import Moment, compose
from os1.tools.music.midi import to_midi
from os1.tools.music.render import wav_seconds
from os1.tools.music.service import MusicService
from os1.tools.music.tools import MusicTools
from os1.tools.output import file_stem
from tests.conftest import FakeClock
from tests.tools.music import require_fluidsynth

BEACH = "the night we walked on the beach"
CALM_JOY: dict[str, Any] = {"valence": 0.6, "arousal": 0.5, "labels": ["joy"]}


@pytest.fixture
def fluidsynth() -> None:
    require_fluidsynth()


@pytest.fixture
def music(store: Store, user_id: int, clock: FakeClock, tmp_path: Path) -> MusicService:
    return MusicService(store, user_id, clock, tmp_path / "music")


def feel(store: Store, user_id: int, clock: FakeClock, valence: float, arousal: float,
         labels: list[str], count: int = 3) -> None:
    """``count`` messages read with this feeling, as the emotion classifier stores them."""
    conversation = store.current_conversation(user_id, None)
    for _ in range(count):
        message = store.add_message(user_id, conversation, role="user", source="user",
                                    content="…")
        scores = {label: 0.8 for label in labels} | {"neutral": 0.1}
        read = EmotionRead(scores=scores, ekman={}, labels=labels or ["neutral"],
                           valence=valence, arousal=arousal)
        MoodStore(store).add(user_id, message, read, at=clock.now(), model="test")
        clock.advance(minutes=5)


def test_compose_keeps_the_piece_with_what_it_was_for(fluidsynth: None,
                                                      music: MusicService) -> None:
    stored = music.compose(BEACH, mood=CALM_JOY, seconds=30, seed=7, message_id=42)
    assert stored.moment == BEACH and BEACH in stored.title
    assert stored.message_id == 42 and stored.audio_problem is None
    assert stored.mood["labels"] == ["joy"] and stored.mood["source"] == "given"
    assert stored.plan["seed"] == 7 and stored.plan["key"].endswith("major")
    assert abs(stored.seconds - 30) <= 3
    assert stored.audio_path is not None and stored.audio_path.is_file()
    assert stored.audio_path.parent == music.out_dir
    assert stored.audio_path.name == f"{stored.id}-{file_stem(stored.title, fallback='piece')}.wav"
    assert abs(wav_seconds(stored.audio_path) - stored.seconds) <= 2
    # the stored MIDI is exactly the composer's for that moment and seed
    expected = compose(Moment(BEACH, seconds=30, seed=7, **CALM_JOY))
    assert music.midi(stored.id) == to_midi(expected)
    again = music.get(stored.id)
    assert again.title == stored.title and again.plan == stored.plan
    assert [p.id for p in music.list()] == [stored.id]


def test_another_person_cannot_reach_a_piece(fluidsynth: None, store: Store, user_id: int,
                                             clock: FakeClock, tmp_path: Path,
                                             music: MusicService) -> None:
    mine = music.compose(BEACH, mood=CALM_JOY, seconds=30, seed=1)
    other = MusicService(store, store.ensure_user("someone-else"), clock, tmp_path / "other")
    assert other.list() == []
    for reach in (other.get, other.midi, other.audio, other.delete):
        with pytest.raises(InputError) as caught:
            reach(mine.id)
        assert "os1 music list" in caught.value.fix
    assert music.get(mine.id).audio_path == mine.audio_path  # untouched
    assert mine.audio_path is not None and mine.audio_path.is_file()


def test_missing_audio_is_rendered_again_from_the_stored_midi(fluidsynth: None,
                                                              music: MusicService) -> None:
    stored = music.compose("a slow Sunday", mood=CALM_JOY, seconds=30, seed=2)
    assert stored.audio_path is not None
    stored.audio_path.unlink()
    path = music.audio(stored.id)
    assert path.is_file() and abs(wav_seconds(path) - stored.seconds) <= 2
    assert music.audio(stored.id) == path  # now found, not rendered again


def test_without_a_sound_font_the_piece_is_still_kept(music: MusicService, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_SOUNDFONT", str(tmp_path / "no-such-font.sf2"))
    stored = music.compose(BEACH, mood=CALM_JOY, seconds=30, seed=3)
    assert stored.audio_path is None
    assert stored.audio_problem is not None and "fluid-soundfont-gm" in stored.audio_problem
    assert mido.MidiFile(file=io.BytesIO(music.midi(stored.id))).length > 29
    assert music.list()[0].id == stored.id
    assert not any((tmp_path / "music").glob("*"))  # neither a WAV nor a half-written one


def test_the_mood_comes_from_the_last_day_of_the_timeline(
        store: Store, user_id: int, clock: FakeClock, music: MusicService,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OS1_SOUNDFONT", str(tmp_path / "none.sf2"))  # no rendering needed here
    calm = music.compose("nothing in particular", seconds=30, seed=1)
    assert calm.mood["source"] == "neutral" and calm.plan["mode"] == "major"

    feel(store, user_id, clock, valence=0.7, arousal=0.6, labels=["joy"])  # two days ago
    clock.advance(days=2)
    feel(store, user_id, clock, valence=-0.8, arousal=-0.6, labels=["sadness", "grief"])
    sad = music.compose("after the phone call", seconds=30, seed=1)
    assert sad.mood["source"] == "timeline"
    assert sad.mood["labels"][:2] == ["sadness", "grief"]
    assert sad.mood["valence"] < -0.5 and 0 <= sad.mood["arousal"] < 0.4  # -1..1 → 0..1
    assert sad.plan["mode"] == "minor"
    assert sad.plan["tempo"] < 80

    clock.advance(days=3)  # a quiet day: the recent average, no labels
    recent = music.current_mood()
    assert recent.source == "recent" and recent.labels == []


def test_delete_forgets_the_piece_and_its_sound(fluidsynth: None, music: MusicService) -> None:
    stored = music.compose(BEACH, mood=CALM_JOY, seconds=30, seed=4)
    assert stored.audio_path is not None
    music.delete(stored.id)
    assert not stored.audio_path.exists()
    assert music.list() == []
    with pytest.raises(InputError):
        music.get(stored.id)


def test_tools_compose_without_approval_and_list(fluidsynth: None, music: MusicService,
                                                 store: Store, user_id: int,
                                                 clock: FakeClock) -> None:
    feel(store, user_id, clock, valence=0.5, arousal=-0.4, labels=["love"])
    registry = ToolRegistry(MusicTools(music))
    assert {spec.name: spec.effect for spec in registry.specs()} == {
        "compose_music": Effect.READ, "list_music": Effect.READ}
    assert "nothing of the person's" in (registry.get("compose_music").func.__doc__ or "")
    made = asyncio.run(registry.run_read("compose_music",
                                         {"description": BEACH, "seconds": 120}))
    assert made["for"] == BEACH and made["audio"] and Path(made["audio"]).is_file()
    assert made["time_signature"] == "3/4"  # love, calm: a waltz
    assert made["remarks"] and "90" in made["remarks"][0]
    listed = asyncio.run(registry.run_read("list_music", {}))
    assert [p["id"] for p in listed] == [made["id"]]
    with pytest.raises(InputError):
        asyncio.run(registry.run_read("compose_music", {"description": "  "}))


def test_cli_compose_list_play_export(fluidsynth: None, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OS1_HOME", "OS1_DATA_DIR", "OS1_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OS1_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    data = {"data_dir": str(tmp_path / "data")}
    made = runner.invoke(music_cmd.app, ["compose", BEACH, "--seconds", "30", "--seed", "5",
                                         "--play"], obj=data)
    assert made.exit_code == 0, made.output
    assert "for the night we walked on the beach" in made.output
    assert "Playing" in made.output or "The piece is at" in made.output  # no sound card: no crash
    listed = runner.invoke(music_cmd.app, ["list"], obj=data)
    assert listed.exit_code == 0 and "#1" in listed.output
    exported = runner.invoke(music_cmd.app, ["export", "1", str(tmp_path), "--midi"], obj=data)
    assert exported.exit_code == 0, exported.output
    [midi_file] = tmp_path.glob("*.mid")
    assert mido.MidiFile(str(midi_file)).length > 29
    wav = tmp_path / "copy.wav"
    assert runner.invoke(music_cmd.app, ["export", "1", str(wav)], obj=data).exit_code == 0
    assert abs(wav_seconds(wav) - 30) <= 2
