"""The server's app factory. Nothing is opened at import time: ``create_app`` builds
everything from ``ServerOptions`` (and injected parts, which is how tests and benchmarks
swap the model for a fake), so one process can hold several apps and a test builds one in
a line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from os1.clock import Clock, SystemClock
from os1.emotion.classifier import TextClassifier
from os1.errors import InputError, ModelError, Os1Error, StorageError
from os1.llm.base import ChatBackend
from os1.memory.embed import Embedder
from os1.server.accounts import AccountError, Accounts
from os1.server.companions import CompanionPool, Conversations, Shared
from os1.server.hub import Hub, LocalHub, RedisHub
from os1.server.learner import Learner
from os1.store import Store, open_engine
from os1.store.engine import database_label

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


@dataclass
class ServerOptions:
    database: str | Path  # a SQLite path, or postgresql://…
    redis_url: str | None = None  # several processes: events go through Redis
    secure_cookies: bool | None = None  # None: when the request came over https
    max_message_chars: int = 32_000
    max_upload_bytes: int = 5 * 1024 * 1024
    reply_tokens: int = 512
    max_active_companions: int = 2000
    load_models: bool = True  # the embedder and the emotion reader (tests may skip)
    learn: bool = True  # learn memories in the background when the model is free
    voice: bool = True  # voice over the WebSocket (if the voice extra is installed)
    # The key that encrypts people's mail and calendar passwords (os1 serve: secret.key in
    # the data folder; $OS1_SECRET_KEY overrides). None: mail and calendar are off.
    secret_key_file: Path | None = None
    # One folder per person for the letters, books and music os1 makes them (os1 serve:
    # people/ in the data folder). None: those are off.
    people_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _secret_box(options: ServerOptions) -> Any:
    import os

    from os1.secrets import KEY_ENV, open_box

    if options.secret_key_file is None and not os.environ.get(KEY_ENV):
        return None
    return open_box(options.secret_key_file or Path("/nonexistent/secret.key"))


@dataclass
class AppState:
    options: ServerOptions
    store: Store
    engine: Engine
    accounts: Accounts
    hub: Hub
    pool: CompanionPool
    conversations: Conversations
    backend: ChatBackend
    clock: Clock
    learner: Learner | None = None
    voice: Any = None  # os1.server.voice.VoiceModels, loaded on first use


def _load_shared_models(options: ServerOptions) -> tuple[Embedder | None, TextClassifier | None,
                                                         list[str]]:
    problems: list[str] = []
    embedder = classifier = None
    if options.load_models:
        from os1.emotion.classifier import load_classifier
        from os1.memory.embed import load_embedder

        try:
            embedder = load_embedder()
        except ModelError as exc:
            problems.append(f"memory recall by meaning is off: {exc.what} {exc.fix}")
        try:
            classifier = load_classifier()
        except ModelError as exc:
            problems.append(f"the emotion reader is off: {exc.what} {exc.fix}")
    for problem in problems:
        log.warning("%s", problem)
    return embedder, classifier, problems


def create_app(options: ServerOptions, *, backend: ChatBackend, clock: Clock | None = None,
               hub: Hub | None = None, embedder: Embedder | None = None,
               classifier: TextClassifier | None = None) -> FastAPI:
    """The server. ``backend`` is the model every companion here shares (embedded llama.cpp,
    or an OpenAI-compatible pool such as vLLM). Raises StorageError if the database can't
    be opened."""
    clock = clock or SystemClock()
    engine = open_engine(options.database, clock)
    store = Store(engine, clock, label=database_label(options.database))
    accounts = Accounts(store)
    problems: list[str] = []
    if embedder is None and classifier is None:
        embedder, classifier, problems = _load_shared_models(options)
    shared = Shared(store=store, backend=backend, clock=clock, accounts=accounts,
                    embedder=embedder, classifier=classifier, reply_tokens=options.reply_tokens,
                    problems=problems, box=_secret_box(options), people_dir=options.people_dir)
    if hub is None:
        hub = RedisHub(options.redis_url) if options.redis_url else LocalHub()
    pool = CompanionPool(shared, max_active=options.max_active_companions)
    conversations = Conversations(pool, hub)
    state = AppState(options=options, store=store, engine=engine, accounts=accounts, hub=hub,
                     pool=pool, conversations=conversations, backend=backend, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if isinstance(hub, RedisHub):
            try:
                await hub.check()
            except Exception as exc:
                raise StorageError(f"os1 can't reach Redis at {database_label(hub.url)} ({exc}).",
                                   "Start Redis, or leave out --redis-url to run one process "
                                   "without it.") from exc
        if options.learn and shared.embedder is not None:
            state.learner = Learner(shared, pool, conversations)
            state.learner.start()
        try:
            yield
        finally:
            if state.learner is not None:
                await state.learner.stop()
            await conversations.close()
            await hub.close()
            with contextlib.suppress(Exception):
                await backend.aclose()
            engine.dispose()

    app = FastAPI(title="os1", version="0.1.0", lifespan=lifespan, docs_url="/api/docs",
                  redoc_url=None, openapi_url="/api/openapi.json")
    app.state.os1 = state
    app.add_middleware(_BodyLimit, limit=options.max_upload_bytes)

    @app.exception_handler(AccountError)
    async def _account_error(_request: Request, exc: AccountError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(StorageError)
    async def _storage_error(_request: Request, exc: StorageError) -> JSONResponse:
        log.error("storage: %s", exc.what)
        return JSONResponse({"detail": f"{exc.what} {exc.fix}".strip()}, status_code=503)

    @app.exception_handler(InputError)
    async def _input_error(_request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": f"{exc.what} {exc.fix}".strip()}, status_code=422)

    @app.exception_handler(Os1Error)
    async def _os1_error(_request: Request, exc: Os1Error) -> JSONResponse:
        return JSONResponse({"detail": f"{exc.what} {exc.fix}".strip()}, status_code=500)

    from os1.server.routes import (
        auth,
        chat,
        genesis,
        making,
        memories,
        mood,
        openai,
        organizer,
        settings,
        ws,
    )

    for module in (auth, genesis, chat, memories, mood, settings, openai, organizer, making, ws):
        app.include_router(module.router)

    @app.get("/api/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"ok": True, "sockets": hub.sockets(), "active_companions": len(pool),
                "turns": conversations.busy(), "problems": problems}

    if STATIC.is_dir():
        app.mount("/static", _Revalidated(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    return app


class _BodyLimit:
    """No request body over ``limit`` bytes is read (said with a 413 before reading it, when
    the client declares its length; cut off at the limit otherwise)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._too_big(send)
            return
        seen = 0
        over = False

        async def limited() -> Any:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # stop reading: the app sees a truncated body
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        replaced = False

        async def guarded(message: Any) -> None:
            nonlocal replaced
            if over:  # whatever the app made of the truncated body, the answer is 413
                if not replaced:
                    replaced = True
                    await self._too_big(send)
                return
            await send(message)

        await self.app(scope, limited, guarded)

    async def _too_big(self, send: Any) -> None:
        mb = self.limit / 1024 / 1024
        response = JSONResponse({"detail": f"That is too big for os1 (the limit is {mb:g} MB)."},
                                status_code=413)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


class _Revalidated(StaticFiles):
    """The page's modules are revalidated on every load (cheap: ETags), so after an upgrade a
    browser never mixes old and new ones."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response
