"""Scale-out on one machine: two ``os1 serve`` processes sharing a real PostgreSQL and a real
Redis, the model behind an OpenAI-compatible server (the scripted fake at the model seam).
A WebSocket client moves between the processes mid-reply and loses nothing."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.conftest import OS1
from tests.fakes.openai_server import ScriptedModelServer
from tests.server.conftest import GENESIS, csrf, free_port
from tests.server.conftest import until as frames_until

pytestmark = pytest.mark.slow

REPLY = "I was thinking about you today, and about the way you laugh at your own jokes."


@contextlib.contextmanager
def serve(data_dir: Path, pg_url: str, redis_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "OS1_HOME": str(data_dir), "OS1_BACKEND": "openai",
           "OS1_DATABASE_URL": pg_url, "OS1_REDIS_URL": redis_url, "NO_COLOR": "1"}
    log = data_dir / f"serve-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([OS1, "serve", "--port", str(port), "--no-learn"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"os1 serve didn't start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        text = log.read_text()
        assert "Traceback" not in text, text[-3000:]
        assert "os1-test" not in text  # the database password never reaches the log


def ws_to(url: str, client: httpx.Client, after: str | None = None) -> ClientConnection:
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    target = url.replace("http://", "ws://") + "/ws" + (f"?after={after}" if after else "")
    return connect(target, additional_headers={"Cookie": cookie})


@contextlib.contextmanager
def two_tabs(watching: str, talking: str,
             client: httpx.Client) -> Iterator[tuple[ClientConnection, ClientConnection]]:
    """A tab on each process, both past hello; the watching one is live (a ping answered)."""
    with ws_to(watching, client) as watcher, ws_to(talking, client) as talker:
        watcher.recv(timeout=10)
        talker.recv(timeout=10)
        watcher.send(json.dumps({"type": "ping"}))
        frames_until(watcher, "pong")
        yield watcher, talker


def test_two_processes_share_postgres_and_redis(tmp_path: Path, pg_url: str,
                                                redis_url: str) -> None:
    with ScriptedModelServer(default=REPLY, delay=0.04) as model:
        data = tmp_path / "data"
        data.mkdir()
        (data / "config.toml").write_text(
            f'backend = "openai"\n[openai]\nbase_url = "{model.url}"\n')
        with serve(data, pg_url, redis_url) as one, serve(data, pg_url, redis_url) as two:
            # An account made on one process signs in on the other (sessions are in PostgreSQL).
            client = httpx.Client(base_url=one, timeout=30)
            r = client.post("/api/auth/signup", json={"handle": "theo", "password": "long enough"})
            assert r.status_code == 201
            for key, answer in GENESIS.items():
                client.post("/api/genesis/answer", json={"key": key, "answer": answer},
                            headers=csrf(client))
            assert client.post("/api/genesis/finish", headers=csrf(client)).status_code == 200
            other = httpx.Client(base_url=two, timeout=30, cookies=client.cookies)
            assert other.get("/api/me").json()["persona"]["user_name"] == "Theodore"

            # A tab on process two watches; the message goes to process one.
            with ws_to(two, client) as watcher, ws_to(one, client) as talker:
                assert json.loads(watcher.recv(timeout=10))["type"] == "hello"
                assert json.loads(talker.recv(timeout=10))["type"] == "hello"
                watcher.send(json.dumps({"type": "resume", "after": ""}))
                talker.send(json.dumps({"type": "message", "text": "Did you miss me?"}))
                first = [f for f in frames_until(talker, "delta")][-1]
                # The client moves: its socket to process one closes mid-reply ...
            # (the watcher is closed too; it saw the reply start, through Redis)
            # ... and it reconnects to process two, resuming after the last piece it saw.
            with ws_to(two, client, after=first["seq"]) as moved:
                assert json.loads(moved.recv(timeout=10))["type"] == "hello"
                rest = frames_until(moved, "done")
            text = first["text"] + "".join(f["text"] for f in rest if f["type"] == "delta")
            assert text == REPLY
            assert rest[-1]["text"] == REPLY and not rest[-1]["interrupted"]

            # Another tab on process two sees a whole reply written by process one, live.
            with two_tabs(two, one, client) as (watcher, talker):
                talker.send(json.dumps({"type": "message", "text": "Tell me again?"}))
                seen = frames_until(watcher, "done")
                assert seen[0]["type"] == "user_message" and seen[0]["text"] == "Tell me again?"
                assert "".join(f["text"] for f in seen if f["type"] == "delta") == REPLY

            # Stop pressed in a tab on process two stops the reply process one is writing.
            model.delay = 0.2
            with two_tabs(two, one, client) as (remote, talker):
                talker.send(json.dumps({"type": "message", "text": "Say it slowly"}))
                frames_until(talker, "delta")
                remote.send(json.dumps({"type": "stop"}))
                done = frames_until(talker, "done")[-1]
                assert done["interrupted"]
            model.delay = 0.04

            # Both replies are stored once, whichever process is asked.
            for url in (one, two):
                history = httpx.get(url + "/api/messages", cookies=client.cookies).json()
                said = [(m["role"], m["content"]) for m in history["messages"]]
                assert said.count(("user", "Did you miss me?")) == 1
                assert said.count(("assistant", REPLY)) == 2
