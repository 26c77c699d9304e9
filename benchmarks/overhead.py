"""os1's own overhead: everything a turn costs that isn't the model, as a share of the model.

Two copies of the same model are loaded: os1's EmbeddedBackend (driven by Companion.respond,
real store, real context builder) and a bare llama_cpp.Llama with the same settings. Each
turn, os1 answers first; the exact messages it handed to llama.cpp are then sent to the
bare copy with the same max_tokens, both at temperature 0 (greedy) and a fixed seed, so the
two produce the same tokens and each copy's KV cache holds the same history (prefix reuse
is the same on both sides). One uncounted warm-up turn first. Goal: under 5%.

Two figures:
  * ratio_vs_direct: (os1 end-to-end - direct llama call) / direct llama call
  * measured_non_model_share: time in Companion.respond outside llama.cpp's
    create_chat_completion (prompt build, store writes, thread hand-off) / end-to-end

    .venv/bin/python benchmarks/overhead.py [--turns 20] [--reply-tokens 64]
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

SEED = 1234


class LlamaMeter:
    """Wraps os1's Llama.create_chat_completion: records the exact messages, forces
    temperature 0 and a fixed seed, and times every moment spent inside llama.cpp."""

    def __init__(self, llm: Any) -> None:
        self.original = llm.create_chat_completion
        self.calls: list[dict[str, Any]] = []
        llm.create_chat_completion = self

    def __call__(self, **options: Any) -> Any:
        options["temperature"] = 0.0
        options["seed"] = SEED
        started = time.perf_counter()
        call = {"messages": [dict(m) for m in options["messages"]],
                "max_tokens": options["max_tokens"], "inside_s": 0.0, "started": started,
                "first_piece_s": None}
        self.calls.append(call)
        chunks = self.original(**options)
        call["inside_s"] += time.perf_counter() - started
        return _Timed(chunks, call)


class _Timed:
    def __init__(self, chunks: Any, call: dict[str, Any]) -> None:
        self.chunks, self.call = chunks, call

    def __iter__(self) -> _Timed:
        return self

    def __next__(self) -> Any:
        started = time.perf_counter()
        try:
            chunk = next(self.chunks)
        finally:
            now = time.perf_counter()
            self.call["inside_s"] += now - started
        if self.call["first_piece_s"] is None and chunk["choices"][0]["delta"].get("content"):
            self.call["first_piece_s"] = now - self.call["started"]
        return chunk

    def close(self) -> None:
        self.chunks.close()


def timed_method(owner: Any, name: str, bucket: dict[str, float]) -> None:
    method = getattr(owner, name)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            bucket["s"] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def direct_call(llm: Any, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
    """The bare call, in a short-lived thread like os1's. Not for fairness alone: llama.cpp
    here is built with OpenMP (libgomp), and once one long-lived thread (e.g. the main
    thread) has run a computation, libgomp counts its idle team against the cores and
    throttles every other thread's team to sleeping barriers, making os1's worker-thread
    generations 3-4x slower on 2 cores. Running both sides in threads that end keeps the
    comparison about os1, not about libgomp."""
    result: dict[str, Any] = {}
    worker = threading.Thread(target=_direct, args=(llm, messages, max_tokens, result))
    worker.start()
    worker.join()
    return result


def _direct(llm: Any, messages: list[dict[str, str]], max_tokens: int,
            result: dict[str, Any]) -> None:
    started = time.perf_counter()
    first = None
    pieces: list[str] = []
    for chunk in llm.create_chat_completion(messages=messages, stream=True, max_tokens=max_tokens,
                                            temperature=0.0, seed=SEED):
        piece = chunk["choices"][0]["delta"].get("content")
        if piece:
            if first is None:
                first = time.perf_counter()
            pieces.append(piece)
    end = time.perf_counter()
    result.update({"total_s": end - started, "ttft_s": None if first is None else first - started,
                   "text": "".join(pieces).strip(), "pieces": len(pieces)})


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="measured turns (default %(default)s)")
    parser.add_argument("--reply-tokens", type=int, default=64,
                        help="max_tokens for both sides (Companion reply_tokens)")
    parser.add_argument("--quiet-below", type=float, default=0.15,
                        help="a turn counts as quiet when other processes used fewer cores "
                             "than this during both of its halves (default %(default)s)")
    args = c.parse(parser)

    import llama_cpp

    load_before = c.load_average()
    c.log(f"loading {args.model} twice (os1's backend and a bare Llama)")
    backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
    ours = backend._llm  # noqa: SLF001
    # The bare copy gets exactly the settings os1 gave its own (window, threads, batch).
    bare = llama_cpp.Llama(model_path=ours.model_path, n_ctx=ours.n_ctx(),
                           n_threads=ours.context_params.n_threads, n_batch=ours.n_batch,
                           n_threads_batch=ours.context_params.n_threads_batch,
                           n_ubatch=ours.context_params.n_ubatch, verbose=False)
    meter = LlamaMeter(ours)
    rows: list[dict[str, Any]] = []
    try:
        with c.companion_session(backend, args.reply_tokens) as session:
            store_time = {"s": 0.0}
            timed_method(session.store, "add_message", store_time)
            for i in range(args.turns + 1):
                line = c.USER_LINES[i % len(c.USER_LINES)]
                c.between_runs(args)
                store_time["s"] = 0.0
                cpu = c.CpuWatch()
                turn = asyncio.run(c.timed_respond(session.companion, line))
                cpu_os1 = cpu.read()
                call = meter.calls[-1]
                cpu.start()
                direct = direct_call(bare, call["messages"], call["max_tokens"])
                cpu_direct = cpu.read()
                row = {
                    "turn": i,
                    "e2e_s": c.r(turn.total_s),
                    "direct_s": c.r(direct["total_s"]),
                    "ttft_s": c.r(turn.ttft_s),
                    "direct_ttft_s": c.r(direct["ttft_s"]),
                    "inside_llama_ttft_s": c.r(call["first_piece_s"]),
                    "inside_llama_s": c.r(call["inside_s"]),
                    "prompt_build_s": c.r(turn.usage.get("prompt_build_s"), 5),
                    "store_s": c.r(store_time["s"], 5),
                    "pieces": turn.pieces,
                    "direct_pieces": direct["pieces"],
                    "same_text": turn.text == direct["text"],
                    "ours_cores_os1_direct": [cpu_os1["ours_cores"], cpu_direct["ours_cores"]],
                    "others_cores": max(cpu_os1["others_cores"] or 0, cpu_direct["others_cores"] or 0),
                    "error": turn.error,
                }
                c.log(f"{'warm-up' if i == 0 else 'turn'} {i}: os1 {turn.total_s:.3f}s, direct "
                      f"{direct['total_s']:.3f}s, inside llama {call['inside_s']:.3f}s, "
                      f"same text {row['same_text']}")
                if i > 0:
                    rows.append(row)
    finally:
        asyncio.run(backend.aclose())
        bare.close()

    quiet = [x for x in rows if x["others_cores"] < args.quiet_below]
    e2e = sum(x["e2e_s"] for x in rows)
    direct = sum(x["direct_s"] for x in rows)
    inside = sum(x["inside_llama_s"] for x in rows)
    build = sum(x["prompt_build_s"] or 0 for x in rows)
    store = sum(x["store_s"] for x in rows)
    c.emit({
        "benchmark": "overhead",
        **c.environment(args),
        "turns": args.turns,
        "reply_tokens": args.reply_tokens,
        "model_load_s": c.r(load_s, 3),
        "temperature": 0.0,
        "seed": SEED,
        "e2e_total_s": c.r(e2e, 3),
        "direct_total_s": c.r(direct, 3),
        "ratio_vs_direct": c.r((e2e - direct) / direct, 4) if direct else None,
        "ratio_vs_direct_per_turn": c.stats([(x["e2e_s"] - x["direct_s"]) / x["direct_s"]
                                             for x in rows if x["direct_s"]]),
        "quiet_turns": len(quiet),
        "ratio_vs_direct_quiet_turns": c.r(
            (sum(x["e2e_s"] for x in quiet) - sum(x["direct_s"] for x in quiet))
            / sum(x["direct_s"] for x in quiet), 4) if quiet else None,
        "ratio_vs_direct_quiet_per_turn": c.stats([(x["e2e_s"] - x["direct_s"]) / x["direct_s"]
                                                   for x in quiet if x["direct_s"]]),
        "measured_non_model_s": c.r(e2e - inside, 4),
        "measured_non_model_share": c.r((e2e - inside) / e2e, 4) if e2e else None,
        "non_model_breakdown_s": {"prompt_build": c.r(build, 4), "store_writes": c.r(store, 4),
                                  "other (thread start, queue hand-off, events)":
                                      c.r(e2e - inside - build - store, 4)},
        "ttft_os1_vs_direct_s": [c.stats([x["ttft_s"] for x in rows]),
                                 c.stats([x["direct_ttft_s"] for x in rows])],
        "ttft_inside_llama_os1_s": c.stats([x["inside_llama_ttft_s"] for x in rows]),
        "ttft_os1_minus_inside_llama_s": c.stats([x["ttft_s"] - x["inside_llama_ttft_s"]
                                                  for x in rows if x["inside_llama_ttft_s"]]),
        "same_output_turns": sum(1 for x in rows if x["same_text"]),
        "goal": "os1 overhead under 5%",
        "others_cores_per_turn": [x["others_cores"] for x in rows],
        "load_average_before": load_before,
        "load_average_after": c.load_average(),
        "per_turn": rows,
    })


if __name__ == "__main__":
    main()
