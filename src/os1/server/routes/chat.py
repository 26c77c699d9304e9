"""The conversation's history (talking itself happens on the WebSocket, routes/ws.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from os1.server.deps import CurrentUser, State
from os1.server.routes.views import message_view

router = APIRouter(prefix="/api", tags=["conversation"])


@router.get("/messages")
def messages(auth: CurrentUser, state: State, before: int | None = Query(None, ge=1),
             limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    persona = state.store.active_persona(auth.user.id)
    if persona is None:
        return {"messages": []}
    conversation = state.store.current_conversation(auth.user.id, persona.id)
    found = state.store.history(auth.user.id, conversation, before_id=before, limit=limit)
    return {"messages": [message_view(m) for m in found]}
