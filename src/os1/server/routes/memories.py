"""The memory viewer: see, search, correct, forget, export and import."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from os1.memory.service import MemoryService
from os1.memory.transfer import export, import_
from os1.server.deps import CurrentUser, State
from os1.server.routes.views import memory_view

router = APIRouter(prefix="/api/memories", tags=["memory"])


class Correction(BaseModel):
    content: str = Field(min_length=1, max_length=20_000)


def _memory(auth: CurrentUser, state: State) -> MemoryService:
    persona = state.store.active_persona(auth.user.id)
    if persona is None:
        raise HTTPException(409, "Meet your companion first: it has no memories yet.")
    return state.pool.shared.memory(auth.user.id, persona)


@router.get("")
def list_memories(auth: CurrentUser, state: State, q: str = Query("", max_length=500),
                  limit: int = Query(100, ge=1, le=1000),
                  everything: bool = False) -> dict[str, Any]:
    if state.store.active_persona(auth.user.id) is None:
        return {"memories": []}
    memory = _memory(auth, state)
    if q.strip():
        found = [hit.memory for hit in memory.recall(q, limit=limit,
                                                     include_invalid=True if everything else None)]
    else:
        found = memory.memories.find(auth.user.id, include_invalid=everything, limit=limit)
    return {"memories": [memory_view(m) for m in found]}


@router.patch("/{memory_id}")
def correct(memory_id: int, body: Correction, auth: CurrentUser, state: State) -> dict[str, Any]:
    memory = _memory(auth, state)
    current = memory.memories.get(auth.user.id, memory_id)
    if current is None:
        raise HTTPException(404, "There's no such memory.")
    new = body.content.strip()
    if not new:
        raise HTTPException(422, "A memory can't be empty; forget it instead.")
    memory.correct(memory_id, new)
    state.pool.drop(auth.user.id)
    updated = memory.memories.get(auth.user.id, memory_id)
    assert updated is not None
    return memory_view(updated)


@router.delete("/{memory_id}", status_code=204)
def forget(memory_id: int, auth: CurrentUser, state: State) -> None:
    memory = _memory(auth, state)
    if memory.memories.get(auth.user.id, memory_id) is None:
        raise HTTPException(404, "There's no such memory.")
    memory.forget([memory_id])
    state.pool.drop(auth.user.id)


@router.get("/export")
def export_memories(auth: CurrentUser, state: State) -> JSONResponse:
    data = export(_memory(auth, state))
    return JSONResponse(data, headers={
        "Content-Disposition": 'attachment; filename="os1-memories.json"',
        "Cache-Control": "no-store"})


@router.post("/import")
async def import_memories(request: Request, auth: CurrentUser, state: State) -> dict[str, Any]:
    limit = state.options.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"That file is too big (the limit is {limit // 1024 // 1024} MB).")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"That file is too big (the limit is "
                                     f"{limit // 1024 // 1024} MB).")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(422, "That file isn't JSON. Import a file made by Export.") from exc
    memory = await asyncio.to_thread(_memory, auth, state)
    result = await asyncio.to_thread(import_, memory, data)
    state.pool.drop(auth.user.id)
    return result
