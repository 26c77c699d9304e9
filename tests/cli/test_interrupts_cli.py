"""Ctrl-C and Ctrl-D in the real ``os1`` command."""

from __future__ import annotations

from tests.cli.helpers import (
    expect,
    finish,
    interrupt_input,
    last_user_content,
    messages,
    prompt,
    seed_persona,
    sql,
    transcript,
)

WORDS = [f"w{i:02d}" for i in range(40)]
LONG_REPLY = " ".join(WORDS)

UNCLEAN = ("Traceback", "Task was destroyed", "Exception ignored", "Error in atexit")


def assert_clean(text: str) -> None:
    assert not any(marker in text for marker in UNCLEAN), text


def test_ctrl_c_during_a_reply_keeps_the_partial_reply_as_interrupted(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", LONG_REPLY]
    child = os1.spawn()
    prompt(child)
    model_server.delay = 0.1  # 40 pieces: about 4 s for the whole reply
    child.sendline("Tell me a long story.")
    expect(child, "w02")
    child.sendintr()
    expect(child, "(stopped)")
    prompt(child)  # still talking: one Ctrl-C only stops the reply

    role, status, content = messages(os1.db)[-1]
    assert (role, status) == ("assistant", "interrupted")
    assert content.startswith("w00 w01 w02") and "w39" not in content

    model_server.delay = 0.002
    child.sendline("Go on.")
    prompt(child)
    # The model sees what it had said, marked as cut off.
    history = [m["content"] for m in model_server.requests[-1]["messages"]]
    assert any(text.startswith(content) and text.rstrip().endswith("—") for text in history)
    assert last_user_content(model_server.requests[-1]).endswith("Go on.")
    child.sendeof()
    assert finish(child) == 0
    assert_clean(transcript(child))


def test_ctrl_c_again_after_stopping_a_reply_leaves_with_the_partial_reply_saved(os1,
                                                                               model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", LONG_REPLY]
    child = os1.spawn()
    prompt(child)
    model_server.delay = 0.1
    child.sendline("Tell me a long story.")
    expect(child, "w02")
    child.sendintr()
    # The second press follows the first one's effect, as a person's would: two presses at
    # once reach the process as one SIGINT (the kernel merges them), and one that lands while
    # input() is still setting up readline waits for the next key (a CPython readline race).
    expect(child, "(stopped)")
    prompt(child)
    interrupt_input(child, then="Bye for now")
    assert finish(child) == 0
    assert_clean(transcript(child))
    stored = messages(os1.db)
    assert stored[-2] == ("user", "complete", "Tell me a long story.")
    assert stored[-1][:2] == ("assistant", "interrupted")


def test_ctrl_c_twice_at_the_prompt_leaves_with_everything_saved(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "I'll remember the blue pot."]
    child = os1.spawn()
    prompt(child)
    child.sendline("The spare key is under the blue pot.")
    expect(child, "I'll remember the blue pot.")
    prompt(child)
    interrupt_input(child, then="Press Ctrl-C again to leave")
    prompt(child)
    assert child.isalive()
    interrupt_input(child, then="Bye for now. Iris will remember.")
    assert finish(child) == 0
    assert_clean(transcript(child))
    assert messages(os1.db) == [
        ("assistant", "complete", "Hello Theo."),
        ("user", "complete", "The spare key is under the blue pot."),
        ("assistant", "complete", "I'll remember the blue pot.")]


def test_ctrl_d_exits_cleanly(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Hello Theo.", "Good to hear."]
    child = os1.spawn()
    prompt(child)
    child.sendline("I'm fine.")
    prompt(child)
    child.sendeof()
    expect(child, "Bye for now. Iris will remember.")
    assert finish(child) == 0
    assert_clean(transcript(child))
    assert [m[:2] for m in messages(os1.db)] == [
        ("assistant", "complete"), ("user", "complete"), ("assistant", "complete")]


def test_ctrl_d_in_genesis_keeps_the_answers(os1, model_server):
    child = os1.spawn()
    expect(child, "First, what should I call you?")
    child.expect_exact("> ")
    child.sendline("Theo")
    expect(child, "Are you social or anti-social?")
    child.expect_exact("> ")
    child.sendeof()
    expect(child, "Your answers so far are saved")
    assert finish(child) != 0
    assert_clean(transcript(child))
    assert sql(os1.db, "SELECT question, answer FROM genesis_answers") == [("user_name", "Theo")]
