"""Throughput of os1's OpenAI-compatible endpoint (``POST /v1/chat/completions``), streaming and
not, at a few concurrency levels: requests/s, tokens/s, request latency p50/p99, and that every
answer was complete and stored.

    .venv/bin/python benchmarks/server_openai.py --concurrency 10,100 --requests 5
        [--postgres] [--no-load-models] [--wait-quiet 120]

Each concurrent client is a different person with an API key of their own (seeded with os1's
Store and Accounts; ``Authorization: Bearer os1-…``) sending ``--requests`` requests one after
another, as fast as the answers come. The model is the simulator (simulated_model.py), so the
ideal request takes first_token_ms + (tokens - 1) / rate; the ideal throughput at concurrency
C is C / that. Clients run in their own process(es) (``--client-procs``), with httpx.

For streaming: ``first_token`` is request sent -> first content chunk, and server-added is
(first content chunk arrived) - (the simulator produced the first token). For both:
``after_last_token`` is (response complete) - (the simulator produced the last token).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _server as srv  # noqa: E402
from _ws_clients import LINES, LoopLag  # noqa: E402
from simulated_model import body, parse  # noqa: E402


async def _one(client: Any, key: str, tag: str, stream: bool, tokens: int,
               rate: float) -> dict[str, Any]:
    said = f"{LINES[sum(map(ord, tag)) % len(LINES)]} #{tag}"
    payload = {"model": "os1", "stream": stream,
               "messages": [{"role": "system", "content": "You are helpful."},
                            {"role": "user", "content": said}]}
    headers = {"Authorization": f"Bearer {key}"}
    out: dict[str, Any] = {"tag": tag, "sent": time.time(), "error": None, "first": None}
    text = ""
    try:
        if stream:
            done = False
            async with client.stream("POST", "/v1/chat/completions", json=payload,
                                     headers=headers) as reply:
                if reply.status_code != 200:
                    out["error"] = f"HTTP {reply.status_code}: {(await reply.aread())[:200]!r}"
                    return out
                async for line in reply.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        done = True
                        continue
                    chunk = json.loads(data)
                    if "error" in chunk:
                        out["error"] = str(chunk["error"])[:200]
                        continue
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        if out["first"] is None:
                            out["first"] = time.time()
                            stamps = parse(piece)
                            if stamps:
                                out["model_started"], out["model_first"] = stamps[:2]
                        text += piece
            out["end"] = time.time()
            out["saw_done"] = done
            out["content"] = text.strip()
        else:
            reply = await client.post("/v1/chat/completions", json=payload, headers=headers)
            out["end"] = time.time()
            if reply.status_code != 200:
                out["error"] = f"HTTP {reply.status_code}: {reply.text[:200]}"
                return out
            answer = reply.json()
            out["content"] = answer["choices"][0]["message"]["content"]
            out["saw_done"] = answer["choices"][0]["finish_reason"] == "stop"
            stamps = parse(out["content"])
            if stamps:
                out["model_started"], out["model_first"] = stamps[:2]
    except Exception as exc:  # noqa: BLE001 - counted
        out["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return out
    parsed = parse(out.get("content", ""))
    out["complete"] = parsed is not None and parsed[2] == body(tag, tokens) and out["saw_done"]
    if out.get("model_first") is not None:
        out["model_last"] = out["model_first"] + (tokens - 1) / rate
    return out


async def _worker_main(conn: Connection, base: str, people: list[dict[str, Any]],
                       job: dict[str, Any]) -> None:
    import httpx

    lag = LoopLag()
    lag_task = asyncio.create_task(lag.run())
    limits = httpx.Limits(max_connections=len(people) + 10, max_keepalive_connections=len(people) + 10)
    async with httpx.AsyncClient(base_url=base, timeout=job["timeout"], limits=limits,
                                 trust_env=False) as client:
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # go

        async def user(person: dict[str, Any]) -> list[dict[str, Any]]:
            return [await _one(client, person["key"], f"{job['label']}u{person['user_id']}r{i}",
                               job["stream"], job["tokens"], job["rate"])
                    for i in range(job["requests"])]

        results = await asyncio.gather(*(user(p) for p in people))
    lag_task.cancel()
    conn.send({"results": [r for rs in results for r in rs],
               "client_loop_lag_ms": srv.loop_lag_summary(lag.samples)})


def _worker(conn: Connection, base: str, people: list[dict[str, Any]], job: dict[str, Any]) -> None:
    srv.raise_nofile()
    try:
        import uvloop

        uvloop.run(_worker_main(conn, base, people, job))
    except ImportError:
        asyncio.run(_worker_main(conn, base, people, job))


def run_level(server: srv.ServerProcess, people: list[srv.Person], job: dict[str, Any],
              procs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    pipes, workers = [], []
    for n in range(procs):
        share = [{"user_id": p.user_id, "key": p.key} for p in people[n::procs]]
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, server.base, share, job), daemon=True)
        proc.start()
        pipes.append(parent)
        workers.append(proc)
    time.sleep(1.5)  # let the workers import and build their clients
    server.post("/bench/reset")
    watch = srv.Watch(server.pid, [w.pid for w in workers])
    started = time.time()
    for pipe in pipes:
        pipe.send("go")
    answers = [pipe.recv() for pipe in pipes]
    wall = time.time() - started
    cores = watch.read()
    for proc in workers:
        proc.join(30)
    stats = server.get("/bench/stats")
    results = [r for a in answers for r in a["results"]]
    ok = [r for r in results if not r["error"] and r.get("complete")]
    latency = [(r["end"] - r["sent"]) * 1000 for r in ok]
    first = [(r["first"] - r["sent"]) * 1000 for r in ok if r.get("first")]
    added = [(r["first"] - r["model_first"]) * 1000 for r in ok
             if r.get("first") and r.get("model_first")]
    before = [(r["model_started"] - r["sent"]) * 1000 for r in ok if r.get("model_started")]
    after_last = [(r["end"] - r["model_last"]) * 1000 for r in ok if r.get("model_last")]
    ideal_s = job["first_token_ms"] / 1000 + (job["tokens"] - 1) / job["rate"]
    errors = [r["error"] for r in results if r["error"]]
    return {
        "concurrency": len(people), "stream": job["stream"], "requests": len(results),
        "ok": len(ok), "errors": len(errors), "error_examples": errors[:3],
        "incomplete": sum(1 for r in results if not r["error"] and not r.get("complete")),
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(ok) / wall, 2),
        "tokens_per_s": round(len(ok) * job["tokens"] / wall, 1),
        "ideal_requests_per_s": round(len(people) / ideal_s, 2),
        "latency_ms": srv.dist(latency), "ideal_latency_ms": round(ideal_s * 1000, 1),
        **({"first_token_ms": srv.dist(first), "server_added_first_token_ms": srv.dist(added)}
           if job["stream"] else {}),
        "before_model_ms": srv.dist(before),
        "after_last_token_ms": srv.dist(after_last),
        **cores,
        "server_loop_lag_ms": stats["loop_lag_ms"],
        "max_concurrent_replies": stats["sim"]["max_active"],
        "client_loop_lag_ms": [a["client_loop_lag_ms"] for a in answers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", default="10,100",
                        help="comma-separated concurrency levels (default 10,100)")
    parser.add_argument("--requests", type=int, default=5, help="requests per client")
    parser.add_argument("--modes", default="false,true", help="stream values to run")
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0)
    srv.add_common_flags(parser)
    args = parser.parse_args()
    nofile = srv.raise_nofile()
    levels = [int(x) for x in args.concurrency.split(",") if x]
    modes = [m.strip().lower() == "true" for m in args.modes.split(",") if m]
    args.quiet = srv.wait_quiet(args, "seeding")
    result: dict[str, Any] = {
        "benchmark": "server_openai", **srv.environment(args),
        "params": {"concurrency": levels, "requests_per_client": args.requests,
                   "stream_modes": modes, "tokens": args.tokens, "rate_tok_s": args.rate,
                   "first_token_ms": args.first_token_ms, "load_models": args.load_models,
                   "server_deflate": args.server_deflate,
                   "client_procs": args.client_procs, "nofile_limit": nofile}}
    runs = []
    with srv.database(args) as (url, db, scratch):
        result["database"] = db
        needed = 5 + sum(levels) * len(modes)
        c.log(f"seeding {needed} people with API keys ({db['kind']})")
        people, seed_s = srv.seed(url, needed, keys=True, threads=8 if args.postgres else 1)
        result["seed_s"] = round(seed_s, 1)
        server = srv.ServerProcess(url, args, scratch)
        expected: dict[str, str] = {}
        used: list[srv.Person] = []
        try:
            base_job = {"tokens": args.tokens, "rate": args.rate, "timeout": args.timeout,
                        "first_token_ms": args.first_token_ms}
            warm, rest = people[:5], people[5:]
            run_level(server, warm, dict(base_job, stream=True, requests=1, label="w"), 1)
            for stream in modes:
                for level in levels:
                    group, rest = rest[:level], rest[level:]
                    label = f"{'s' if stream else 'n'}{level}"
                    waited = srv.wait_quiet(args, f"concurrency {level}, stream={stream}")
                    c.log(f"concurrency {level}, stream={stream}")
                    run = run_level(server, group, dict(base_job, stream=stream,
                                                        requests=args.requests, label=label),
                                    args.client_procs)
                    run["waited"] = waited
                    runs.append(run)
                    used += group
                    expected.update({f"{label}u{p.user_id}r{i}":
                                     body(f"{label}u{p.user_id}r{i}", args.tokens)
                                     for p in group for i in range(args.requests)})
            result["server_rss_after_kb"] = server.rss()
        finally:
            result["server_exit"] = server.stop()
        result["runs"] = runs
        result["stored"] = srv.check_stored(url, used, expected)
    result["load_after"] = c.load_average()
    c.emit(result)


if __name__ == "__main__":
    main()
