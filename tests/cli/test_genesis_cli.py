"""Genesis through the real ``os1`` command: the questions, re-asking, naming, resuming."""

from __future__ import annotations

import json

import pytest

from os1.persona.naming import NAMES, acceptable
from tests.cli.helpers import (
    NAME_REPLY,
    QUESTIONS,
    answer_genesis,
    expect,
    finish,
    interrupt_input,
    messages,
    prompt,
    request_text,
    seed_persona,
    sql,
    transcript,
)


def genesis_answers(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(sql(db, "SELECT question, answer FROM genesis_answers"))


def test_genesis_asks_one_at_a_time_reasks_and_the_companion_introduces_itself(os1, model_server):
    model_server.replies += [NAME_REPLY, "Hello Theo. I'm Juniper. What made you smile today?"]
    child = os1.spawn()

    expect(child, QUESTIONS[0])
    child.expect_exact("> ")
    assert not any(q in transcript(child) for q in QUESTIONS[1:]), "asked more than one question"
    child.sendline("")  # an empty answer is re-asked, with a hint
    expect(child, "Take your time. I'll wait for an answer.")
    child.expect_exact("> ")
    assert QUESTIONS[1] not in transcript(child)
    assert genesis_answers(os1.db) == {}
    child.sendline("Theo")

    expect(child, QUESTIONS[1])
    expect(child, "In your own words is fine")
    child.expect_exact("> ")
    assert genesis_answers(os1.db) == {"user_name": "Theo"}  # stored as soon as it is given
    assert QUESTIONS[2] not in transcript(child)
    child.sendline("social")

    expect(child, QUESTIONS[2])
    child.expect_exact("> ")
    assert QUESTIONS[3] not in transcript(child)
    child.sendline("We're close, she calls every Sunday.")

    expect(child, QUESTIONS[3])
    child.expect_exact("> ")
    child.sendline("purple")  # not a voice: re-asked with a hint
    expect(child, "Just say 'female' or 'male'.")
    child.expect_exact("> ")
    assert "voice" not in genesis_answers(os1.db)
    assert "Thank you" not in transcript(child)
    child.sendline("female")

    expect(child, "Thank you. Please wait as your individualized operating system is initiated.")
    expect(child, "I'm Juniper.")
    prompt(child)

    personas = sql(os1.db, "SELECT name, user_name, voice, active, answers FROM personas")
    assert len(personas) == 1
    name, user_name, voice, active, answers = personas[0]
    assert (name, user_name, voice, active) == ("Juniper", "Theo", "female", 1)
    assert json.loads(answers)["mother"] == "We're close, she calls every Sunday."
    assert genesis_answers(os1.db) == {}  # used up by the persona

    naming, greeting = model_server.requests[:2]
    assert "response_format" in naming, "the name should be asked for under a JSON schema"
    assert "Juniper" in request_text(greeting), "the greeting prompt should know the chosen name"
    assert messages(os1.db) == [
        ("assistant", "complete", "Hello Theo. I'm Juniper. What made you smile today?")]

    child.sendeof()
    assert finish(child) == 0


def test_the_companion_never_takes_the_persons_name(os1, model_server):
    model_server.replies += [json.dumps({"name": "Theo", "why": "Because we would match."}),
                             "Hello Theo."]
    child = os1.spawn()
    answer_genesis(child, ("Theo", "anti-social", "It's complicated.", "male"))
    prompt(child)
    child.sendeof()
    assert finish(child) == 0

    [(name, user_name, voice)] = sql(os1.db, "SELECT name, user_name, voice FROM personas")
    assert user_name == "Theo" and voice == "male"
    assert name != "Theo" and acceptable(name, "Theo")
    assert name in NAMES


def test_ctrl_c_in_genesis_keeps_the_answers_and_the_next_run_resumes(os1, model_server):
    child = os1.spawn()
    answer_genesis(child, ("Theo", "anti-social"))
    expect(child, QUESTIONS[2])
    child.expect_exact("> ")
    child.send("It's compli")  # half an answer, then Ctrl-C
    child.expect_exact("It's compli")
    interrupt_input(child, then="Your answers so far are saved")
    assert finish(child) == 130
    assert genesis_answers(os1.db) == {"user_name": "Theo", "social": "anti-social"}
    assert sql(os1.db, "SELECT count(*) FROM personas") == [(0,)]

    model_server.replies += [NAME_REPLY, "Hello Theo."]
    child = os1.spawn()
    expect(child, "Picking up where we left off.")
    expect(child, QUESTIONS[2])
    assert QUESTIONS[0] not in transcript(child) and QUESTIONS[1] not in transcript(child)
    child.expect_exact("> ")
    child.sendline("It's complicated.")
    answer_genesis(child, ("male",), start=3)
    prompt(child)
    child.sendeof()
    assert finish(child) == 0

    [(user_name, voice, answers)] = sql(os1.db, "SELECT user_name, voice, answers FROM personas")
    assert (user_name, voice) == ("Theo", "male")
    assert json.loads(answers) == {"user_name": "Theo", "social": "anti-social",
                                   "mother": "It's complicated.", "voice": "male"}


@pytest.mark.parametrize("refusal", ["n", "", "ctrl-c"])
def test_setup_again_asks_first_and_no_changes_nothing(os1, model_server, refusal):
    seed_persona(os1.db, name="Iris")
    before = sql(os1.db, "SELECT * FROM personas")

    child = os1.spawn("setup")
    expect(child, "You've already met Iris")
    assert finish(child) == 0

    child = os1.spawn("setup", "--again")
    expect(child, "Start again? [y/N]")
    if refusal == "ctrl-c":
        interrupt_input(child, then="Nothing changed.")
    else:
        child.sendline(refusal)
        expect(child, "Nothing changed.")
    assert finish(child) == 0
    assert QUESTIONS[0] not in transcript(child)
    assert sql(os1.db, "SELECT * FROM personas") == before
    assert model_server.requests == []


def test_setup_again_yes_makes_a_new_companion_and_retires_the_old_one(os1, model_server):
    model_server.replies += ["I'd rather not say.", "Hello Theo.", "Noted.",
                             NAME_REPLY, "Hi Theo, I'm Juniper."]
    child = os1.spawn()
    answer_genesis(child)  # no usable name from the model: a name from os1's list
    prompt(child)
    child.sendline("Remember that I like rain.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0
    [(old_name,)] = sql(os1.db, "SELECT name FROM personas")
    assert old_name in NAMES
    old_messages = messages(os1.db)

    child = os1.spawn("setup", "--again")
    expect(child, "Start again? [y/N]")
    child.sendline("y")
    answer_genesis(child, ("Theo", "social", "Loving.", "female"))  # from the first question
    expect(child, "I'm Juniper.")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0

    personas = sql(os1.db, "SELECT name, active, retired_at IS NOT NULL FROM personas ORDER BY id")
    assert personas == [(old_name, 0, 1), ("Juniper", 1, 0)]
    assert messages(os1.db)[:len(old_messages)] == old_messages  # the old conversation is kept
    # The new companion starts a conversation of its own.
    conversations = sql(os1.db, "SELECT persona_id FROM conversations ORDER BY id")
    assert len(conversations) == 2 and conversations[0] != conversations[1]


def embedded_env(env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in env.items() if k != "OS1_OPENAI_BASE_URL"}
    env.update({"OS1_BACKEND": "embedded", "OS1_MODEL": "smollm2-135m",
                "OS1_MAX_REPLY_TOKENS": "48", "OS1_CONTEXT_TOKENS": "2048",
                # One thread: with every core busy elsewhere (a parallel test run), llama.cpp's
                # spinning worker threads slow to seconds per token.
                "OS1_THREADS": "1"})
    return env


@pytest.mark.slow
def test_genesis_with_the_real_embedded_model(os1):
    child = os1.spawn(env=embedded_env(os1.env))
    child.timeout = 180
    expect(child, QUESTIONS[0])
    child.sendline("Theo")  # at once: the model is still loading in the background
    answer_genesis(child, ("social", "We're close, she calls every Sunday.", "female"), start=1)
    expect(child, "Thank you. Please wait", timeout=60)
    prompt(child)
    child.sendline("What is your name?")
    prompt(child)
    child.sendeof()
    assert finish(child) == 0

    [(name, user_name, active)] = sql(os1.db, "SELECT name, user_name, active FROM personas")
    assert user_name == "Theo" and active == 1
    assert acceptable(name, "Theo"), name
    stored = messages(os1.db)
    assert [(role, status) for role, status, _ in stored] == [
        ("assistant", "complete"), ("user", "complete"), ("assistant", "complete")]
    assert stored[0][2] and stored[2][2], "the real model said nothing"


@pytest.mark.slow
def test_genesis_questions_stay_visible_while_the_embedded_model_loads(os1):
    env = embedded_env(os1.env)
    os1.run("models", "install", "smollm2-135m", env=env)  # verified once: no hashing below
    child = os1.spawn(env=env)
    child.timeout = 8
    answers = ("Theo", "social", "We're close.", "female")
    for question, answer in zip(QUESTIONS, answers, strict=True):  # a quick typist
        expect(child, question)
        child.expect_exact("> ")
        child.sendline(answer)
    expect(child, "Thank you. Please wait")
    shown = transcript(child)
    assert all(answer in shown for answer in answers), shown
