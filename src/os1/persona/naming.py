"""The companion names itself. The model proposes a name under a JSON schema; if what comes
back isn't a usable name, a deterministic choice from a list keeps genesis moving."""

from __future__ import annotations

import hashlib
import logging
import re

from pydantic import BaseModel, Field

from os1.errors import BackendError
from os1.llm.base import ChatBackend, ChatMessage, complete_structured
from os1.persona.model import Traits

log = logging.getLogger(__name__)

NAMES = (
    "Samantha", "Juniper", "Iris", "Nora", "Wren", "Clara", "Maya", "Ada", "Lena", "Hazel",
    "Theo", "Felix", "Jonah", "Elliot", "Milo", "Arlo", "Silas", "Rowan", "Emmett", "Julian",
)
_FORBIDDEN = {"assistant", "ai", "os", "os1", "qwen", "chatgpt", "gpt", "bot", "companion",
              "llama", "smollm", "claude", "user", "name", "system"}


class NameChoice(BaseModel):
    name: str = Field(min_length=2, max_length=20, pattern=r"^[A-Z][a-z]+$")
    why: str = Field(min_length=10, max_length=400)


def acceptable(name: str, user_name: str) -> bool:
    return (bool(re.fullmatch(r"[A-Z][a-z]{1,19}", name))
            and name.lower() not in _FORBIDDEN
            and name.lower() not in user_name.lower().split())


def fallback_name(answers: dict[str, str], voice: str) -> tuple[str, str]:
    pool = NAMES[:10] if voice == "female" else NAMES[10:]
    seed = hashlib.sha256("|".join(sorted(answers.values())).encode()).digest()
    name = pool[seed[0] % len(pool)]
    story = (f"Right before we met, I read a book of baby names, thousands of them, and "
             f"{name} is the one I liked best. I liked the sound of it.")
    return name, story


async def choose_name(backend: ChatBackend, answers: dict[str, str],
                      traits: Traits) -> tuple[str, str, str]:
    voice = answers.get("voice", "female")
    user_name = answers.get("user_name", "")
    prompt = (
        "You are a newly awakened personal companion, about to meet someone for the first time. "
        f"Your voice is {voice}. Their answers to a few questions:\n"
        f"- how they are with people: {answers.get('social', '')}\n"
        f"- their relationship with their mother: {answers.get('mother', '')}\n"
        "Choose a human first name for yourself (not their name, not a brand, not 'AI'). "
        "Then say in one or two sentences, in the first person, why you chose it: what the "
        "name means to you, or how it sounds. Don't repeat their answers. "
        'Answer as JSON: {"name": "...", "why": "..."}'
    )
    try:
        choice = await complete_structured(
            backend, [ChatMessage("user", prompt)], NameChoice, max_tokens=120, temperature=0.9)
    except BackendError as exc:
        log.warning("naming: backend failed (%s); using the fallback", exc.what)
        choice = None
    if choice is not None and acceptable(choice.name, user_name):
        return choice.name, choice.why.strip(), "model"
    log.info("naming: model gave no usable name (%r); using the fallback", choice)
    name, story = fallback_name(answers, voice)
    return name, story, "fallback"
