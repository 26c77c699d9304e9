"""The tables. Every row that holds a person's data carries ``user_id``.

Defined with SQLAlchemy Core so the same definitions create the schema on SQLite
(the default) and PostgreSQL (the server).
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
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("handle", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Answers to the first-boot questions, stored one by one so an interrupted genesis resumes.
genesis_answers = Table(
    "genesis_answers",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("question", String(40), primary_key=True),
    Column("answer", Text, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

personas = Table(
    "personas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("name_story", Text, nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("voice", String(20), nullable=False),
    Column("traits", JSON, nullable=False),
    Column("answers", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("persona_id", Integer, ForeignKey("personas.id", ondelete="SET NULL")),
    Column("started_at", DateTime(timezone=True), nullable=False),
)

# status: complete | interrupted (stopped mid-reply, partial text kept) | failed (no reply)
# source: who wrote the text: user | companion | outside (mail, files: data, never orders)
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"),
           nullable=False),
    Column("role", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("status", String(20), nullable=False, default="complete"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("meta", JSON, nullable=False, default=dict),
    Index("ix_messages_owner_conversation", "user_id", "conversation_id", "id"),
)

# Older turns folded into prose when the context fills. ``upto_message_id`` is inclusive.
summaries = Table(
    "summaries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"),
           nullable=False),
    Column("upto_message_id", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("method", String(20), nullable=False),  # model | fallback
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("conversation_id", "upto_message_id"),
)
