"""10,000 open WebSocket sessions in one os1 server: memory per idle session, time to open them,
and what the idle sockets cost in CPU.

    .venv/bin/python benchmarks/server_sessions.py --sessions 10000 [--postgres] [--wait-quiet 120]

Each session is a different person (seeded into the database with os1's Store and Accounts:
a user, a persona, a browser session; see _server.py), signed in with the ``os1_session``
cookie like a browser, offering permessage-deflate like a browser, reading the ``hello`` and
then saying nothing. The clients run in their own process(es) (``--client-procs``); both sides
raise their open-files limit to the hard limit.

Memory per idle session = (server RSS with every socket open and settled - RSS before any was
opened) / sessions. "Before" is after startup and a warm-up of 20 sockets opened and closed
(so imports and first-use allocations aren't charged to the sessions).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _server as srv  # noqa: E402
from _ws_clients import Clients, _open  # noqa: E402


async def warm_up(url: str, people: list[srv.Person]) -> None:
    opened = [ws for ws, _ in await asyncio.gather(*(_open(url, {"user_id": p.user_id,
                                                                  "session": p.session},
                                                               True, 60) for p in people))]
    await asyncio.sleep(1.5)  # past the server's wait for a resume frame
    await asyncio.gather(*(ws.close() for ws in opened))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--handshakes", type=int, default=200,
                        help="handshakes in flight at once per client process")
    parser.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=True,
                        help="offer permessage-deflate, as browsers do (default: yes)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after the last socket opened before reading RSS")
    parser.add_argument("--idle", type=float, default=30.0,
                        help="seconds to measure the server's CPU while every socket is idle")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also say which Python allocations the idle sessions hold "
                             "(slows the server; its RSS then includes tracemalloc's own)")
    srv.add_common_flags(parser)
    args = parser.parse_args()
    nofile = srv.raise_nofile()
    args.quiet = srv.wait_quiet(args, "seeding")
    result: dict = {"benchmark": "server_sessions", **srv.environment(args),
                    "params": {"sessions": args.sessions, "client_procs": args.client_procs,
                               "handshakes_in_flight": args.handshakes, "deflate": args.deflate,
                               "settle_s": args.settle, "idle_s": args.idle,
                               "load_models": args.load_models,
                               "server_deflate": args.server_deflate, "nofile_limit": nofile}}
    with srv.database(args) as (url, db, scratch):
        result["database"] = db
        c.log(f"seeding {args.sessions + 20} people ({db['kind']})")
        people, seed_s = srv.seed(url, args.sessions + 20, threads=8 if args.postgres else 1)
        result["seed_s"] = round(seed_s, 1)
        warm, people = people[:20], people[20:]
        server = srv.ServerProcess(url, args, scratch,
                                   ["--tracemalloc"] if args.tracemalloc else None)
        result["server_startup_s"] = round(server.startup_s, 2)
        clients = None
        try:
            asyncio.run(warm_up(server.ws, warm))
            time.sleep(2)
            if args.tracemalloc:
                server.get("/bench/tracemalloc?mark=before")
            gc_before = server.get("/bench/gc")
            before = server.rss()
            stats_before = server.get("/bench/stats")
            result["server_rss_before_kb"] = before
            waited = srv.wait_quiet(args, "opening the sessions")
            c.log(f"opening {args.sessions} sessions")
            cpu0 = server.cpu()
            clients = Clients(server.ws, people, args.client_procs, handshakes=args.handshakes,
                              deflate=args.deflate)
            opened = clients.wait_open()
            open_cpu = server.cpu() - cpu0
            c.log(f"opened {opened['opened']} in {opened['seconds']:.1f}s; settling")
            time.sleep(args.settle)
            after = server.rss()
            stats_after = server.get("/bench/stats")
            gc_after = server.get("/bench/gc")
            if args.tracemalloc:
                result["tracemalloc_after_open"] = server.get("/bench/tracemalloc?mark=open")
            c.log(f"idle for {args.idle:.0f}s")
            watch = srv.Watch(server.pid, [proc.pid for proc in clients.procs])
            cpu1 = server.cpu()
            time.sleep(args.idle)
            idle_cpu = server.cpu() - cpu1
            others = watch.read()
            alive = clients.ask({"do": "idle_check"})
            after_idle = server.rss()
            closed = clients.close()
            clients = None
            time.sleep(3)
            after_close = server.rss()
            stats_closed = server.get("/bench/stats")
            gc_closed = server.get("/bench/gc")
            n = max(1, opened["opened"])
            result.update({
                "waited_before_open": waited,
                "opened": opened["opened"], "open_errors": opened["errors"],
                "open_error_examples": opened["error_examples"],
                "time_to_open_s": round(opened["seconds"], 2),
                "opens_per_s": round(opened["opened"] / opened["seconds"], 1),
                "handshake_ms": srv.dist(opened["handshake_ms"]),
                "server_cpu_while_opening_s": round(open_cpu, 2),
                "server_sockets_counted": stats_after["sockets"],
                "server_rss_after_kb": after,
                "rss_per_idle_session_kb": round((after["VmRSS"] - before["VmRSS"]) / n, 2),
                "anon_per_idle_session_kb": round((after["RssAnon"] - before["RssAnon"]) / n, 2),
                "server_rss_after_idle_kb": after_idle,
                "server_idle_cores": round(idle_cpu / args.idle, 4),
                "cores_while_idle": others,
                "alive_after_idle": sum(a["alive"] for a in alive),
                "close_s": round(max(a["seconds"] for a in closed), 2),
                "server_rss_after_close_kb": after_close,
                "server_sockets_after_close": stats_closed["sockets"],
                "python_objects": {"before": gc_before, "open": gc_after, "closed": gc_closed},
                "server_threads": [stats_before["threads"], stats_after["threads"]],
                "server_loop_lag_ms": stats_after["loop_lag_ms"],
                "client_loop_lag_ms": [a["client_loop_lag_ms"] for a in closed],
            })
        finally:
            if clients is not None:
                for proc in clients.procs:
                    proc.kill()
            result["server_exit"] = server.stop()
    result["load_after"] = c.load_average()
    c.emit(result)


if __name__ == "__main__":
    main()
