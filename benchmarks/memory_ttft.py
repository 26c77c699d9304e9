"""No cost to the reply: time to first token with memory on vs off, at 10k memories.

The same scripted conversation is played through ``Companion.respond`` on one loaded
embedded model, alternately with memory off (no recall, no learning) and on (recall before
each reply from 10k memories, notes stored in the conversation, and the background worker
learning between turns, pre-empted when the next message arrives). The 10k memories are
synthetic but varied, embedded with the real model (benchmarks/_memory_data.py); both
conditions run on a copy of the same database. Between turns the script waits
``--think-time`` seconds, as a person would, which is when the worker learns.

    .venv/bin/python benchmarks/memory_ttft.py [--memories 10000] [--rounds 2] [--think-time 4]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _memory_data as data  # noqa: E402

from os1.clock import SystemClock  # noqa: E402
from os1.companion import Companion  # noqa: E402
from os1.events import Done  # noqa: E402
from os1.memory.embed import load_embedder  # noqa: E402
from os1.memory.service import MemoryService  # noqa: E402
from os1.memory.worker import MemoryWorker  # noqa: E402

SCRIPT = [
    "Hi! I had a long day, I went running by the canal after work.",
    "Amy called, she wants to meet at the café on the corner this weekend.",
    "I'm a bit anxious about the move, to be honest.",
    "Do you think I should start learning the piano again?",
    "My niece is visiting next month, what could we do together?",
    "I've been thinking about a trip to Lisbon in the spring.",
    "Work was awful, my boss moved every deadline forward.",
    "Anyway, tell me something nice before I sleep.",
]


async def play(backend: Any, db_dir: Path, *, memory_on: bool, args: Any,
               embedder: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
        data_dir = Path(tmp)
        shutil.copytree(db_dir, data_dir, dirs_exist_ok=True)
        clock = SystemClock()
        store = c.open_store(data_dir, clock)
        user_id = store.ensure_user(c.LOCAL_USER)
        persona = store.active_persona(user_id)
        assert persona is not None
        memory = worker = None
        if memory_on:
            memory = MemoryService(store, clock, user_id=user_id, persona=persona,
                                   embedder=embedder)
            worker = MemoryWorker(memory, backend, idle_delay=1.5)
            worker.start()
        companion = Companion(store=store, backend=backend, clock=clock, user_id=user_id,
                              persona=persona, reply_tokens=args.reply_tokens, memory=memory,
                              worker=worker)
        turns = []
        try:
            for text in SCRIPT:
                c.between_runs(args)
                watch = c.CpuWatch().start()
                started = time.perf_counter()
                done = None
                async for event in companion.respond(text):
                    if isinstance(event, Done):
                        done = event
                assert done is not None
                notes = [m for m in store.messages(user_id, companion.conversation_id,
                                                   limit=3, newest_first=True)
                         if m.source == "memory"]
                turns.append({"first_token_s": c.r(done.usage.get("first_token_s"), 3),
                              "prompt_build_s": c.r(done.usage.get("prompt_build_s"), 4),
                              "total_s": c.r(time.perf_counter() - started, 2),
                              "recall_note_tokens": sum(backend.count_tokens(n.content)
                                                        for n in notes),
                              **watch.read()})
                c.log(f"  memory {'on ' if memory_on else 'off'}: ttft "
                      f"{turns[-1]['first_token_s']}s, note {turns[-1]['recall_note_tokens']} tok")
                await asyncio.sleep(args.think_time)
        finally:
            if worker is not None:
                worker.stop()
            learned = memory.memories.episode_counts(user_id) if memory else None
            store.engine.dispose()
        return {"memory": memory_on, "turns": turns, "episodes": learned}


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think-time", type=float, default=4.0)
    parser.add_argument("--reply-tokens", type=int, default=48)
    args = c.parse(parser)
    embedder = load_embedder()
    with tempfile.TemporaryDirectory(prefix="os1-bench-template-") as template:
        template_dir = Path(template)
        store = c.open_store(template_dir, SystemClock())
        user_id = store.ensure_user(c.LOCAL_USER)
        persona = c.create_persona(store, user_id)
        c.log(f"embedding {args.memories} memories")
        fill = data.fill(store, user_id, persona.user_name, embedder, args.memories, log=c.log)
        store.engine.dispose()
        c.log(f"loading {args.model}")
        backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
        runs = []

        async def run() -> None:
            for _ in range(args.rounds):
                for memory_on in (False, True):
                    runs.append(await play(backend, template_dir, memory_on=memory_on,
                                           args=args, embedder=embedder))
            await backend.aclose()

        asyncio.run(run())

    def ttfts(memory_on: bool, warm: bool) -> list[float]:
        return [t["first_token_s"] for run in runs if run["memory"] == memory_on
                for i, t in enumerate(run["turns"]) if t["first_token_s"] and (i > 0 or not warm)]

    off, on = c.stats(ttfts(False, True), 3), c.stats(ttfts(True, True), 3)
    result = {"benchmark": "memory_ttft", **c.environment(args), "memories": args.memories,
              "fill_embed_s": c.r(fill["embed_s"], 1), "model_load_s": c.r(load_s, 2),
              "think_time_s": args.think_time,
              "ttft_off_s": off, "ttft_on_s": on,
              "ratio_p50": c.r(on["p50"] / off["p50"], 3) if off.get("p50") else None,
              "ratio_mean": c.r(on["mean"] / off["mean"], 3) if off.get("mean") else None,
              "first_turn_off_s": c.stats([
                  run["turns"][0]["first_token_s"] for run in runs if not run["memory"]], 3),
              "first_turn_on_s": c.stats([run["turns"][0]["first_token_s"] for run in runs
                                          if run["memory"]], 3),
              "goal": "ttft on within 10% of off (ratio <= 1.10)", "runs": runs}
    c.emit(result)


if __name__ == "__main__":
    main()
