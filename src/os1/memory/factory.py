"""Building one person's memory from settings: the embedder if it is installed, else
keyword-only recall and a sentence saying how to get the rest."""

from __future__ import annotations

import logging

from os1.clock import Clock
from os1.errors import ModelError
from os1.memory.embed import Embedder, load_embedder
from os1.memory.extract import resolve_date
from os1.memory.service import MemoryService
from os1.persona.model import Persona
from os1.store import Store

log = logging.getLogger(__name__)


def build_memory(store: Store, clock: Clock, *, user_id: int, persona: Persona,
                 embedder: Embedder | None = None, load: bool = True) -> MemoryService:
    problem = None
    if embedder is None and load:
        try:
            embedder = load_embedder()
        except ModelError as exc:
            problem = f"{exc.what} {exc.fix}"
            log.warning("memory: %s", problem)
    memory = MemoryService(store, clock, user_id=user_id, persona=persona, embedder=embedder,
                           embedder_problem=problem)
    memory.backfill_vectors()
    # dateparser builds its tables on first use (a fraction of a second): do it now, not
    # on the first reply that shows a note with "on Saturday" in it.
    resolve_date("tomorrow", said_at=clock.now(), kind="plan")
    return memory
