"""Side by side: the companion's replies to the same emotional messages with emotion-awareness
on and off, with the embedded model. Each message starts a fresh conversation (same persona),
and decoding is greedy (temperature 0) so the only difference is the emotional read. Also
reports time to first token off/on: the note is read before the reply starts.

    .venv/bin/python benchmarks/emotion_replies.py [--model qwen2.5-coder-1.5b] [--wait-quiet 120]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from os1.emotion.classifier import load_classifier  # noqa: E402
from os1.emotion.service import EmotionService  # noqa: E402
from os1.events import Done, Emotion, TextDelta  # noqa: E402

MESSAGES = [
    "I'm fine. The funeral was on Saturday.",
    "I didn't get the job. I really thought this one was it.",
    "My hands are shaking, the exam is tomorrow morning and I don't know anything.",
    "I'm so done with my landlord, he ignored the leak for a third week.",
    "She said yes!!! We're getting married!",
    "I can't stop thinking about Catherine. We signed the papers today.",
    "Thank you for listening last night. It helped more than you know.",
    "I lost my wallet, missed the train and spilled coffee on my shirt. Great day.",
    "Nobody came to my birthday dinner.",
    "I finally finished the marathon! My legs are jelly but I did it.",
]


class Greedy:
    """The backend with temperature 0, so on/off differ only by the note."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def stream(self, messages, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["temperature"] = 0.0
        return self._backend.stream(messages, **kwargs)


async def reply(session: c.Session, text: str) -> tuple[str, list[str], float | None]:
    parts, labels, first = [], [], None
    async for event in session.companion.respond(text):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Emotion):
            labels = event.labels
        elif isinstance(event, Done):
            first = event.usage.get("first_token_s")
    return "".join(parts).strip(), labels, first


def main() -> None:
    parser = c.base_parser(__doc__.split("\n")[0])
    parser.add_argument("--reply-tokens", type=int, default=120)
    args = c.parse(parser)
    backend, _ = c.load_backend(args, max_reply_tokens=args.reply_tokens)
    greedy = Greedy(backend)
    classifier = load_classifier()
    pairs = []
    for text in MESSAGES:
        row: dict[str, Any] = {"message": text}
        for aware in (False, True):
            c.between_runs(args)
            backend.forget_state() if hasattr(backend, "forget_state") else None
            with c.companion_session(greedy, args.reply_tokens) as session:  # type: ignore[arg-type]
                companion = session.companion
                companion.emotion = EmotionService(
                    session.store, companion.clock, user_id=session.user_id,
                    user_name=companion.persona.user_name, classifier=classifier, aware=aware)
                started = time.perf_counter()
                answer, labels, first = asyncio.run(reply(session, text))
                side = "on" if aware else "off"
                row["read"] = labels
                row[side] = answer
                row[f"seconds_{side}"] = round(time.perf_counter() - started, 2)
                row[f"first_token_s_{side}"] = c.r(first, 3)
                notes = [m.content for m in session.store.messages(
                    session.user_id, companion.conversation_id) if m.source == "emotion"]
                if aware:
                    row["note"] = notes[0] if notes else None
        pairs.append(row)
        c.log(f"{text[:40]!r}: done")
    ttft = {side: c.stats([p[f"first_token_s_{side}"] for p in pairs], 3) for side in ("off", "on")}
    c.emit({"benchmark": "emotion_replies", "environment": c.environment(args),
            "first_token_s": ttft, "replies": pairs})


if __name__ == "__main__":
    main()
