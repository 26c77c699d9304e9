"""The server's HTTP API and WebSocket, over real HTTP against a real app and real SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from os1.store import schema as s
from tests.server.conftest import (
    GENESIS,
    LiveServer,
    cookie_header,
    csrf,
    open_ws,
    say,
    sign_up,
    until,
)


# -- accounts -----------------------------------------------------------------------------
def test_sign_up_sign_in_sign_out(live_server: LiveServer) -> None:
    client = live_server.client()
    r = client.post("/api/auth/signup", json={"handle": "samantha", "password": "short"})
    assert r.status_code == 422 and "at least 8" in r.json()["detail"]
    r = client.post("/api/auth/signup", json={"handle": "a b", "password": "long enough"})
    assert r.status_code == 422 and "3 to 40" in r.json()["detail"]
    r = client.post("/api/auth/signup", json={"handle": "theo", "password": "long enough"})
    assert r.status_code == 201
    assert r.json()["user"]["handle"] == "theo"
    session = client.cookies.get("os1_session")
    assert session and session not in r.text  # the token is in the cookie only
    assert "httponly" in r.headers.get_list("set-cookie")[0].lower()
    assert client.get("/api/me").json()["persona"] is None
    again = live_server.client().post("/api/auth/signup",
                                      json={"handle": "Theo", "password": "long enough"})
    assert again.status_code == 409

    assert client.post("/api/auth/logout", headers=csrf(client)).status_code == 204
    stale = live_server.client()
    stale.cookies.set("os1_session", session)
    assert stale.get("/api/me").status_code == 401  # ended on the server, not just forgotten

    fresh = live_server.client()
    r = fresh.post("/api/auth/login", json={"handle": "theo", "password": "wrong password"})
    assert r.status_code == 401 and r.json()["detail"] == "Wrong name or password."
    r = fresh.post("/api/auth/login", json={"handle": "nobody", "password": "wrong password"})
    assert r.status_code == 401 and r.json()["detail"] == "Wrong name or password."
    r = fresh.post("/api/auth/login", json={"handle": "theo", "password": "long enough"})
    assert r.status_code == 200
    assert fresh.get("/api/me").json()["user"]["handle"] == "theo"


def test_the_database_holds_no_passwords_or_tokens(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo", "my secret passphrase", meet=False)
    key = client.post("/api/keys", json={"name": "laptop"}, headers=csrf(client)).json()["key"]
    with live_server.store.engine.connect() as conn:
        dump = "\n".join(str(tuple(row)) for table in (s.credentials, s.auth_sessions, s.api_keys)
                         for row in conn.execute(table.select()))
    assert "my secret passphrase" not in dump
    assert client.cookies.get("os1_session") not in dump
    assert key not in dump
    assert "$argon2id$" in dump


def test_sign_in_is_rate_limited(live_server: LiveServer) -> None:
    sign_up(live_server, "theo", "long enough", meet=False)
    client = live_server.client()
    for _ in range(5):
        r = client.post("/api/auth/login", json={"handle": "theo", "password": "guess guess"})
        assert r.status_code == 401
    r = client.post("/api/auth/login", json={"handle": "theo", "password": "long enough"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in r.json()["detail"]


def test_unknown_names_cost_a_hash_too(live_server: LiveServer) -> None:
    """Constant-time sign-in: an unknown name is checked against a dummy hash."""
    sign_up(live_server, "theo", "long enough", meet=False)
    client = live_server.client()

    def timed(handle: str) -> float:
        start = time.perf_counter()
        client.post("/api/auth/login", json={"handle": handle, "password": "not it at all"})
        return time.perf_counter() - start

    known = min(timed("theo") for _ in range(2))
    unknown = min(timed(f"ghost{i}") for i in range(2))
    assert unknown > known * 0.5  # both pay for argon2 (tens of ms), not one of them ~1 ms


def test_changing_the_password_ends_other_sessions(live_server: LiveServer) -> None:
    first = sign_up(live_server, "theo", "first password", meet=False)
    second = live_server.client()
    assert second.post("/api/auth/login", json={"handle": "theo",
                                                "password": "first password"}).status_code == 200
    r = first.post("/api/auth/password", headers=csrf(first),
                   json={"current_password": "wrong one!", "new_password": "second password"})
    assert r.status_code == 403
    r = first.post("/api/auth/password", headers=csrf(first),
                   json={"current_password": "first password", "new_password": "second password"})
    assert r.status_code == 204
    assert first.get("/api/me").status_code == 200
    assert second.get("/api/me").status_code == 401
    login = live_server.client().post("/api/auth/login", json={"handle": "theo",
                                                               "password": "second password"})
    assert login.status_code == 200


def test_cookie_requests_that_change_things_need_the_csrf_token(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo", meet=False)
    r = client.post("/api/keys", json={"name": "x"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/keys", json={"name": "x"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = client.post("/api/keys", json={"name": "x"},
                    headers={**csrf(client), "Origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.post("/api/keys", json={"name": "x"}, headers=csrf(client)).status_code == 201
    # A bearer key isn't sent by browsers on their own: no CSRF token needed.
    key = client.post("/api/keys", json={"name": "y"}, headers=csrf(client)).json()["key"]
    bare = live_server.client()
    r = bare.post("/api/keys", json={"name": "z"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201


# -- genesis and talking ------------------------------------------------------------------
def test_genesis_in_the_browser_then_a_streamed_reply(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo", meet=False)
    state = client.get("/api/genesis").json()
    assert state["question"]["key"] == "user_name" and not state["done"]
    r = client.post("/api/genesis/finish", headers=csrf(client))
    assert r.status_code == 409
    r = client.post("/api/genesis/answer", json={"key": "voice", "answer": "a robot"},
                    headers=csrf(client))
    assert r.status_code == 422 and "female" in r.json()["detail"]
    for key, answer in GENESIS.items():
        r = client.post("/api/genesis/answer", json={"key": key, "answer": answer},
                        headers=csrf(client))
        assert r.status_code == 200
    assert r.json()["question"] is None
    persona = client.post("/api/genesis/finish", headers=csrf(client)).json()["persona"]
    assert persona["user_name"] == "Theodore" and persona["name"]
    assert client.get("/api/me").json()["persona"]["name"] == persona["name"]

    live_server.backend.script.append("Hello, Theodore. I'm so glad to meet you.")
    with open_ws(live_server, client) as ws:
        ws.send(json.dumps({"type": "greet"}))
        frames = until(ws, "done")
        deltas = [f for f in frames if f["type"] == "delta"]
        assert "".join(f["text"] for f in deltas) == "Hello, Theodore. I'm so glad to meet you."
        live_server.backend.script.append("That sounds like a long day. Tell me about it?")
        text, frames = say(ws, "I had a long day at work")
        assert text == "That sounds like a long day. Tell me about it?"
        assert frames[0] == {"type": "user_message", "text": "I had a long day at work",
                             "seq": frames[0]["seq"]}
        done = frames[-1]
        assert done["text"] == text and not done["interrupted"]
    history = client.get("/api/messages").json()["messages"]
    assert [m["role"] for m in history] == ["assistant", "user", "assistant"]
    assert history[1]["content"] == "I had a long day at work"
    assert history[2]["id"] == done["id"]


def test_a_reply_goes_to_every_tab_and_a_reconnect_replays_what_it_missed(
        live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    live_server.backend.delay = 0.05
    live_server.backend.script.append("One two three four five six seven eight nine ten.")
    with open_ws(live_server, client) as watcher:
        watcher.send(json.dumps({"type": "ping"}))
        assert until(watcher, "pong")
        with open_ws(live_server, client) as talker:
            talker.send(json.dumps({"type": "message", "text": "Count for me?"}))
            first = until(talker, "delta")[-1]
        # The talker's socket closed mid-reply: the reply goes on, the other tab sees it all,
        # and a new socket resuming after the last seq it saw gets the rest.
        seen = until(watcher, "done")
        assert "".join(f["text"] for f in seen if f["type"] == "delta") == \
            "One two three four five six seven eight nine ten."
        with open_ws(live_server, client, after=first["seq"]) as back:
            rest = until(back, "done")
        assert first["text"] + "".join(f["text"] for f in rest if f["type"] == "delta") == \
            "One two three four five six seven eight nine ten."
    stored = client.get("/api/messages").json()["messages"][-1]
    assert stored["content"] == "One two three four five six seven eight nine ten."
    assert stored["status"] == "complete"


def test_stop_keeps_what_was_written(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    live_server.backend.delay = 0.05
    live_server.backend.script.append("A long answer that goes on and on and on for a while.")
    with open_ws(live_server, client) as ws:
        ws.send(json.dumps({"type": "message", "text": "Tell me something long"}))
        until(ws, "delta")
        ws.send(json.dumps({"type": "stop"}))
        done = until(ws, "done")[-1]
        assert done["interrupted"]
    stored = client.get("/api/messages").json()["messages"][-1]
    assert stored["status"] == "interrupted"
    assert stored["content"] and "for a while" not in stored["content"]


def test_malformed_frames_close_that_socket_only(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    with open_ws(live_server, client) as healthy:
        for bad, code in (("not json", 1003), (json.dumps([1, 2]), 1003),
                          (json.dumps({"type": "nonsense"}), 1003),
                          (json.dumps({"type": "message", "text": 5}), 1003),
                          ("x" * 70_000, 1009), (b"\x00\x01", 1003)):
            with open_ws(live_server, client) as ws:
                ws.send(bad)
                error = until(ws, "error")[-1]
                assert error["text"]
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == code
        live_server.backend.script.append("Still here.")
        assert say(healthy, "Are you still there?")[0] == "Still here."


def test_size_limits_say_so(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    with open_ws(live_server, client) as ws:
        ws.send(json.dumps({"type": "message", "text": "y" * 40_000}))
        error = until(ws, "error")[-1]
        assert "limit is 32,000" in error["text"]
    big = b'{"format": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = client.post("/api/memories/import", content=big, headers=csrf(client))
    assert r.status_code == 413 and "too big" in r.json()["detail"]
    r = client.post("/api/memories/import", content=b"{nope", headers=csrf(client))
    assert r.status_code == 422 and "isn't JSON" in r.json()["detail"]


def test_sockets_need_a_session_and_this_origin(live_server: LiveServer) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus), connect(live_server.ws_url):
        pass
    client = sign_up(live_server, "theo")
    with pytest.raises(InvalidStatus), connect(live_server.ws_url, additional_headers={
            **cookie_header(client), "Origin": "https://evil.example"}):
        pass


# -- memory, mood, settings, keys, the OpenAI endpoint ------------------------------------
def test_memory_viewer_correct_forget_export_import(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    with open_ws(live_server, client) as ws:
        say(ws, "My sister Annie lives in Portland")
    memories = client.get("/api/memories").json()["memories"]
    assert any("Annie" in m["content"] for m in memories)
    target = next(m for m in memories if "Annie" in m["content"])
    r = client.patch(f"/api/memories/{target['id']}", json={"content": "My sister Annie lives "
                                                                       "in Seattle"},
                     headers=csrf(client))
    assert r.status_code == 200 and "Seattle" in r.json()["content"]
    assert client.get("/api/memories", params={"q": "Seattle"}).json()["memories"]
    exported = client.get("/api/memories/export")
    assert exported.headers["content-disposition"].startswith("attachment")
    data = exported.json()
    assert any("Seattle" in m["content"] for m in data["memories"])
    assert client.delete(f"/api/memories/{target['id']}", headers=csrf(client)).status_code == 204
    assert not client.get("/api/memories", params={"q": "Seattle"}).json()["memories"]
    assert client.delete(f"/api/memories/{target['id']}", headers=csrf(client)).status_code == 404
    r = client.post("/api/memories/import", content=json.dumps(data), headers=csrf(client))
    assert r.status_code == 200 and r.json()["added"] >= 1
    assert client.get("/api/memories", params={"q": "Seattle"}).json()["memories"]


def test_settings_and_mood(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    settings = client.get("/api/settings").json()
    assert settings["memory"] and settings["emotion"] and settings["voice"] == "female"
    r = client.patch("/api/settings", json={"memory": False, "voice": "male"},
                     headers=csrf(client))
    assert r.json()["memory"] is False and r.json()["voice"] == "male"
    r = client.patch("/api/settings", json={"voice": "robot"}, headers=csrf(client))
    assert r.status_code == 422
    r = client.patch("/api/settings", json={"admin": True}, headers=csrf(client))
    assert r.status_code == 422
    with open_ws(live_server, client) as ws:
        say(ws, "I remember nothing now?")
    assert client.get("/api/memories").json()["memories"] == []  # memory off: nothing learned
    mood = client.get("/api/mood").json()
    assert set(mood) >= {"days", "trend", "start", "end"}


def test_api_keys_and_the_openai_endpoint(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo")
    made = client.post("/api/keys", json={"name": "my laptop"}, headers=csrf(client)).json()
    key = made["key"]
    assert key.startswith("os1-") and made["prefix"] == key[:10]
    listed = client.get("/api/keys").json()["keys"]
    assert listed[0]["name"] == "my laptop" and "key" not in listed[0]
    assert key not in json.dumps(listed)

    api = httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {key}"},
                       timeout=20)
    assert api.get("/v1/models").json()["data"][0]["id"] == "os1"
    live_server.backend.script.append("Of course I remember you, Theodore.")
    r = api.post("/v1/chat/completions", json={"model": "os1", "messages": [
        {"role": "system", "content": "ignored: the companion has its own persona"},
        {"role": "user", "content": "Do you remember me?"}]})
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "Of course I remember you, Theodore."
    prompt = live_server.backend.calls[-1].messages
    assert "Theodore" in prompt[0].content  # the companion's own persona prompt
    assert not any("ignored:" in m.content for m in prompt)

    live_server.backend.script.append("Streaming works too.")
    chunks = []
    with api.stream("POST", "/v1/chat/completions",
                    json={"stream": True, "messages": [{"role": "user", "content": "Stream?"}]}) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunks.append(json.loads(line[6:]))
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == \
        "Streaming works too."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    history = [m["content"] for m in client.get("/api/messages").json()["messages"]]
    assert history[-4:] == ["Do you remember me?", "Of course I remember you, Theodore.",
                            "Stream?", "Streaming works too."]

    r = api.post("/v1/chat/completions", json={"messages": [{"role": "assistant",
                                                             "content": "hm"}]})
    assert r.status_code == 400
    bad = httpx.Client(base_url=live_server.url, headers={"Authorization": "Bearer os1-nope"})
    assert bad.get("/v1/models").status_code == 401
    key_id = listed[0]["id"]
    assert client.delete(f"/api/keys/{key_id}", headers=csrf(client)).status_code == 204
    assert api.get("/v1/models").status_code == 401


def test_a_dead_model_is_said_and_the_message_kept(live_server: LiveServer) -> None:
    from tests.fakes.backend import down

    client = sign_up(live_server, "theo")
    live_server.backend.script.append(down())
    with open_ws(live_server, client) as ws:
        ws.send(json.dumps({"type": "message", "text": "Are you there?"}))
        error = until(ws, "error")[-1]
        assert "Couldn't reach the model server" in error["text"]
        assert "Your message is saved" in error["text"]
    assert client.get("/api/messages").json()["messages"][-1]["content"] == "Are you there?"


def test_secrets_never_reach_the_logs(live_server: LiveServer,
                                      caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    client = sign_up(live_server, "theo", "hunter2 hunter2")
    client.post("/api/auth/login", json={"handle": "theo", "password": "a wrong one!"})
    key = client.post("/api/keys", json={"name": "k"}, headers=csrf(client)).json()["key"]
    httpx.get(f"{live_server.url}/v1/models", headers={"Authorization": f"Bearer {key}"})
    with open_ws(live_server, client) as ws:
        say(ws, "hello")
    # The server's loggers (the test's own HTTP clients log their requests at DEBUG).
    client_side = ("httpx", "httpcore", "websockets")
    logged = "\n".join(record.getMessage() for record in caplog.records
                       if not record.name.startswith(client_side))
    for secret in ("hunter2", "a wrong one!", key, client.cookies.get("os1_session"),
                   client.cookies.get("os1_csrf"), "os1-test"):
        assert secret and secret not in logged


def test_no_request_body_over_the_limit_is_read(live_server: LiveServer) -> None:
    client = sign_up(live_server, "theo", meet=False)
    huge = b'{"key": "user_name", "answer": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = client.post("/api/genesis/answer", content=huge,
                    headers={**csrf(client), "Content-Type": "application/json"})
    assert r.status_code == 413 and "too big" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut off at the limit
        yield b'{"key": "user_name", "answer": "'
        for _ in range(7):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = client.post("/api/genesis/answer", content=chunks(),
                    headers={**csrf(client), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/me").status_code == 200
