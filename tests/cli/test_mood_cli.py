"""``os1 mood``: the person's mood over the days, drawn in the terminal and as a PNG.

The mood timeline (``message_emotions``) is written through os1's own store, as the chat
writes it; then the real ``os1`` command runs as a separate process. No model is involved:
the command only reads what is stored.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.clock import SystemClock
from os1.emotion.classifier import EmotionRead
from os1.emotion.labels import CIRCUMPLEX, LABELS
from os1.emotion.mood import MoodStore
from os1.store import Store, open_engine
from tests.cli.helpers import Os1, expect, finish, plain, run_group, seed_persona, sql

NOTHING_YET = "I haven't read any of your messages yet; talk with me and try again."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SAD = ("sadness", "grief", "disappointment")
LIGHT = ("joy", "gratitude", "relief")
OTHERS = ("disgust", "fear")  # only ever felt by the other person in the database
QUIET_DAYS = (3, 10)  # days back with no messages: gaps in the line
THEIRS = 20 * len(OTHERS) * 3  # the other person's reads


@pytest.fixture
def os1(cli_env: dict[str, str]) -> Iterator[Os1]:
    """The real command against a temporary data dir (no model server: mood needs none)."""
    runner = Os1(cli_env)
    yield runner
    runner.close()


def read_of(label: str, strength: float = 0.8) -> EmotionRead:
    scores = dict.fromkeys(LABELS, 0.01)
    scores[label] = strength
    valence, arousal = CIRCUMPLEX[label]
    return EmotionRead(scores, {}, [label], round(valence * strength, 3),
                       round(arousal * strength, 3))


def moments(back: int, count: int) -> list[datetime]:
    """``count`` times on the local day ``back`` days ago, never in the future."""
    now = datetime.now(UTC)
    start = datetime.combine(now.astimezone().date() - timedelta(days=back), time()).astimezone()
    length = timedelta(days=1) if back else now - start
    return [(start + length * (k + 1) / (count + 1)).astimezone(UTC) for k in range(count)]


def seed_reads(db: Path, plan: dict[int, list[str]], *, handle: str = "local") -> int:
    """For each day back, one message (and its read) per label. Returns how many."""
    clock = SystemClock()
    engine = open_engine(db, clock)
    try:
        store = Store(engine, clock, label=db)
        user = store.ensure_user(handle)
        conversation = store.current_conversation(user, None)
        moods = MoodStore(store)
        added = 0
        for back, labels in plan.items():
            for at, label in zip(moments(back, len(labels)), labels, strict=True):
                message = store.add_message(user, conversation, role="user", source="text",
                                            content=f"a {label} message")
                moods.add(user, message, read_of(label), at=at, model="test")
                added += 1
        return added
    finally:
        engine.dispose()


def two_weeks(days: int = 20) -> dict[int, list[str]]:
    """A heavy stretch, then a lighter last week; a few quiet days between."""
    plan = {}
    for back in range(days):
        if back in QUIET_DAYS:
            continue
        kinds = LIGHT if back < 7 else SAD
        plan[back] = [kinds[(back + i) % 3] for i in range(1 + back % 3)]
    return plan


def run(os1: Os1, *args: str, **kwargs: Any) -> tuple[str, str, subprocess.CompletedProcess[bytes]]:
    """``os1 mood ARGS``, piped (not a terminal)."""
    return run_group(os1, "mood", *args, **kwargs)


@pytest.fixture
def seeded(os1: Os1) -> int:
    """A companion, this person's timeline (sad, then lighter), and someone else's rows in
    the same database on every day, heavy this week (they'd turn the trend if they leaked)."""
    seed_persona(os1.db)
    mine = seed_reads(os1.db, two_weeks())
    theirs = seed_reads(os1.db, {back: list(OTHERS) * 3 for back in range(20)},
                        handle="someone-else")
    assert theirs == THEIRS
    return mine


def test_mood_draws_two_lines_words_and_the_trend(os1, seeded):
    out, _, _ = run(os1)
    assert "\x1b" not in out  # not a terminal: no colour codes at all
    assert all(frame in out for frame in "┌┐└┘┤")
    assert "mood: unpleasant … pleasant" in out and "energy: calm … activated" in out
    for tick in ("unpleasant", "pleasant", "calm", "activated"):
        assert re.search(rf"^\s*{tick}┤", out, re.M), tick
    assert not re.search(r"-?\b0\.\d\d", out)  # a chart, not a table of floats
    words = plain(out)
    assert any(w in words for w in SAD) and any(w in words for w in LIGHT)
    assert "This week has been lighter than last." in words
    assert f"Based on {seeded} messages of yours, on 18 of the last 30 days." in words
    assert max(len(line) for line in out.splitlines()) <= 100  # COLUMNS


def test_another_persons_rows_never_show(os1, seeded):
    out, _, _ = run(os1, "--days", "30")
    words = plain(out)
    assert not any(w in words for w in OTHERS)
    assert f"Based on {seeded} messages" in words
    assert "lighter" in words  # their heavy week didn't turn this person's trend
    assert sql(os1.db, "SELECT COUNT(*) FROM message_emotions")[0][0] == seeded + THEIRS


def test_days_without_messages_are_gaps_and_a_week_is_day_by_day(os1, seeded):
    out, _, _ = run(os1, "--week")
    words = plain(out)
    today = datetime.now().astimezone().date()
    quiet = today - timedelta(days=QUIET_DAYS[0])
    assert f"{quiet:%a} {quiet.day} {quiet:%b}" not in words  # no row for the quiet day
    shown = today - timedelta(days=2)
    assert f"{shown:%a} {shown.day} {shown:%b}" in words
    assert "on 6 of the last 7 days" in words
    assert not any(w in words for w in SAD)  # last week's feelings are outside the span


def test_one_day_of_data_still_draws(os1):
    seed_persona(os1.db)
    seed_reads(os1.db, {0: ["joy", "gratitude"]})
    env = {k: v for k, v in os1.env.items() if k != "COLUMNS"}
    out, _, _ = run(os1, env=env)
    assert "●" in out and "┤" in out
    assert max(len(line) for line in out.splitlines()) <= 80  # not a terminal: 80 wide
    words = plain(out)
    assert "joy" in words and "gratitude" in words
    assert "Mostly" in words and "Based on 2 messages of yours, on 1 of the last 30 days." in words


def test_in_a_terminal_it_draws_in_colour_to_its_width(os1, seeded):
    env = {k: v for k, v in os1.env.items() if k != "COLUMNS"}
    child = os1.spawn("mood", env=env, binary=True)
    expect(child, "This week has been lighter than last.")
    assert finish(child) == 0
    raw = child.logfile_read.getvalue()
    assert b"\x1b[" in raw  # a terminal gets colour
    lines = re.sub(rb"\x1b\[[0-9;]*m", b"", raw).decode().splitlines()
    assert 100 < max(len(line.rstrip("\r")) for line in lines) <= 160  # 250 columns, capped


def test_png_is_written_whole(os1, seeded, tmp_path):
    target = tmp_path / "out" / "mood.png"
    target.parent.mkdir()
    out, _, _ = run(os1, "--png", str(target))
    assert f"Saved your mood chart to {target}." in plain(out)
    assert "lighter" in plain(out)
    data = target.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    from PIL import Image

    with Image.open(target) as image:
        image.verify()
    with Image.open(target) as image:
        width, height = image.size
    assert 600 <= width <= 3000 and 400 <= height <= 2000
    assert [p.name for p in target.parent.iterdir()] == ["mood.png"]  # no temporary left
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # about feelings: the owner's only

    run(os1, "--png", str(target), "--days", "1")  # replaced in place, still an image
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    assert [p.name for p in target.parent.iterdir()] == ["mood.png"]


@pytest.mark.parametrize("where,message", [
    ("missing/mood.png", "There's no folder"),
    (".", "is a folder."),
])
def test_bad_png_paths_say_what_to_do(os1, seeded, tmp_path, where, message):
    target = tmp_path / where
    _, err, result = run(os1, "--png", str(target), ok=False)
    assert result.returncode == 1
    assert message in plain(err)
    assert not (tmp_path / "missing").exists()


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this user may not create files in (for root, who may write anywhere that is
    writable at all, a read-only mount)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if not os.access(folder, os.W_OK):
        return folder
    try:
        fd, name = tempfile.mkstemp(dir="/sys")
    except PermissionError:
        return Path("/sys")
    except OSError:
        pass
    else:
        os.close(fd)
        os.unlink(name)
    pytest.skip("no folder this user can't write to")


def test_a_folder_it_may_not_write_in(os1, seeded, tmp_path):
    folder = _read_only_folder(tmp_path)
    try:
        _, err, _ = run(os1, "--png", str(folder / "mood.png"), ok=False)
        assert f"I'm not allowed to write in {folder}." in plain(err)
        assert "Choose a folder you can write to" in plain(err)
        assert not (folder / "mood.png").exists()
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o700)


def test_no_mood_yet(os1, tmp_path):
    seed_persona(os1.db)
    out, _, _ = run(os1)
    assert plain(out) == NOTHING_YET
    _, err, _ = run(os1, "--png", str(tmp_path / "mood.png"), ok=False)
    assert plain(err) == NOTHING_YET
    assert not (tmp_path / "mood.png").exists()


def test_nothing_in_the_span_says_where_to_look(os1):
    seed_persona(os1.db)
    seed_reads(os1.db, {12: ["joy"]})
    out, _, _ = run(os1, "--week")
    assert "I haven't read any of your messages in the last 7 days" in plain(out)
    assert "os1 mood --days 90" in plain(out)


def test_bad_spans_are_usage_errors(os1, seeded):
    _, err, result = run(os1, "--days", "0", ok=False)
    assert result.returncode == 2
    _, err, _ = run(os1, "--week", "--days", "30", ok=False)
    assert "--week is the same as --days 7" in plain(err)


def test_clear_erases_only_this_persons_timeline(os1, seeded):
    _, err, _ = run(os1, "clear", ok=False)  # no terminal to confirm on
    assert "Run it again with --yes" in plain(err)
    assert sql(os1.db, "SELECT COUNT(*) FROM message_emotions")[0][0] == seeded + THEIRS

    out, _, _ = run(os1, "clear", "--yes")
    assert f"Erased your mood timeline: {seeded} reads of your messages" in plain(out)
    assert plain(run(os1)[0]) == NOTHING_YET
    assert sql(os1.db, "SELECT COUNT(*) FROM message_emotions")[0][0] == THEIRS  # theirs, kept
    assert sql(os1.db, "SELECT COUNT(*) FROM messages WHERE content LIKE 'a %'")[0][0] \
        == seeded + THEIRS  # the conversation itself is kept
    assert "already empty" in plain(run(os1, "clear", "--yes")[0])


def test_clear_asks_first_in_a_terminal(os1, seeded):
    child = os1.spawn("mood", "clear")
    expect(child, f"Erase your mood timeline ({seeded} reads of your messages) for good?")
    child.sendline("n")
    expect(child, "Nothing was erased.")
    assert finish(child) == 0
    child = os1.spawn("mood", "clear")
    expect(child, "for good?")
    child.sendline("y")
    expect(child, "Erased your mood timeline")
    assert finish(child) == 0
    assert sql(os1.db, "SELECT COUNT(*) FROM message_emotions")[0][0] == THEIRS
