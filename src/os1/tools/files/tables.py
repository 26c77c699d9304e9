"""The files tables, on the shared metadata (created by migration 6, os1.store.migrations).

Every row carries ``user_id``; table names start with "files_". A folder is what the
person asked os1 to read; a file row exists for every file os1 looked at (also the ones it
couldn't read, with the reason, so the person can be told and the file isn't re-read until
it changes); a chunk is a passage with its place in the file ("lines 12–30", "page 3").
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from os1.store.schema import metadata

files_folders = Table(
    "files_folders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("path", Text, nullable=False),  # absolute, resolved
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("refreshed_at", DateTime(timezone=True)),
    UniqueConstraint("user_id", "path", name="uq_files_folders_owner_path"),
)

files_files = Table(
    "files_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("folder_id", Integer, ForeignKey("files_folders.id", ondelete="CASCADE"),
           nullable=False),
    Column("path", Text, nullable=False),  # absolute
    Column("name", Text, nullable=False),  # the path inside its folder: "notes/trip.md"
    Column("size", Integer, nullable=False),
    Column("mtime", Float, nullable=False),
    Column("content_hash", String(64), nullable=False, default=""),  # sha256 of the bytes
    Column("kind", String(20), nullable=False),  # text | markdown | pdf | docx | email | html …
    Column("status", String(10), nullable=False),  # ok | skipped | error
    Column("note", Text, nullable=False, default=""),
    Column("indexed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "path", name="uq_files_files_owner_path"),
    Index("ix_files_files_owner_folder", "user_id", "folder_id"),
)

files_chunks = Table(
    "files_chunks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("file_id", Integer, ForeignKey("files_files.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("unit", String(20), nullable=False),  # line | page | paragraph
    Column("first_unit", Integer, nullable=False),  # 1-based
    Column("last_unit", Integer, nullable=False),  # inclusive
    Column("place", String(200), nullable=False),  # "lines 12–30", "page 3"
    Column("heading", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("model", String(100)),
    Column("vector", LargeBinary),  # float32, L2-normalised, when an embedder is used
    Index("ix_files_chunks_owner_file", "user_id", "file_id"),
)

TABLES: list[Table] = [files_folders, files_files, files_chunks]


def create_extras(conn: Connection) -> None:
    """Indexes the metadata can't express (full-text), per dialect. Called after TABLES.

    SQLite: an FTS5 table over each chunk's text, heading and file name, with the owner as
    a token of its own column (like migration 3 for memories), kept in step by triggers, so
    a deleted file's passages leave the index in the same transaction as its rows.
    PostgreSQL: a GIN expression index over ``to_tsvector`` that searches match exactly.
    Safe to call twice.
    """
    if conn.dialect.name == "sqlite":
        for statement in (
            "CREATE VIRTUAL TABLE IF NOT EXISTS files_chunks_fts USING fts5(text, heading, "
            "name, owner, tokenize='porter unicode61 remove_diacritics 2')",
            "CREATE TRIGGER IF NOT EXISTS files_chunks_fts_insert AFTER INSERT ON files_chunks "
            "BEGIN INSERT INTO files_chunks_fts(rowid, text, heading, name, owner) VALUES "
            "(new.id, new.text, new.heading, (SELECT name FROM files_files WHERE id = "
            "new.file_id), 'u' || new.user_id); END",
            "CREATE TRIGGER IF NOT EXISTS files_chunks_fts_delete AFTER DELETE ON files_chunks "
            "BEGIN DELETE FROM files_chunks_fts WHERE rowid = old.id; END",
        ):
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_files_chunks_fulltext ON files_chunks USING GIN "
            "(to_tsvector('english', text || ' ' || heading))")
