"""Rendering with the real FluidSynth and General MIDI sound font: the WAV is as long as the
piece, not silent, written atomically; a broken or missing synthesizer or font says what to do."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from os1.errors import Os1Error
from os1.tools.music import render as render_module
from os1.tools.music.compose import Moment, compose
from os1.tools.music.midi import to_midi
from os1.tools.music.render import find_soundfont, render, to_pcm, wav_seconds
from os1.voice.audio import read_wav, rms
from tests.tools.music import require_fluidsynth

MOMENT = Moment("the night we walked on the beach", valence=0.4, arousal=0.5, labels=["joy"],
                seconds=30, seed=3)


@pytest.fixture
def fluidsynth() -> None:
    require_fluidsynth()


@pytest.fixture(scope="module")
def piece_midi() -> tuple[float, bytes]:
    piece = compose(MOMENT)
    return piece.seconds, to_midi(piece)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_real_render_is_as_long_as_the_piece_and_audible(
        fluidsynth: None, tmp_path: Path, piece_midi: tuple[float, bytes]) -> None:
    seconds, midi = piece_midi
    out = tmp_path / "music" / "1-nocturne.wav"
    done = render(midi, out)
    assert done.path == out and out.is_file()
    assert leftovers(out.parent) == []
    assert abs(done.seconds - seconds) <= 2.0
    assert abs(wav_seconds(out) - seconds) <= 2.0
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 44_100)
        stereo = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert 0.85 < int(np.abs(stereo).max()) / 32768 < 0.95  # normalised to -1 dBFS
    samples, rate = read_wav(out)
    assert rms(samples) > 0.02  # a piano, not silence
    # the sound follows the notes: the first and last seconds are quieter than the middle
    second = rate
    middle = rms(samples[len(samples) // 2 - second: len(samples) // 2 + second])
    assert rms(samples[-second:]) < middle


def test_pcm_for_the_voice_pipeline(fluidsynth: None, tmp_path: Path,
                                    piece_midi: tuple[float, bytes]) -> None:
    _seconds, midi = piece_midi
    done = render(midi, tmp_path / "p.wav")
    pcm = to_pcm(done.path, 22_050)
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    assert abs(len(pcm) / 22_050 - done.seconds) < 0.05
    assert int(np.abs(pcm).max()) > 10_000


def test_rendering_from_a_midi_file_replaces_the_old_wav_whole(
        fluidsynth: None, tmp_path: Path, piece_midi: tuple[float, bytes]) -> None:
    _seconds, midi = piece_midi
    source = tmp_path / "piece.mid"
    source.write_bytes(midi)
    out = tmp_path / "piece.wav"
    out.write_bytes(b"an old, shorter file")
    render(source, out)
    assert wav_seconds(out) > 20
    assert leftovers(tmp_path) == []


def test_a_failing_render_leaves_no_file(fluidsynth: None, tmp_path: Path,
                                         piece_midi: tuple[float, bytes]) -> None:
    _seconds, midi = piece_midi
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF" + bytes(range(256)) * 20)
    out = tmp_path / "out" / "piece.wav"
    with pytest.raises(Os1Error) as caught:
        render(midi, out, soundfont=broken)
    assert "OS1_SOUNDFONT" in caught.value.fix
    assert not out.exists()
    assert leftovers(out.parent) == []
    with pytest.raises(Os1Error):
        render(b"not a midi file", out)
    assert not out.exists() and leftovers(out.parent) == []


def test_missing_sound_font_says_how_to_install_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OS1_SOUNDFONT", raising=False)
    monkeypatch.setattr(render_module, "SOUNDFONTS", (tmp_path / "none.sf2",))
    with pytest.raises(Os1Error) as caught:
        render(b"MThd", tmp_path / "x.wav")
    assert "No General MIDI sound font found" in caught.value.what
    assert "fluid-soundfont-gm" in caught.value.fix and "OS1_SOUNDFONT" in caught.value.fix
    assert not (tmp_path / "x.wav").exists()
    monkeypatch.setenv("OS1_SOUNDFONT", str(tmp_path / "gone.sf2"))
    with pytest.raises(Os1Error, match="gone.sf2"):
        find_soundfont()


def test_missing_fluidsynth_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    font = tmp_path / "font.sf2"
    font.write_bytes(b"RIFF")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(Os1Error) as caught:
        render(b"MThd", tmp_path / "x.wav", soundfont=font)
    assert "FluidSynth" in caught.value.what
    assert "apt-get install fluidsynth" in caught.value.fix
    assert not (tmp_path / "x.wav").exists()
