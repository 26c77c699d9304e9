"""The file-index repository: folders, files and passages, each reachable only with its
owner's id (every statement filters on ``user_id``).

A file and its passages change together in one transaction: a re-indexed file's old
passages (and, on SQLite, their full-text entries, by trigger) are gone when its new ones
appear, and a refresh that dies half-way leaves each file either old or new, never mixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, or_, select, text, update

from os1.memory.store import keyword_terms
from os1.store import Store
from os1.store.repos import _aware, storable
from os1.tools.files.extract import Chunk
from os1.tools.files.tables import files_chunks, files_files, files_folders


@dataclass(frozen=True)
class FolderRow:
    id: int
    path: str
    added_at: datetime
    refreshed_at: datetime | None


@dataclass(frozen=True)
class FileState:
    id: int
    path: str
    size: int
    mtime: float
    content_hash: str
    status: str


@dataclass(frozen=True)
class FileRecord:
    """One file's new state, to be written with its passages."""

    folder_id: int
    path: str
    name: str
    size: int
    mtime: float
    content_hash: str
    kind: str
    status: str
    note: str
    chunks: Sequence[Chunk] = ()
    vectors: np.ndarray | None = None
    model: str | None = None
    file_id: int | None = None  # set when the file was indexed before


@dataclass(frozen=True)
class ChunkRow:
    id: int
    file_id: int
    path: str
    name: str
    kind: str
    unit: str
    first: int
    last: int
    place: str
    heading: str
    text: str


class FilesStore:
    """Every person's file index in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- folders ---------------------------------------------------------------------------
    def folders(self, user_id: int) -> list[FolderRow]:
        rows = self.store._read(select(files_folders).where(
            files_folders.c.user_id == user_id).order_by(files_folders.c.path))
        return [FolderRow(r.id, r.path, _aware(r.added_at) or r.added_at, _aware(r.refreshed_at))
                for r in rows]

    def add_folder(self, user_id: int, path: str, now: datetime) -> int:
        with self.store._tx() as conn:
            result = conn.execute(files_folders.insert().values(user_id=user_id, path=path,
                                                                added_at=now))
            return int(result.inserted_primary_key[0])

    def adopt_files(self, user_id: int, from_folder: int, to_folder: int, prefix: str) -> None:
        """Move an inner folder's files to the folder that now contains it, and drop it."""
        with self.store._tx() as conn:
            rows = conn.execute(select(files_files.c.id, files_files.c.path).where(
                files_files.c.user_id == user_id, files_files.c.folder_id == from_folder)).all()
            for row in rows:
                conn.execute(update(files_files).where(
                    files_files.c.user_id == user_id, files_files.c.id == row.id).values(
                    folder_id=to_folder, name=row.path[len(prefix):].lstrip("/\\")))
            conn.execute(delete(files_folders).where(files_folders.c.user_id == user_id,
                                                     files_folders.c.id == from_folder))

    def remove_folder(self, user_id: int, folder_id: int) -> int:
        """Forget a folder and everything read from it. Returns how many files were dropped."""
        with self.store._tx() as conn:
            ids = [r[0] for r in conn.execute(select(files_files.c.id).where(
                files_files.c.user_id == user_id, files_files.c.folder_id == folder_id))]
            self._delete_files(conn, user_id, ids)
            conn.execute(delete(files_folders).where(files_folders.c.user_id == user_id,
                                                     files_folders.c.id == folder_id))
        return len(ids)

    def mark_refreshed(self, user_id: int, folder_id: int, now: datetime) -> None:
        with self.store._tx() as conn:
            conn.execute(update(files_folders).where(
                files_folders.c.user_id == user_id, files_folders.c.id == folder_id)
                .values(refreshed_at=now))

    # -- files -----------------------------------------------------------------------------
    def file_states(self, user_id: int, folder_id: int) -> dict[str, FileState]:
        rows = self.store._read(select(
            files_files.c.id, files_files.c.path, files_files.c.size, files_files.c.mtime,
            files_files.c.content_hash, files_files.c.status).where(
            files_files.c.user_id == user_id, files_files.c.folder_id == folder_id))
        return {r.path: FileState(r.id, r.path, r.size, r.mtime, r.content_hash, r.status)
                for r in rows}

    def file(self, user_id: int, path: str) -> Any | None:
        rows = self.store._read(select(files_files).where(files_files.c.user_id == user_id,
                                                          files_files.c.path == path))
        return rows[0] if rows else None

    def files(self, user_id: int, *, status: str | None = None) -> list[Any]:
        stmt = select(files_files).where(files_files.c.user_id == user_id)
        if status is not None:
            stmt = stmt.where(files_files.c.status == status)
        return self.store._read(stmt.order_by(files_files.c.path))

    def counts(self, user_id: int) -> dict[str, int]:
        rows = self.store._read(select(files_files.c.status, func.count()).where(
            files_files.c.user_id == user_id).group_by(files_files.c.status))
        out = {str(r[0]): int(r[1]) for r in rows}
        chunks = self.store._read(select(func.count()).select_from(files_chunks).where(
            files_chunks.c.user_id == user_id))
        out["chunks"] = int(chunks[0][0])
        return out

    def put_files(self, user_id: int, records: Sequence[FileRecord], now: datetime) -> None:
        """Write files with their passages, replacing what was there, in one transaction."""
        if not records:
            return
        with self.store._tx() as conn:
            for record in records:
                values = dict(folder_id=record.folder_id, path=record.path,
                              name=storable(record.name), size=record.size, mtime=record.mtime,
                              content_hash=record.content_hash, kind=record.kind,
                              status=record.status, note=storable(record.note), indexed_at=now)
                file_id = record.file_id
                if file_id is not None:
                    conn.execute(delete(files_chunks).where(files_chunks.c.user_id == user_id,
                                                            files_chunks.c.file_id == file_id))
                    conn.execute(update(files_files).where(
                        files_files.c.user_id == user_id, files_files.c.id == file_id)
                        .values(**values))
                else:
                    result = conn.execute(files_files.insert().values(user_id=user_id, **values))
                    file_id = int(result.inserted_primary_key[0])
                if not record.chunks:
                    continue
                vectors = record.vectors
                conn.execute(files_chunks.insert(), [
                    dict(user_id=user_id, file_id=file_id, seq=i, unit=c.unit, first_unit=c.first,
                         last_unit=c.last, place=c.place, heading=storable(c.heading[:500]),
                         text=storable(c.text), model=record.model if vectors is not None else None,
                         vector=(np.asarray(vectors[i], dtype=np.float32).tobytes()
                                 if vectors is not None else None))
                    for i, c in enumerate(record.chunks)])

    def touch_file(self, user_id: int, file_id: int, size: int, mtime: float) -> None:
        """The bytes are the same (same hash); only the file's date or size changed."""
        with self.store._tx() as conn:
            conn.execute(update(files_files).where(
                files_files.c.user_id == user_id, files_files.c.id == file_id)
                .values(size=size, mtime=mtime))

    def remove_files(self, user_id: int, file_ids: Sequence[int]) -> None:
        if not file_ids:
            return
        with self.store._tx() as conn:
            self._delete_files(conn, user_id, list(file_ids))

    @staticmethod
    def _delete_files(conn: Any, user_id: int, file_ids: list[int]) -> None:
        for start in range(0, len(file_ids), 500):
            batch = file_ids[start:start + 500]
            conn.execute(delete(files_chunks).where(files_chunks.c.user_id == user_id,
                                                    files_chunks.c.file_id.in_(batch)))
            conn.execute(delete(files_files).where(files_files.c.user_id == user_id,
                                                   files_files.c.id.in_(batch)))

    # -- search ----------------------------------------------------------------------------
    def keyword_search(self, user_id: int, query: str, *, limit: int = 50) -> list[tuple[int, float]]:
        """(chunk id, strength) by full-text match, best first; larger is better."""
        terms = keyword_terms(query)
        if not terms:
            return []
        if self.engine.dialect.name == "sqlite":
            words = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
            sql = text("SELECT c.id, -bm25(files_chunks_fts, 1.0, 0.6, 0.8, 0.0) AS score "
                       "FROM files_chunks_fts JOIN files_chunks c ON c.id = files_chunks_fts.rowid "
                       "WHERE files_chunks_fts MATCH :match AND c.user_id = :user "
                       "ORDER BY bm25(files_chunks_fts, 1.0, 0.6, 0.8, 0.0) LIMIT :limit")
            params: dict[str, Any] = {
                "match": f'owner: "u{int(user_id)}" AND {{text heading name}}: ({words})',
                "user": user_id, "limit": limit}
        else:
            words = " || ".join(f"phraseto_tsquery('english', :w{i})" for i in range(len(terms)))
            sql = text("SELECT c.id, ts_rank(to_tsvector('english', c.text || ' ' || c.heading), "
                       f"q.query) AS score FROM files_chunks c, (SELECT {words} AS query) q "
                       "WHERE to_tsvector('english', c.text || ' ' || c.heading) @@ q.query "
                       "AND c.user_id = :user ORDER BY score DESC, c.id DESC LIMIT :limit")
            params = {f"w{i}": term for i, term in enumerate(terms)}
            params.update(user=user_id, limit=limit)
        return [(int(r[0]), float(r[1])) for r in self.store._read(sql.bindparams(**params))]

    def chunks(self, user_id: int, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        c, f = files_chunks, files_files
        rows = self.store._read(select(
            c.c.id, c.c.file_id, f.c.path, f.c.name, f.c.kind, c.c.unit, c.c.first_unit,
            c.c.last_unit, c.c.place, c.c.heading, c.c.text).join(f, f.c.id == c.c.file_id)
            .where(c.c.user_id == user_id, f.c.user_id == user_id, c.c.id.in_(list(chunk_ids))))
        return {r.id: ChunkRow(r.id, r.file_id, r.path, r.name, r.kind, r.unit, r.first_unit,
                               r.last_unit, r.place, r.heading, r.text) for r in rows}

    def first_chunks(self, user_id: int, file_ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Each file's first passage (what a file found by its name is shown with)."""
        if not file_ids:
            return {}
        rows = self.store._read(select(files_chunks.c.id).where(
            files_chunks.c.user_id == user_id, files_chunks.c.file_id.in_(list(file_ids)),
            files_chunks.c.seq == 0))
        found = self.chunks(user_id, [r[0] for r in rows])
        return {row.file_id: row for row in found.values()}

    def vectors(self, user_id: int, model: str) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, matrix) of this person's passage vectors made by ``model``."""
        rows = self.store._read(select(files_chunks.c.id, files_chunks.c.vector).where(
            files_chunks.c.user_id == user_id, files_chunks.c.model == model,
            files_chunks.c.vector.is_not(None)).order_by(files_chunks.c.id))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, matrix.reshape(len(rows), -1).copy()

    def files_named(self, user_id: int, terms: Sequence[str], limit: int = 200) -> list[Any]:
        """Files whose path inside their folder contains any of the words."""
        if not terms:
            return []
        rows = self.store._read(select(files_files.c.id, files_files.c.name).where(
            files_files.c.user_id == user_id,
            or_(*[func.lower(files_files.c.name).contains(t.lower(), autoescape=True)
                  for t in terms])).limit(limit))
        return list(rows)
