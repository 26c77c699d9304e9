"""Export and import: the person's memories as JSON they can read, and back again.

Import of an export round-trips: the same memories, with their history (what superseded
what, which memories a reflection rests on), and importing the same file twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from os1.errors import InputError
from os1.memory.service import MemoryService
from os1.memory.store import utc

FORMAT = "os1-memory-export"
VERSION = 1


def export(memory: MemoryService) -> dict[str, Any]:
    items = []
    for m in memory.memories.find(memory.user_id, include_invalid=True, newest_first=False):
        entry = m.as_dict()
        for key in ("episode_id", "message_id"):
            entry.pop(key)
        if m.kind == "reflection":
            entry["sources"] = memory.memories.sources_of(memory.user_id, m.id)
        items.append(entry)
    return {"format": FORMAT, "version": VERSION, "person": memory.user,
            "companion": memory.persona.name, "exported_at": memory.clock.now().isoformat(),
            "memories": items}


class ExportedMemory(BaseModel):
    """One memory as exported; checked whole before anything is imported."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    kind: Literal["fact", "person", "preference", "plan", "event", "feeling", "reflection",
                  "moment"]
    content: str = Field(min_length=1, max_length=20_000)
    about: str = ""
    topic: str = ""
    importance: float = Field(default=0.5, ge=0, le=1)
    happens_at: datetime | None = None
    date_text: str | None = None
    learned_at: datetime | None = None
    times_seen: int = Field(default=1, ge=1)
    valid: StrictBool = True
    invalid_at: datetime | None = None
    invalid_reason: str | None = None
    superseded_by: int | None = None
    origin: str = "imported"
    sources: list[int] = Field(default_factory=list)

    @field_validator("happens_at", "learned_at", "invalid_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return utc(value)  # type: ignore[no-any-return]


def import_(memory: MemoryService, data: Any) -> dict[str, int]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("That file isn't an os1 memory export.",
                         "Make one with 'os1 memory export FILE'.")
    if data.get("version") != VERSION:
        raise InputError(f"That export is version {data.get('version')}; this os1 reads "
                         f"version {VERSION}.", "Upgrade os1 to import it.")
    items = data.get("memories")
    if not isinstance(items, list):
        raise InputError("The export has no list of memories.", "Check the file.")
    try:
        items = [ExportedMemory.model_validate(item) for item in items]
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InputError(f"Memory {where} in the export is malformed: {error['msg']}. Nothing "
                         "was imported.", "Fix or remove it and import again.") from exc
    existing = {(m.kind, m.content, m.learned_at.isoformat())
                for m in memory.memories.find(memory.user_id, include_invalid=True)}
    new_id: dict[int, int] = {}
    added = skipped = 0
    pending_links: list[tuple[int, ExportedMemory]] = []
    for item in items:
        learned_at = item.learned_at or memory.clock.now()
        key = (item.kind, item.content, learned_at.isoformat())
        if key in existing:
            skipped += 1
            continue
        memory_id = memory.add(
            kind=item.kind, content=item.content, about=item.about, topic=item.topic,
            importance=item.importance, happens_at=item.happens_at, date_text=item.date_text,
            learned_at=learned_at, origin=item.origin, valid=item.valid,
            invalid_at=item.invalid_at, invalid_reason=item.invalid_reason,
            times_seen=item.times_seen)
        existing.add(key)
        if item.id is not None:
            new_id[item.id] = memory_id
        pending_links.append((memory_id, item))
        added += 1
    for memory_id, item in pending_links:
        if item.superseded_by in new_id:
            memory.memories.set_superseded_by(memory.user_id, memory_id,
                                              new_id[item.superseded_by])
        sources = [new_id[i] for i in item.sources if i in new_id]
        if sources:
            memory.memories.link_sources(memory.user_id, memory_id, sources)
    return {"added": added, "skipped": skipped}
