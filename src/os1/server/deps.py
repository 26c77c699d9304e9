"""Who is asking: the dependencies every route uses.

A request is someone's by an API key (``Authorization: Bearer os1-…``) or by the session
cookie. With the cookie, anything that changes state must also carry the CSRF token from
the ``os1_csrf`` cookie in ``X-CSRF-Token`` (a cross-site page can make the browser send
the cookie, but can't read the token). Every route takes ``CurrentUser`` and passes its id
to the repositories, which filter on it: there is no query without an owner.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from os1.server.accounts import User
from os1.server.app import AppState

SESSION_COOKIE = "os1_session"
CSRF_COOKIE = "os1_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Auth:
    user: User
    session_id: int | None  # None: signed in with an API key
    csrf_token: str | None = None


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.app.state.os1
    return state


State = Annotated[AppState, Depends(app_state)]


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate(conn: HTTPConnection, state: AppState) -> Auth | None:
    """Blocking (a database read): call from a thread or a sync route."""
    token = bearer(conn)
    if token is not None:
        user = state.accounts.user_for_key(token)
        return Auth(user, None) if user is not None else None
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        session = state.accounts.session(cookie)
        if session is not None:
            return Auth(session.user, session.id, session.csrf_token)
    return None


def same_origin(conn: HTTPConnection) -> bool:
    """A browser's Origin must be this server (cookie requests and WebSockets)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    host = conn.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def require_user(request: Request, state: State) -> Auth:
    auth = authenticate(request, state)
    if auth is None:
        raise HTTPException(401, "Sign in first (or send an API key: Authorization: Bearer os1-…).",
                            headers={"WWW-Authenticate": "Bearer"})
    if auth.session_id is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not (auth.csrf_token and hmac.compare_digest(sent, auth.csrf_token)) \
                or not same_origin(request):
            raise HTTPException(403, "This request is missing its CSRF token (X-CSRF-Token). "
                                     "Reload the page and try again.")
    return auth


CurrentUser = Annotated[Auth, Depends(require_user)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
