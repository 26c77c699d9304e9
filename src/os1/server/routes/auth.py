"""Sign up, sign in, sign out, change password; and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from os1.server.accounts import MAX_PASSWORD, User
from os1.server.deps import CSRF_COOKIE, SESSION_COOKIE, CurrentUser, State, client_address
from os1.server.routes.views import persona_view

router = APIRouter(prefix="/api", tags=["accounts"])


class Credentials(BaseModel):
    handle: str = Field(max_length=100)
    password: str = Field(max_length=MAX_PASSWORD * 4)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=MAX_PASSWORD * 4)
    new_password: str = Field(max_length=MAX_PASSWORD * 4)


def _signed_in(request: Request, response: Response, state: State, user: User) -> dict[str, Any]:
    token, csrf = state.accounts.start_session(user.id)
    secure = state.options.secure_cookies
    if secure is None:
        secure = request.url.scheme == "https"
    age = 30 * 86400
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, samesite="lax",
                        secure=secure, path="/")
    return {"user": {"id": user.id, "handle": user.handle}, "csrf_token": csrf}


@router.post("/auth/signup", status_code=201)
def signup(body: Credentials, request: Request, response: Response, state: State) -> dict[str, Any]:
    user = state.accounts.signup(body.handle, body.password)
    return _signed_in(request, response, state, user)


@router.post("/auth/login")
def login(body: Credentials, request: Request, response: Response, state: State) -> dict[str, Any]:
    user = state.accounts.login(body.handle, body.password, address=client_address(request))
    return _signed_in(request, response, state, user)


@router.post("/auth/logout", status_code=204)
def logout(auth: CurrentUser, response: Response, state: State) -> None:
    if auth.session_id is not None:
        state.accounts.end_session(auth.user.id, auth.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.post("/auth/password", status_code=204)
def change_password(body: PasswordChange, auth: CurrentUser, state: State) -> None:
    state.accounts.change_password(auth.user.id, body.current_password, body.new_password,
                                   keep_session=auth.session_id)


@router.get("/me")
def me(auth: CurrentUser, state: State) -> dict[str, Any]:
    persona = state.store.active_persona(auth.user.id)
    return {"user": {"id": auth.user.id, "handle": auth.user.handle},
            "persona": persona_view(persona) if persona else None}
