"""An OpenAI-compatible endpoint, so any OpenAI client or chat front-end talks to *your*
companion: its persona, its memory, its one ongoing conversation.

The companion keeps the conversation itself: only the last ``user`` message of a request is
new; the history a client sends along is its own copy and is not replayed (it would say
everything twice). What is said here shows up in the web UI too, live.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.events import Done, Error, TextDelta
from os1.server.companions import NoCompanion
from os1.server.deps import CurrentUser, State

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "os1"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1, max_length=10_000)
    stream: bool = False


def _text(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):  # content parts: keep the text ones
        return "\n".join(str(part.get("text", "")) for part in message.content
                         if part.get("type") == "text")
    return ""


@router.get("/models")
def models(_auth: CurrentUser) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                        "owned_by": "os1"}]}


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, auth: CurrentUser,
                           state: State) -> dict[str, Any] | StreamingResponse:
    said = next((m for m in reversed(body.messages) if m.role == "user"), None)
    if said is None or not _text(said).strip():
        raise HTTPException(400, "There's no user message to answer: the last message with "
                                 "role 'user' is what your companion hears.")
    text = _text(said)
    limit = state.options.max_message_chars
    if len(text) > limit:
        raise HTTPException(413, f"That message is {len(text):,} characters; the limit is "
                                 f"{limit:,}. Send it in parts.")
    user_id = auth.user.id
    if await asyncio.to_thread(state.pool.get, user_id) is None:
        raise HTTPException(409, "Your companion isn't set up yet: sign in to the web page "
                                 "and answer the first questions.")
    completion_id = f"chatcmpl-{secrets.token_hex(12)}"
    created = int(time.time())
    turn = state.conversations.turn(user_id, text)
    if body.stream:
        return StreamingResponse(_stream(turn, completion_id, created),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})
    parts: list[str] = []
    final = None
    try:
        async for event in turn:
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Done):
                final = event
            elif isinstance(event, Error):
                raise HTTPException(502, event.text)
    except NoCompanion as exc:
        raise HTTPException(409, "Your companion isn't set up yet.") from exc
    content = final.text if final is not None else "".join(parts)
    return {
        "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": len(parts),
                  "total_tokens": len(parts)},
    }


def _chunk(completion_id: str, created: int, delta: dict[str, Any],
           finish: str | None = None) -> str:
    data = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": MODEL_ID, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _stream(turn: AsyncIterator[Any], completion_id: str, created: int) -> AsyncIterator[str]:
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    try:
        async for event in turn:
            if isinstance(event, TextDelta):
                yield _chunk(completion_id, created, {"content": event.text})
            elif isinstance(event, Error):
                error = {"error": {"message": event.text, "type": "os1_error"}}
                yield f"data: {json.dumps(error)}\n\n"
    except NoCompanion:
        yield f"data: {json.dumps({'error': {'message': 'Your companion is not set up yet.'}})}\n\n"
    yield _chunk(completion_id, created, {}, "stop")
    yield "data: [DONE]\n\n"
