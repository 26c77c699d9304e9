"""1,000 people chatting at once with one os1 server over the WebSocket: the latency the server
adds to each reply's first token (goal p99 <= 100 ms), the reply times, and that nothing is
lost (every reply complete and exact on the client, every message and reply in the database).

    .venv/bin/python benchmarks/server_chat.py --sessions 1000 --turns 3 [--think 30]
        [--ramp 30] [--postgres] [--no-load-models] [--wait-quiet 120]

The model is the simulator (benchmarks/simulated_model.py: ``--tokens`` per reply at
``--rate`` tokens/s after ``--first-token-ms``), so what is measured is os1's server: accounts,
the companion loop (store writes, memory recall, emotion reading, the prompt), the hub and
the WebSocket. Each person (a different user, seeded with os1's Store/Accounts) opens a
socket, says the first thing at an evenly spread moment within ``--ramp`` seconds, and after
each reply waits ``--think`` seconds (x uniform 0.5-1.5: reading the reply, typing the next
message) before saying the next. 1,000 people at the default 30 s make about 25 messages a
second, with about 60 replies streaming at any moment; ``--think 0 --ramp 1 --turns 1`` is
everyone at once.

Server-added latency = (first delta frame arrived at the client) - (the simulator produced the
first token: its scheduled time, stamped in the token). ``before_model_ms`` is what happens
before the model is asked: (the simulator was called) - (the message was sent).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _server as srv  # noqa: E402
from _ws_clients import Clients  # noqa: E402
from simulated_model import body  # noqa: E402


def summarize(turns: list[dict[str, Any]], args: argparse.Namespace, expected: int,
              chat_s: float) -> dict[str, Any]:
    ideal_ms = args.first_token_ms + (args.tokens - 1) / args.rate * 1000
    added, before, total, tail = [], [], [], []
    for t in turns:
        if t.get("model_first") is not None:
            added.append((t["first_arrival"] - t["model_first"]) * 1000)
            before.append((t["model_started"] - t["sent"]) * 1000)
        if t.get("done_arrival") is not None:
            total.append((t["done_arrival"] - t["sent"]) * 1000)
            if t.get("model_first") is not None:
                last_token = t["model_first"] + (args.tokens - 1) / args.rate
                tail.append((t["done_arrival"] - last_token) * 1000)
    ok = [t for t in turns if not t["error"] and t["complete"] and t.get("done_text_matches")
          and not t.get("interrupted")]
    errors = [t["error"] for t in turns if t["error"]]
    return {
        "turns_expected": expected, "turns_attempted": len(turns), "turns_ok": len(ok),
        "errors": len(errors), "error_examples": errors[:5],
        "incomplete_replies": sum(1 for t in turns if not t["complete"]),
        "done_text_mismatch": sum(1 for t in turns if t.get("done_arrival")
                                  and not t.get("done_text_matches")),
        "interrupted": sum(1 for t in turns if t.get("interrupted")),
        "server_added_first_token_ms": srv.dist(added),
        "before_model_ms": srv.dist(before),
        "total_reply_ms": srv.dist(total),
        "ideal_reply_ms": round(ideal_ms, 1),
        "done_after_last_token_ms": srv.dist(tail),
        "chat_s": round(chat_s, 1),
        "turns_per_s": round(len(ok) / chat_s, 2) if chat_s else None,
        "tokens_per_s": round(len(ok) * args.tokens / chat_s, 1) if chat_s else None,
        "p99_goal_100ms_met": bool(added) and (c.percentile(added, 99) or 0) <= 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=3, help="messages each person sends")
    parser.add_argument("--think", type=float, default=30.0,
                        help="mean seconds between a reply's end and the next message")
    parser.add_argument("--ramp", type=float, default=30.0,
                        help="first messages spread evenly over this many seconds")
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--reply-timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--py-spy", type=Path, default=None, metavar="FILE",
                        help="record the server with py-spy while chatting (raw collapsed "
                             "stacks, with thread ids) into FILE")
    parser.add_argument("--py-spy-wall", action="store_true",
                        help="with --py-spy: every thread, waiting or not (not just CPU)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment: the server calls gc.freeze() after startup and after "
                             "the warm-up (not something os1 serve does today)")
    parser.add_argument("--slow-callback-ms", type=float, default=0,
                        help="diagnosis: the server logs (to its stderr, kept with --keep) every "
                             "event-loop step longer than this; slows it")
    srv.add_common_flags(parser)
    args = parser.parse_args()
    nofile = srv.raise_nofile()
    args.quiet = srv.wait_quiet(args, "seeding")
    plan = {"turns": args.turns, "think": args.think, "tokens": args.tokens,
            "reply_timeout": args.reply_timeout, "seed": args.seed}
    result: dict[str, Any] = {
        "benchmark": "server_chat", **srv.environment(args),
        "params": {"sessions": args.sessions, "turns": args.turns, "think_s": args.think,
                   "ramp_s": args.ramp, "tokens": args.tokens, "rate_tok_s": args.rate,
                   "first_token_ms": args.first_token_ms, "load_models": args.load_models,
                   "server_deflate": args.server_deflate,
                   "gc_freeze": args.gc_freeze,
                   "client_procs": args.client_procs, "nofile_limit": nofile}}
    warm_n = 10
    with srv.database(args) as (url, db, scratch):
        result["database"] = db
        c.log(f"seeding {args.sessions + warm_n} people ({db['kind']})")
        people, seed_s = srv.seed(url, args.sessions + warm_n, threads=8 if args.postgres else 1)
        result["seed_s"] = round(seed_s, 1)
        warm, people = people[:warm_n], people[warm_n:]
        extra = ["--gc-freeze"] if args.gc_freeze else []
        if args.slow_callback_ms:
            extra += ["--slow-callback-ms", str(args.slow_callback_ms)]
        server = srv.ServerProcess(url, args, scratch, extra)
        clients = None
        try:
            c.log("warming up (10 people, one turn each)")
            warmers = Clients(server.ws, warm, 1)
            warmers.wait_open()
            warmers.chat(dict(plan, turns=1), time.time() + 0.5, [0.05 * i for i in range(warm_n)])
            warmers.close()
            server.post("/bench/gc-freeze")
            result["server_rss_before_kb"] = server.rss()
            c.log(f"opening {args.sessions} sessions")
            clients = Clients(server.ws, people, args.client_procs)
            opened = clients.wait_open()
            result["open"] = {"opened": opened["opened"], "errors": opened["errors"],
                              "seconds": round(opened["seconds"], 2)}
            result["waited_before_chat"] = srv.wait_quiet(args, "chatting")
            server.post("/bench/reset")
            clients.ask({"do": "lag_reset"})
            offsets = [args.ramp * i / max(1, len(people)) for i in range(len(people))]
            c.log(f"chatting: {args.sessions} people x {args.turns} turns")
            spy = srv.py_spy(server.pid, args.py_spy, args.py_spy_wall) if args.py_spy else None
            watch = srv.Watch(server.pid, [proc.pid for proc in clients.procs])
            started = time.time() + 1.0
            answers = clients.chat(plan, started, offsets)
            chat_s = time.time() - started
            cores = watch.read()
            if spy is not None:
                spy.send_signal(__import__("signal").SIGINT)
                spy.wait(60)
            stats = server.get("/bench/stats")
            turns = [t for a in answers for t in a["turns"]]
            result["chat"] = summarize(turns, args, args.sessions * args.turns, chat_s)
            result["chat"].update({
                **cores,
                "server_loop_lag_ms": stats["loop_lag_ms"],
                "simulator_wake_lag_ms": stats["sim"]["wake_lag_ms"],
                "max_concurrent_replies": stats["sim"]["max_active"],
                "server_gc_pause_ms": stats["gc_pause_ms"],
                "client_loop_lag_ms": [a["client_loop_lag_ms"] for a in answers]})
            result["server_rss_after_kb"] = server.rss()
            result["server_gc_after"] = server.get("/bench/gc")
            result["models_loaded"] = stats["models"]
            clients.close()
            clients = None
        finally:
            if clients is not None:
                for proc in clients.procs:
                    proc.kill()
            result["server_exit"] = server.stop()
        expected = {f"u{p.user_id}t{t}": body(f"u{p.user_id}t{t}", args.tokens)
                    for p in people for t in range(args.turns)}
        result["stored"] = srv.check_stored(url, people, expected)
    result["load_after"] = c.load_average()
    c.emit(result)


if __name__ == "__main__":
    main()
