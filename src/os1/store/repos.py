"""Repositories: the only way code reaches stored data. Every call takes the owner's id.

There is no query without an owner: each statement below filters on ``user_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from os1.clock import Clock
from os1.errors import StorageError
from os1.persona.model import Persona, Traits
from os1.store import schema as s
from os1.store.engine import database_label, explain_storage_error, transaction


def _aware(value: datetime | None) -> datetime | None:
    """Everything os1 stores is UTC: SQLite hands back naive datetimes, PostgreSQL aware ones
    in the server's time zone (which needn't be UTC); both come out in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def storable(text: str) -> str:
    """PostgreSQL can't store NUL characters in text (SQLite can); they mean nothing in it."""
    return text.replace("\x00", "") if "\x00" in text else text


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str  # user | assistant
    source: str  # user | companion | outside
    content: str
    status: str  # complete | interrupted | failed
    created_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    upto_message_id: int
    content: str
    method: str


class Store:
    """One database, seen through repositories. Cheap to share; holds no per-user state."""

    def __init__(self, engine: Engine, clock: Clock, label: str | Path = "the database") -> None:
        self.engine = engine
        self.clock = clock
        # Shown in error messages: never a database password.
        self.label = database_label(label) if "://" in str(label) else label

    def _tx(self):  # type: ignore[no-untyped-def]
        return transaction(self.engine, self.label)

    def _read(self, stmt: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(stmt))
        except Exception as exc:
            if exc.__class__.__module__.startswith("sqlalchemy"):
                raise explain_storage_error(exc, self.label, self.engine.url) from exc
            raise

    # -- users ---------------------------------------------------------------------------
    def ensure_user(self, handle: str) -> int:
        rows = self._read(select(s.users.c.id).where(s.users.c.handle == handle))
        if rows:
            return int(rows[0][0])
        try:
            with self._tx() as conn:
                result = conn.execute(s.users.insert().values(handle=handle,
                                                              created_at=self.clock.now()))
                return int(result.inserted_primary_key[0])
        except StorageError as exc:
            # Another server process added the same person a moment ago: that row is theirs.
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            rows = self._read(select(s.users.c.id).where(s.users.c.handle == handle))
            if not rows:
                raise
            return int(rows[0][0])

    # -- genesis -------------------------------------------------------------------------
    def save_genesis_answer(self, user_id: int, question: str, answer: str) -> None:
        with self._tx() as conn:
            conn.execute(s.genesis_answers.delete().where(
                s.genesis_answers.c.user_id == user_id, s.genesis_answers.c.question == question))
            conn.execute(s.genesis_answers.insert().values(
                user_id=user_id, question=question, answer=answer, answered_at=self.clock.now()))

    def genesis_answers(self, user_id: int) -> dict[str, str]:
        rows = self._read(select(s.genesis_answers.c.question, s.genesis_answers.c.answer)
                          .where(s.genesis_answers.c.user_id == user_id))
        return {row.question: row.answer for row in rows}

    def clear_genesis_answers(self, user_id: int) -> None:
        with self._tx() as conn:
            conn.execute(s.genesis_answers.delete().where(s.genesis_answers.c.user_id == user_id))

    # -- personas ------------------------------------------------------------------------
    def active_persona(self, user_id: int) -> Persona | None:
        rows = self._read(select(s.personas).where(
            s.personas.c.user_id == user_id, s.personas.c.active.is_(True))
            .order_by(s.personas.c.id.desc()).limit(1))
        if not rows:
            return None
        row = rows[0]
        return Persona(id=row.id, user_id=row.user_id, name=row.name, name_story=row.name_story,
                       user_name=row.user_name, voice=row.voice, traits=Traits(**row.traits),
                       answers=dict(row.answers), created_at=_aware(row.created_at))

    def create_persona(self, user_id: int, *, name: str, name_story: str, user_name: str,
                       voice: str, traits: Traits, answers: dict[str, str]) -> Persona:
        """Store a new persona; the previous one is retired, not deleted."""
        now = self.clock.now()
        with self._tx() as conn:
            conn.execute(update(s.personas).where(
                s.personas.c.user_id == user_id, s.personas.c.active.is_(True))
                .values(active=False, retired_at=now))
            conn.execute(s.personas.insert().values(
                user_id=user_id, name=name, name_story=name_story, user_name=user_name,
                voice=voice, traits=traits.as_dict(), answers=answers, active=True, created_at=now))
        persona = self.active_persona(user_id)
        assert persona is not None
        return persona

    # -- conversations -------------------------------------------------------------------
    def current_conversation(self, user_id: int, persona_id: int | None) -> int:
        """The person's ongoing conversation with this persona, started if there is none."""
        rows = self._read(select(s.conversations.c.id).where(
            s.conversations.c.user_id == user_id, s.conversations.c.persona_id == persona_id)
            .order_by(s.conversations.c.id.desc()).limit(1))
        if rows:
            return int(rows[0][0])
        with self._tx() as conn:
            result = conn.execute(s.conversations.insert().values(
                user_id=user_id, persona_id=persona_id, started_at=self.clock.now()))
            return int(result.inserted_primary_key[0])

    # -- messages ------------------------------------------------------------------------
    def add_message(self, user_id: int, conversation_id: int, *, role: str, source: str,
                    content: str, status: str = "complete",
                    meta: dict[str, Any] | None = None) -> int:
        with self._tx() as conn:
            owned = conn.execute(select(s.conversations.c.id).where(
                s.conversations.c.id == conversation_id,
                s.conversations.c.user_id == user_id)).first()
            if owned is None:
                raise PermissionError(f"conversation {conversation_id} is not user {user_id}'s")
            result = conn.execute(s.messages.insert().values(
                user_id=user_id, conversation_id=conversation_id, role=role, source=source,
                content=storable(content), status=status, created_at=self.clock.now(),
                meta=meta or {}))
            return int(result.inserted_primary_key[0])

    def finish_message(self, user_id: int, message_id: int, *, content: str, status: str,
                       meta: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"content": storable(content), "status": status}
        if meta is not None:
            values["meta"] = meta
        with self._tx() as conn:
            conn.execute(update(s.messages).where(
                s.messages.c.id == message_id, s.messages.c.user_id == user_id).values(**values))

    def messages(self, user_id: int, conversation_id: int, *, after_id: int = 0,
                 limit: int | None = None, newest_first: bool = False) -> list[StoredMessage]:
        order = s.messages.c.id.desc() if newest_first else s.messages.c.id.asc()
        stmt = (select(s.messages).where(
            s.messages.c.user_id == user_id, s.messages.c.conversation_id == conversation_id,
            s.messages.c.id > after_id).order_by(order))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [StoredMessage(id=r.id, role=r.role, source=r.source, content=r.content,
                              status=r.status, created_at=_aware(r.created_at) or r.created_at,
                              meta=dict(r.meta or {})) for r in self._read(stmt)]

    def history(self, user_id: int, conversation_id: int, *, before_id: int | None = None,
                limit: int = 50) -> list[StoredMessage]:
        """What the person and the companion said (no notes), the newest ``limit`` before
        ``before_id``, oldest first: a page of the conversation as a surface shows it."""
        stmt = select(s.messages).where(
            s.messages.c.user_id == user_id, s.messages.c.conversation_id == conversation_id,
            s.messages.c.role.in_(("user", "assistant")))
        if before_id is not None:
            stmt = stmt.where(s.messages.c.id < before_id)
        stmt = stmt.order_by(s.messages.c.id.desc()).limit(limit)
        rows = [StoredMessage(id=r.id, role=r.role, source=r.source, content=r.content,
                              status=r.status, created_at=_aware(r.created_at) or r.created_at,
                              meta=dict(r.meta or {})) for r in self._read(stmt)]
        return rows[::-1]

    def message(self, user_id: int, message_id: int) -> StoredMessage | None:
        rows = self._read(select(s.messages).where(
            s.messages.c.user_id == user_id, s.messages.c.id == message_id))
        return next((StoredMessage(id=r.id, role=r.role, source=r.source, content=r.content,
                                   status=r.status, created_at=_aware(r.created_at) or r.created_at,
                                   meta=dict(r.meta or {})) for r in rows), None)

    def message_text(self, user_id: int, message_id: int) -> str | None:
        rows = self._read(select(s.messages.c.content).where(
            s.messages.c.user_id == user_id, s.messages.c.id == message_id))
        return str(rows[0][0]) if rows else None

    def notes(self, user_id: int, *, source: str) -> list[StoredMessage]:
        """os1's own notes in the person's conversations ('event' rows) from ``source``."""
        rows = self._read(select(s.messages).where(
            s.messages.c.user_id == user_id, s.messages.c.role == "event",
            s.messages.c.source == source).order_by(s.messages.c.id))
        return [StoredMessage(id=r.id, role=r.role, source=r.source, content=r.content,
                              status=r.status, created_at=_aware(r.created_at) or r.created_at,
                              meta=dict(r.meta or {})) for r in rows]

    def delete_message(self, user_id: int, message_id: int) -> None:
        with self._tx() as conn:
            conn.execute(s.messages.delete().where(
                s.messages.c.id == message_id, s.messages.c.user_id == user_id))

    def redact_exchange(self, user_id: int, message_id: int) -> None:
        """The person asked to forget what they said: blank it and the reply to it."""
        now = self.clock.now()
        rows = self._read(select(s.messages.c.id, s.messages.c.meta).where(
            s.messages.c.user_id == user_id, s.messages.c.id >= message_id)
            .order_by(s.messages.c.id).limit(6))
        targets = [r.id for r in rows if r.id == message_id
                   or (r.meta or {}).get("reply_to") == message_id]
        with self._tx() as conn:
            conn.execute(s.message_emotions.delete().where(
                s.message_emotions.c.user_id == user_id,
                s.message_emotions.c.message_id.in_(targets)))
            for target in targets:
                row = conn.execute(select(s.messages.c.meta).where(
                    s.messages.c.id == target, s.messages.c.user_id == user_id)).first()
                meta = dict(row.meta or {}) if row else {}
                meta["forgotten_at"] = now.isoformat()
                conn.execute(update(s.messages).where(
                    s.messages.c.id == target, s.messages.c.user_id == user_id).values(
                    content="(forgotten at their request)", meta=meta))

    def count_messages(self, user_id: int, conversation_id: int) -> int:
        rows = self._read(select(func.count()).select_from(s.messages).where(
            s.messages.c.user_id == user_id, s.messages.c.conversation_id == conversation_id))
        return int(rows[0][0])

    # -- summaries -----------------------------------------------------------------------
    def latest_summary(self, user_id: int, conversation_id: int) -> Summary | None:
        rows = self._read(select(s.summaries).where(
            s.summaries.c.user_id == user_id, s.summaries.c.conversation_id == conversation_id)
            .order_by(s.summaries.c.upto_message_id.desc()).limit(1))
        if not rows:
            return None
        return Summary(rows[0].upto_message_id, rows[0].content, rows[0].method)

    def add_summary(self, user_id: int, conversation_id: int, *, upto_message_id: int,
                    content: str, method: str) -> None:
        with self._tx() as conn:
            conn.execute(s.summaries.insert().values(
                user_id=user_id, conversation_id=conversation_id, upto_message_id=upto_message_id,
                content=content, method=method, created_at=self.clock.now()))
