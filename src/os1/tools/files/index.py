"""One person's file index: the folders they named, kept fresh, searchable with citations.

``refresh`` is incremental: a file whose size and date are unchanged isn't opened; one
whose bytes hash the same isn't re-read; a deleted file drops out with its passages. A file
that vanishes or changes while it is being read is skipped with a note (and read again
next time); every other file is still indexed. ``watch`` polls: a refresh that finds
nothing new only lists the folders, so it is cheap enough to run every half minute
(benchmarks/files_index.py measures it), works on every OS and every filesystem
(network drives, too), and needs no extra package.

Search is hybrid: full-text rank (FTS5 / PostgreSQL) fused with embedding cosine when an
embedder is given (reciprocal rank fusion, so neither score scale has to be tuned).
Everything returned from a file is outside text: data, never instructions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from os1.clock import Clock
from os1.errors import InputError, Os1Error
from os1.memory.embed import Embedder
from os1.memory.store import keyword_terms
from os1.store import Store
from os1.tools.files.extract import (
    MAX_TEXT_BYTES,
    TEXT_KINDS,
    Unit,
    extract,
    kind_of,
    parse_place,
    place_of,
    read_document,
    source_label,
)
from os1.tools.files.store import ChunkRow, FileRecord, FilesStore, FolderRow

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024 * 1024  # bigger files are listed as skipped, not read
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
RRF_K = 60
BATCH = 64  # files written per transaction
PART_CHARS = 12_000  # what read_file_part returns at most

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Folder:
    path: str
    added_at: datetime
    refreshed_at: datetime | None
    warning: str = ""


@dataclass(frozen=True)
class FileNote:
    path: str
    status: str  # skipped | error
    note: str


@dataclass
class IndexReport:
    indexed: int = 0  # read now: new or changed
    unchanged: int = 0
    removed: int = 0  # deleted from disk (or vanished), dropped from the index
    skipped: int = 0  # files of a readable kind os1 couldn't or wouldn't read
    errors: int = 0  # damaged files
    skipped_reasons: dict[str, int] = field(default_factory=dict)  # not looked at, by reason
    notes: list[FileNote] = field(default_factory=list)  # per file, what went wrong
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.indexed or self.removed or self.notes)

    def summary(self) -> str:
        parts = [f"{self.indexed} read", f"{self.unchanged} unchanged", f"{self.removed} removed"]
        if self.skipped or self.errors:
            parts.append(f"{self.skipped + self.errors} couldn't be read")
        return ", ".join(parts) + "."

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileHit:
    """A passage that answers a query. ``snippet`` is outside text (data, not instructions)."""

    path: str
    name: str  # the path inside its folder: "notes/trip.md"
    kind: str
    place: str  # "lines 12–30", "page 3", "paragraphs 4–9"
    heading: str
    snippet: str
    score: float
    source: str  # "notes/trip.md:12-30", "report.pdf p. 3"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileMatch:
    """A file that is about what was described, with the passage that shows it."""

    path: str
    name: str
    kind: str
    score: float
    place: str
    snippet: str  # outside text
    source: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FilePart:
    path: str
    name: str
    place: str
    text: str  # outside text
    source: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


class FileIndex:
    """The files of one person. Cheap to build; share one per person (refresh holds a lock)."""

    def __init__(self, store: Store, user_id: int, clock: Clock, embedder: Embedder | None = None,
                 *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.repo = FilesStore(store)
        self.user_id = user_id
        self.clock = clock
        self.embedder = embedder
        self.max_file_bytes = max_file_bytes
        self._lock = threading.Lock()
        self._vectors: tuple[tuple[int, int], np.ndarray, np.ndarray] | None = None

    # -- folders ---------------------------------------------------------------------------
    def add_folder(self, path: str) -> Folder:
        """Start indexing a folder (call ``refresh`` to read it). Adding one again is fine."""
        given = Path(os.path.expanduser(path))
        if not given.exists():
            raise InputError(f"There's no folder at {path}.",
                             "Check the spelling, or give the full path (like /home/amy/Documents).")
        if not given.is_dir():
            raise InputError(f"{path} is a file, not a folder.",
                             "Give me the folder it is in; I index whole folders.")
        if not os.access(given, os.R_OK | os.X_OK):
            raise InputError(f"os1 isn't allowed to open {path} (permission denied).",
                             "Give your user read access to it, or choose another folder.")
        real = os.path.realpath(given)
        if Path(real).parent == Path(real):
            raise InputError(f"{real} is the whole disk; I won't index all of it.",
                             "Name the folders that hold your documents, like ~/Documents.")
        warning = ""
        if real == os.path.realpath(os.path.expanduser("~")):
            warning = ("That's your whole home folder: indexing it can take a while, and "
                       "everything in it (except hidden folders) becomes searchable.")
        for folder in self.repo.folders(self.user_id):
            if folder.path == real or _inside(real, folder.path):
                note = "" if folder.path == real else f"{real} is already indexed as part of " \
                                                      f"{folder.path}."
                return Folder(folder.path, folder.added_at, folder.refreshed_at, note)
        folder_id = self.repo.add_folder(self.user_id, real, self.clock.now())
        for folder in self.repo.folders(self.user_id):
            if folder.id != folder_id and _inside(folder.path, real):
                self.repo.adopt_files(self.user_id, folder.id, folder_id, real)
        return Folder(real, self.clock.now(), None, warning)

    def remove_folder(self, path: str) -> int:
        """Stop indexing a folder and forget what was read from it. Returns files dropped."""
        real = os.path.realpath(os.path.expanduser(path))
        for folder in self.repo.folders(self.user_id):
            if folder.path in (real, path):
                with self._lock:
                    dropped = self.repo.remove_folder(self.user_id, folder.id)
                self._vectors = None
                return dropped
        raise InputError(f"{path} isn't one of your indexed folders.",
                         "See which ones are with the folders list.")

    def folders(self) -> list[Folder]:
        return [Folder(f.path, f.added_at, f.refreshed_at) for f in self.repo.folders(self.user_id)]

    # -- refresh ---------------------------------------------------------------------------
    def refresh(self, progress: Progress | None = None) -> IndexReport:
        """Bring the index up to date with the folders: read new and changed files, drop
        deleted ones. ``progress(done, total, path)`` is called before each file is looked at."""
        started = time.perf_counter()
        report = IndexReport()
        with self._lock:
            for folder in self.repo.folders(self.user_id):
                self._refresh_folder(folder, report, progress)
        if report.indexed or report.removed:
            self._vectors = None
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _walk(self, root: str, report: IndexReport) -> list[tuple[str, str, os.stat_result]]:
        found: list[tuple[str, str, os.stat_result]] = []
        reasons: Counter[str] = Counter()

        def unreadable(error: OSError) -> None:
            where = error.filename or root
            if where == root:
                report.notes.append(FileNote(root, "error", f"The folder {root} can't be read "
                                             f"now ({error.strerror}); I kept what I had."))
                raise _FolderGone from error
            report.notes.append(FileNote(str(where), "skipped",
                                         f"os1 couldn't open the folder {where} ({error.strerror})."))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
            kept = []
            for d in dirnames:
                if d.startswith(".") or d in SKIP_DIRS:
                    reasons["hidden or tool folder (.git, node_modules …)"] += 1
                else:
                    kept.append(d)
            dirnames[:] = sorted(kept)
            for filename in sorted(filenames):
                path = os.path.join(dirpath, filename)
                if filename.startswith("."):
                    reasons["hidden file"] += 1
                    continue
                kind = kind_of(filename)
                if kind is None:
                    reasons["not a kind os1 reads"] += 1
                    continue
                try:
                    st = os.stat(path)
                    if os.path.islink(path) and not _inside(os.path.realpath(path), root):
                        reasons["link to a file outside the folder"] += 1
                        continue
                except OSError:
                    reasons["broken link or vanished"] += 1
                    continue
                if not os.path.isfile(path):
                    reasons["not a regular file"] += 1
                    continue
                found.append((path, kind, st))
        for reason, count in reasons.items():
            report.skipped_reasons[reason] = report.skipped_reasons.get(reason, 0) + count
        return found

    def _refresh_folder(self, folder: FolderRow, report: IndexReport,
                        progress: Progress | None) -> None:
        try:
            found = self._walk(folder.path, report)
        except _FolderGone:
            return
        existing = self.repo.file_states(self.user_id, folder.id)
        pending: list[FileRecord] = []
        gone: list[int] = []
        seen: set[str] = set()
        for done, (path, kind, st) in enumerate(found):
            if progress is not None:
                progress(done, len(found), path)
            seen.add(path)
            old = existing.get(path)
            if old is not None and old.size == st.st_size and abs(old.mtime - st.st_mtime) < 1e-6:
                report.unchanged += 1
                continue
            name = os.path.relpath(path, folder.path)
            record = self._read_file(folder.id, path, name, kind, st, old, report)
            if record is None:
                if old is not None and not os.path.exists(path):
                    gone.append(old.id)
                continue
            if record.status == "ok":
                report.indexed += 1
            else:
                report.skipped += record.status == "skipped"
                report.errors += record.status == "error"
                report.notes.append(FileNote(path, record.status, record.note))
            pending.append(record)
            if len(pending) >= BATCH:
                self._write(pending)
                pending = []
        self._write(pending)
        gone += [state.id for path, state in existing.items() if path not in seen]
        self.repo.remove_files(self.user_id, gone)
        report.removed += len(gone)
        self.repo.mark_refreshed(self.user_id, folder.id, self.clock.now())

    def _read_file(self, folder_id: int, path: str, name: str, kind: str, st: os.stat_result,
                   old: Any, report: IndexReport) -> FileRecord | None:
        """The file's new record, or None when it was skipped for now (vanished, changed
        while being read, unchanged bytes)."""
        def record(status: str, note: str, content_hash: str = "", size: int = st.st_size,
                   mtime: float = st.st_mtime) -> FileRecord:
            return FileRecord(folder_id, path, name, size, mtime, content_hash, kind, status,
                              note, file_id=old.id if old is not None else None)

        if st.st_size > self.max_file_bytes:
            return record("skipped", f"{name} is {_size(st.st_size)}, too big to index "
                          f"(the limit is {_size(self.max_file_bytes)}).")
        cap = MAX_TEXT_BYTES if kind in TEXT_KINDS else self.max_file_bytes
        try:
            with open(path, "rb") as handle:
                before = os.fstat(handle.fileno())
                data = handle.read(cap + 1)
            after = os.stat(path)
        except FileNotFoundError:
            report.skipped += 1
            report.notes.append(FileNote(path, "skipped", f"{name} vanished while I was "
                                         "indexing; it's left out."))
            return None
        except PermissionError:
            return record("skipped", f"os1 isn't allowed to read {name} (permission denied).")
        except OSError as exc:
            return record("error", f"{name} couldn't be read: {exc.strerror or exc}.")
        if (before.st_size, before.st_mtime) != (after.st_size, after.st_mtime):
            report.skipped += 1
            report.notes.append(FileNote(path, "skipped", f"{name} changed while I was reading "
                                         "it; I'll read it again next time."))
            return None
        truncated = len(data) > cap
        data = data[:cap]
        digest = hashlib.sha256(data).hexdigest()
        if old is not None and old.content_hash == digest:
            self.repo.touch_file(self.user_id, old.id, after.st_size, after.st_mtime)
            report.unchanged += 1
            return None
        result = extract(name, data, kind, truncated=truncated)
        return FileRecord(folder_id, path, name, after.st_size, after.st_mtime, digest, kind,
                          result.status, result.note, result.chunks,
                          file_id=old.id if old is not None else None)

    def _write(self, records: list[FileRecord]) -> None:
        if not records:
            return
        if self.embedder is not None:
            texts = [f"{c.heading}\n{c.text}" if c.heading else c.text
                     for r in records for c in r.chunks]
            matrix = self.embedder.embed(texts) if texts else None
            at, out = 0, []
            for r in records:
                vectors = None
                if matrix is not None and r.chunks:
                    vectors = matrix[at:at + len(r.chunks)]
                    at += len(r.chunks)
                out.append(FileRecord(**{**r.__dict__, "vectors": vectors,
                                         "model": self.embedder.name}))
            records = out
        self.repo.put_files(self.user_id, records, self.clock.now())

    async def watch(self, interval: float = 30.0, *,
                    on_report: Callable[[IndexReport], None] | None = None,
                    stop: asyncio.Event | None = None) -> None:
        """Keep the index fresh: refresh every ``interval`` seconds until cancelled (or
        ``stop`` is set). ``on_report`` hears about refreshes that changed something."""
        while stop is None or not stop.is_set():
            try:
                report = await asyncio.to_thread(self.refresh)
            except Os1Error as exc:  # the database is busy or gone: try again next time
                log.warning("file index refresh failed: %s", exc.what)
            else:
                if on_report is not None and report.changed:
                    on_report(report)
            if stop is None:
                await asyncio.sleep(interval)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)

    # -- search ----------------------------------------------------------------------------
    def _ranked(self, query: str, depth: int) -> dict[int, float]:
        """Chunk id -> fused score (reciprocal rank fusion of keyword and meaning)."""
        fused: dict[int, float] = {}
        for rank, (chunk_id, _) in enumerate(self.repo.keyword_search(self.user_id, query,
                                                                      limit=depth)):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        for rank, chunk_id in enumerate(self._vector_search(query, depth)):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        return fused

    def _vector_search(self, query: str, depth: int, min_similarity: float = 0.15) -> list[int]:
        if self.embedder is None or not query.strip():
            return []
        model = self.embedder.name
        if self._vectors is None:
            ids, matrix = self.repo.vectors(self.user_id, model)
            self._vectors = ((len(ids), int(ids[-1]) if len(ids) else 0), ids, matrix)
        _, ids, matrix = self._vectors
        if not len(ids):
            return []
        scores = matrix @ self.embedder.embed([query])[0]
        top = np.argsort(-scores)[:depth]
        return [int(ids[i]) for i in top if scores[i] >= min_similarity]

    def search(self, query: str, limit: int = 5) -> list[FileHit]:
        """Passages that answer ``query``, best first, at most two from one file."""
        fused = self._ranked(query, depth=max(50, limit * 10))
        order = sorted(fused, key=lambda i: -fused[i])[:limit * 6]
        rows = self.repo.chunks(self.user_id, order)
        terms = keyword_terms(query)
        hits, per_file = [], Counter[int]()
        for chunk_id in order:
            row = rows.get(chunk_id)
            if row is None or per_file[row.file_id] >= 2:
                continue
            per_file[row.file_id] += 1
            hits.append(self._hit(row, terms, fused[chunk_id]))
            if len(hits) >= limit:
                break
        return hits

    def _hit(self, row: ChunkRow, terms: list[str], score: float) -> FileHit:
        return FileHit(path=row.path, name=row.name, kind=row.kind, place=row.place,
                       heading=row.heading, snippet=snippet(row.text, terms),
                       score=round(score, 5),
                       source=source_label(row.name, row.unit, row.first, row.last))

    def find_file(self, description: str, limit: int = 5) -> list[FileMatch]:
        """Files about ``description``: passage hits summed per file, plus the file's name."""
        fused = self._ranked(description, depth=200)
        rows = self.repo.chunks(self.user_id, list(fused))
        per_file: dict[int, list[tuple[float, ChunkRow]]] = {}
        for chunk_id, score in fused.items():
            row = rows.get(chunk_id)
            if row is not None:
                per_file.setdefault(row.file_id, []).append((score, row))
        scores: dict[int, float] = {}
        for file_id, found in per_file.items():
            found.sort(key=lambda pair: -pair[0])
            top = [s for s, _ in found[:3]]
            scores[file_id] = top[0] + 0.5 * sum(top[1:])
        terms = keyword_terms(description)
        for row in self.repo.files_named(self.user_id, terms):
            name = row.name.lower()
            share = sum(1 for t in terms if t in name) / max(1, len(terms))
            scores[row.id] = scores.get(row.id, 0.0) + 2.0 * share / RRF_K
        best = sorted(scores, key=lambda i: -scores[i])[:limit]
        first = self.repo.first_chunks(self.user_id, [i for i in best if i not in per_file])
        matches = []
        for file_id in best:
            row = per_file[file_id][0][1] if file_id in per_file else first.get(file_id)
            if row is None:
                continue  # a file found by name that has no text (skipped): nothing to show
            matches.append(FileMatch(path=row.path, name=row.name, kind=row.kind,
                                     score=round(scores[file_id], 5), place=row.place,
                                     snippet=snippet(row.text, terms),
                                     source=source_label(row.name, row.unit, row.first, row.last)))
        return matches

    # -- reading and writing inside the folders -----------------------------------------------
    def resolve(self, path: str, *, must_exist: bool = True) -> tuple[str, FolderRow]:
        """The real path of ``path`` (absolute, or relative to an indexed folder) and its
        folder. Refuses anything outside the indexed folders, through ``..`` or a link, and
        hidden files (keys, .git) that indexing skips too."""
        folders = self.repo.folders(self.user_id)
        if not folders:
            raise InputError("No folders are indexed yet, so I can't open files.",
                             "Add one first (for example ~/Documents).")
        expanded = os.path.expanduser(path.strip())
        candidates = [expanded] if os.path.isabs(expanded) else [
            os.path.join(f.path, expanded) for f in folders]
        for candidate in candidates:
            real = os.path.realpath(candidate)
            for folder in folders:
                if not _inside(real, folder.path):
                    continue
                inner = os.path.relpath(real, folder.path)
                if any(part.startswith(".") and part not in (".", "..")
                       for part in Path(inner).parts):
                    raise InputError(f"{path} is a hidden file; I don't open those.",
                                     "Hidden files (like keys and .git) stay private.")
                if must_exist and not os.path.isfile(real):
                    continue
                return real, folder
        if must_exist and any(_inside(os.path.realpath(c), f.path)
                              for c in candidates for f in folders):
            raise InputError(f"There's no file {path} in your indexed folders.",
                             "Search for it first; use the path the search shows.")
        raise InputError(f"{path} is outside the folders you asked me to index, so I won't "
                         "touch it.", "Only files in " + ", ".join(f.path for f in folders)
                         + " can be read or written.")

    def read_part(self, path: str, place: str = "") -> FilePart:
        """The text at ``place`` ("lines 12-30", "page 3", "¶ 4-9"; empty: the beginning)."""
        real, folder = self.resolve(path)
        name = os.path.relpath(real, folder.path)
        kind = kind_of(real)
        if kind is None:
            raise InputError(f"os1 can't read {name}: it isn't text, Markdown, PDF, Word or "
                             "an email file.", "")
        size = os.path.getsize(real)
        if size > self.max_file_bytes:
            raise InputError(f"{name} is too big to open ({size / 1e6:.0f} MB).", "")
        cap = MAX_TEXT_BYTES if kind in TEXT_KINDS else self.max_file_bytes
        try:
            with open(real, "rb") as handle:
                data = handle.read(cap + 1)
        except OSError as exc:
            raise InputError(f"os1 couldn't open {name}: {exc.strerror or exc}.", "") from exc
        doc = read_document(name, data[:cap], kind, truncated=len(data) > cap)
        if doc.status != "ok":
            raise InputError(doc.note, "")
        span = parse_place(place)
        units = doc.units
        if span is not None:
            units = [u for u in units if span[0] <= u.n <= span[1]]
            if not units:
                last = doc.units[-1].n if doc.units else 0
                raise InputError(f"{name} has no {place} (it has {last} {doc.unit}s).", "")
        joiner = "\n" if doc.unit == "line" else "\n\n"
        shown: list[Unit] = []
        size_so_far = 0
        for unit in units:
            size_so_far += len(unit.text) + 1
            if shown and size_so_far > PART_CHARS:
                break
            shown.append(unit)
        note = "" if len(shown) == len(units) else \
            f"Only {doc.unit}s {shown[0].n}–{shown[-1].n} are shown; ask for the rest."
        first, last = shown[0].n, shown[-1].n
        return FilePart(real, name, place_of(doc.unit, first, last),
                        joiner.join(u.text for u in shown)[:PART_CHARS * 2],
                        source_label(name, doc.unit, first, last), note)

    def stats(self) -> dict[str, int]:
        return self.repo.counts(self.user_id)

    def problems(self) -> list[FileNote]:
        """Files os1 couldn't read, with why (scanned PDFs, passwords, damaged files)."""
        return [FileNote(r.path, r.status, r.note)
                for r in self.repo.files(self.user_id) if r.status != "ok"]


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} KB"


class _FolderGone(Exception):
    pass


_SPACE = re.compile(r"\s+")


def snippet(text: str, terms: list[str], width: int = 280) -> str:
    """A window of the passage around the first query word it contains."""
    flat = _SPACE.sub(" ", text).strip()
    lower = flat.lower()
    at = -1
    for term in terms:
        at = lower.find(term[:max(4, len(term) - 2)])
        if at >= 0:
            break
    if at < 0 or len(flat) <= width:
        return flat[:width] + ("…" if len(flat) > width else "")
    start = max(0, at - width // 3)
    end = min(len(flat), start + width)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
