"""A real ``os1 serve`` app on a real port (uvicorn, real SQLite or PostgreSQL); only the model
is the scripted fake. ``live_server`` gives its URL, the fake backend and the store."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from os1.server import ServerOptions, create_app
from os1.server.app import AppState
from os1.store import Store
from tests.fakes.backend import FakeBackend


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    backend: FakeBackend
    state: AppState
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def start_server(database: str | Path, backend: FakeBackend, **options: Any) -> LiveServer:
    opts = ServerOptions(database=database, load_models=False, learn=False, **options)
    app = create_app(opts, backend=backend)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws_max_size=1024 * 1024, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="os1-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server didn't start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", backend, app.state.os1, server, thread)


@pytest.fixture(params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """The server on SQLite, and again on PostgreSQL: the same tests pass on both."""
    backend = FakeBackend(default="I'm here with you.", delay=0.01)
    database = tmp_path / "server.db" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    server = start_server(database, backend, people_dir=tmp_path / "people")
    yield server
    server.stop()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The server on SQLite only (browser tests: the storage is covered by the API tests)."""
    backend = FakeBackend(default="I'm here with you.", delay=0.01)
    server = start_server(tmp_path / "server.db", backend, people_dir=tmp_path / "people")
    yield server
    server.stop()


GENESIS = {"user_name": "Theodore", "social": "social, mostly",
           "mother": "close, she listens", "voice": "female"}


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("os1_csrf") or ""}


def sign_up(server: LiveServer, handle: str, password: str = "correct horse 1",
            *, meet: bool = True) -> httpx.Client:
    """A signed-in client (cookie session); with ``meet``, genesis is done too."""
    client = server.client()
    reply = client.post("/api/auth/signup", json={"handle": handle, "password": password})
    assert reply.status_code == 201, reply.text
    if meet:
        for key, answer in GENESIS.items():
            r = client.post("/api/genesis/answer", json={"key": key, "answer": answer},
                            headers=csrf(client))
            assert r.status_code == 200, r.text
        r = client.post("/api/genesis/finish", headers=csrf(client))
        assert r.status_code == 200, r.text
    return client


def cookie_header(client: httpx.Client) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


@contextlib.contextmanager
def open_ws(server: LiveServer, client: httpx.Client, after: str | None = None,
            **headers: str) -> Iterator[ClientConnection]:
    url = server.ws_url + (f"?after={after}" if after else "")
    with connect(url, additional_headers={**cookie_header(client), **headers}) as ws:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"
        yield ws


def until(ws: ClientConnection, kind: str, timeout: float = 10) -> list[dict[str, Any]]:
    """Frames up to and including the first of ``kind``."""
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        frames.append(frame)
        if frame["type"] == kind:
            return frames


def say(ws: ClientConnection, text: str) -> tuple[str, list[dict[str, Any]]]:
    ws.send(json.dumps({"type": "message", "text": text}))
    frames = until(ws, "done")
    return "".join(f["text"] for f in frames if f["type"] == "delta"), frames
