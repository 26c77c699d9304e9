"""One person's memory: what the loop calls to learn, recall and forget.

Built per person from injected parts (the store, an embedder or None, the clock), so a
server can hold many. Nothing here runs on the reply path except ``recall`` (a few
milliseconds) and ``note_exchange`` (after the reply, one embedding and one insert).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from os1.clock import Clock
from os1.errors import BackendError
from os1.llm.base import ChatBackend
from os1.memory.embed import Embedder
from os1.memory.extract import (
    ExtractionFailed,
    Learned,
    annotate_dates,
    extract,
    worth_learning,
)
from os1.memory.people import notice_people
from os1.memory.retrieve import Hit, Retriever
from os1.memory.store import Episode, Memory, MemoryStore
from os1.persona.model import Persona
from os1.store import Store

log = logging.getLogger(__name__)

DUPLICATE = 0.92  # cosine above which a new memory is the old one said again
SLOT_KINDS = ("fact", "person", "preference", "plan")  # a new value replaces the old one
RECALL_ITEMS = 3  # every line is prompt the person waits for before the first word
RECALL_MIN_SCORE = 0.38
CONTEXT_CHARS = 260  # how much of the person's own words a note quotes
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1),
               timedelta(hours=6), timedelta(days=1))
RECALL_HEADER = "(Private notes from your memory: use them only if they help; never quote them.)"


@dataclass
class RecallBlock:
    text: str
    memory_ids: list[int]
    lines: list[str] = field(default_factory=list)


def _short_date(value: datetime) -> str:
    local = value.astimezone()
    return f"{local:%a} {local.day} {local:%b %Y}"


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def passages(text: str, *, words: int = 20) -> list[str]:
    """A message cut into passages of a sentence or two: one long message mixes many things,
    and one embedding of all of it matches none of them well."""
    sentences = [part.strip() for part in _SENTENCE.split(text.strip()[:4000]) if part.strip()]
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence]).split()) > words:
            out.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        out.append(" ".join(current))
    merged: list[str] = []
    for passage in out:  # a lone "Anyway." is no memory
        if merged and len(passage.split()) < 4:
            merged[-1] += " " + passage
        else:
            merged.append(passage)
    return merged[:12]


def render_line(memory: Memory, user: str) -> str:
    """One short line per memory: the note is read before the reply can start."""
    if memory.kind == "moment":
        said = memory.content.strip().replace("\n", " ")
        if len(said) > CONTEXT_CHARS + 2:
            said = said[:CONTEXT_CHARS - 1] + "…"
        said = annotate_dates(said, said_at=memory.learned_at)
        return f"- {_day(memory.learned_at)} {user}: \"{said}\""
    line = f"- {_day(memory.learned_at)} {memory.content}"
    if memory.happens_at is not None:
        line += f" (on {_short_date(memory.happens_at)})"
    if not memory.valid and memory.invalid_at is not None:
        line += f" (until {_day(memory.invalid_at)})"
    return line


def _day(value: datetime) -> str:
    local = value.astimezone()
    return f"{local.day} {local:%b %Y}"


class MemoryService:
    def __init__(self, store: Store, clock: Clock, *, user_id: int, persona: Persona,
                 embedder: Embedder | None, embedder_problem: str | None = None) -> None:
        self.store = store
        self.memories = MemoryStore(store)
        self.clock = clock
        self.user_id = user_id
        self.persona = persona
        self.embedder = embedder
        self.embedder_problem = embedder_problem
        self.retriever = Retriever(self.memories, user_id, embedder)
        self._told_about_embedder = False

    @property
    def user(self) -> str:
        return self.persona.user_name

    def take_notice(self) -> str | None:
        """Something the person should hear once (e.g. semantic recall is unavailable)."""
        if self.embedder is None and not self._told_about_embedder:
            self._told_about_embedder = True
            return self.embedder_problem or "Semantic recall is off; I recall memories by their words."
        return None

    # -- writing ---------------------------------------------------------------------------
    def _vector(self, text: str) -> Any:
        vectors = self.retriever.embed([text])
        return None if vectors is None else vectors[0]

    def add(self, *, kind: str, content: str, **fields: Any) -> int:
        vector = self._vector(content)
        model = self.embedder.name if self.embedder else ""
        memory_id = self.memories.add(self.user_id, kind=kind, content=content, vector=vector,
                                      model=model, **fields)
        if vector is not None and self.retriever.index is not None:
            self.retriever.index.add(memory_id, vector)
        return memory_id

    def note_exchange(self, conversation_id: int, message_id: int, text: str,
                      at: datetime) -> None:
        """After a reply: keep the person's own words (recallable at once, even before the
        model has learned anything from them) and queue the exchange for learning."""
        if worth_learning(text) and not self.memories.from_messages(self.user_id, [message_id]):
            for passage in passages(text):
                self.add(kind="moment", content=passage, importance=0.3, learned_at=at,
                         message_id=message_id, origin="moment", about=self.user)
            for relation, name in notice_people(text):
                if not self.memories.in_slot(self.user_id, name, relation):
                    self.add(kind="person", content=f"{name} is {self.user}'s {relation}.",
                             about=name, topic=relation, importance=0.6, learned_at=at,
                             message_id=message_id, origin="noticed")
        self.memories.enqueue_episodes(self.user_id, conversation_id)

    def integrate(self, learned: list[Learned], *, episode: Episode) -> list[int]:
        """Store what was learned: repeats reinforce, contradictions supersede (both kept)."""
        added: list[int] = []
        for item in learned:
            vector = self._vector(item.content)
            duplicate = self._duplicate_of(item, vector)
            if duplicate is not None:
                self.memories.reinforce(self.user_id, duplicate.id, seen_at=episode.occurred_at,
                                        importance=item.importance)
                continue
            old = self.memories.in_slot(self.user_id, item.about, item.topic) \
                if item.topic and item.kind in SLOT_KINDS else []
            memory_id = self.memories.add(
                self.user_id, kind=item.kind, content=item.content, vector=vector,
                model=self.embedder.name if self.embedder else "", about=item.about,
                topic=item.topic, importance=item.importance, happens_at=item.happens_at,
                date_text=item.date_text, learned_at=episode.occurred_at, episode_id=episode.id,
                message_id=episode.message_id, origin="extracted")
            if vector is not None and self.retriever.index is not None:
                self.retriever.index.add(memory_id, vector)
            for previous in old:
                self.memories.supersede(
                    self.user_id, previous.id, new_id=memory_id, at=episode.occurred_at,
                    reason=f"{self.user} said on {_short_date(episode.occurred_at)}: "
                           f"{item.content}")
            added.append(memory_id)
        return added

    def _duplicate_of(self, item: Learned, vector: Any) -> Memory | None:
        same_slot = self.memories.in_slot(self.user_id, item.about, item.topic) if item.topic else []
        for memory in same_slot:
            if memory.content.strip().lower() == item.content.strip().lower():
                return memory
        if vector is None or self.retriever.index is None:
            return None
        for memory_id, similarity in self.retriever.index.search(vector, 5):
            if similarity < DUPLICATE:
                break
            found = self.memories.get(self.user_id, memory_id)
            if found and found.valid and found.kind == item.kind:
                return found
        return None

    # -- learning ----------------------------------------------------------------------------
    async def learn_next(self, backend: ChatBackend) -> Episode | None:
        """Learn from the oldest waiting episode. Returns it, or None if nothing is waiting.

        A failure (bad JSON, a timeout, a dead backend) is counted and the episode is kept
        for a later retry. Cancellation (the person started typing) leaves it pending.
        """
        now = self.clock.now()
        episode = self.memories.next_episode(self.user_id, now)
        if episode is None:
            return None
        said, reply, reply_id = self.memories.episode_messages(self.user_id, episode)
        if not worth_learning(said):
            self.memories.finish_episode(self.user_id, episode.id, status="skipped",
                                         reply_id=reply_id)
            return episode
        try:
            learned = await extract(backend, user=self.user, companion=self.persona.name,
                                    said=said, reply=reply, at=episode.occurred_at)
        except (ExtractionFailed, BackendError) as exc:
            error = exc.what if isinstance(exc, BackendError) else str(exc)
            wait = RETRY_AFTER[min(episode.attempts, len(RETRY_AFTER) - 1)]
            log.info("memory: episode %s not learned yet (%s); retry in %s", episode.id, error, wait)
            self.memories.fail_episode(self.user_id, episode.id, error=error, retry_at=now + wait)
            return episode
        added = self.integrate(learned, episode=episode)
        self.memories.finish_episode(self.user_id, episode.id, status="done", learned=len(added),
                                     reply_id=reply_id)
        return episode

    # -- recall ------------------------------------------------------------------------------
    def recall(self, query: str, *, limit: int = 8, include_invalid: bool | None = None,
               exclude: set[int] | None = None, min_score: float = 0.0) -> list[Hit]:
        return self.retriever.search(query, now=self.clock.now(), limit=limit, exclude=exclude,
                                     include_invalid=include_invalid, min_score=min_score)

    def recall_block(self, query: str, *, shown_messages: set[int],
                     shown_memories: set[int]) -> RecallBlock | None:
        """What to put in front of the model for this message: memories it doesn't already
        have in view (neither recalled earlier in the window nor from visible messages)."""
        hits = self.recall(query, limit=RECALL_ITEMS * 2, exclude=shown_memories,
                           min_score=RECALL_MIN_SCORE)
        chosen: list[Memory] = []
        learned_from = {hit.memory.message_id for hit in hits if hit.memory.kind != "moment"}
        for hit in hits:
            memory = hit.memory
            if memory.message_id is not None and memory.message_id in shown_messages:
                continue
            if memory.kind == "moment" and memory.message_id in learned_from:
                continue  # the fact learned from it says it better
            chosen.append(memory)
            if len(chosen) == RECALL_ITEMS:
                break
        if not chosen:
            return None
        chosen.sort(key=lambda m: m.learned_at)  # oldest first: what was said last is current
        return self._block(chosen)

    def _block(self, memories: list[Memory]) -> RecallBlock:
        lines = [render_line(self._in_context(memory), self.user) for memory in memories]
        return RecallBlock("\n".join([RECALL_HEADER, *lines]), [m.id for m in memories], lines)

    def _in_context(self, memory: Memory) -> Memory:
        """A passage with the sentences around it: the name that answers a question is often
        one sentence away from the words that matched it."""
        if memory.kind != "moment" or memory.message_id is None:
            return memory
        said = self.store.message_text(self.user_id, memory.message_id)
        if said is None:
            return memory
        whole = " ".join(said.split())
        if len(whole) <= CONTEXT_CHARS:
            return replace(memory, content=whole)
        at = max(0, whole.find(memory.content[:40]))
        start = max(0, at - (CONTEXT_CHARS - len(memory.content)) // 2)
        excerpt = whole[start:start + CONTEXT_CHARS]
        return replace(memory, content=("…" if start else "") + excerpt
                       + ("…" if start + CONTEXT_CHARS < len(whole) else ""))

    def around_now(self, *, shown_memories: set[int], days_back: int = 4,
                   days_ahead: int = 2) -> RecallBlock | None:
        """Plans and events from the last few days or coming up: what a friend would ask
        about first ("How did the dinner with Amy go?")."""
        now = self.clock.now()
        memories = [m for m in self.memories.happening_between(
            self.user_id, now - timedelta(days=days_back), now + timedelta(days=days_ahead))
            if m.id not in shown_memories][:RECALL_ITEMS]
        if not memories:
            return None
        return self._block(memories)

    def overview(self, limit: int = 14) -> list[Memory]:
        """What it knows about the person, most important and most confirmed first."""
        memories = self.memories.find(self.user_id, kinds=(
            "fact", "person", "preference", "plan", "event", "feeling", "reflection"), limit=500)
        memories.sort(key=lambda m: (m.importance + 0.1 * min(m.times_seen, 5)
                                     + (0.2 if m.kind == "reflection" else 0)), reverse=True)
        return memories[:limit]

    def correct(self, memory_id: int, content: str) -> None:
        """Replace a memory's text; it is found by the new words and meaning from now on."""
        vectors = self.retriever.embed([content])
        self.memories.edit(self.user_id, memory_id, content=content,
                           vector=None if vectors is None else vectors[0],
                           model=self.embedder.name if self.embedder else "")

    # -- forgetting --------------------------------------------------------------------------
    def forget(self, ids: list[int]) -> list[int]:
        """Delete for good, with every reflection drawn from them and every recall note in the
        conversation that showed them. Returns the ids deleted (reflections included)."""
        ids = [i for i in ids if self.memories.get(self.user_id, i) is not None]
        if not ids:
            return []
        reflections = self.memories.reflections_citing(self.user_id, ids)
        deleted = self.memories.delete(self.user_id, sorted(set(ids) | set(reflections)))
        if self.retriever.index is not None:
            self.retriever.index.remove(deleted)
        self._scrub_recall_notes(set(deleted))
        self.memories.optimize_fulltext()
        return deleted

    def forget_messages(self, message_ids: list[int]) -> list[int]:
        """Forget what was learned from these messages and never learn from them again."""
        self.memories.skip_episodes_for(self.user_id, message_ids)
        return self.forget(self.memories.from_messages(self.user_id, message_ids))

    def _scrub_recall_notes(self, deleted: set[int]) -> None:
        """Recall notes are stored in the conversation; rewrite those that showed a deleted
        memory (or drop them if nothing is left), so the prompt can't carry it on."""
        for note in self.store.notes(self.user_id, source="memory"):
            ids = list(note.meta.get("memory_ids", []))
            if not deleted.intersection(ids):
                continue
            lines = list(note.meta.get("lines", []))
            kept = [(i, line) for i, line in zip(ids, lines, strict=False) if i not in deleted]
            if not kept:
                self.store.delete_message(self.user_id, note.id)
                continue
            meta = {**note.meta, "memory_ids": [i for i, _ in kept],
                    "lines": [line for _, line in kept]}
            self.store.finish_message(
                self.user_id, note.id, status=note.status, meta=meta,
                content="\n".join([RECALL_HEADER, *(line for _, line in kept)]))

    # -- repair ------------------------------------------------------------------------------
    def backfill_vectors(self, limit: int = 512) -> int:
        """Embed memories stored while the embedder was missing (or made by another one)."""
        if self.embedder is None:
            return 0
        missing = self.memories.missing_vectors(self.user_id, self.embedder.name, limit=limit)
        if not missing:
            return 0
        vectors = self.embedder.embed([m.content for m in missing])
        for memory, vector in zip(missing, vectors, strict=True):
            self.memories.set_vector(self.user_id, memory.id, vector, self.embedder.name)
        return len(missing)


_FORGET_THAT = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?forget\s+(?:that|it|this|what i (?:just )?said|"
    r"what i (?:just )?told you|i said that)\s*(?:please)?[.!]*\s*$", re.I)
_FORGET_ABOUT = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?forget\s+(?:everything\s+)?(?:about\s+)(.{2,80}?)"
    r"\s*(?:please)?[.!?]*\s*$", re.I)
_WHAT_DO_YOU_KNOW = re.compile(
    r"\bwhat\s+(?:do|did)\s+you\s+(?:know|remember)\s+about\s+me\b|\bwhat\s+have\s+you\s+learned"
    r"\s+about\s+me\b|\bwhat\s+do\s+you\s+remember\s+about\s+me\b", re.I)


def memory_intent(text: str) -> tuple[str, str] | None:
    """('forget_last', '') / ('forget_about', topic) / ('overview', '') or None."""
    if _FORGET_THAT.match(text):
        return "forget_last", ""
    match = _FORGET_ABOUT.match(text)
    if match:
        return "forget_about", match.group(1).strip(" '\"")
    if _WHAT_DO_YOU_KNOW.search(text):
        return "overview", ""
    return None
