"""Genesis: the first-boot questions, and how the answers shape the companion.

This module knows nothing about terminals or browsers: a surface asks ``next_question``,
shows its text, passes the reply to ``accept_answer`` (which stores it at once, so an
interrupted genesis resumes where it stopped), and finally calls ``create_persona``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from os1.llm.base import ChatBackend
from os1.persona.model import Persona, Traits
from os1.persona.naming import choose_name
from os1.store import Store

WELCOME = (
    "Welcome to os1, an operating system that listens, understands and knows you.\n"
    "Before it is initiated, I'd like to ask you a few basic questions.\n"
    "This will help create a companion that fits you best."
)


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    hint: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question("user_name", "First, what should I call you?"),
    Question("social", "Are you social or anti-social?",
             "In your own words is fine: social, anti-social, somewhere in between."),
    Question("mother", "How would you describe your relationship with your mother?"),
    Question("voice", "Would you like your companion to have a female or a male voice?",
             "female or male"),
)

MAX_ANSWER = 2000


class AnswerNotUnderstood(ValueError):
    """The answer can't be used; the message says how to answer (shown, then asked again)."""


def next_question(answers: dict[str, str]) -> Question | None:
    for question in QUESTIONS:
        if question.key not in answers:
            return question
    return None


def normalize(key: str, raw: str) -> str:
    text = " ".join(raw.split())
    if not text:
        raise AnswerNotUnderstood("Take your time. I'll wait for an answer.")
    if len(text) > MAX_ANSWER:
        text = text[:MAX_ANSWER]
    if key == "user_name":
        if len(text) > 60:
            raise AnswerNotUnderstood("That's a little long for a name. What should I call you, "
                                      "in a few words?")
        return text.strip(" .!\"'")
    if key == "voice":
        low = text.lower()
        female = re.search(r"\b(f|female|woman|women|girl|her|she|feminine)\b", low)
        male = re.search(r"\b(m|male|man|men|boy|him|he|masculine)\b", low)
        if female and not male:
            return "female"
        if male and not female:
            return "male"
        if re.search(r"\b(either|any|whatever|don'?t mind|no preference|surprise)\b", low):
            return "female"
        raise AnswerNotUnderstood("Just say 'female' or 'male'. You can change it later.")
    return text


def accept_answer(store: Store, user_id: int, key: str, raw: str) -> str:
    """Validate and store one answer immediately. Raises AnswerNotUnderstood."""
    value = normalize(key, raw)
    store.save_genesis_answer(user_id, key, value)
    return value


_NEGATIVE = re.compile(r"\b(complicated|difficult|hard|distant|strained|bad|terrible|awful|"
                       r"toxic|estranged|don'?t (talk|speak)|never|cold|tense|rocky|"
                       r"frustrat\w*|annoy\w*|critical|controlling|abusive|absent|nonexistent)\b")
_POSITIVE = re.compile(r"\b(close|great|good|loving|lovely|warm|wonderful|best friend|"
                       r"supportive|amazing|love|fine|healthy|solid|kind)\b")
_LOSS = re.compile(r"\b(passed|died|dead|lost her|gone|late mother|miss her)\b")
_ANTI = re.compile(r"\b(anti|antisocial|introvert\w*|shy|loner|alone|quiet|hermit|recluse)|"
                   r"(\bnot\b|n't|\bnever\b|\bhardly\b|\brarely\b|\bno longer\b)[\w\s']{0,25}"
                   r"\bsocial")
_MIXED = re.compile(r"\b(both|depends|between|ambivert|mix|bit of|sometimes|little)\b")


def derive_traits(answers: dict[str, str]) -> Traits:
    """A character from the answers. Deterministic, so the same answers give the same soul.

    Social people get more play and questions; anti-social people get a calmer, gentler
    companion that doesn't crowd them. A difficult relationship with one's mother (or a
    loss) makes the companion warmer and less blunt; a close one lets it be franker.
    """
    social = answers.get("social", "").lower()
    mother = answers.get("mother", "").lower()
    warmth, humour, curiosity, directness = 0.7, 0.6, 0.7, 0.5
    if _ANTI.search(social) and not _MIXED.search(social):
        humour, curiosity, warmth = 0.45, 0.55, 0.75
    elif _MIXED.search(social):
        humour, curiosity = 0.6, 0.7
    elif "social" in social or re.search(r"\b(extrovert\w*|people|outgoing|party)\b", social):
        humour, curiosity = 0.8, 0.85
    if _LOSS.search(mother):
        warmth, directness = 0.9, 0.35
    elif _NEGATIVE.search(mother):
        warmth, directness = 0.85, 0.4
    elif _POSITIVE.search(mother):
        warmth, directness = 0.75, 0.6
    if re.search(r"\b(honest|blunt|direct|straight)\b", mother + " " + social):
        directness = min(0.85, directness + 0.25)
    return Traits(warmth=warmth, humour=humour, curiosity=curiosity, directness=directness)


async def create_persona(store: Store, backend: ChatBackend, user_id: int,
                         answers: dict[str, str]) -> tuple[Persona, str]:
    """The companion is born: traits from the answers, a name it chooses. Returns (persona, how
    the name was chosen: 'model' or 'fallback')."""
    missing = [q.key for q in QUESTIONS if q.key not in answers]
    if missing:
        raise ValueError(f"genesis is missing answers: {missing}")
    traits = derive_traits(answers)
    name, story, method = await choose_name(backend, answers, traits)
    persona = store.create_persona(user_id, name=name, name_story=story,
                                   user_name=answers["user_name"], voice=answers["voice"],
                                   traits=traits, answers=dict(answers))
    store.clear_genesis_answers(user_id)
    return persona, method
