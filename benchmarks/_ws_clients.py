"""WebSocket clients for the server benchmarks, run in processes of their own (never in the
server's): each worker opens its share of sessions (cookie auth, like a browser), then on the
parent's word either sits idle or chats, and sends back what it measured.

A chat turn says ``"<line> #<tag>"`` and reads frames until ``done``; it checks that the reply
is exactly the one the simulated model wrote for that tag (every word, in order) and that
``done`` carries the same text. Times are wall-clock (``time.time()``), like the simulator's
stamps, so ``first delta arrived - first token produced`` is the server-added latency.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import random
import time
from multiprocessing.connection import Connection
from typing import Any

import _server as srv
from simulated_model import body, parse

LINES = ["Hi! How are you today?", "I just got back from a walk by the river.",
         "Do you like autumn?", "I've been thinking about calling my sister.",
         "What should I cook for dinner?", "Work was long today.", "Tell me something nice.",
         "I started reading a new book.", "I should water my plants.", "Good night."]


class LoopLag:
    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self, period: float = 0.02) -> None:
        while True:
            due = time.perf_counter() + period
            await asyncio.sleep(period)
            self.samples.append((time.perf_counter() - due) * 1000)


async def _open(url: str, person: dict[str, Any], deflate: bool, timeout: float) -> tuple[Any, float]:
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    ws = await connect(url, additional_headers={"Cookie": f"os1_session={person['session']}"},
                       compression="deflate" if deflate else None, ping_interval=None,
                       open_timeout=timeout, proxy=None, max_queue=None)
    hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    if hello.get("type") != "hello" or hello["user"]["id"] != person["user_id"]:
        raise RuntimeError(f"unexpected first frame: {str(hello)[:200]}")
    return ws, time.perf_counter() - started


async def _turns(ws: Any, person: dict[str, Any], plan: dict[str, Any], start_at: float,
                 rng: random.Random) -> list[dict[str, Any]]:
    out = []
    due = start_at
    for turn in range(plan["turns"]):
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tag = f"u{person['user_id']}t{turn}"
        said = f"{LINES[(person['user_id'] + turn) % len(LINES)]} #{tag}"
        result: dict[str, Any] = {"tag": tag, "sent": time.time(), "first_arrival": None,
                                  "done_arrival": None, "error": None, "frames": 0}
        text = ""
        try:
            await ws.send(json.dumps({"type": "message", "text": said}))
            while True:
                raw = await asyncio.wait_for(ws.recv(), plan["reply_timeout"])
                now = time.time()
                frame = json.loads(raw)
                kind = frame.get("type")
                result["frames"] += 1
                if kind == "delta":
                    if result["first_arrival"] is None:
                        result["first_arrival"] = now
                        stamps = parse(frame["text"])
                        if stamps is not None:
                            result["model_started"], result["model_first"] = stamps[0], stamps[1]
                    text += frame["text"]
                elif kind == "done":
                    result["done_arrival"] = now
                    result["done_text_matches"] = frame.get("text") == text.strip()
                    result["interrupted"] = bool(frame.get("interrupted"))
                    break
                elif kind == "error":
                    result["error"] = frame.get("text", "error")[:200]
                    break
        except Exception as exc:  # noqa: BLE001 - a lost reply is what we count
            result["error"] = f"{type(exc).__name__}: {exc}"[:200]
        parsed = parse(text)
        result["complete"] = parsed is not None and parsed[2] == body(tag, plan["tokens"])
        out.append(result)
        if result["error"]:
            break  # the socket may be gone; what's left of this session counts as not done
        due = time.time() + plan["think"] * rng.uniform(0.5, 1.5)
    return out


async def _worker_main(conn: Connection, url: str, people: list[dict[str, Any]],
                       options: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    lag = LoopLag()
    lag_task = asyncio.create_task(lag.run())
    gate = asyncio.Semaphore(options.get("handshakes", 200))
    sockets: list[Any] = [None] * len(people)
    handshake_ms: list[float] = []
    errors: list[str] = []

    async def open_one(i: int) -> None:
        async with gate:
            try:
                ws, seconds = await _open(url, people[i], options.get("deflate", True),
                                          options.get("open_timeout", 120))
                sockets[i] = ws
                handshake_ms.append(seconds * 1000)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    started = time.perf_counter()
    await asyncio.gather(*(open_one(i) for i in range(len(people))))
    conn.send({"phase": "open", "opened": sum(ws is not None for ws in sockets),
               "errors": len(errors), "error_examples": errors[:3],
               "seconds": time.perf_counter() - started, "handshake_ms": handshake_ms})
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command["do"] == "lag_reset":
            lag.samples = []
            conn.send({"phase": "lag_reset"})
        elif command["do"] == "idle_check":
            # Every socket still open? A ping each (answered by the server's protocol layer).
            alive = 0
            for ws in sockets:
                if ws is None:
                    continue
                try:
                    pong = await ws.ping()
                    await asyncio.wait_for(pong, 60)
                    alive += 1
                except Exception:  # noqa: BLE001,S112
                    continue
            conn.send({"phase": "idle_check", "alive": alive})
        elif command["do"] == "chat":
            plan = command["plan"]
            rng = random.Random(plan.get("seed", 1) * 100_003 + options.get("worker", 0))
            jobs = []
            for i, ws in enumerate(sockets):
                if ws is None:
                    continue
                start_at = command["start_at"] + command["offsets"][i]
                jobs.append(_turns(ws, people[i], plan, start_at, rng))
            results = await asyncio.gather(*jobs)
            conn.send({"phase": "chat", "turns": [t for r in results for t in r],
                       "client_loop_lag_ms": srv.loop_lag_summary(lag.samples)})
        elif command["do"] == "close":
            started = time.perf_counter()
            await asyncio.gather(*(ws.close() for ws in sockets if ws is not None),
                                 return_exceptions=True)
            lag_task.cancel()
            conn.send({"phase": "closed", "seconds": time.perf_counter() - started,
                       "client_loop_lag_ms": srv.loop_lag_summary(lag.samples)})
            return


def _worker(conn: Connection, url: str, people: list[dict[str, Any]],
            options: dict[str, Any]) -> None:
    srv.raise_nofile()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_worker_main(conn, url, people, options))


class Clients:
    """``procs`` worker processes sharing ``people`` round-robin."""

    def __init__(self, url: str, people: list[Any], procs: int, **options: Any) -> None:
        ctx = mp.get_context("spawn")
        self.slices = [people[i::procs] for i in range(procs)]
        self.pipes = []
        self.procs = []
        for n, share in enumerate(self.slices):
            parent, child = ctx.Pipe()
            dicts = [{"user_id": p.user_id, "session": p.session} for p in share]
            proc = ctx.Process(target=_worker, args=(child, url, dicts, dict(options, worker=n)),
                               daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)

    def wait_open(self) -> dict[str, Any]:
        answers = [pipe.recv() for pipe in self.pipes]
        return {"opened": sum(a["opened"] for a in answers),
                "errors": sum(a["errors"] for a in answers),
                "error_examples": [e for a in answers for e in a["error_examples"]][:3],
                "seconds": max(a["seconds"] for a in answers),
                "handshake_ms": [ms for a in answers for ms in a["handshake_ms"]]}

    def ask(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def chat(self, plan: dict[str, Any], start_at: float, offsets: list[float]) -> list[dict]:
        """``offsets[i]``: when person i (in ``people`` order) says the first thing."""
        for n, pipe in enumerate(self.pipes):
            mine = offsets[n::len(self.pipes)]
            pipe.send({"do": "chat", "plan": plan, "start_at": start_at, "offsets": mine})
        return [pipe.recv() for pipe in self.pipes]

    def close(self) -> list[dict[str, Any]]:
        answers = self.ask({"do": "close"})
        for proc in self.procs:
            proc.join(30)
        return answers
