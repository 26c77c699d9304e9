"""Export and import: the person's memories as JSON they can read, and back again.

Import of an export round-trips: the same memories, with their history (what superseded
what, which memories a reflection rests on), and importing the same file twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from os1.errors import InputError
from os1.memory.service import MemoryService
from os1.memory.store import KINDS

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


def _when(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"'{field}' isn't a date: {value!r}.",
                         "Dates in an os1 export look like 2026-03-14T09:30:00+00:00.") from exc


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
    existing = {(m.kind, m.content, m.learned_at.isoformat())
                for m in memory.memories.find(memory.user_id, include_invalid=True)}
    new_id: dict[int, int] = {}
    added = skipped = 0
    pending_links: list[tuple[int, dict[str, Any]]] = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("content"), str) \
                or item.get("kind") not in KINDS:
            raise InputError(f"Memory #{n} in the export is malformed (it needs a kind and content).",
                             "Fix or remove it and import again.")
        learned_at = _when(item.get("learned_at"), "learned_at") or memory.clock.now()
        key = (item["kind"], item["content"], learned_at.isoformat())
        if key in existing:
            skipped += 1
            continue
        memory_id = memory.add(
            kind=item["kind"], content=item["content"], about=str(item.get("about") or ""),
            topic=str(item.get("topic") or ""), importance=float(item.get("importance", 0.5)),
            happens_at=_when(item.get("happens_at"), "happens_at"),
            date_text=item.get("date_text"), learned_at=learned_at,
            origin=str(item.get("origin") or "imported"), valid=bool(item.get("valid", True)),
            invalid_at=_when(item.get("invalid_at"), "invalid_at"),
            invalid_reason=item.get("invalid_reason"), times_seen=int(item.get("times_seen", 1)))
        existing.add(key)
        if isinstance(item.get("id"), int):
            new_id[item["id"]] = memory_id
        pending_links.append((memory_id, item))
        added += 1
    for memory_id, item in pending_links:
        old = item.get("superseded_by")
        if isinstance(old, int) and old in new_id:
            memory.memories.set_superseded_by(memory.user_id, memory_id, new_id[old])
        sources = [new_id[i] for i in item.get("sources", []) if i in new_id]
        if sources:
            memory.memories.link_sources(memory.user_id, memory_id, sources)
    return {"added": added, "skipped": skipped}
