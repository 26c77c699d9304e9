"""What the conversation loop yields. Surfaces render these; none of them builds prompts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the companion's reply, as it is written."""

    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the person should know that isn't part of the reply (e.g. input was trimmed)."""

    text: str


@dataclass(frozen=True, slots=True)
class Done:
    """The reply is complete (or was interrupted); it has been stored as ``message_id``."""

    message_id: int
    text: str
    interrupted: bool = False
    usage: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Error:
    """The turn failed. The person's message is stored; ``text`` says what to do next."""

    text: str
    user_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Emotion:
    """How the person's message seems to feel (surfaces may show it; none must)."""

    message_id: int
    labels: list[str]
    valence: float
    arousal: float
    source: str = "text"


@dataclass(frozen=True, slots=True)
class ToolProposal:
    """An action waiting for the person: exactly what will happen (``preview``: title,
    fields such as To/Subject/When, the full body, every affected item). Nothing happens
    until they approve it (``Companion.decide``); declined or expired, it does nothing."""

    proposal_id: int
    tool: str
    preview: dict[str, Any]
    text: str  # the preview rendered as plain text
    expires_at: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What came of a proposal the person decided on."""

    proposal_id: int
    tool: str
    status: str  # done | failed | declined | expired
    text: str


@dataclass(frozen=True, slots=True)
class Reminder:
    """The companion speaking up on its own: an event is about to start."""

    key: str
    text: str
    starts_at: str


@dataclass(frozen=True, slots=True)
class Made:
    """Something the companion made for the person: a letter, a handwritten page, a book, a
    piece of music. ``files``: what each file is (pdf, png, epub, midi, audio) → its path on
    this machine; surfaces show, open or play them (the server serves them to their owner)."""

    kind: str  # letter | handwritten | book | music
    item_id: int
    title: str
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # music: how long it plays


Event = TextDelta | Notice | Done | Error | Emotion | ToolProposal | ToolResult | Reminder | Made
