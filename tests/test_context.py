from __future__ import annotations

from os1.companion import Companion
from os1.store import Store
from tests.conftest import make_companion
from tests.fakes.backend import FakeBackend


async def chat(companion: Companion, text: str) -> None:
    async for _ in companion.respond(text):
        pass


def is_fold(messages) -> bool:
    return "pause the conversation" in messages[-1].content


def summarizing_backend(context_tokens: int) -> FakeBackend:
    def reply(messages):
        if is_fold(messages):
            return "Theodore told me about his sister Amy and his job writing letters."
        return "I hear you, and I remember."
    return FakeBackend(default=reply, context_tokens=context_tokens)


async def test_a_long_history_is_folded_into_a_summary_and_always_fits(store: Store, persona,
                                                                       clock) -> None:
    backend = summarizing_backend(context_tokens=1024)
    companion = make_companion(store, persona, backend, clock)
    for i in range(120):
        await chat(companion, f"Turn {i}: my sister Amy says hello and the weather is grey. " * 2)
    for call in backend.calls:
        tokens = sum(backend.count_tokens(m.content) + 8 for m in call.messages)
        if is_fold(call.messages):  # the summary request: prompt plus summary fit the window
            assert tokens + call.max_tokens <= 1024
        else:  # a reply: prompt plus reply fit
            assert tokens <= 1024 - 128
    summary = store.latest_summary(persona.user_id, companion.conversation_id)
    assert summary is not None and summary.method == "model"
    folds = [c for c in backend.calls if is_fold(c.messages)]
    # the fold request continues the conversation prompt, so its prefix is already evaluated
    previous = backend.calls[backend.calls.index(folds[0]) - 1].messages
    assert folds[0].messages[0] == previous[0] and folds[0].messages[1] == previous[1]
    last_prompt = backend.calls[-1].messages
    assert "sister Amy" in last_prompt[0].content  # the summary rides in the persona prompt
    # nothing is deleted: all 240 messages are still stored
    stored = store.messages(persona.user_id, companion.conversation_id)
    assert sum(m.role in ("user", "assistant") for m in stored) == 240


async def test_folds_are_rare_so_the_prompt_prefix_stays_stable(store: Store, persona,
                                                                clock) -> None:
    backend = summarizing_backend(context_tokens=2048)
    companion = make_companion(store, persona, backend, clock)
    for i in range(60):
        await chat(companion, f"Message number {i} about my day.")
    chat_calls = [c for c in backend.calls if not is_fold(c.messages)]
    folds = len(backend.calls) - len(chat_calls)
    assert 1 <= folds <= 4
    stable = sum(1 for a, b in zip(chat_calls, chat_calls[1:], strict=False)
                 if [m.content for m in b.messages[:len(a.messages)]]
                 == [m.content for m in a.messages])
    assert stable >= len(chat_calls) - 1 - folds * 2  # prefix grows by appending between folds


async def test_summary_falls_back_when_the_model_fails(store: Store, persona, clock) -> None:
    def reply(messages):
        return "" if is_fold(messages) else "ok"
    backend = FakeBackend(default=reply, context_tokens=768)
    companion = make_companion(store, persona, backend, clock)
    for i in range(40):
        await chat(companion, f"Fact {i}: I like green tea in the morning.")
    summary = store.latest_summary(persona.user_id, companion.conversation_id)
    assert summary is not None and summary.method == "fallback"
    assert "green tea" in summary.content
