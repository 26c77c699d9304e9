"""The mail tables, on the shared metadata (created by migration 6, os1.store.migrations).

Every row carries ``user_id``; table names start with "mail_".

- ``mail_accounts``: an IMAP account (password only as a SecretBox token) or the "import"
  account that holds Maildir/mbox imports.
- ``mail_folders``: one per server folder, with its UIDVALIDITY and the highest UID whose
  headers are stored: sync resumes from there, and a changed UIDVALIDITY means the folder's
  UIDs mean something else now (its rows are dropped and it is read again).
- ``mail_messages``: one per (folder, uid). Headers arrive first (``body_fetched`` false);
  the body phase fills ``body_text``/``attachments``. Sorting (category, needs_reply,
  important, spam_score) is set when the body arrives (headers-only sorting before that).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from os1.store.schema import metadata

mail_accounts = Table(
    "mail_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),  # "amy@example.com", "import"
    Column("kind", String(20), nullable=False),  # imap | import
    Column("address", String(320), nullable=False, default=""),  # the person's From address
    Column("host", String(255), nullable=False, default=""),
    Column("port", Integer, nullable=False, default=0),
    Column("security", String(20), nullable=False, default="tls"),  # tls | starttls | plain
    Column("username", String(320), nullable=False, default=""),
    Column("password_token", Text),  # SecretBox token; never the password itself
    Column("ca_file", Text),  # trust this CA (self-hosted server); None = system CAs
    Column("smtp_host", String(255), nullable=False, default=""),
    Column("smtp_port", Integer, nullable=False, default=0),
    Column("smtp_security", String(20), nullable=False, default="starttls"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sync_at", DateTime(timezone=True)),
    Column("last_error", Text),
    UniqueConstraint("user_id", "name", name="uq_mail_accounts_owner_name"),
)

mail_folders = Table(
    "mail_folders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, ForeignKey("mail_accounts.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", String(500), nullable=False),
    Column("role", String(20), nullable=False, default=""),  # inbox sent trash archive junk drafts
    Column("uidvalidity", BigInteger, nullable=False, default=0),
    Column("last_uid", BigInteger, nullable=False, default=0),  # headers stored up to here
    Column("total", Integer, nullable=False, default=0),  # messages on the server at last look
    Column("synced_at", DateTime(timezone=True)),
    UniqueConstraint("account_id", "name", name="uq_mail_folders_account_name"),
    Index("ix_mail_folders_owner", "user_id", "account_id"),
)

mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, ForeignKey("mail_accounts.id", ondelete="CASCADE"),
           nullable=False),
    Column("folder_id", Integer, ForeignKey("mail_folders.id", ondelete="CASCADE"),
           nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String(998), nullable=False, default=""),
    Column("thread_key", String(998), nullable=False, default=""),
    Column("in_reply_to", String(998), nullable=False, default=""),
    Column("references", Text, nullable=False, default=""),
    Column("from_name", String(500), nullable=False, default=""),
    Column("from_addr", String(320), nullable=False, default=""),
    Column("to_addrs", JSON, nullable=False),
    Column("cc_addrs", JSON, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("sent_at", DateTime(timezone=True)),
    Column("snippet", Text, nullable=False, default=""),
    Column("body_text", Text, nullable=False, default=""),
    Column("attachments", JSON, nullable=False),
    Column("flags", String(500), nullable=False, default=""),  # space-separated IMAP flags
    Column("size", BigInteger, nullable=False, default=0),
    Column("category", String(20), nullable=False, default="personal"),
    Column("needs_reply", Boolean, nullable=False, default=False),
    Column("important", Boolean, nullable=False, default=False),
    Column("spam_score", Float, nullable=False, default=0.0),
    Column("body_fetched", Boolean, nullable=False, default=False),
    Column("body_note", Text, nullable=False, default=""),  # "not downloaded: 52 MB …"
    Column("list_unsubscribe", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("folder_id", "uid", name="uq_mail_messages_folder_uid"),
    Index("ix_mail_messages_owner_date", "user_id", "sent_at"),
    Index("ix_mail_messages_owner_thread", "user_id", "thread_key"),
    Index("ix_mail_messages_owner_msgid", "user_id", "message_id"),
    Index("ix_mail_messages_owner_category", "user_id", "category", "sent_at"),
    Index("ix_mail_messages_pending_body", "folder_id", "body_fetched", "uid"),
)

TABLES: list[Table] = [mail_accounts, mail_folders, mail_messages]


def create_extras(conn: Connection) -> None:
    """Indexes the metadata can't express (full-text), per dialect. Called after TABLES.

    SQLite: an FTS5 table over subject, sender and body, kept in step by triggers (the
    owner is a token column of its own, as in memories_fts). PostgreSQL: search uses ILIKE
    over the same columns (no extra index: a person's mail is thousands, not millions)."""
    if conn.dialect.name != "sqlite":
        return
    for statement in (
        "CREATE VIRTUAL TABLE IF NOT EXISTS mail_fts USING fts5(subject, sender, body, owner, "
        "tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS mail_fts_insert AFTER INSERT ON mail_messages BEGIN "
        "INSERT INTO mail_fts(rowid, subject, sender, body, owner) VALUES (new.id, new.subject, "
        "new.from_name || ' ' || new.from_addr, new.body_text, 'u' || new.user_id); END",
        "CREATE TRIGGER IF NOT EXISTS mail_fts_delete AFTER DELETE ON mail_messages BEGIN "
        "DELETE FROM mail_fts WHERE rowid = old.id; END",
        "CREATE TRIGGER IF NOT EXISTS mail_fts_update AFTER UPDATE OF subject, from_name, "
        "from_addr, body_text ON mail_messages BEGIN DELETE FROM mail_fts WHERE rowid = old.id; "
        "INSERT INTO mail_fts(rowid, subject, sender, body, owner) VALUES (new.id, new.subject, "
        "new.from_name || ' ' || new.from_addr, new.body_text, 'u' || new.user_id); END",
    ):
        conn.exec_driver_sql(statement)
