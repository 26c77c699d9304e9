"""The file index over real folders: citations, freshness, bad input, isolation."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from os1.errors import InputError
from os1.store import Store
from os1.tools.files.index import FileIndex
from tests.tools.files.conftest import WordsEmbedder, make_docx, make_pdf

TRIP = """# Lisbon trip

We fly out on the 3rd of May.
The hotel is near the river.

## Day 2

Visit the Belem tower and eat pasteis de nata.
"""


def fill(folder: Path) -> None:
    (folder / "notes").mkdir()
    (folder / "notes" / "trip.md").write_text(TRIP)
    (folder / "notes" / "groceries.txt").write_text("milk\neggs\nsourdough bread\n")
    make_pdf(folder / "report.pdf", ["Quarterly report", "Revenue grew in Norway",
                                     "Penguins were counted on the third page"])
    make_pdf(folder / "scan.pdf", [None])
    make_docx(folder / "lease.docx")
    (folder / "dinner.eml").write_bytes(
        b"From: Anna <anna@example.com>\nSubject: Dinner on Friday\n\nShall we try the "
        b"Ethiopian place on Friday at eight?\n")


def sources(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.source for h in hits]


def test_citations_point_to_the_file_and_place(index: FileIndex, docs: Path) -> None:
    fill(docs)
    index.add_folder(str(docs))
    report = index.refresh()
    assert (report.indexed, report.skipped, report.errors) == (5, 1, 0)
    assert [n.note for n in report.notes] == [
        "scan.pdf has no text layer (it's a scanned image); os1 can't read it without OCR."]

    belem = index.search("Belem tower")[0]
    assert (belem.source, belem.place, belem.heading) == (
        "notes/trip.md:6-8", "lines 6–8", "Lisbon trip › Day 2")
    assert belem.path == str(docs / "notes" / "trip.md") and "Belem tower" in belem.snippet
    assert index.search("penguins")[0].source == "report.pdf p. 3"
    dog = index.search("dog Biscuit")[0]
    assert dog.source == "lease.docx ¶ 6-7" and dog.heading == "Lease agreement › Pets"
    assert index.search("Ethiopian")[0].name == "dinner.eml"
    assert index.search("zeppelin") == []
    # the place read back holds the cited words
    part = index.read_part(belem.path, belem.place)
    assert "Belem tower" in part.text and part.source == "notes/trip.md:6-8"
    assert "Penguins" in index.read_part("report.pdf", "page 3").text


def test_find_file_by_what_it_is_about_and_by_name(index: FileIndex, docs: Path) -> None:
    fill(docs)
    index.add_folder(str(docs))
    index.refresh()
    assert index.find_file("monthly rent deposit")[0].name == "lease.docx"
    assert index.find_file("groceries")[0].name == "notes/groceries.txt"
    assert index.find_file("revenue report")[0].source.startswith("report.pdf")


def test_changed_file_is_reindexed_and_old_passages_go(index: FileIndex, docs: Path,
                                                        clock) -> None:  # type: ignore[no-untyped-def]
    note = docs / "plan.md"
    note.write_text("We plan to visit Oslo in winter.\n")
    index.add_folder(str(docs))
    index.refresh()
    assert sources(index.search("Oslo")) == ["plan.md:1"]
    note.write_text("Changed our minds.\nWe will visit Kyoto in spring.\n")
    os.utime(note, (1_900_000_000, 1_900_000_000))
    report = index.refresh()
    assert (report.indexed, report.unchanged) == (1, 0)
    assert index.search("Oslo") == []
    assert sources(index.search("Kyoto")) == ["plan.md:1-2"]
    assert index.stats()["chunks"] == 1


def test_touched_file_with_same_bytes_is_not_reread(index: FileIndex, docs: Path) -> None:
    note = docs / "same.txt"
    note.write_text("unchanging words\n")
    index.add_folder(str(docs))
    index.refresh()
    os.utime(note, (1_900_000_000, 1_900_000_000))
    report = index.refresh()
    assert (report.indexed, report.unchanged) == (0, 1)
    assert index.refresh().unchanged == 1


def test_deleted_file_drops_out(index: FileIndex, docs: Path) -> None:
    fill(docs)
    index.add_folder(str(docs))
    index.refresh()
    (docs / "report.pdf").unlink()
    report = index.refresh()
    assert report.removed == 1
    assert index.search("penguins") == [] and index.find_file("report") == []


def test_refresh_is_idempotent(index: FileIndex, docs: Path) -> None:
    fill(docs)
    index.add_folder(str(docs))
    first = index.refresh()
    stats = index.stats()
    second = index.refresh()
    assert (second.indexed, second.removed, second.skipped) == (0, 0, 0)
    assert second.unchanged == first.indexed + first.skipped + first.errors
    assert index.stats() == stats
    assert not second.changed


def test_file_vanishing_mid_index_is_skipped_and_the_rest_indexed(index: FileIndex,
                                                                   docs: Path) -> None:
    for n in range(6):
        (docs / f"note{n}.txt").write_text(f"note number {n} about marmalade\n")
    index.add_folder(str(docs))

    def vanish(done: int, total: int, path: str) -> None:
        if path.endswith("note3.txt"):
            os.unlink(path)

    report = index.refresh(progress=vanish)
    assert report.indexed == 5 and report.skipped == 1
    assert "note3.txt vanished while I was indexing" in report.notes[0].note
    names = sorted(h.name for h in index.search("marmalade", limit=10))
    assert names == ["note0.txt", "note1.txt", "note2.txt", "note4.txt", "note5.txt"]
    again = index.refresh()
    assert (again.indexed, again.unchanged, again.removed) == (0, 5, 0)


def test_indexed_file_vanishing_mid_refresh_is_removed(index: FileIndex, docs: Path) -> None:
    note = docs / "brief.txt"
    note.write_text("a brief about lighthouses\n")
    index.add_folder(str(docs))
    index.refresh()
    note.write_text("a longer brief about lighthouses and the sea\n")

    report = index.refresh(progress=lambda d, t, path: os.unlink(path))
    assert report.removed == 1 and index.search("lighthouses") == []


def test_hidden_tool_folders_and_big_files_are_skipped(files_store: Store, user_id: int,
                                                       clock, docs: Path) -> None:  # type: ignore[no-untyped-def]
    for sub in (".git", "node_modules", ".secret"):
        (docs / sub).mkdir()
        (docs / sub / "readme.md").write_text("hidden narwhal\n")
    (docs / ".env.txt").write_text("narwhal password\n")
    (docs / "photo.jpg").write_bytes(b"\xff\xd8narwhal")
    (docs / "huge.txt").write_text("narwhal " * 5000)
    (docs / "small.txt").write_text("a visible narwhal\n")
    index = FileIndex(files_store, user_id, clock, max_file_bytes=10_000)
    index.add_folder(str(docs))
    report = index.refresh()
    assert report.indexed == 1 and report.skipped == 1
    assert "huge.txt is 40 KB, too big to index (the limit is 10 KB)" in report.notes[0].note
    assert report.skipped_reasons == {"hidden or tool folder (.git, node_modules …)": 3,
                                      "hidden file": 1, "not a kind os1 reads": 1}
    assert sources(index.search("narwhal")) == ["small.txt:1"]
    assert [p.path for p in index.problems()] == [str(docs / "huge.txt")]


def test_add_folder_errors_say_what_to_do(index: FileIndex, docs: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="There's no folder at"):
        index.add_folder(str(tmp_path / "nope"))
    (docs / "a.txt").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        index.add_folder(str(docs / "a.txt"))
    with pytest.raises(InputError, match="whole disk"):
        index.add_folder("/")
    with pytest.raises(InputError, match="isn't one of your indexed folders"):
        index.remove_folder(str(docs))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can open any folder")
def test_unreadable_folder_is_refused(index: FileIndex, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o000)
    try:
        with pytest.raises(InputError, match="permission denied"):
            index.add_folder(str(locked))
    finally:
        locked.chmod(0o755)


def test_nested_folders_merge_and_remove_forgets(index: FileIndex, docs: Path) -> None:
    fill(docs)
    index.add_folder(str(docs / "notes"))
    index.refresh()
    assert index.add_folder(str(docs / "notes")).warning == ""
    index.add_folder(str(docs))
    assert [f.path for f in index.folders()] == [str(docs)]
    report = index.refresh()
    assert report.unchanged == 2 and report.removed == 0
    assert index.search("Belem")[0].source == "notes/trip.md:6-8"
    assert "already indexed as part of" in index.add_folder(str(docs / "notes")).warning
    assert index.remove_folder(str(docs)) == 6
    assert index.search("Belem") == [] and index.stats() == {"chunks": 0}


def test_two_people_never_see_each_others_files(files_store: Store, clock,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    amy, ben = files_store.ensure_user("amy"), files_store.ensure_user("ben")
    amy_docs, ben_docs = tmp_path / "amy", tmp_path / "ben"
    amy_docs.mkdir()
    ben_docs.mkdir()
    (amy_docs / "diary.md").write_text("Amy's secret: the password to the shed is tulip\n")
    (ben_docs / "diary.md").write_text("Ben's tulip bulbs arrive on Monday\n")
    amy_index = FileIndex(files_store, amy, clock, WordsEmbedder())
    ben_index = FileIndex(files_store, ben, clock, WordsEmbedder())
    amy_index.add_folder(str(amy_docs))
    ben_index.add_folder(str(ben_docs))
    amy_index.refresh()
    ben_index.refresh()
    assert [h.path for h in amy_index.search("tulip")] == [str(amy_docs / "diary.md")]
    assert [h.path for h in ben_index.search("tulip shed password")] == [str(ben_docs / "diary.md")]
    assert [m.path for m in ben_index.find_file("diary")] == [str(ben_docs / "diary.md")]
    assert [f.path for f in ben_index.folders()] == [str(ben_docs)]
    with pytest.raises(InputError, match="outside the folders"):
        ben_index.read_part(str(amy_docs / "diary.md"))
    assert ben_index.refresh().unchanged == 1  # Ben's refresh doesn't touch Amy's files
    assert amy_index.stats()["ok"] == 1


def test_meaning_search_finds_what_keywords_miss(files_store: Store, user_id: int, clock,  # type: ignore[no-untyped-def]
                                                 docs: Path) -> None:
    (docs / "car.md").write_text("The automobile needs new tyres before winter.\n")
    (docs / "cake.md").write_text("Chocolate cake recipe with three eggs.\n")
    plain = FileIndex(files_store, user_id, clock)
    plain.add_folder(str(docs))
    plain.refresh()
    assert plain.search("vehicle") == []
    smart = FileIndex(files_store, user_id, clock, WordsEmbedder())
    os.utime(docs / "car.md", (1_900_000_000, 1_900_000_000))
    (docs / "cake.md").write_text("Chocolate cake recipe with four eggs.\n")
    os.utime(docs / "cake.md", (1_900_000_000, 1_900_000_000))
    smart.refresh()  # car.md: same bytes, so no vector until it changes; cake.md re-read
    (docs / "car.md").write_text("The automobile needs new tyres before the winter.\n")
    smart.refresh()
    assert smart.search("vehicle")[0].name == "car.md"
    assert smart.search("cake eggs")[0].name == "cake.md"


def test_watch_picks_up_a_new_file(index: FileIndex, docs: Path) -> None:
    index.add_folder(str(docs))
    reports = []

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(index.watch(0.05, on_report=reports.append, stop=stop))
        await asyncio.sleep(0.1)
        (docs / "new.md").write_text("A fresh note about otters\n")
        for _ in range(100):
            if index.search("otters"):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    assert sources(index.search("otters")) == ["new.md:1"]
    assert any(r.indexed == 1 for r in reports)
