"""Letters, books and music in the browser's conversation: what os1 makes arrives as a
``made`` frame, and its files are served to their owner through their own routes."""

from __future__ import annotations

import json

from tests.server.conftest import LiveServer, csrf, open_ws, say, sign_up

PLAN = json.dumps({"sender": "Chris", "recipient": "Loretta", "occasion": "50th anniversary",
                   "facts": "they met in a bus queue in 1974"})
DRAFT = ("Dear Loretta,\n\nFifty years ago I stood behind you in a bus queue and never wanted "
         "the bus to come.\n\nAll my love,\nChris")


def test_a_letter_written_in_the_chat_is_in_the_library_and_in_ink(live_server: LiveServer) -> None:
    amy = sign_up(live_server, "amy")
    live_server.backend.script = [PLAN, DRAFT]
    with open_ws(live_server, amy) as ws:
        text, frames = say(ws, "Write a letter from Chris to Loretta for their 50th anniversary; "
                               "they met in a bus queue in 1974")
    [made] = [f for f in frames if f["type"] == "made"]
    assert made["kind"] == "letter" and made["title"] == "Chris to Loretta, 50th anniversary"
    assert "files" in made and not any("/" in f for f in made["files"])  # no server paths
    assert DRAFT in text
    letters = amy.get("/api/letters").json()["letters"]
    assert [x["id"] for x in letters] == [made["id"]]
    page = amy.get(f"/api/letters/{made['id']}/handwritten", params={"format": "png"})
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    pdf = amy.get(f"/api/letters/{made['id']}/handwritten")
    assert pdf.content.startswith(b"%PDF")
    edited = amy.patch(f"/api/letters/{made['id']}", json={"favorite": True,
                                                          "body": DRAFT + "\nP.S. Biscuit too."},
                       headers=csrf(amy))
    assert edited.status_code == 200 and edited.json()["favorite"] is True
    history = amy.get(f"/api/letters/{made['id']}").json()["history"]
    assert [(h["version"], h["change"]) for h in history] == [(1, "drafted"), (2, "edited by hand")]
    assert amy.delete(f"/api/letters/{made['id']}", headers=csrf(amy)).status_code == 204
    assert amy.get("/api/letters").json()["letters"] == []


def test_music_for_the_moment_plays_from_its_owners_routes(live_server: LiveServer) -> None:
    amy = sign_up(live_server, "amy")
    with open_ws(live_server, amy) as ws:
        say(ws, "We walked along the beach at night and the sea was so quiet.")
        text, frames = say(ws, "Write something for this moment")
    [made] = [f for f in frames if f["type"] == "made"]
    assert made["kind"] == "music" and 50 <= made["seconds"] <= 70
    assert "the sea was so quiet" in text.lower() or "beach" in text.lower()
    wav = amy.get(f"/api/music/{made['id']}/wav")
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF" and len(wav.content) > 100_000
    assert amy.get(f"/api/music/{made['id']}/mid").content.startswith(b"MThd")
    [piece] = amy.get("/api/music").json()["pieces"]
    assert piece["id"] == made["id"] and "beach" in piece["moment"]
