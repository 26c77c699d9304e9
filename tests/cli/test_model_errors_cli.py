"""An embedded model that is missing or damaged: a clear message, and nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from os1.models import files
from os1.models.catalog import QWEN_1_5B, SMOLLM2_135M
from tests.cli.helpers import QUESTIONS, expect, finish, plain, seed_persona, sql, transcript

SMOLLM2_FILE = files.part_path(SMOLLM2_135M.parts[0].package, SMOLLM2_135M.parts[0].path)
needs_smollm2 = pytest.mark.skipif(SMOLLM2_FILE is None,
                                   reason=f"the tiny model isn't installed ({SMOLLM2_135M.pip_install})")


@pytest.fixture
def env(os1) -> dict[str, str]:  # type: ignore[no-untyped-def]
    os1.env.update({"OS1_BACKEND": "embedded", "OS1_THREADS": "1"})
    return os1.env


@pytest.mark.parametrize("existing", [False, True], ids=["genesis", "chat"])
def test_a_missing_model_is_named_with_the_fix_before_anything_is_asked(os1, env, existing):
    env["OS1_MODEL"] = QWEN_1_5B.name  # never assembled into this test's OS1_MODELS_DIR
    if existing:
        seed_persona(os1.db)
    child = os1.spawn()
    if files.missing_parts(QWEN_1_5B):
        expect(child, "isn't installed")
        fix = "pip install"
    else:
        expect(child, "hasn't been assembled yet")
        fix = "Run: os1 models install"
    assert finish(child) == 1
    shown = transcript(child)
    assert fix in shown and QUESTIONS[0] not in shown and "Traceback" not in shown
    assert sql(os1.db, "SELECT count(*) FROM genesis_answers") == [(0,)]


def test_an_unknown_model_name_lists_the_known_ones(os1, env):
    env["OS1_MODEL"] = "no-such-model"
    result = os1.run()
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 1, out
    assert "There's no model called 'no-such-model', and no file at that path." in out
    assert "smollm2-135m" in out and "os1 config set model PATH" in out


@needs_smollm2
def test_a_truncated_model_file_is_refused_before_anything_is_asked(os1, env):
    # A catalog model whose file os1 assembles into OS1_MODELS_DIR: put a truncated one there.
    models = Path(env["OS1_MODELS_DIR"])
    models.mkdir(parents=True)
    bad = files.target_path(QWEN_1_5B, models)
    assert bad.parent == models
    with SMOLLM2_FILE.open("rb") as src, bad.open("wb") as out:
        out.write(src.read(4_000_000))
    env["OS1_MODEL"] = QWEN_1_5B.name
    child = os1.spawn()
    expect(child, "is truncated or damaged")
    assert finish(child) == 1
    shown = transcript(child)
    assert str(bad) in shown and "os1 models install" in shown
    assert QUESTIONS[0] not in shown and "Traceback" not in shown
    assert bad.stat().st_size == 4_000_000  # left for the person to rebuild


@needs_smollm2
def test_a_model_file_with_the_wrong_sha256_is_refused(os1, env, tmp_path):
    # The right size but one byte changed: a damaged copy of the tiny model's package, found
    # first on PYTHONPATH, the way a broken reinstall would be.
    package = tmp_path / "shadow" / SMOLLM2_135M.parts[0].package
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    bad = package / SMOLLM2_135M.parts[0].path
    shutil.copyfile(SMOLLM2_FILE, bad)
    with bad.open("r+b") as fh:
        fh.seek(SMOLLM2_135M.size // 2)
        byte = fh.read(1)
        fh.seek(SMOLLM2_135M.size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    env.update({"OS1_MODEL": SMOLLM2_135M.name, "PYTHONPATH": str(package.parent)})
    assert files.target_path(SMOLLM2_135M, Path(env["OS1_MODELS_DIR"])) != bad  # (not here)
    seed_persona(os1.db)
    child = os1.spawn()
    expect(child, "is damaged or incomplete: its sha256 is")
    assert finish(child) == 1
    shown = transcript(child)
    assert str(bad) in shown and "os1 won't load it" in shown and "os1 models install" in shown
    assert "Traceback" not in shown
    stamps = list(Path(env["OS1_MODELS_DIR"]).glob("*.verified.json"))
    assert stamps == [], "a damaged file must not be stamped as verified"


def test_a_custom_model_path_that_is_not_gguf_gets_a_clear_error(os1, env, tmp_path):
    notes = tmp_path / "my-model.gguf"
    notes.write_text("these are my notes, not a model\n")
    env["OS1_MODEL"] = str(notes)
    child = os1.spawn()
    expect(child, "isn't a GGUF model file")
    assert finish(child) == 1
    shown = transcript(child)
    assert str(notes) in shown and "Point os1 at a .gguf file made for llama.cpp." in shown
    assert QUESTIONS[0] not in shown and "Traceback" not in shown


@needs_smollm2
def test_a_custom_gguf_that_llama_cpp_cannot_load_keeps_the_genesis_answers(os1, env, tmp_path):
    broken = tmp_path / "broken.gguf"
    with SMOLLM2_FILE.open("rb") as src:
        broken.write_bytes(src.read(2_000_000))  # starts like GGUF, but cut short
    env["OS1_MODEL"] = str(broken)
    result = os1.run(stdin=b"Theo\nsocial\nclose\nfemale\n")
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 1, out
    assert f"llama.cpp couldn't load {broken}" in out
    assert "Traceback" not in out
    assert len(sql(os1.db, "SELECT * FROM genesis_answers")) == 4  # nothing to answer again
