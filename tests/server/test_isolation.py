"""Each person's data is reachable only by that person: every route, tried by someone else.

The list of routes is taken from the app itself, so a new route without an ownership check
here fails this file until it is added.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.routing import APIRoute

from tests.server.conftest import LiveServer, cookie_header, csrf, open_ws, say, sign_up, until

PUBLIC = {("POST", "/api/auth/signup"), ("POST", "/api/auth/login"), ("GET", "/"),
          ("GET", "/api/health")}


def routes(server: LiveServer) -> set[tuple[str, str]]:
    """Every API route of the app, also inside included routers (FastAPI ≥ 0.16x keeps
    those behind an ``_IncludedRouter`` whose ``original_router`` holds them)."""
    found: set[tuple[str, str]] = set()

    def walk(items: list[Any]) -> None:
        for route in items:
            if isinstance(route, APIRoute):
                found.update((method, route.path) for method in route.methods)
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))

    walk(list(server.server.config.app.routes))
    assert ("GET", "/api/memories") in found  # the walk reaches the routers
    return found


def test_nobody_reaches_anything_without_signing_in(live_server: LiveServer) -> None:
    anonymous = live_server.client()
    for method, path in routes(live_server) - PUBLIC:
        url = path.replace("{memory_id}", "1").replace("{key_id}", "1").replace(
            "{proposal_id}", "1").replace("{letter_id}", "1").replace("{book_id}", "1").replace(
            "{piece_id}", "1").replace("{fmt}", "pdf")
        r = anonymous.request(method, url, json={})
        assert r.status_code == 401, (method, path, r.status_code)


def test_another_person_can_read_or_change_none_of_it(live_server: LiveServer) -> None:
    amy = sign_up(live_server, "amy", "amy's password")
    eve = sign_up(live_server, "eve", "eve's password")
    live_server.backend.default = "I hear you."
    with open_ws(live_server, amy) as ws:
        say(ws, "My secret is that I love Charles")
    amy_key = amy.post("/api/keys", json={"name": "amy's laptop"}, headers=csrf(amy)).json()
    amy.patch("/api/settings", json={"emotion": False}, headers=csrf(amy))
    memory_id = amy.get("/api/memories").json()["memories"][0]["id"]
    secret = "love Charles"

    # Every route eve can call, with amy's ids where a route takes one.
    tried: set[tuple[str, str]] = set()

    def attempt(method: str, path: str, url: str | None = None, **kwargs: Any) -> httpx.Response:
        tried.add((method, path))
        headers = csrf(eve) if method != "GET" else {}
        r = eve.request(method, url or path, headers=headers, **kwargs)
        assert secret not in r.text and "amy" not in r.text.lower(), (method, path)
        assert amy_key["key"] not in r.text
        return r

    assert attempt("GET", "/api/me").json()["user"]["handle"] == "eve"
    attempt("GET", "/api/genesis")
    attempt("POST", "/api/genesis/answer", json={"key": "user_name", "answer": "x"})
    attempt("POST", "/api/genesis/finish")
    assert all(m["content"] != "My secret is that I love Charles"
               for m in attempt("GET", "/api/messages").json()["messages"])
    assert attempt("GET", "/api/memories").json()["memories"] == []
    assert attempt("GET", "/api/memories", "/api/memories?q=Charles").json()["memories"] == []
    assert attempt("PATCH", "/api/memories/{memory_id}", f"/api/memories/{memory_id}",
                   json={"content": "hacked"}).status_code == 404
    assert attempt("DELETE", "/api/memories/{memory_id}",
                   f"/api/memories/{memory_id}").status_code == 404
    assert attempt("GET", "/api/memories/export").json()["memories"] == []
    attempt("POST", "/api/memories/import", content=json.dumps({"format": "x"}))
    assert attempt("GET", "/api/mood").json()["days"] == []
    assert attempt("GET", "/api/settings").json()["emotion"] is True
    attempt("PATCH", "/api/settings", json={"memory": True})
    assert attempt("GET", "/api/keys").json()["keys"] == []
    attempt("POST", "/api/keys", json={"name": "eve's"})
    assert attempt("DELETE", "/api/keys/{key_id}", f"/api/keys/{amy_key['id']}").status_code == 404
    attempt("POST", "/api/auth/password", json={"current_password": "amy's password",
                                                "new_password": "taken over!"})
    attempt("GET", "/v1/models")
    attempt("POST", "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "What is my secret?"}]})
    eves_prompt = live_server.backend.calls[-1].messages
    assert "What is my secret?" in eves_prompt[-1].content
    assert not any("Charles" in m.content for m in eves_prompt)  # amy's words aren't eve's
    # The organizer: amy's proposal (a real one, over her own mailbox-less organizer) is
    # neither listed for eve nor decidable by her; eve's mail/calendar are her own.
    from os1.tools.approvals import Approvals
    from os1.tools.base import Preview

    amy_id = live_server.store.ensure_user("amy")
    proposal = Approvals(live_server.store, amy_id, live_server.state.clock).propose(
        "send_email", {"to": ["charles@example.org"], "subject": "s", "body": secret},
        Preview("Send an email", {"To": "charles@example.org"}, secret), origin="person")
    assert attempt("GET", "/api/proposals").json()["proposals"] == []
    assert attempt("GET", "/api/proposals", "/api/proposals?everything=true").json()[
        "proposals"] == []
    for verb in ("approve", "decline"):
        assert attempt("POST", f"/api/proposals/{{proposal_id}}/{verb}",
                       f"/api/proposals/{proposal.id}/{verb}").status_code == 404
    assert attempt("GET", "/api/audit").json()["entries"] == []
    mail_off = attempt("GET", "/api/mail/accounts")
    assert mail_off.status_code == 503 or mail_off.json()["accounts"] == []
    attempt("POST", "/api/mail/accounts", json={"address": "eve@x.org", "host": "127.0.0.1",
                                                "password": "pw", "port": 9})
    assert attempt("POST", "/api/mail/sync").status_code in (200, 503)
    attempt("GET", "/api/mail/overview")
    attempt("POST", "/api/calendar/accounts", json={"url": "http://127.0.0.1:9/",
                                                    "username": "eve", "password": "pw"})
    attempt("POST", "/api/calendar/import", json={"ics": "BEGIN:VCALENDAR\nEND:VCALENDAR"})
    agenda = attempt("GET", "/api/calendar/agenda")
    assert agenda.status_code == 503 or agenda.json()["events"] == []
    # Letters, books and music: amy's are neither listed nor readable, changeable or
    # downloadable by eve, by id.
    letter_id, book_id, piece_id = _amys_letters_book_and_music(live_server, amy_id, secret)
    assert attempt("GET", "/api/letters").json()["letters"] == []
    assert attempt("GET", "/api/letters/{letter_id}", f"/api/letters/{letter_id}").status_code == 404
    assert attempt("PATCH", "/api/letters/{letter_id}", f"/api/letters/{letter_id}",
                   json={"body": "hacked", "favorite": True}).status_code == 404
    assert attempt("DELETE", "/api/letters/{letter_id}",
                   f"/api/letters/{letter_id}").status_code == 404
    assert attempt("GET", "/api/letters/{letter_id}/handwritten",
                   f"/api/letters/{letter_id}/handwritten?format=png").status_code == 404
    assert attempt("GET", "/api/books").json()["books"] == []
    for fmt in ("pdf", "epub"):
        assert attempt("GET", "/api/books/{book_id}/{fmt}",
                       f"/api/books/{book_id}/{fmt}").status_code == 404
    assert attempt("GET", "/api/music").json()["pieces"] == []
    for fmt in ("wav", "mid"):
        assert attempt("GET", "/api/music/{piece_id}/{fmt}",
                       f"/api/music/{piece_id}/{fmt}").status_code == 404
    attempt("POST", "/api/auth/logout")
    assert amy.get(f"/api/letters/{letter_id}").json()["body"] == secret
    assert amy.get(f"/api/books/{book_id}/pdf").content.startswith(b"%PDF")
    assert amy.get(f"/api/music/{piece_id}/mid").content.startswith(b"MThd")
    assert Approvals(live_server.store, amy_id, live_server.state.clock).get(
        proposal.id).status == "pending"  # type: ignore[union-attr]

    untested = routes(live_server) - PUBLIC - tried
    assert not untested, f"routes without an ownership test: {sorted(untested)}"

    # amy's things are all still there, unchanged.
    assert amy.get("/api/memories").json()["memories"][0]["id"] == memory_id
    assert amy.get("/api/memories").json()["memories"][0]["content"] != "hacked"
    assert amy.get("/api/keys").json()["keys"][0]["id"] == amy_key["id"]
    assert amy.get("/api/settings").json()["emotion"] is False
    assert live_server.client().post("/api/auth/login", json={
        "handle": "amy", "password": "amy's password"}).status_code == 200


def _amys_letters_book_and_music(server: LiveServer, amy_id: int,
                                 secret: str) -> tuple[int, int, int]:
    from os1.tools.letters.library import LetterLibrary
    from os1.tools.music.service import MusicService

    now = server.state.clock.now()
    library = LetterLibrary(server.store)
    letter = library.add(amy_id, sender="Amy", recipient="Charles", body=secret, now=now)
    folder = server.state.pool.shared.people_dir / str(amy_id)  # type: ignore[operator]
    (folder / "books").mkdir(parents=True)
    pdf, epub = folder / "books" / "b.pdf", folder / "books" / "b.epub"
    pdf.write_bytes(b"%PDF-1.4 " + secret.encode())
    epub.write_bytes(b"PK " + secret.encode())
    book = library.add_book(amy_id, title="Amy's letters", subtitle="", author="Amy",
                            foreword="", letter_ids=[letter.id], pdf_path=str(pdf),
                            epub_path=str(epub), verdict={}, now=now)
    piece = MusicService(server.store, amy_id, server.state.clock, folder / "music").compose(
        "the day Amy met Charles", seconds=30)
    return letter.id, book.id, piece.id


def test_a_socket_hears_only_its_owner(live_server: LiveServer) -> None:
    amy = sign_up(live_server, "amy")
    eve = sign_up(live_server, "eve")
    live_server.backend.default = "Only for amy."
    with open_ws(live_server, eve) as eve_ws, open_ws(live_server, amy) as amy_ws:
        _, frames = say(amy_ws, "A private thought")
        seqs = [f["seq"] for f in frames]
        eve_ws.send(json.dumps({"type": "ping"}))
        heard = until(eve_ws, "pong")
        assert [f["type"] for f in heard] == ["pong"]
    # Resuming after an early seq replays only one's own events.
    with open_ws(live_server, eve, after="0-0") as eve_ws:
        eve_ws.send(json.dumps({"type": "ping"}))
        heard = until(eve_ws, "pong")
        assert all("private" not in json.dumps(f) and "amy" not in json.dumps(f) for f in heard)
        assert all(f.get("seq") not in seqs for f in heard)
    # An API key is one person's: amy's key speaks to amy's companion only.
    key = amy.post("/api/keys", json={"name": "k"}, headers=csrf(amy)).json()["key"]
    r = httpx.get(f"{live_server.url}/api/me", headers={"Authorization": f"Bearer {key}"})
    assert r.json()["user"]["handle"] == "amy"
    assert cookie_header(eve)["Cookie"] != cookie_header(amy)["Cookie"]
