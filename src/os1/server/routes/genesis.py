"""Genesis in the browser: the same questions and the same soul as in the terminal."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from os1.companion import clean_text
from os1.persona import genesis
from os1.server.deps import CurrentUser, State
from os1.server.routes.views import persona_view

router = APIRouter(prefix="/api/genesis", tags=["genesis"])


class Answer(BaseModel):
    key: str = Field(max_length=40)
    answer: str = Field(max_length=genesis.MAX_ANSWER * 4)


def _question(question: genesis.Question | None) -> dict[str, str] | None:
    if question is None:
        return None
    return {"key": question.key, "text": question.text, "hint": question.hint}


@router.get("")
def status(auth: CurrentUser, state: State) -> dict[str, Any]:
    done = state.store.active_persona(auth.user.id) is not None
    answers = state.store.genesis_answers(auth.user.id)
    return {"welcome": genesis.WELCOME, "done": done, "answers": answers,
            "question": None if done else _question(genesis.next_question(answers))}


@router.post("/answer")
def answer(body: Answer, auth: CurrentUser, state: State) -> dict[str, Any]:
    if state.store.active_persona(auth.user.id) is not None:
        raise HTTPException(409, "You've already met your companion.")
    if body.key not in {q.key for q in genesis.QUESTIONS}:
        raise HTTPException(422, f"There's no question called {body.key!r}.")
    text, _notices = clean_text(body.answer)
    try:
        genesis.accept_answer(state.store, auth.user.id, body.key, text)
    except genesis.AnswerNotUnderstood as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"question": _question(genesis.next_question(state.store.genesis_answers(auth.user.id)))}


@router.post("/finish")
async def finish(auth: CurrentUser, state: State) -> dict[str, Any]:
    user_id = auth.user.id
    existing = await asyncio.to_thread(state.store.active_persona, user_id)
    if existing is not None:
        return {"persona": persona_view(existing)}
    answers = await asyncio.to_thread(state.store.genesis_answers, user_id)
    missing = genesis.next_question(answers)
    if missing is not None:
        raise HTTPException(409, f"One question is still open: {missing.text}")
    async with state.pool.lock(user_id):  # two tabs finishing at once make one companion
        existing = await asyncio.to_thread(state.store.active_persona, user_id)
        if existing is None:
            existing, _method = await genesis.create_persona(state.store, state.backend, user_id,
                                                             answers)
    state.pool.drop(user_id)
    return {"persona": persona_view(existing)}
