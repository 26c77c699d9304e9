"""A model server that refuses, hangs or fails: the person's message is kept, the error says
what to do, and the conversation goes on."""

from __future__ import annotations

import socket
import time

from tests.cli.helpers import expect, finish, messages, prompt, seed_persona, transcript
from tests.fakes.openai_server import ERROR500, HANG


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_that_refuses_connections(os1):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    os1.env["OS1_OPENAI_BASE_URL"] = url
    seed_persona(os1.db)
    child = os1.spawn()
    expect(child, f"Couldn't reach the model server at {url}")  # the greeting
    prompt(child)
    child.sendline("Are you there?")
    expect(child, f"Couldn't reach the model server at {url} (connection refused or no such host)."
                  " Your message is saved.")
    expect(child, "os1 config set openai.base_url URL")
    expect(child, "os1 config set backend embedded")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    assert "Traceback" not in transcript(child)
    assert messages(os1.db) == [("user", "complete", "Are you there?")]


def test_a_server_that_hangs_times_out(os1, model_server):
    os1.env["OS1_READ_TIMEOUT"] = "1"
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", HANG, "I'm back."]
    child = os1.spawn()
    prompt(child)
    started = time.monotonic()
    child.sendline("Hello?")
    expect(child, "stopped answering (nothing for 1 s). Your message is saved.", timeout=15)
    assert time.monotonic() - started < 10
    expect(child, "os1 config set read_timeout SECONDS")
    prompt(child)
    child.sendline("Hello again?")
    expect(child, "I'm back.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    assert messages(os1.db) == [("assistant", "complete", "Hello Theo."),
                                ("user", "complete", "Hello?"),
                                ("user", "complete", "Hello again?"),
                                ("assistant", "complete", "I'm back.")]


def test_a_server_error_500(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", ERROR500, "Sorry, I'm here now."]
    child = os1.spawn()
    prompt(child)
    child.sendline("How are you?")
    expect(child, f"The model server at {model_server.url} answered HTTP 500")
    expect(child, "Your message is saved.")
    expect(child, "Try again, or switch to the embedded model")
    prompt(child)
    child.sendline("How are you now?")
    expect(child, "Sorry, I'm here now.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    assert "Traceback" not in transcript(child)
    assert messages(os1.db) == [("assistant", "complete", "Hello Theo."),
                                ("user", "complete", "How are you?"),
                                ("user", "complete", "How are you now?"),
                                ("assistant", "complete", "Sorry, I'm here now.")]
    # The model sees the unanswered message too.
    assert "How are you?" in str(model_server.requests[-1]["messages"])
