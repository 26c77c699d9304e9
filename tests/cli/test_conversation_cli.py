"""Talking through the real ``os1`` command: streaming, greeting on return, persistence."""

from __future__ import annotations

from tests.cli.helpers import (
    NAME_REPLY,
    answer_genesis,
    expect,
    finish,
    messages,
    prompt,
    request_text,
    seed_persona,
    transcript,
)


def test_a_reply_streams_as_it_is_written(os1, model_server):
    seed_persona(os1.db)
    words = [f"w{i:02d}" for i in range(16)]
    model_server.replies += ["Welcome back, Theo.", " ".join(words)]
    child = os1.spawn()
    prompt(child)
    model_server.delay = 0.15  # 16 pieces: about 2.4 s from the first word to the last
    child.sendline("Tell me something.")
    expect(child, "w00")
    assert "w15" not in transcript(child), "the reply was shown only once it was complete"
    prompt(child)
    assert " ".join(words) in transcript(child)
    child.sendeof()
    assert finish(child) == 0
    assert messages(os1.db)[-1] == ("assistant", "complete", " ".join(words))


def test_a_second_start_greets_the_person_and_everything_survives_the_restart(os1, model_server):
    model_server.replies += [NAME_REPLY, "Hello Theo, I'm Juniper.", "Pixel is a lovely name."]
    child = os1.spawn()
    answer_genesis(child)
    prompt(child)
    child.sendline("My cat is called Pixel.")
    expect(child, "Pixel is a lovely name.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    first = messages(os1.db)
    assert first == [("assistant", "complete", "Hello Theo, I'm Juniper."),
                     ("user", "complete", "My cat is called Pixel."),
                     ("assistant", "complete", "Pixel is a lovely name.")]

    seen = len(model_server.requests)
    model_server.replies += ["Welcome back, Theo. How is Pixel?"]
    child = os1.spawn()
    expect(child, "Welcome back, Theo. How is Pixel?")
    prompt(child)
    greeting = model_server.requests[seen]
    roles = [m["role"] for m in greeting["messages"]]
    assert "My cat is called Pixel." in request_text(greeting)
    assert "Pixel is a lovely name." in request_text(greeting)
    assert "user" in roles and "assistant" in roles
    assert "just come back" in request_text(greeting)
    child.sendeof()
    assert finish(child) == 0

    again = messages(os1.db)
    assert again[:3] == first  # nothing lost or changed by the restart
    assert again[3:] == [("assistant", "complete", "Welcome back, Theo. How is Pixel?")]
