"""The files tools: reading only inside the indexed folders, writing only with a preview."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from os1.errors import InputError
from os1.tools.base import Effect, ToolRegistry
from os1.tools.files.index import FileIndex
from os1.tools.files.tools import FilesTools


@pytest.fixture
def tools(index: FileIndex, docs: Path) -> FilesTools:
    (docs / "notes").mkdir()
    (docs / "notes" / "trip.md").write_text("# Trip\n\nLisbon in May.\n\n## Food\n\nPasteis.\n")
    index.add_folder(str(docs))
    index.refresh()
    return FilesTools(index)


def test_registry_sees_three_read_tools_and_one_act_tool(tools: FilesTools) -> None:
    registry = ToolRegistry(tools)
    assert sorted(s.name for s in registry.specs(Effect.READ)) == [
        "find_file", "read_file_part", "search_files"]
    assert [s.name for s in registry.specs(Effect.ACT)] == ["write_file"]
    assert "place" in registry.get("read_file_part").parameters["properties"]
    with pytest.raises(PermissionError):
        asyncio.run(registry.run_read("write_file", {"path": "x.txt", "content": "hi"}))


def test_search_and_read_a_part_through_the_registry(tools: FilesTools, docs: Path) -> None:
    registry = ToolRegistry(tools)
    hits = asyncio.run(registry.run_read("search_files", {"query": "pasteis"}))
    assert hits[0]["source"] == "notes/trip.md:5-7"
    part = asyncio.run(registry.run_read("read_file_part", {"path": hits[0]["path"],
                                                            "place": hits[0]["place"]}))
    assert part["text"] == "## Food\n\nPasteis."
    assert tools.read_file_part("notes/trip.md")["text"].startswith("# Trip")
    assert tools.find_file("trip")[0]["name"] == "notes/trip.md"


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "notes/../../outside.txt",
                                  "~/.bashrc"])
def test_paths_outside_the_folders_are_refused(tools: FilesTools, docs: Path, path: str) -> None:
    (docs.parent / "outside.txt").write_text("not yours")
    with pytest.raises(InputError, match="outside the folders"):
        tools.read_file_part(path)


def test_a_link_pointing_outside_is_refused(tools: FilesTools, index: FileIndex,
                                            docs: Path) -> None:
    secret = docs.parent / "secret.txt"
    secret.write_text("the secret is swordfish\n")
    (docs / "innocent.txt").symlink_to(secret)
    (docs / "escape").symlink_to(docs.parent)
    report = index.refresh()
    assert report.skipped_reasons.get("link to a file outside the folder") == 1
    assert index.search("swordfish") == []
    for path in ("innocent.txt", str(docs / "innocent.txt"), "escape/secret.txt"):
        with pytest.raises(InputError, match="outside the folders"):
            tools.read_file_part(path)
    with pytest.raises(InputError, match="outside the folders"):
        tools._preview_write_file("innocent.txt", "overwrite the secret")


def test_hidden_files_are_not_opened(tools: FilesTools, docs: Path) -> None:
    (docs / ".ssh").mkdir()
    (docs / ".ssh" / "id_rsa.txt").write_text("PRIVATE KEY")
    with pytest.raises(InputError, match="hidden file"):
        tools.read_file_part(".ssh/id_rsa.txt")


def test_missing_file_and_missing_place_say_so(tools: FilesTools) -> None:
    with pytest.raises(InputError, match="There's no file notes/nope.md"):
        tools.read_file_part("notes/nope.md")
    with pytest.raises(InputError, match="has no lines 90-99"):
        tools.read_file_part("notes/trip.md", "lines 90-99")


def test_write_preview_shows_everything_and_writes_nothing(tools: FilesTools, docs: Path) -> None:
    registry = ToolRegistry(tools)
    content = "Packing list\n- passport\n- sunscreen\n"
    args, preview = asyncio.run(registry.preview("write_file", {"path": "notes/packing.md",
                                                                "content": content}))
    assert preview.title == "Write a new file"
    assert preview.body == content and preview.fields["Action"] == "creates a new file"
    assert preview.affected == [f"{docs / 'notes' / 'packing.md'} (new)"]
    assert not (docs / "notes" / "packing.md").exists()

    overwrite = tools._preview_write_file("notes/trip.md", "gone")
    assert overwrite.title == "Overwrite a file" and "OVERWRITES" in overwrite.fields["Action"]
    assert overwrite.body == "gone"
    assert (docs / "notes" / "trip.md").read_text().startswith("# Trip")


def test_write_is_atomic_and_stays_inside(tools: FilesTools, index: FileIndex, docs: Path) -> None:
    target = docs / "notes" / "trip.md"
    target.chmod(0o600)
    message = tools.write_file("notes/trip.md", "# Trip\n\nPorto instead.\n")
    assert message.startswith("Overwrote")
    assert target.read_text() == "# Trip\n\nPorto instead.\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".os1-")]
    assert tools.write_file("drafts/new.txt", "fresh").startswith("Wrote")
    assert (docs / "drafts" / "new.txt").read_text() == "fresh"
    report = index.refresh()
    assert (report.indexed, report.skipped) == (2, 0)
    assert index.search("Porto")[0].source == "notes/trip.md:1-3"
    with pytest.raises(InputError, match="outside the folders"):
        tools.write_file("../evil.txt", "x")
    assert not (docs.parent / "evil.txt").exists()
    with pytest.raises(InputError, match="is a folder"):
        tools.write_file("notes", "x")


def test_a_failed_write_leaves_the_old_file(tools: FilesTools, docs: Path) -> None:
    target = docs / "notes" / "trip.md"
    before = target.read_text()
    with pytest.raises(UnicodeEncodeError):
        tools.write_file("notes/trip.md", "half written \udcff")
    assert target.read_text() == before
    assert sorted(os.listdir(target.parent)) == ["trip.md"]
