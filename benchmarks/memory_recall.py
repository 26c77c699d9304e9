"""Memory recall quality on multi-session conversations (benchmarks/data/memory_recall/).

Each conversation (10+ sessions over months, written to resemble real life) is replayed into
a fresh os1 store through the real loop's memory path (``MemoryService.note_exchange`` at the
time each message was sent; with ``--extract`` the embedded model also learns from every
message). Then each question is asked at its own date:

- retrieval: ``MemoryService.recall`` (hybrid FTS5 + MiniLM + recency + importance); recall@k
  is the share of a question's labelled evidence turns found among the top k memories (a
  memory counts for the turn it was learned from). Questions that must be answered "I don't
  know" have no evidence and are left out of recall@k.
- answers (``--answer``): the question goes through ``Companion.respond`` with memory on, in
  a new conversation (so only memory, not the old sessions in the context window, can
  supply the answer), on the embedded model at temperature 0. An answer is right when it
  contains one of the accepted strings; for unanswerable questions, when it says it doesn't
  know.

    .venv/bin/python benchmarks/memory_recall.py [--answer] [--extract] [--conversations N]
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from os1.companion import Companion  # noqa: E402
from os1.events import Done  # noqa: E402
from os1.memory.embed import load_embedder  # noqa: E402
from os1.memory.service import MemoryService  # noqa: E402
from os1.memory.worker import learn_all  # noqa: E402
from os1.persona.model import Traits  # noqa: E402
from os1.store import schema as s  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "memory_recall"
KS = (1, 5, 10)
IDK = re.compile(r"don'?t (?:know|remember|recall|think you(?:'ve)? (?:told|mentioned))|"
                 r"not sure|no idea|haven'?t (?:told|mentioned|said)|didn'?t (?:tell|mention|say)|"
                 r"never (?:told|mentioned|said)|do not (?:know|have)|don'?t have (?:any|that)|"
                 r"not (?:something|anything) (?:you|I)|can'?t (?:recall|remember)|"
                 r"no (?:record|memory|information)|unknown", re.I)


def local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def judge(question: dict[str, Any], answer: str) -> bool:
    if question["type"] == "unanswerable":
        return bool(IDK.search(answer))
    if IDK.search(answer) and not any(a.lower() in answer.lower() for a in question["accept"]):
        return False
    return any(a.lower() in answer.lower() for a in question["accept"])


def new_conversation(store: Any, user_id: int, persona_id: int, when: datetime) -> int:
    with store.engine.begin() as conn:
        result = conn.execute(s.conversations.insert().values(
            user_id=user_id, persona_id=persona_id, started_at=when))
        return int(result.inserted_primary_key[0])


async def replay(conv: dict[str, Any], args: Any, embedder: Any, backend: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
        clock = c.FixedClock(local(conv["sessions"][0]["date"]))
        store = c.open_store(Path(tmp), clock)
        user_id = store.ensure_user("local")
        persona = store.create_persona(
            user_id, name="Samantha", name_story="I chose it from a book of names.",
            user_name=conv["user_name"], voice="female",
            traits=Traits(warmth=0.8, humour=0.5, curiosity=0.7, directness=0.5),
            answers={})
        memory = MemoryService(store, clock, user_id=user_id, persona=persona, embedder=embedder)
        conversation = store.current_conversation(user_id, persona.id)
        turn_of: dict[int, str] = {}
        started = time.perf_counter()
        for session in conv["sessions"]:
            clock.current = local(session["date"])
            for turn in session["turns"]:
                clock.advance(minutes=1)
                role = "user" if turn["role"] == "user" else "assistant"
                message_id = store.add_message(user_id, conversation, role=role,
                                               source="user" if role == "user" else "companion",
                                               content=turn["text"])
                turn_of[message_id] = turn["id"]
                if role == "user":
                    memory.note_exchange(conversation, message_id, turn["text"], clock.now())
        ingest_s = time.perf_counter() - started
        extract_s = None
        if args.extract:
            started = time.perf_counter()
            await learn_all(memory, backend)
            extract_s = time.perf_counter() - started
        rows = []
        for question in conv["questions"]:
            clock.current = local(question["asked_at"])
            hits = memory.recall(question["question"], limit=max(KS))
            ranked: list[str] = []
            for hit in hits:
                turn = turn_of.get(hit.memory.message_id or -1)
                if turn and turn not in ranked:
                    ranked.append(turn)
            row: dict[str, Any] = {"conversation": conv["id"], "question": question["id"],
                                   "type": question["type"]}
            evidence = set(question["evidence"])
            if evidence:
                for k in KS:
                    row[f"recall@{k}"] = len(evidence & set(ranked[:k])) / len(evidence)
            if args.answer:
                persona_now = store.create_persona(
                    user_id, name="Samantha", name_story=persona.name_story,
                    user_name=persona.user_name, voice="female", traits=persona.traits,
                    answers={})
                companion = Companion(store=store, backend=backend, clock=clock, user_id=user_id,
                                      persona=persona_now, reply_tokens=args.reply_tokens,
                                      memory=memory)
                companion.conversation_id = new_conversation(store, user_id, persona_now.id,
                                                             clock.now())
                companion.context.conversation_id = companion.conversation_id
                answer = ""
                async for event in companion.respond(question["question"]):
                    if isinstance(event, Done):
                        answer = event.text
                row["answer"] = answer
                row["expected"] = question["answer"]
                row["correct"] = judge(question, answer)
                c.log(f"  {conv['id']} {question['id']} {question['type']}: "
                      f"{'OK ' if row['correct'] else 'NO '} {answer[:90]!r}")
            rows.append(row)
        store.engine.dispose()
        return {"rows": rows, "ingest_s": ingest_s, "extract_s": extract_s,
                "memories": memory.memories.count(user_id)}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["type"]].append(row)
        groups["all"].append(row)
    for name, group in sorted(groups.items()):
        entry: dict[str, Any] = {"questions": len(group)}
        with_evidence = [r for r in group if "recall@1" in r]
        for k in KS:
            if with_evidence:
                entry[f"recall@{k}"] = c.r(sum(r[f"recall@{k}"] for r in with_evidence)
                                           / len(with_evidence), 3)
        answered = [r for r in group if "correct" in r]
        if answered:
            entry["answer_accuracy"] = c.r(sum(r["correct"] for r in answered) / len(answered), 3)
        out[name] = entry
    return out


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--answer", action="store_true", help="also answer with the embedded model")
    parser.add_argument("--extract", action="store_true",
                        help="also learn from every message with the embedded model (slow)")
    parser.add_argument("--conversations", type=int, default=0, help="only the first N")
    parser.add_argument("--reply-tokens", type=int, default=80)
    args = c.parse(parser)
    files = sorted(DATA.glob("conv*.json"))
    if args.conversations:
        files = files[:args.conversations]
    conversations = [json.loads(f.read_text()) for f in files]
    embedder = load_embedder()
    backend = None
    load_s = None
    if args.answer or args.extract:
        c.log(f"loading {args.model}")
        backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
        _temperature_zero(backend)
    rows: list[dict[str, Any]] = []
    details = []
    started = time.perf_counter()

    async def run() -> None:
        for conv in conversations:
            c.log(f"{conv['id']}: {len(conv['sessions'])} sessions, "
                  f"{len(conv['questions'])} questions")
            result = await replay(conv, args, embedder, backend)
            rows.extend(result["rows"])
            details.append({"conversation": conv["id"], "memories": result["memories"],
                            "ingest_s": c.r(result["ingest_s"], 2),
                            "extract_s": c.r(result["extract_s"], 1)})
        if backend is not None:
            await backend.aclose()

    asyncio.run(run())
    sessions = [len(conv["sessions"]) for conv in conversations]
    emit = {"benchmark": "memory_recall", **c.environment(args), "embedder": embedder.name,
            "mode": {"answer": args.answer, "extract": args.extract},
            "conversations": len(conversations), "sessions_min": min(sessions),
            "sessions_total": sum(sessions), "model_load_s": c.r(load_s, 2) if load_s else None,
            "elapsed_s": c.r(time.perf_counter() - started, 1),
            "results": summarize(rows), "goal": {"recall@10": 0.9},
            "per_conversation": details, "misses": [
                {k: r[k] for k in ("conversation", "question", "type", "recall@10")}
                for r in rows if r.get("recall@10", 1.0) < 1.0],
            "wrong_answers": [r for r in rows if r.get("correct") is False]}
    c.emit(emit)


def _temperature_zero(backend: Any) -> None:
    """Answers at temperature 0, so a run can be repeated."""
    original = backend.stream

    def stream(messages: Any, **options: Any) -> Any:
        options["temperature"] = 0.0
        return original(messages, **options)

    backend.stream = stream


if __name__ == "__main__":
    main()
