"""A person's settings on the server, and their API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from os1.server.companions import DEFAULT_SETTINGS
from os1.server.deps import CurrentUser, State
from os1.server.routes.views import iso
from os1.voice.factory import voice_choice

router = APIRouter(prefix="/api", tags=["settings"])


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    memory: bool | None = None
    emotion: bool | None = None
    voice: str | None = Field(default=None, max_length=200)


class NewKey(BaseModel):
    name: str = Field(default="key", max_length=100)


def _view(state: State, user_id: int) -> dict[str, Any]:
    settings = DEFAULT_SETTINGS | state.accounts.settings(user_id)
    persona = state.store.active_persona(user_id)
    return {"memory": bool(settings["memory"]), "emotion": bool(settings["emotion"]),
            "voice": voice_choice(settings["voice"], persona.voice if persona else ""),
            "companion_name": persona.name if persona else None}


@router.get("/settings")
def get_settings(auth: CurrentUser, state: State) -> dict[str, Any]:
    return _view(state, auth.user.id)


@router.patch("/settings")
def change_settings(body: SettingsChange, auth: CurrentUser, state: State) -> dict[str, Any]:
    current = state.accounts.settings(auth.user.id)
    change = body.model_dump(exclude_none=True)
    if "voice" in change and change["voice"] not in ("", "female", "male"):
        raise HTTPException(422, "The voice can be 'female' or 'male'.")
    state.accounts.save_settings(auth.user.id, current | change)
    state.pool.drop(auth.user.id)
    return _view(state, auth.user.id)


@router.get("/keys")
def list_keys(auth: CurrentUser, state: State) -> dict[str, Any]:
    return {"keys": [{"id": k.id, "name": k.name, "prefix": k.prefix,
                      "created_at": iso(k.created_at), "last_used_at": iso(k.last_used_at)}
                     for k in state.accounts.keys(auth.user.id)]}


@router.post("/keys", status_code=201)
def create_key(body: NewKey, auth: CurrentUser, state: State) -> dict[str, Any]:
    key, secret = state.accounts.create_key(auth.user.id, body.name)
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "key": secret,
            "created_at": iso(key.created_at)}


@router.delete("/keys/{key_id}", status_code=204)
def delete_key(key_id: int, auth: CurrentUser, state: State) -> None:
    if not state.accounts.delete_key(auth.user.id, key_id):
        raise HTTPException(404, "There's no such key.")
