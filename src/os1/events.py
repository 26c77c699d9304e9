"""What the conversation loop yields. Surfaces render these; none of them builds prompts."""

from __future__ import annotations

from dataclasses import dataclass, field


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


Event = TextDelta | Notice | Done | Error | Emotion
