"""The memory repository: episodes, memories, their vectors and full-text entries.

Like ``os1.store.Store``, every call takes the owner's id and every statement filters on it.
Deleting a memory removes its row, its vector (foreign-key cascade), its full-text entry
(SQLite: trigger, same transaction; PostgreSQL: an expression index, which follows the row)
and its reflection links; SQLite zeroes freed pages (``secure_delete``), so forgotten text
doesn't linger in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, select, text, update

from os1.store import Store
from os1.store import schema as s
from os1.store.repos import _aware, storable

KINDS = ("fact", "person", "preference", "plan", "event", "feeling", "reflection", "moment")


@dataclass(frozen=True)
class Memory:
    id: int
    kind: str
    about: str
    topic: str
    content: str
    importance: float
    happens_at: datetime | None
    date_text: str | None
    learned_at: datetime
    last_seen_at: datetime
    times_seen: int
    valid: bool
    invalid_at: datetime | None
    invalid_reason: str | None
    superseded_by: int | None
    episode_id: int | None
    message_id: int | None
    origin: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Episode:
    id: int
    conversation_id: int
    message_id: int
    reply_id: int | None
    occurred_at: datetime
    status: str
    attempts: int
    last_error: str | None


def utc(value: Any) -> Any:
    """Times are stored in UTC: SQLite keeps no offset, so a local time would shift."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _memory(row: Any) -> Memory:
    return Memory(
        id=row.id, kind=row.kind, about=row.about, topic=row.topic, content=row.content,
        importance=float(row.importance), happens_at=_aware(row.happens_at),
        date_text=row.date_text, learned_at=_aware(row.learned_at) or row.learned_at,
        last_seen_at=_aware(row.last_seen_at) or row.last_seen_at, times_seen=row.times_seen,
        valid=bool(row.valid), invalid_at=_aware(row.invalid_at),
        invalid_reason=row.invalid_reason, superseded_by=row.superseded_by,
        episode_id=row.episode_id, message_id=row.message_id, origin=row.origin)


_WORD = re.compile(r"[\w']+", re.UNICODE)
_STOP = frozenset(str.split("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each even ever every few for from further get gets getting got
had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just know let's
like made make many may me might more most much must mustn't my myself never no nor not now of
off on once one only or other ought our ours ourselves out over own really remember said same
say says shall shan't she she'd she'll she's should shouldn't since so some still such tell than
that that's the their theirs them themselves then there there's these they they'd they'll
they're they've thing things think this those though through to told too under until up upon us
very was wasn't we we'd we'll we're we've well were weren't what what's when when's where
where's whether which while who who's whom why why's will with won't would wouldn't yes yet you
you'd you'll you're you've your yours yourself yourselves again ago anyway ok okay oh yeah
"""))


def keyword_terms(query: str) -> list[str]:
    """The words of a query worth matching (lowercase, no stop words, no duplicates)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        word = word.strip("'")
        if len(word) > 1 and word not in _STOP:
            seen.setdefault(word, None)
    return list(seen)[:24]


class MemoryStore:
    """Memories of every person in one database, each reachable only with its owner's id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.clock = store.clock

    # -- episodes ------------------------------------------------------------------------
    def enqueue_episodes(self, user_id: int, conversation_id: int) -> int:
        """Make an episode of every message the person sent that has none yet.

        Scanning for them (instead of adding one per reply) means a crash between a reply
        and its episode loses nothing: the next scan finds the message.
        """
        last = self.store._read(select(func.max(s.episodes.c.message_id)).where(
            s.episodes.c.user_id == user_id, s.episodes.c.conversation_id == conversation_id))
        after = int(last[0][0] or 0)
        rows = self.store._read(select(s.messages.c.id, s.messages.c.created_at).where(
            s.messages.c.user_id == user_id, s.messages.c.conversation_id == conversation_id,
            s.messages.c.role == "user", s.messages.c.id > after).order_by(s.messages.c.id))
        if not rows:
            return 0
        with self.store._tx() as conn:
            for row in rows:
                conn.execute(s.episodes.insert().values(
                    user_id=user_id, conversation_id=conversation_id, message_id=row.id,
                    occurred_at=row.created_at, status="pending", attempts=0, learned=0))
        return len(rows)

    def next_episode(self, user_id: int, now: datetime) -> Episode | None:
        rows = self.store._read(select(s.episodes).where(
            s.episodes.c.user_id == user_id, s.episodes.c.status.in_(("pending", "failing")),
            (s.episodes.c.next_try_at.is_(None)) | (s.episodes.c.next_try_at <= now))
            .order_by(s.episodes.c.id).limit(1))
        if not rows:
            return None
        r = rows[0]
        return Episode(r.id, r.conversation_id, r.message_id, r.reply_id,
                       _aware(r.occurred_at) or r.occurred_at, r.status, r.attempts, r.last_error)

    def episode_messages(self, user_id: int, episode: Episode) -> tuple[str, str | None, int | None]:
        """The person's words and the companion's reply to them (if there is one yet)."""
        said = self.store._read(select(s.messages.c.content).where(
            s.messages.c.user_id == user_id, s.messages.c.id == episode.message_id))
        replies = self.store._read(select(s.messages.c.id, s.messages.c.content, s.messages.c.role,
                                          s.messages.c.meta).where(
            s.messages.c.user_id == user_id, s.messages.c.conversation_id == episode.conversation_id,
            s.messages.c.id > episode.message_id).order_by(s.messages.c.id).limit(4))
        reply = next((r for r in replies if r.role == "assistant"
                      and (r.meta or {}).get("reply_to") == episode.message_id), None)
        return (said[0][0] if said else "", reply.content if reply else None,
                reply.id if reply else None)

    def finish_episode(self, user_id: int, episode_id: int, *, status: str, learned: int = 0,
                       reply_id: int | None = None) -> None:
        with self.store._tx() as conn:
            conn.execute(update(s.episodes).where(
                s.episodes.c.user_id == user_id, s.episodes.c.id == episode_id).values(
                status=status, learned=learned, reply_id=reply_id, done_at=self.clock.now(),
                last_error=None, next_try_at=None))

    def fail_episode(self, user_id: int, episode_id: int, *, error: str,
                     retry_at: datetime) -> None:
        """Count a failed attempt and keep the episode for later; it is never dropped."""
        with self.store._tx() as conn:
            conn.execute(update(s.episodes).where(
                s.episodes.c.user_id == user_id, s.episodes.c.id == episode_id).values(
                status="failing", attempts=s.episodes.c.attempts + 1, last_error=error[:500],
                next_try_at=retry_at))

    def retry_failing(self, user_id: int) -> int:
        with self.store._tx() as conn:
            result = conn.execute(update(s.episodes).where(
                s.episodes.c.user_id == user_id, s.episodes.c.status == "failing")
                .values(next_try_at=None))
            return int(result.rowcount or 0)

    def skip_episodes_for(self, user_id: int, message_ids: list[int]) -> None:
        """Never learn from these messages (the person asked to forget them)."""
        if not message_ids:
            return
        with self.store._tx() as conn:
            conn.execute(update(s.episodes).where(
                s.episodes.c.user_id == user_id, s.episodes.c.message_id.in_(message_ids))
                .values(status="skipped", done_at=self.clock.now()))

    def episode_counts(self, user_id: int) -> dict[str, int]:
        rows = self.store._read(select(s.episodes.c.status, func.count(),
                                       func.coalesce(func.sum(s.episodes.c.attempts), 0))
                                .where(s.episodes.c.user_id == user_id)
                                .group_by(s.episodes.c.status))
        counts = {row[0]: int(row[1]) for row in rows}
        counts["failed_attempts"] = sum(int(row[2]) for row in rows)
        return counts

    def last_episode_before(self, user_id: int, conversation_id: int,
                            message_id: int) -> Episode | None:
        rows = self.store._read(select(s.episodes).where(
            s.episodes.c.user_id == user_id, s.episodes.c.conversation_id == conversation_id,
            s.episodes.c.message_id < message_id).order_by(s.episodes.c.message_id.desc()).limit(1))
        if not rows:
            return None
        r = rows[0]
        return Episode(r.id, r.conversation_id, r.message_id, r.reply_id,
                       _aware(r.occurred_at) or r.occurred_at, r.status, r.attempts, r.last_error)

    # -- memories ------------------------------------------------------------------------
    def add(self, user_id: int, *, kind: str, content: str, vector: np.ndarray | None = None,
            model: str = "", about: str = "", topic: str = "", importance: float = 0.5,
            happens_at: datetime | None = None, date_text: str | None = None,
            learned_at: datetime | None = None, episode_id: int | None = None,
            message_id: int | None = None, origin: str = "extracted",
            sources: list[int] | None = None, valid: bool = True,
            invalid_at: datetime | None = None, invalid_reason: str | None = None,
            times_seen: int = 1) -> int:
        if kind not in KINDS:
            raise ValueError(f"unknown memory kind {kind!r}")
        learned_at = utc(learned_at or self.clock.now())
        happens_at, invalid_at = utc(happens_at), utc(invalid_at)
        with self.store._tx() as conn:
            result = conn.execute(s.memories.insert().values(
                user_id=user_id, kind=kind, about=storable(about[:200]),
                topic=storable(topic[:200]), content=storable(content),
                importance=max(0.0, min(1.0, importance)), happens_at=happens_at,
                date_text=(date_text or None) and date_text[:200], learned_at=learned_at,
                last_seen_at=learned_at, times_seen=times_seen, valid=valid,
                invalid_at=invalid_at, invalid_reason=invalid_reason, episode_id=episode_id,
                message_id=message_id, origin=origin))
            memory_id = int(result.inserted_primary_key[0])
            if vector is not None:
                conn.execute(s.memory_vectors.insert().values(
                    memory_id=memory_id, user_id=user_id, model=model,
                    vector=np.asarray(vector, dtype=np.float32).tobytes()))
            for source in sources or []:
                owned = conn.execute(select(s.memories.c.id).where(
                    s.memories.c.id == source, s.memories.c.user_id == user_id)).first()
                if owned is not None:
                    conn.execute(s.memory_sources.insert().values(
                        reflection_id=memory_id, memory_id=source, user_id=user_id))
        return memory_id

    def get(self, user_id: int, memory_id: int) -> Memory | None:
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.id == memory_id))
        return _memory(rows[0]) if rows else None

    def many(self, user_id: int, ids: list[int]) -> dict[int, Memory]:
        if not ids:
            return {}
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.id.in_(ids)))
        return {row.id: _memory(row) for row in rows}

    def find(self, user_id: int, *, kinds: tuple[str, ...] | None = None,
             include_invalid: bool = False, limit: int | None = None, offset: int = 0,
             newest_first: bool = True) -> list[Memory]:
        stmt = select(s.memories).where(s.memories.c.user_id == user_id)
        if kinds:
            stmt = stmt.where(s.memories.c.kind.in_(kinds))
        if not include_invalid:
            stmt = stmt.where(s.memories.c.valid.is_(True))
        order = s.memories.c.id.desc() if newest_first else s.memories.c.id.asc()
        stmt = stmt.order_by(order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_memory(row) for row in self.store._read(stmt)]

    def count(self, user_id: int, *, kinds: tuple[str, ...] | None = None,
              include_invalid: bool = True) -> int:
        stmt = select(func.count()).select_from(s.memories).where(s.memories.c.user_id == user_id)
        if kinds:
            stmt = stmt.where(s.memories.c.kind.in_(kinds))
        if not include_invalid:
            stmt = stmt.where(s.memories.c.valid.is_(True))
        return int(self.store._read(stmt)[0][0])

    def happening_between(self, user_id: int, start: datetime, end: datetime) -> list[Memory]:
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.valid.is_(True),
            s.memories.c.happens_at >= start, s.memories.c.happens_at < end,
            s.memories.c.kind.in_(("plan", "event")))
            .order_by(s.memories.c.importance.desc(), s.memories.c.happens_at).limit(20))
        return [_memory(row) for row in rows]

    def names_for(self, user_id: int, relations: list[str]) -> list[str]:
        """Who the person's sister, boss, dog… is (from person memories), for recall."""
        if not relations:
            return []
        rows = self.store._read(select(s.memories.c.about).where(
            s.memories.c.user_id == user_id, s.memories.c.kind == "person",
            s.memories.c.valid.is_(True), func.lower(s.memories.c.topic).in_(relations))
            .distinct().limit(12))
        return [row[0] for row in rows if row[0]]

    def in_slot(self, user_id: int, about: str, topic: str) -> list[Memory]:
        """Valid memories about the same thing (e.g. about 'Theodore', topic 'home city')."""
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.valid.is_(True),
            func.lower(s.memories.c.about) == about.lower(),
            func.lower(s.memories.c.topic) == topic.lower()))
        return [_memory(row) for row in rows]

    def reinforce(self, user_id: int, memory_id: int, *, seen_at: datetime,
                  importance: float | None = None) -> None:
        values: dict[str, Any] = {"times_seen": s.memories.c.times_seen + 1,
                                  "last_seen_at": seen_at}
        if importance is not None:
            values["importance"] = func.max(s.memories.c.importance, importance) \
                if self.engine.dialect.name == "sqlite" else \
                func.greatest(s.memories.c.importance, importance)
        with self.store._tx() as conn:
            conn.execute(update(s.memories).where(
                s.memories.c.user_id == user_id, s.memories.c.id == memory_id).values(**values))

    def supersede(self, user_id: int, old_id: int, *, new_id: int, at: datetime,
                  reason: str) -> None:
        """Mark ``old_id`` no longer valid, saying when, why and by what. Nothing is deleted."""
        with self.store._tx() as conn:
            conn.execute(update(s.memories).where(
                s.memories.c.user_id == user_id, s.memories.c.id == old_id).values(
                valid=False, invalid_at=utc(at), invalid_reason=reason[:500], superseded_by=new_id))

    def edit(self, user_id: int, memory_id: int, *, content: str, vector: np.ndarray | None,
             model: str = "") -> bool:
        with self.store._tx() as conn:
            result = conn.execute(update(s.memories).where(
                s.memories.c.user_id == user_id, s.memories.c.id == memory_id).values(
                content=storable(content), origin="told", last_seen_at=self.clock.now()))
            if not result.rowcount:
                return False
            conn.execute(delete(s.memory_vectors).where(
                s.memory_vectors.c.user_id == user_id, s.memory_vectors.c.memory_id == memory_id))
            if vector is not None:
                conn.execute(s.memory_vectors.insert().values(
                    memory_id=memory_id, user_id=user_id, model=model,
                    vector=np.asarray(vector, dtype=np.float32).tobytes()))
        return True

    def delete(self, user_id: int, ids: list[int]) -> list[int]:
        """Delete these memories for good (row, vector, full-text entry, reflection links)."""
        if not ids:
            return []
        with self.store._tx() as conn:
            owned = [row[0] for row in conn.execute(select(s.memories.c.id).where(
                s.memories.c.user_id == user_id, s.memories.c.id.in_(ids)))]
            if owned:
                conn.execute(delete(s.memory_sources).where(
                    s.memory_sources.c.user_id == user_id,
                    (s.memory_sources.c.memory_id.in_(owned))
                    | (s.memory_sources.c.reflection_id.in_(owned))))
                conn.execute(delete(s.memory_vectors).where(
                    s.memory_vectors.c.user_id == user_id, s.memory_vectors.c.memory_id.in_(owned)))
                # What a forgotten memory replaced is current again, and the note of the
                # replacement (which quoted the forgotten text) goes with it.
                conn.execute(update(s.memories).where(
                    s.memories.c.user_id == user_id, s.memories.c.superseded_by.in_(owned))
                    .values(superseded_by=None, valid=True, invalid_at=None, invalid_reason=None))
                conn.execute(delete(s.memories).where(
                    s.memories.c.user_id == user_id, s.memories.c.id.in_(owned)))
        return owned

    def reflections_citing(self, user_id: int, ids: list[int]) -> list[int]:
        if not ids:
            return []
        rows = self.store._read(select(s.memory_sources.c.reflection_id).where(
            s.memory_sources.c.user_id == user_id, s.memory_sources.c.memory_id.in_(ids)).distinct())
        return [row[0] for row in rows]

    def sources_of(self, user_id: int, reflection_id: int) -> list[int]:
        rows = self.store._read(select(s.memory_sources.c.memory_id).where(
            s.memory_sources.c.user_id == user_id, s.memory_sources.c.reflection_id == reflection_id))
        return [row[0] for row in rows]

    def from_messages(self, user_id: int, message_ids: list[int]) -> list[int]:
        """Memories learned from these messages (directly or through their episodes)."""
        if not message_ids:
            return []
        episode_ids = select(s.episodes.c.id).where(
            s.episodes.c.user_id == user_id, s.episodes.c.message_id.in_(message_ids))
        rows = self.store._read(select(s.memories.c.id).where(
            s.memories.c.user_id == user_id,
            (s.memories.c.message_id.in_(message_ids)) | (s.memories.c.episode_id.in_(episode_ids))))
        return [row[0] for row in rows]

    def since(self, user_id: int, after_id: int, *, kinds: tuple[str, ...]) -> list[Memory]:
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.id > after_id,
            s.memories.c.valid.is_(True), s.memories.c.kind.in_(kinds)).order_by(s.memories.c.id))
        return [_memory(row) for row in rows]

    def last_id(self, user_id: int, *, kinds: tuple[str, ...]) -> int:
        rows = self.store._read(select(func.max(s.memories.c.id)).where(
            s.memories.c.user_id == user_id, s.memories.c.kind.in_(kinds)))
        return int(rows[0][0] or 0)

    # -- search --------------------------------------------------------------------------
    def keyword_search(self, user_id: int, query: str, *, limit: int = 50,
                       include_invalid: bool = False) -> list[tuple[int, float]]:
        """(memory id, strength) by full-text match, best first; strength > 0, larger is better."""
        terms = keyword_terms(query)
        if not terms:
            return []
        if self.engine.dialect.name == "sqlite":
            # Words only in the text columns; the owner is checked on the matching rows
            # (measured faster than intersecting the owner token for one person's store).
            words = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
            valid = "" if include_invalid else " AND m.valid = 1"
            sql = text("SELECT m.id, -bm25(memories_fts, 1.0, 0.5, 0.5, 0.0) AS score "
                       "FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid "
                       f"WHERE memories_fts MATCH :match AND m.user_id = :user{valid} "
                       "ORDER BY bm25(memories_fts, 1.0, 0.5, 0.5, 0.0) LIMIT :limit")
            params: dict[str, Any] = {"match": f"{{content about topic}}: ({words})",
                                      "user": user_id, "limit": limit}
        else:
            # Each word is its own bound parameter, made a query by phraseto_tsquery (which
            # accepts any text: no operator in the person's words can break the query) and
            # OR-ed with the others, like the SQLite branch. The tsvector expression is the
            # one the GIN index of migration 2 was built on, so the index answers it.
            words = " || ".join(f"phraseto_tsquery('english', :w{i})" for i in range(len(terms)))
            valid = "" if include_invalid else " AND m.valid"
            sql = text("SELECT m.id, ts_rank(to_tsvector('english', m.content || ' ' || m.about "
                       f"|| ' ' || m.topic), q.query) AS score FROM memories m, (SELECT {words} "
                       "AS query) q WHERE to_tsvector('english', m.content || ' ' || m.about "
                       f"|| ' ' || m.topic) @@ q.query AND m.user_id = :user{valid} "
                       "ORDER BY score DESC, m.id DESC LIMIT :limit")
            params = {f"w{i}": term for i, term in enumerate(terms)}
            params.update(user=user_id, limit=limit)
        return [(int(row[0]), float(row[1])) for row in self.store._read(sql.bindparams(**params))]

    def vectors(self, user_id: int, model: str, *, after_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids, matrix) of this person's stored vectors made by ``model``."""
        rows = self.store._read(select(s.memory_vectors.c.memory_id, s.memory_vectors.c.vector).where(
            and_(s.memory_vectors.c.user_id == user_id, s.memory_vectors.c.model == model,
                 s.memory_vectors.c.memory_id > after_id)).order_by(s.memory_vectors.c.memory_id))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
        return ids, matrix.reshape(len(rows), -1).copy()

    def missing_vectors(self, user_id: int, model: str, limit: int = 256) -> list[Memory]:
        has = select(s.memory_vectors.c.memory_id).where(
            s.memory_vectors.c.user_id == user_id, s.memory_vectors.c.model == model)
        rows = self.store._read(select(s.memories).where(
            s.memories.c.user_id == user_id, s.memories.c.id.not_in(has))
            .order_by(s.memories.c.id).limit(limit))
        return [_memory(row) for row in rows]

    def set_vector(self, user_id: int, memory_id: int, vector: np.ndarray, model: str) -> None:
        with self.store._tx() as conn:
            conn.execute(delete(s.memory_vectors).where(
                s.memory_vectors.c.user_id == user_id, s.memory_vectors.c.memory_id == memory_id))
            conn.execute(s.memory_vectors.insert().values(
                memory_id=memory_id, user_id=user_id, model=model,
                vector=np.asarray(vector, dtype=np.float32).tobytes()))

    def optimize_fulltext(self) -> None:
        """Merge the full-text index so deleted entries leave its segments now, not later."""
        if self.engine.dialect.name == "sqlite":
            with self.store._tx() as conn:
                conn.exec_driver_sql("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")

    def set_superseded_by(self, user_id: int, memory_id: int, by: int) -> None:
        with self.store._tx() as conn:
            conn.execute(update(s.memories).where(
                s.memories.c.user_id == user_id, s.memories.c.id == memory_id)
                .values(superseded_by=by))

    def link_sources(self, user_id: int, reflection_id: int, sources: list[int]) -> None:
        with self.store._tx() as conn:
            for source in sources:
                conn.execute(s.memory_sources.insert().values(
                    reflection_id=reflection_id, memory_id=source, user_id=user_id))
