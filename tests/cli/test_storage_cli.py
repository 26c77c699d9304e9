"""A database os1 can't use: damaged, read-only, or already open in another os1."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import (
    QUESTIONS,
    expect,
    finish,
    messages,
    plain,
    prompt,
    seed_persona,
    transcript,
)
from tests.conftest import OS1

IS_ROOT = os.geteuid() == 0
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


# -- damaged -------------------------------------------------------------------------------
def garbage(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(os.urandom(3000) + b"not a database at all" * 500)


def damaged_pages(db: Path) -> None:
    """A real os1 database whose pages after the 100-byte header are overwritten."""
    seed_persona(db)
    data = bytearray(db.read_bytes())
    data[100:] = b"\xab" * (len(data) - 100)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [garbage, damaged_pages], ids=["garbage", "damaged-pages"])
def test_a_damaged_database_gets_a_clear_message_and_is_not_touched(os1, model_server, damage):
    damage(os1.db)
    before = os1.db.read_bytes()
    child = os1.spawn()
    expect(child, "is damaged")
    assert finish(child) == 1
    shown = transcript(child)
    assert f"mv '{os1.db}' '{os1.db}.damaged'" in shown, shown  # the fix, ready to paste
    assert "Traceback" not in shown and QUESTIONS[0] not in shown
    assert os1.db.read_bytes() == before
    assert {p.name for p in os1.home.iterdir()} <= {"os1.db", "os1.lock"}
    assert model_server.requests == []


# -- read-only ------------------------------------------------------------------------------
@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can read (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="os1-cli-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def other_user(os1_env: dict[str, str]) -> list[str]:
    """The command prefix that runs os1 as someone who may not write root's files. Root may
    write any file whatever its mode, so as root os1 runs as 'nobody'."""
    if not IS_ROOT:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) isn't installed to drop to nobody")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no 'nobody' user to drop to")
    probe = subprocess.run([*AS_NOBODY, OS1, "--version"], capture_output=True, env=os1_env,
                           check=False)
    if probe.returncode != 0:
        pytest.skip("the user 'nobody' can't run os1 here (venv or repo not readable by others): "
                    + probe.stderr.decode(errors="replace")[-300:])
    return AS_NOBODY


def read_only_setup(shared_dir: Path, os1, writable_dir: bool) -> Path:  # type: ignore[no-untyped-def]
    home = shared_dir / "home"
    home.mkdir()
    home.chmod(0o755)
    db = home / "os1.db"
    seed_persona(db)
    db.chmod(0o444)
    if writable_dir:
        if IS_ROOT:
            shutil.chown(home, user="nobody")
    elif not IS_ROOT:
        home.chmod(0o555)
    os1.env.update({"OS1_HOME": str(home), "OS1_MODELS_DIR": str(shared_dir / "models")})
    return db


def test_a_read_only_data_directory_gets_a_clear_message(os1, model_server, shared_dir,
                                                         other_user):
    db = read_only_setup(shared_dir, os1, writable_dir=False)
    before = db.read_bytes()
    result = os1.run(command=other_user)
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 1, out
    assert f"os1 can't use its data directory {db.parent}" in out
    assert "Make it writable, or choose another with --data-dir or OS1_HOME." in out
    assert "Traceback" not in out
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["os1.db"]


def test_a_read_only_database_gets_a_clear_message(os1, model_server, shared_dir, other_user):
    db = read_only_setup(shared_dir, os1, writable_dir=True)
    before = db.read_bytes()
    result = os1.run(command=other_user)
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 1, out
    assert f"os1 can't write to the database at {db}: it (or its folder) is read-only." in out
    assert f"chmod u+w '{db}'" in out
    assert "Traceback" not in out and QUESTIONS[0] not in out
    assert db.read_bytes() == before
    assert model_server.requests == []


def test_after_making_the_database_writable_os1_works_again(os1, model_server, shared_dir,
                                                            other_user):
    db = read_only_setup(shared_dir, os1, writable_dir=True)
    os1.run(command=other_user)  # refused: read-only
    if IS_ROOT:
        shutil.chown(db, user="nobody")
    db.chmod(0o644)  # what the message says to do
    model_server.replies += ["Hello Theo."]
    result = os1.run(command=other_user)
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "Hello Theo." in out


# -- two os1 processes ------------------------------------------------------------------------
def test_a_second_os1_on_the_same_data_directory_is_refused_and_the_first_is_unharmed(
        os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "Still here."]
    first = os1.spawn()
    prompt(first)

    second = os1.run()
    out = plain(second.stdout + second.stderr)
    assert second.returncode == 1, out
    assert f"os1 is already open in another window (process {first.pid})" in out
    assert "--data-dir" in out and "Close that one first" in out
    assert "Traceback" not in out
    assert (os1.home / "os1.lock").read_text() == str(first.pid)

    second = os1.run("setup", "--again", stdin=b"y\n")  # not even setup gets in
    assert second.returncode == 1
    assert "already open in another window" in plain(second.stdout + second.stderr)

    first.sendline("Are you still there?")
    expect(first, "Still here.")
    prompt(first)
    first.sendeof()
    assert finish(first) == 0
    assert messages(os1.db) == [("assistant", "complete", "Hello Theo."),
                                ("user", "complete", "Are you still there?"),
                                ("assistant", "complete", "Still here.")]
    assert len(model_server.requests) == 2  # the refused processes never reached the model
