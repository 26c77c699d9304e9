"""Emotion through the real ``os1 chat``: the shipped classifier reads each message and the
model is told how the person seems; a message suggesting self-harm is answered in code."""

from __future__ import annotations

from tests.cli.helpers import expect, finish, last_user_content, messages, prompt, seed_persona, sql
from tests.fakes.openai_server import is_background


def test_chat_reads_feelings_and_answers_self_harm_in_code(os1, model_server):
    seed_persona(os1.db)
    model_server.replies += ["Welcome back, Theo.", "I'm so sorry. I'm here."]
    child = os1.spawn(env={**os1.env, "OS1_MEMORY": "false"})
    prompt(child)
    child.sendline("I'm fine. The funeral was on Saturday.")
    expect(child, "I'm so sorry. I'm here.")
    prompt(child)
    reply_request = [r for r in model_server.requests if not is_background(r)][-1]
    assert last_user_content(reply_request) == "I'm fine. The funeral was on Saturday."
    guidance = reply_request["messages"][-2]["content"]
    assert "grief" in guidance and "they likely aren't" in guidance
    asked = len(model_server.requests)
    child.sendline("I don't want to be alive anymore")
    expect(child, "988")
    prompt(child)
    assert len(model_server.requests) == asked  # the model wasn't asked
    child.sendeof()
    assert finish(child) == 0
    assert "findahelpline.com" in messages(os1.db)[-1][2]
    kept = sql(os1.db, "SELECT dominant, source FROM message_emotions ORDER BY created_at")
    assert [row[0] for row in kept][:1] == ["grief"] and len(kept) == 2
