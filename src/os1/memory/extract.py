"""Learning from one exchange: ask the model for structure, validate it, resolve dates.

The model is asked for JSON under a schema (a grammar for llama.cpp) and the answer is
validated with pydantic. If it still fails, the caller keeps the episode and retries later.
Dates are never computed by the model: it copies the words ("next Friday") and they are
resolved here against the time the message was sent.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from os1.llm.base import ChatBackend, ChatMessage, complete, parse_structured

log = logging.getLogger(__name__)

LEARNED_KINDS = ("fact", "person", "preference", "plan", "event", "feeling")


class ExtractedItem(BaseModel):
    text: str = Field(min_length=3, max_length=300)
    kind: Literal["fact", "person", "preference", "plan", "event", "feeling"]
    about: str = Field(default="", max_length=80)
    topic: str = Field(default="", max_length=80)
    when: str = Field(default="", max_length=80)
    importance: int = Field(default=3, ge=1, le=5)

    @field_validator("about", "topic", "text", "when")
    @classmethod
    def _strip(cls, value: str) -> str:
        return " ".join(value.split())


class Extraction(BaseModel):
    memories: list[ExtractedItem] = Field(default_factory=list, max_length=8)


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every property required.

    Under a grammar, an optional property is one the model may simply leave out, and small
    models do: ``{}`` satisfies a schema whose list has a default. Required fields force the
    grammar to walk through each one.
    """
    schema = copy.deepcopy(model.model_json_schema())

    def tighten(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
            for value in node.values():
                tighten(value)
        elif isinstance(node, list):
            for value in node:
                tighten(value)

    tighten(schema)
    return schema


class ExtractionFailed(Exception):
    """The model's answer wasn't usable; the episode is kept and retried."""


@dataclass(frozen=True)
class Learned:
    kind: str
    about: str
    topic: str
    content: str
    importance: float
    happens_at: datetime | None
    date_text: str | None


def worth_learning(text: str) -> bool:
    """Skip the model for messages with nothing in them ("ok", "haha", "thanks!")."""
    words = re.findall(r"[\w']+", text)
    return len(words) >= 3 or any(ch.isdigit() for ch in text)


def extraction_prompt(*, user: str, companion: str, said: str, reply: str | None,
                      at: datetime) -> list[ChatMessage]:
    local = at.astimezone()
    system = (
        f"You keep {companion}'s memory of {user}. From the message below, note what is worth "
        f"remembering about {user}'s life: facts about them, people in their life (name and how "
        "they are related), likes and dislikes, plans and events, feelings and their causes. "
        f"Each note is one short sentence about {user} in the third person, using names. "
        "kind: fact | person | preference | plan | event | feeling. "
        f"about: whose life it is about ({user}, or the other person's name). "
        "topic: two or three words naming what it is about, the same each time it comes up "
        "(e.g. 'home city', 'job', 'sister', 'birthday'), so a later change replaces it. "
        "when: the date words exactly as said ('next Friday', 'in March'), else empty. "
        "importance: 1 (trivia) to 5 (life-changing). "
        f"Only what {user} said, not {companion}'s guesses. Small talk: no notes.\n"
        "Example: 'My sister Maya is visiting next weekend, I'm so nervous' gives "
        '{"memories": [{"text": "Maya is Theodore\'s sister.", "kind": "person", "about": '
        '"Maya", "topic": "sister", "when": "", "importance": 3}, {"text": "Maya is visiting '
        'Theodore.", "kind": "plan", "about": "Theodore", "topic": "maya visit", "when": '
        '"next weekend", "importance": 3}, {"text": "Theodore is nervous about Maya\'s visit.", '
        '"kind": "feeling", "about": "Theodore", "topic": "maya visit", "when": "", '
        '"importance": 2}]}')
    exchange = f"(Sent on {local:%A %d %B %Y}.)\n{user}: {said.strip()[:2000]}"
    if reply:
        exchange += f"\n{companion}: {reply.strip()[:600]}"
    return [ChatMessage("system", system), ChatMessage("user", exchange)]


def parse(text: str) -> Extraction:
    try:
        return parse_structured(Extraction, text)
    except ValueError as exc:
        raise ExtractionFailed(str(exc)) from exc


def resolve_date(words: str, *, said_at: datetime, kind: str) -> datetime | None:
    """'next Friday' said on Tuesday 24 November → Friday 27 November, in the speaker's time."""
    words = words.strip()
    if not words or words.lower() in ("none", "n/a", "unknown", "now", "today's date"):
        return None
    import dateparser

    local = said_at.astimezone()
    settings = {
        "RELATIVE_BASE": local.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past" if kind in ("event", "feeling") else "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PARSERS": ["relative-time", "absolute-time", "custom-formats"],
    }
    cleaned = re.sub(r"^(on|at|by|this coming|coming)\s+", "", words, flags=re.I)
    try:
        parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=local.tzinfo)


def normalise(item: ExtractedItem, *, user: str, said_at: datetime) -> Learned | None:
    about = item.about.strip() or user
    if about.lower() in ("me", "i", "user", "the user", "myself", "he", "she", user.lower()):
        about = user
    topic = item.topic.lower().strip(" .")[:80]
    text = item.text.strip()
    if not text or len(text) < 3:
        return None
    happens = resolve_date(item.when, said_at=said_at, kind=item.kind) if item.when else None
    return Learned(kind=item.kind, about=about, topic=topic, content=text,
                   importance=item.importance / 5, happens_at=happens,
                   date_text=item.when or None)


async def extract(backend: ChatBackend, *, user: str, companion: str, said: str,
                  reply: str | None, at: datetime) -> list[Learned]:
    """What one exchange teaches. Raises ExtractionFailed (or BackendError) to be retried."""
    messages = extraction_prompt(user=user, companion=companion, said=said, reply=reply, at=at)
    text = await complete(backend, messages, schema=strict_schema(Extraction),
                          max_tokens=400, temperature=0.1, aside=True)
    result = parse(text)
    learned = [normalise(item, user=user, said_at=at) for item in result.memories]
    return [item for item in learned if item is not None]


_RELATIVE = re.compile(
    r"\b(?:(?:next|this coming|this|last|on)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"|\b(?:the day after )?tomorrow\b|\byesterday\b"
    r"|\bin (?:a|one|two|three|four|five|six|\d+) (?:days?|weeks?|months?)\b"
    r"|\bnext (?:week|month)\b"
    r"|\bthe \d{1,2}(?:st|nd|rd|th)\b", re.I)
_FUTURE = re.compile(r"\b(?:will|going to|gonna|'ll|plan|planning|next|tomorrow|coming|"
                     r"booked|due|can't wait|hope)\b", re.I)


def annotate_dates(text: str, *, said_at: datetime) -> str:
    """'dinner on Saturday' said on Tuesday 3 March -> 'dinner on Saturday [Sat 7 Mar 2026]'.

    Small models can't count days; a note that already says which day it was can be used
    as it is. Only for showing the person's words to the model: nothing stored changes.
    """
    kind = "plan" if _FUTURE.search(text) else "event"
    said_day = said_at.astimezone().date()

    def mark(match: re.Match[str]) -> str:
        when = resolve_date(match.group(0), said_at=said_at, kind=kind)
        if when is None or when.astimezone().date() == said_day:
            return match.group(0)
        local = when.astimezone()
        return f"{match.group(0)} [{local:%a} {local.day} {local:%b %Y}]"

    return _RELATIVE.sub(mark, text)
