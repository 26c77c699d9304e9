"""Music inside the conversation: "write something for this moment".

The piece follows the moment: what the person said just before (the moment, in words) and
how they have been feeling (the mood timeline), composed in code and rendered with a real
synthesizer. It is os1's own file; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import re

from os1.events import Made
from os1.tools.intents import Intent, read_intent, read_making_intent
from os1.tools.organizer import Outcome

MOMENT_WORDS = 300


def moment_from(text: str, earlier: list[str]) -> str:
    """What the piece is for: the words after "for" ("for the night we met"), else what the
    person said just before asking."""
    found = re.search(r"\b(?:for|about|of)\s+(?!this moment|the moment|us\b|me\b|now\b)(.+)$",
                      text.strip(" .!?"), re.I)
    if found:
        return found.group(1).strip()[:MOMENT_WORDS]
    # The last thing they said that was about their life, not a request to os1 ("make it
    # look handwritten" is no moment).
    for said in reversed(earlier):
        if read_intent(said) is None and read_making_intent(said, letter_open=True) is None:
            return said.strip()[:MOMENT_WORDS]
    return "this moment"


def seconds_in(text: str) -> float:
    found = re.search(r"\b(\d{1,3})\s*(?:s|sec|secs|seconds)\b", text, re.I)
    if found:
        return float(found.group(1))
    found = re.search(r"\b(a|one|two|1|2)\s*(?:-|\s)?minutes?\b", text, re.I)
    if found:
        return 60.0 if found.group(1).lower() in ("a", "one", "1") else 90.0
    return 60.0


class MusicTurns:
    kinds = frozenset({"music_compose", "music_list"})

    def __init__(self, service: object) -> None:
        from os1.tools.music.service import MusicService

        assert isinstance(service, MusicService)
        self.service = service

    async def handle(self, intent: Intent, text: str, message_id: int,
                     earlier: list[str]) -> Outcome | None:
        if intent.kind == "music_list":
            pieces = await asyncio.to_thread(self.service.list)
            if not pieces:
                return Outcome(reply="I haven't written you any music yet. Ask me: “write "
                                     "something for this moment”.")
            lines = [f"• #{p.id} {p.title} — {p.moment}" for p in pieces[:20]]
            return Outcome(reply="What I've written for you:\n" + "\n".join(lines)
                                 + "\n(os1 music play N)")
        moment = moment_from(text, earlier)
        piece = await asyncio.to_thread(self.service.compose, moment, seconds=seconds_in(text),
                                        message_id=message_id)
        plan = piece.plan
        files = {"audio": str(piece.audio_path)} if piece.audio_path else {}
        key = str(plan.get("key", "")).strip() or "a key of its own"
        problem = f" I couldn't make it sound yet: {piece.audio_problem}" \
            if getattr(piece, "audio_problem", None) else ""
        return Outcome(reply=f"I wrote something for {moment}: “{piece.title}”, "
                             f"{round(piece.seconds)} seconds in {key}, "
                             f"{round(float(plan.get('tempo') or 0))} beats a minute.{problem}",
                       made=[Made("music", piece.id, piece.title, files, seconds=piece.seconds)],
                       tools=["music.compose"])
