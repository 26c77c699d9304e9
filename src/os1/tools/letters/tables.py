"""The letter library and the books made from it (created by migration 7).

A letter has a sender, a recipient, an occasion and a date; every revision is a version of
its own (nothing a person wrote is overwritten). A book remembers which letters, in which
order, its title and foreword, and where its PDF and EPUB were written.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from os1.store.schema import metadata

letters = Table(
    "letters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("sender", String(200), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("occasion", String(300), nullable=False, default=""),
    Column("written_on", String(10), nullable=False),  # ISO date, the letter's own date
    Column("notes", Text, nullable=False, default=""),  # what the person asked for, their facts
    Column("favorite", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_letters_owner_people", "user_id", "sender", "recipient"),
)

letter_versions = Table(
    "letter_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("letter_id", Integer, ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    # how this version came to be: "drafted", "warmer", "proofread", "edited by hand" …
    Column("change", String(300), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_letter_versions_owner_letter", "user_id", "letter_id", "version", unique=True),
)

books = Table(
    "books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("subtitle", String(300), nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("foreword", Text, nullable=False, default=""),
    Column("letter_ids", JSON, nullable=False),  # in the book's order
    Column("pdf_path", Text),
    Column("epub_path", Text),
    Column("verdict", JSON),  # what the validators said
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_books_owner", "user_id"),
)

TABLES = [letters, letter_versions, books]
