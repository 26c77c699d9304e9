"""Memory speed: retrieval latency at 1k, 10k and 100k memories of one person, and
extraction throughput with the embedded model.

Retrieval is ``MemoryService.recall`` as the conversation loop calls it before each reply:
embed the query (ONNX MiniLM), cosine over the person's vectors, FTS5 bm25, fetch the
candidates, score. The store is a real SQLite file; the memories are synthetic but varied
(benchmarks/_memory_data.py), embedded with the real model and indexed by the real triggers.
The first query after a start also loads the vectors into memory; that is reported apart.

    .venv/bin/python benchmarks/memory_speed.py [--sizes 1000,10000,100000] [--queries 200]
        [--extract 12]   # also time learning from 12 messages with the embedded model (0: skip)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _memory_data as data  # noqa: E402

from os1.clock import SystemClock  # noqa: E402
from os1.memory.embed import load_embedder  # noqa: E402
from os1.memory.service import MemoryService  # noqa: E402

MESSAGES = [
    "My ex-wife Catherine and I still haven't signed the divorce papers.",
    "I'm having dinner with Amy next Friday, she's my oldest friend from college.",
    "I play this video game every night before bed, it's about a little alien.",
    "My birthday is on the 14th of March, don't let me forget to plan something.",
    "I moved to Bristol last month, I used to live in Leeds.",
    "Work was brutal today, my boss Paul shouted at everyone in the meeting.",
    "My sister Maya just had a baby girl called Isla!",
    "I'm really nervous about the dentist on Thursday.",
    "I've started learning the piano, I practise every morning before work.",
    "Mum called, she's coming to visit in two weeks and staying for a month.",
    "I hate coriander, it tastes like soap to me.",
    "Amy and I went to the lake house at the weekend and it poured the whole time.",
]


def measure_recall(memory: MemoryService, queries: int) -> dict[str, Any]:
    started = time.perf_counter()
    memory.recall(data.QUERIES[0])
    first = time.perf_counter() - started
    times = []
    embed_times = []
    for i in range(queries):
        query = data.QUERIES[i % len(data.QUERIES)]
        started = time.perf_counter()
        memory.recall(query, limit=8)
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        memory.retriever.embed([query])
        embed_times.append((time.perf_counter() - started) * 1000)
    return {"first_query_s": c.r(first, 3), "recall_ms": c.stats(times, 2),
            "of_which_query_embedding_ms": c.stats(embed_times, 2)}


def measure_extraction(args: Any, store: Any, user_id: int, persona: Any, embedder: Any,
                       count: int) -> dict[str, Any]:
    clock = SystemClock()
    c.log(f"loading {args.model} for extraction")
    backend, load_s = c.load_backend(args)
    memory = MemoryService(store, clock, user_id=user_id, persona=persona, embedder=embedder)
    conversation = store.current_conversation(user_id, persona.id)
    for text in MESSAGES[:count]:
        message_id = store.add_message(user_id, conversation, role="user", source="user",
                                       content=text)
        memory.note_exchange(conversation, message_id, text, clock.now())
    per_episode = []
    learned = 0

    async def run() -> None:
        nonlocal learned
        while True:
            c.between_runs(args)
            before = memory.memories.count(user_id, kinds=c.LEARNED_KINDS)
            watch = c.CpuWatch().start()
            started = time.perf_counter()
            episode = await memory.learn_next(backend)
            if episode is None:
                return
            elapsed = time.perf_counter() - started
            added = memory.memories.count(user_id, kinds=c.LEARNED_KINDS) - before
            learned += added
            per_episode.append({"s": c.r(elapsed, 2), "memories": added, **watch.read()})
            c.log(f"  episode {episode.id}: {elapsed:.1f}s, {added} memories")
        await backend.aclose()

    asyncio.run(run())
    total = sum(e["s"] for e in per_episode)
    counts = memory.memories.episode_counts(user_id)
    return {"episodes": len(per_episode), "model_load_s": c.r(load_s, 2),
            "seconds_per_episode": c.stats([e["s"] for e in per_episode], 2),
            "memories_learned": learned,
            "episodes_per_minute": c.r(60 * len(per_episode) / total, 2) if total else None,
            "memories_per_minute": c.r(60 * learned / total, 2) if total else None,
            "episode_status": counts, "per_episode": per_episode}


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--extract", type=int, default=12,
                        help="messages to learn from with the embedded model (0: skip)")
    args = c.parse(parser)
    sizes = [int(x) for x in args.sizes.split(",")]
    embedder = load_embedder()
    result: dict[str, Any] = {"benchmark": "memory_speed", **c.environment(args),
                              "embedder": embedder.name, "retrieval": {}}
    with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
        clock = SystemClock()
        store = c.open_store(Path(tmp), clock)
        user_id = store.ensure_user("local")
        persona = c.create_persona(store, user_id)
        have = 0
        for size in sizes:
            c.log(f"filling to {size} memories")
            spent = data.fill(store, user_id, persona.user_name, embedder, size - have,
                              log=c.log if size - have > 5000 else None)
            have = size
            c.between_runs(args)
            memory = MemoryService(store, clock, user_id=user_id, persona=persona,
                                   embedder=embedder)
            watch = c.CpuWatch().start()
            measured = measure_recall(memory, args.queries)
            result["retrieval"][str(size)] = {**measured, **watch.read(),
                                              "fill_embed_s": c.r(spent["embed_s"], 1),
                                              "fill_write_s": c.r(spent["write_s"], 1)}
            c.log(f"  {size}: p50 {measured['recall_ms']['p50']} ms, "
                  f"p95 {measured['recall_ms']['p95']} ms")
        store.engine.dispose()
    if args.extract:
        with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
            clock = SystemClock()
            store = c.open_store(Path(tmp), clock)
            user_id = store.ensure_user("local")
            persona = c.create_persona(store, user_id)
            result["extraction"] = measure_extraction(args, store, user_id, persona, embedder,
                                                      args.extract)
            store.engine.dispose()
    result["goals"] = {"p95_ms_at_10k": 20, "p95_ms_at_100k": 100}
    c.emit(result)


if __name__ == "__main__":
    main()
