"""What a person types (or pipes in) that os1 can't use as it is."""

from __future__ import annotations

from tests.cli.helpers import (
    NAME_REPLY,
    expect,
    finish,
    last_user_content,
    messages,
    plain,
    prompt,
    seed_persona,
    sql,
    transcript,
)


def test_an_empty_message_is_not_stored_and_the_person_is_told(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo."]
    child = os1.spawn()
    prompt(child)
    for empty in ("", "     "):
        child.sendline(empty)
        expect(child, "There's nothing in that message. Type something and press Enter.")
        prompt(child)
    child.sendeof()
    assert finish(child) == 0
    assert messages(os1.db) == [("assistant", "complete", "Hello Theo.")]
    assert len(model_server.requests) == 1  # the greeting only: the model wasn't asked


def test_a_100000_character_message_is_stored_whole_and_the_model_sees_a_trimmed_one(
        os1, model_server):
    # Piped: a terminal's line discipline caps a typed line at 4 KiB, a pipe doesn't.
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "That was a lot to read."]
    body = "the quick brown fox jumps over the lazy dog "
    text = ("BEGIN " + body * 2300)[:100_000 - 4] + " END"
    assert len(text) == 100_000

    result = os1.run(stdin=text.encode() + b"\n")
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "That's a long message. I've saved all of it" in out
    assert "That was a lot to read." in out

    stored = messages(os1.db)
    assert stored[1] == ("user", "complete", text)  # whole
    seen = last_user_content(model_server.requests[1])
    assert len(seen) < 20_000
    assert seen.startswith("BEGIN the quick brown fox") and seen.endswith(" END")
    assert "characters left out here" in seen


def test_invalid_utf8_piped_in_is_stored_with_replacement_characters(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "Café it is."]
    result = os1.run(stdin=b"caf\xe9 au lait, \xff please\n")
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "wasn't valid text (UTF-8)" in out
    assert "Traceback" not in out
    assert messages(os1.db)[1] == ("user", "complete", "caf\ufffd au lait, \ufffd please")
    assert last_user_content(model_server.requests[1]) == "caf\ufffd au lait, \ufffd please"


def test_invalid_utf8_typed_at_the_terminal_is_replaced_and_the_chat_goes_on(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "Got it.", "Still here."]
    child = os1.spawn(binary=True)
    prompt(child)
    child.send(b"bad \xff\xfe bytes\r")
    expect(child, "wasn't valid text (UTF-8)")
    expect(child, "Got it.")
    prompt(child)
    child.sendline(b"and now good ones")
    expect(child, "Still here.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    stored = messages(os1.db)
    role, status, content = stored[1]
    assert (role, status) == ("user", "complete")
    assert content.startswith("bad ") and content.endswith(" bytes") and "\ufffd" in content
    assert stored[3] == ("user", "complete", "and now good ones")
    assert "Traceback" not in transcript(child)


def test_invalid_utf8_in_a_genesis_answer_is_replaced_not_a_crash(os1, model_server):
    model_server.replies += [NAME_REPLY, "Hello."]
    result = os1.run(stdin=b"Th\xffeo\nsocial\nclose\nfemale\n")
    out = plain(result.stdout + result.stderr)
    assert result.returncode == 0, out
    assert "Traceback" not in out
    assert "wasn't valid text (UTF-8)" in out
    assert sql(os1.db, "SELECT user_name FROM personas") == [("Th\ufffdeo",)]
