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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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

# -- memory (os1.memory) ------------------------------------------------------------------

# One exchange waiting to be learned from: the person's message (and the reply to it).
# An episode is never dropped: when extraction fails it stays, with the error, for a retry.
# status: pending | done | skipped (nothing to learn, e.g. "ok") | failing (retried later)
episodes = Table(
    "episodes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"),
           nullable=False),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("reply_id", Integer),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_try_at", DateTime(timezone=True)),
    Column("learned", Integer, nullable=False, default=0),
    Column("done_at", DateTime(timezone=True)),
    UniqueConstraint("user_id", "message_id"),
    Index("ix_episodes_owner_status", "user_id", "status", "id"),
)

# What the companion knows. kind: fact | person | preference | plan | event | feeling |
# reflection | moment (the person's own words, kept when nothing else could be learned).
# A memory is never overwritten by a contradiction: the old row is marked no longer valid
# (when, why, and by what) and the new one is added; repeating a fact bumps ``times_seen``.
memories = Table(
    "memories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("about", String(200), nullable=False, default=""),
    Column("topic", String(200), nullable=False, default=""),
    Column("content", Text, nullable=False),
    Column("importance", Float, nullable=False, default=0.5),
    Column("happens_at", DateTime(timezone=True)),  # when the event/plan is (or was)
    Column("date_text", String(200)),  # the words that said when ("next Friday")
    Column("learned_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("times_seen", Integer, nullable=False, default=1),
    Column("valid", Boolean, nullable=False, default=True),
    Column("invalid_at", DateTime(timezone=True)),
    Column("invalid_reason", Text),
    Column("superseded_by", Integer),
    Column("episode_id", Integer, ForeignKey("episodes.id", ondelete="SET NULL")),
    Column("message_id", Integer),
    Column("origin", String(20), nullable=False),  # extracted | moment | reflection | told | imported
    Index("ix_memories_owner", "user_id", "valid", "kind"),
    Index("ix_memories_owner_slot", "user_id", "about", "topic"),
)

# The embedding of each memory (float32, normalised). Deleted with the memory.
memory_vectors = Table(
    "memory_vectors",
    metadata,
    Column("memory_id", Integer, ForeignKey("memories.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(100), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Index("ix_memory_vectors_owner", "user_id"),
)

# Which memories a reflection was drawn from: forgetting one of them rewrites or removes it.
memory_sources = Table(
    "memory_sources",
    metadata,
    Column("reflection_id", Integer, ForeignKey("memories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("memory_id", Integer, ForeignKey("memories.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
)

# The emotion read of each message the person sent (the mood timeline is built from these).
# Deleted with the message, and when the person asks os1 to forget what they said.
message_emotions = Table(
    "message_emotions",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("valence", Float, nullable=False),
    Column("arousal", Float, nullable=False),
    Column("dominant", String(20), nullable=False),
    Column("labels", JSON, nullable=False),  # the labels over threshold, strongest first
    Column("scores", JSON, nullable=False),  # all 28 probabilities
    Column("source", String(10), nullable=False),  # text | voice
    Column("prosody", JSON),
    Column("model", String(60), nullable=False),
    Index("ix_message_emotions_owner_time", "user_id", "created_at"),
)

# -- accounts (os1 serve) -------------------------------------------------------------------

# A password, for people who sign in to the server (the terminal's local user has none).
# argon2id hashes only; the password itself is never stored or logged.
credentials = Table(
    "credentials",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A browser's signed-in session. Only the sha256 of the token is kept, so a copy of the
# database can't be used to sign in; the CSRF token is the second half of the cookie flow.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_auth_sessions_owner", "user_id"),
)

# Personal API keys (Authorization: Bearer os1-…), for the OpenAI-compatible endpoint and
# scripts. Shown once when made; only the sha256 and a short prefix (to tell them apart) stay.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Index("ix_api_keys_owner", "user_id"),
)

# Failed sign-ins, by account name and by address, for rate limiting across every server
# process (kept a day; successful sign-ins clear the account's).
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# Per-person settings on the server (the terminal keeps them in config.toml).
user_settings = Table(
    "user_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
