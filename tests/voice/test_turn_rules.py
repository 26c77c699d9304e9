"""Turn-taking rules, the echo gate, and what counts as heard: the pure parts of the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from os1.errors import AudioError
from os1.voice.audio import FRAME, Framer, as_float32, read_wav, write_wav
from os1.voice.echo import EchoGate
from os1.voice.session import _Piece, _Reply
from os1.voice.turns import TurnPolicy, is_backchannel, sounds_finished


@pytest.mark.parametrize("text", [
    "I had a long day at work.", "Can you remind me to call my sister?", "That's all",
    "We went to the beach yesterday!",
])
def test_complete_sentences_sound_finished(text: str) -> None:
    assert sounds_finished(text)


@pytest.mark.parametrize("text", [
    "", "Um", "I was thinking that maybe we could", "and then,", "I went to the",
    "So I told her...", "It was, uh", "because",
])
def test_dangling_thoughts_do_not(text: str) -> None:
    assert not sounds_finished(text)


def test_an_unfinished_thought_gets_a_longer_pause() -> None:
    policy = TurnPolicy()
    assert policy.pause_needed("I was thinking that maybe") > policy.pause_needed("I'm tired.")
    assert policy.pause_needed("I was thinking that maybe") <= policy.longest_pause


@pytest.mark.parametrize("text", ["Mm-hmm.", "Yeah.", "uh-huh", "Okay, right.", "I see.", "Mhm"])
def test_backchannels(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["Wait, stop.", "Yeah but no, that's wrong", "", "Hold on",
                                  "yeah yeah yeah yeah"])
def test_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)


def test_echo_gate_learns_the_coupling_and_lets_a_louder_voice_through() -> None:
    gate = EchoGate()
    # os1 plays at 0.2 RMS; the microphone hears a tenth of it.
    for _ in range(40):
        assert gate.is_echo(0.02, 0.2)
    assert gate.coupling == pytest.approx(0.1, rel=0.05)
    assert gate.is_echo(0.03, 0.2)  # echo, a bit louder: still echo
    assert not gate.is_echo(0.2, 0.2)  # the person, over the echo
    assert not gate.is_echo(0.01, 0.0)  # nothing playing: everything counts


def test_echo_gate_before_it_has_learned_assumes_the_worst() -> None:
    gate = EchoGate()
    assert gate.is_echo(0.3, 0.2)  # first frames of playback: can't tell yet
    assert not gate.is_echo(0.5, 0.2)  # but a voice twice as loud as os1 is the person


def test_what_was_heard_is_whole_sentences_then_the_words_so_far() -> None:
    reply = _Reply(heard="hi", pieces=[_Piece("Hello there.", 0.0, 1.0),
                                       _Piece("I was just thinking about you today.", 1.0, 3.0),
                                       _Piece("Never said.", 3.0, 4.0)])
    assert reply.spoken(0.0) == ""
    assert reply.spoken(1.0) == "Hello there."
    heard = reply.spoken(2.0)
    assert heard.startswith("Hello there. I was just") and heard.endswith("—")
    assert "today" not in heard and "Never" not in heard
    assert reply.spoken(9.0) == "Hello there. I was just thinking about you today. Never said."


def test_framer_turns_any_rate_and_block_into_16k_frames() -> None:
    rate = 44_100
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32) * 0.5
    framer = Framer(rate)
    frames = []
    for start in range(0, tone.size, 1000):  # odd block sizes
        frames += framer.push(tone[start:start + 1000])
    assert all(f.shape == (FRAME,) for f in frames)
    total = len(frames) * FRAME
    assert abs(total - 16_000) <= 2 * FRAME  # the resampler holds back a few ms
    # Still a 440 Hz tone after resampling.
    joined = np.concatenate(frames)[2000:14000]
    spectrum = np.abs(np.fft.rfft(joined))
    peak = np.argmax(spectrum) * 16_000 / joined.size
    assert peak == pytest.approx(440, abs=3)


def test_int16_and_stereo_input_become_mono_float() -> None:
    stereo = np.array([[32767, -32768], [0, 0]], dtype=np.int16)
    mono = as_float32(stereo)
    assert mono.dtype == np.float32 and mono.shape == (2,)
    assert abs(mono[0]) < 1e-3
    assert np.all(np.isfinite(as_float32(np.array([np.nan, np.inf], dtype=np.float32))))


@pytest.mark.parametrize("rate", [0, 1000, 10_000_000])
def test_impossible_rates_are_refused(rate: int) -> None:
    with pytest.raises(AudioError, match="sample rate"):
        Framer(rate)


def test_wav_files_round_trip_and_bad_ones_are_explained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.wav"
    samples = (np.sin(np.arange(8000) / 5) * 0.3).astype(np.float32)
    write_wav(path, samples, 8000)
    back, rate = read_wav(path)
    assert rate == 8000 and np.allclose(back, samples, atol=1e-3)
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"ID3 this is an mp3, honest")
    with pytest.raises(AudioError, match="isn't a WAV file") as info:
        read_wav(bad)
    assert "sox" in info.value.fix
    with pytest.raises(AudioError, match="no audio file"):
        read_wav(tmp_path / "missing.wav")
