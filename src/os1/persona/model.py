"""The companion's identity: who it is, and the answers that shaped it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Traits:
    """Each from 0 to 1. Derived from the genesis answers (see persona.genesis)."""

    warmth: float
    humour: float
    curiosity: float
    directness: float

    def as_dict(self) -> dict[str, float]:
        return {"warmth": self.warmth, "humour": self.humour, "curiosity": self.curiosity,
                "directness": self.directness}


@dataclass(frozen=True)
class Persona:
    id: int
    user_id: int
    name: str
    name_story: str
    user_name: str
    voice: str  # female | male
    traits: Traits
    answers: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
