from __future__ import annotations

import json

import pytest

from os1.persona import genesis
from os1.persona.naming import NameChoice, acceptable
from os1.persona.prompt import persona_prompt
from os1.store import Store
from tests.fakes.backend import FakeBackend, down

ANSWERS = {"user_name": "Theodore", "social": "I haven't been very social lately",
           "mother": "complicated; she never listens", "voice": "female"}


def test_questions_come_one_at_a_time_in_order() -> None:
    answers: dict[str, str] = {}
    keys = []
    while (q := genesis.next_question(answers)) is not None:
        keys.append(q.key)
        answers[q.key] = "x"
    assert keys == ["user_name", "social", "mother", "voice"]


@pytest.mark.parametrize("raw,expected", [
    ("Female", "female"), ("a woman's voice please", "female"), ("m", "male"),
    ("Male.", "male"), ("I don't mind", "female")])
def test_voice_answers(raw: str, expected: str) -> None:
    assert genesis.normalize("voice", raw) == expected


@pytest.mark.parametrize("key,raw", [("voice", "purple"), ("user_name", "   "),
                                     ("user_name", "x" * 100), ("mother", "")])
def test_unusable_answers_are_explained(key: str, raw: str) -> None:
    with pytest.raises(genesis.AnswerNotUnderstood):
        genesis.normalize(key, raw)


def test_answers_are_stored_as_given_so_genesis_resumes(store: Store, user_id: int) -> None:
    genesis.accept_answer(store, user_id, "user_name", "  Theodore ")
    genesis.accept_answer(store, user_id, "social", "social")
    answers = store.genesis_answers(user_id)
    assert answers == {"user_name": "Theodore", "social": "social"}
    assert genesis.next_question(answers).key == "mother"


def test_answers_shape_the_character() -> None:
    shy = genesis.derive_traits(ANSWERS)
    outgoing = genesis.derive_traits(ANSWERS | {"social": "very social, I love people",
                                                "mother": "we're close, she's my best friend"})
    assert outgoing.humour > shy.humour and outgoing.curiosity > shy.curiosity
    assert shy.warmth > outgoing.warmth and shy.directness < outgoing.directness
    assert genesis.derive_traits(ANSWERS) == shy  # deterministic


async def test_the_model_names_the_companion(store: Store, user_id: int) -> None:
    backend = FakeBackend(script=[json.dumps({"name": "Juniper",
                                              "why": "It sounded like morning light to me."})])
    persona, method = await genesis.create_persona(store, backend, user_id, ANSWERS)
    assert (persona.name, method) == ("Juniper", "model")
    assert backend.calls[0].schema == NameChoice.model_json_schema()
    assert store.active_persona(user_id) == persona
    assert store.genesis_answers(user_id) == {}  # consumed into the persona
    prompt = persona_prompt(persona)
    assert "Juniper" in prompt and "morning light" in prompt and "Theodore" in prompt


@pytest.mark.parametrize("reply", ["not json at all", '{"name": "Theodore", "why": "same as you, ha"}',
                                   '{"name": "AI", "why": "because I am one, obviously"}', down()])
async def test_a_bad_or_absent_name_falls_back(store: Store, user_id: int, reply) -> None:
    persona, method = await genesis.create_persona(store, FakeBackend(script=[reply]), user_id,
                                                   ANSWERS)
    assert method == "fallback"
    assert acceptable(persona.name, "Theodore")
    assert "book of baby names" in persona.name_story


async def test_male_voice_gets_a_name_from_its_own_list(store: Store, user_id: int) -> None:
    persona, _ = await genesis.create_persona(store, FakeBackend(default="{}"), user_id,
                                              ANSWERS | {"voice": "male"})
    assert persona.voice == "male" and persona.name in genesis.choose_name.__globals__["NAMES"][10:]
