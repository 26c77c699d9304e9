"""The pieces os1 composed, each kept with what it was for (created by migration 7)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from os1.store.schema import metadata

music_pieces = Table(
    "music_pieces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("moment", Text, nullable=False, default=""),  # what it was for, in words
    Column("mood", JSON, nullable=False),  # the feeling it follows (valence, arousal, labels)
    Column("plan", JSON, nullable=False),  # key, mode, tempo, form, progression, seed
    Column("seconds", Float, nullable=False),
    Column("midi", LargeBinary, nullable=False),  # small: the piece itself
    Column("audio_path", Text),  # the rendered sound, rebuilt from the MIDI when missing
    Column("message_id", Integer),  # the message it answered, when made in conversation
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_music_owner_at", "user_id", "created_at"),
)

TABLES = [music_pieces]
