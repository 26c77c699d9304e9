"""Proposals and the audit log: what the companion asked to do, what the person decided,
and what happened (created by migration 6)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from os1.store.schema import metadata

proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("args", JSON, nullable=False),
    Column("preview", JSON, nullable=False),
    # pending | approved (running) | done | failed | declined | expired
    Column("status", String(20), nullable=False),
    # where the request came from: "person" (their own words this turn) or "outside"
    # (suggested after the companion read mail, a file, an invitation)
    Column("origin", String(20), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("message_id", Integer),  # the person's message it answers
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("result", Text),
    Index("ix_proposals_owner_status", "user_id", "status"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("proposal_id", Integer),
    Column("at", DateTime(timezone=True), nullable=False),
    # proposed | approved | declined | expired | executed | failed
    Column("event", String(20), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Index("ix_audit_owner_at", "user_id", "at"),
)

TABLES = [proposals, audit_log]
