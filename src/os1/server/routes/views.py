"""What the API shows of stored things: chosen fields only, so nothing private or secret
slips into a response by being added to a table later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from os1.memory.store import Memory
from os1.persona.model import Persona
from os1.store import StoredMessage


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def persona_view(persona: Persona) -> dict[str, Any]:
    return {"name": persona.name, "name_story": persona.name_story,
            "user_name": persona.user_name, "voice": persona.voice,
            "created_at": iso(persona.created_at)}


def message_view(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "role": message.role, "content": message.content,
            "status": message.status, "created_at": iso(message.created_at)}


def memory_view(memory: Memory) -> dict[str, Any]:
    return {"id": memory.id, "kind": memory.kind, "content": memory.content,
            "about": memory.about, "topic": memory.topic, "learned_at": iso(memory.learned_at),
            "happens_at": iso(memory.happens_at), "valid": memory.valid}
