"""Runs os1's server for the server benchmarks: ``create_app`` (os1.server) with the simulated
model (benchmarks/simulated_model.py) instead of llama.cpp, under uvicorn with the options
``os1 serve`` uses. Started by server_sessions.py, server_chat.py and server_openai.py as a
process of its own; prints ``READY <port>`` on stdout when it accepts connections.

    .venv/bin/python benchmarks/server_run.py --database /tmp/x/server.db --port 8123 \
        [--load-models] [--tokens 60 --rate 30 --first-token-ms 200]

Besides os1's routes it serves two for the benchmark (never part of os1):
``GET /bench/stats`` (RSS, the event loop's lag, the simulator's counters) and
``POST /bench/reset`` (start counting again).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import raise_nofile, rss_kb  # noqa: E402
from simulated_model import SimulatedBackend  # noqa: E402


class LoopLag:
    """How late a 20 ms sleep wakes up: the event loop's lag, sampled all the time."""

    def __init__(self, period: float = 0.02) -> None:
        self.period = period
        self.samples: list[float] = []

    async def run(self) -> None:
        while True:
            due = time.perf_counter() + self.period
            await asyncio.sleep(self.period)
            self.samples.append((time.perf_counter() - due) * 1000)
            if len(self.samples) > 200_000:
                del self.samples[:100_000]


def summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    return {"n": len(ordered), "p50": q(50), "p90": q(90), "p99": q(99), "max": round(ordered[-1], 2),
            "mean": round(sum(ordered) / len(ordered), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a SQLite path or postgresql:// URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--load-models", action="store_true",
                        help="load the embedder and the emotion classifier (memory recall by "
                             "meaning, emotion reading), as os1 serve does")
    parser.add_argument("--tokens", type=int, default=60, help="tokens per reply")
    parser.add_argument("--rate", type=float, default=30.0, help="tokens per second per reply")
    parser.add_argument("--first-token-ms", type=float, default=200.0,
                        help="the simulated model's time to the first token")
    parser.add_argument("--max-active-companions", type=int, default=2000)
    parser.add_argument("--no-ws-deflate", action="store_true",
                        help="don't accept permessage-deflate (as os1 serve; uvicorn's default is to)")
    parser.add_argument("--slow-callback-ms", type=float, default=0,
                        help="asyncio debug mode: log every callback/task step that holds the "
                             "event loop longer than this (slows the server)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment: gc.freeze() once started (and again on POST "
                             "/bench/gc-freeze), so full collections skip what startup made")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace Python allocations (GET /bench/tracemalloc?mark=NAME keeps a "
                             "snapshot and compares it with the previous one)")
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("OS1_BACKLOG", "2048")))
    args = parser.parse_args()

    nofile = raise_nofile()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(1)
    import uvicorn

    from os1.server import ServerOptions, create_app

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    backend = SimulatedBackend(tokens=args.tokens, rate=args.rate,
                               first_token_s=args.first_token_ms / 1000)
    options = ServerOptions(database=args.database, load_models=args.load_models, learn=False,
                            max_active_companions=args.max_active_companions)
    app = create_app(options, backend=backend)
    state = app.state.os1
    lag = LoopLag()
    started = time.time()
    gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses[info["generation"]].append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)

    @app.get("/bench/stats", include_in_schema=False)
    async def stats() -> dict:
        sim = backend.stats
        return {"pid": os.getpid(), "rss_kb": rss_kb(), "nofile": nofile,
                "uptime_s": round(time.time() - started, 1),
                "sockets": state.hub.sockets(), "active_companions": len(state.pool),
                "turns": state.conversations.busy(),
                "loop_lag_ms": summary(lag.samples),
                "sim": {"streams": sim.streams, "active": sim.active, "max_active": sim.max_active,
                        "tokens": sim.tokens, "cancelled": sim.cancelled,
                        "wake_lag_ms": summary(sim.wake_lag_ms)},
                "models": {"embedder": state.pool.shared.embedder is not None,
                           "classifier": state.pool.shared.classifier is not None},
                "threads": threading.active_count(), "gc_counts": gc.get_count(),
                "gc_pause_ms": {f"gen{g}": summary(v) for g, v in gc_pauses.items()}}

    snapshots: dict = {}

    @app.get("/bench/tracemalloc", include_in_schema=False)
    async def trace(mark: str, by: str = "lineno", top: int = 25) -> dict:
        import tracemalloc

        if not tracemalloc.is_tracing():
            return {"error": "start the server with --tracemalloc"}
        gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)])
        previous = snapshots.get("last")
        snapshots["last"] = snap
        total = sum(stat.size for stat in snap.statistics("filename"))
        if previous is None:
            return {"mark": mark, "traced_kb": total // 1024}
        diff = snap.compare_to(previous, by)
        return {"mark": mark, "traced_kb": total // 1024,
                "top": [{"where": str(d.traceback[0]), "size_kb": round(d.size_diff / 1024, 1),
                         "count": d.count_diff} for d in diff[:top]]}

    @app.post("/bench/gc-freeze", include_in_schema=False)
    async def freeze() -> dict:
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        return {"frozen": gc.get_freeze_count()}

    @app.get("/bench/gc", include_in_schema=False)
    async def gc_objects() -> dict:
        started = time.perf_counter()
        gc.collect()
        return {"objects": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                "full_collect_ms": round((time.perf_counter() - started) * 1000, 1)}

    @app.post("/bench/reset", include_in_schema=False)
    async def reset() -> dict:
        backend.stats.reset()
        lag.samples = []
        for pauses in gc_pauses.values():
            pauses.clear()
        return {"ok": True}

    config = uvicorn.Config(app, host=args.host, port=args.port, ws_max_size=1024 * 1024,
                            log_level="warning", proxy_headers=True, timeout_graceful_shutdown=5,
                            backlog=args.backlog, lifespan="on",
                            ws_per_message_deflate=not args.no_ws_deflate)
    server = uvicorn.Server(config)

    async def serve() -> None:
        if args.slow_callback_ms:
            loop = asyncio.get_running_loop()
            loop.set_debug(True)
            loop.slow_callback_duration = args.slow_callback_ms / 1000
            logging.getLogger("asyncio").setLevel(logging.WARNING)
        watcher = asyncio.create_task(lag.run())

        async def announce() -> None:
            while not server.started:
                await asyncio.sleep(0.02)
            if args.gc_freeze:
                gc.collect()
                gc.freeze()
            print(f"READY {args.port}", flush=True)

        ready = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            watcher.cancel()
            ready.cancel()

    # The same event loop uvicorn.run picks (uvloop when installed), as os1 serve has it.
    from uvicorn._compat import asyncio_run

    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises SIGINT after its shutdown
        asyncio_run(serve(), loop_factory=config.get_loop_factory())

if __name__ == "__main__":
    main()
