"""Warm latency of a short turn through os1's real loop: time to first token, decode rate.

Each run is a new conversation (a fresh data directory with the same persona) on one loaded
model, so the prompt is the persona prompt plus one short message (a different one each
run); llama.cpp keeps the persona prompt evaluated from the run before (that is what
"warm" means here, and what a person sees on every turn after the first). One warm-up run
is not counted.

    .venv/bin/python benchmarks/latency.py [--runs 20] [--reply-tokens 128]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

QUIET = 0.2  # a run is quiet when other processes used fewer cores than this


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted runs first")
    parser.add_argument("--reply-tokens", type=int, default=128,
                        help="Companion reply_tokens: the cap on each reply (default %(default)s)")
    args = c.parse(parser)

    load_before = c.load_average()
    c.log(f"loading {args.model}")
    backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
    runs: list[dict[str, Any]] = []
    try:
        for i in range(args.warmup + args.runs):
            c.between_runs(args)
            with c.companion_session(backend, args.reply_tokens) as session:
                perf0 = c.llama_perf(backend)
                cpu = c.CpuWatch()
                message = c.USER_LINES[i % len(c.USER_LINES)]
                turn = asyncio.run(c.timed_respond(session.companion, message))
                cpu_use = cpu.read()
                perf = c.perf_delta(perf0, c.llama_perf(backend))
            warm = i >= args.warmup
            c.log(f"{'run' if warm else 'warm-up'} {i}: ttft {turn.ttft_s or 0:.3f}s, "
                  f"{turn.pieces} pieces, {turn.decode_tok_s or 0:.2f} tok/s"
                  + (f" ERROR {turn.error}" if turn.error else ""))
            if warm:
                runs.append({
                    "message": message, "ttft_s": c.r(turn.ttft_s), "total_s": c.r(turn.total_s),
                    "reply_pieces": turn.pieces, "decode_tok_s": c.r(turn.decode_tok_s, 2),
                    "prompt_build_s": c.r(turn.usage.get("prompt_build_s"), 5),
                    "prompt_tokens_evaluated": perf["n_p_eval"],
                    "prompt_eval_ms": c.r(perf["t_p_eval_ms"], 1),
                    "model_decode_tok_s": c.r(perf["n_eval"] / perf["t_eval_ms"] * 1000, 2)
                    if perf["t_eval_ms"] else None,
                    **cpu_use,
                    "error": turn.error,
                })
    finally:
        asyncio.run(backend.aclose())

    quiet = [x for x in runs if (x["others_cores"] or 0) < QUIET]
    c.emit({
        "benchmark": "latency",
        **c.environment(args),
        "runs": args.runs,
        "reply_tokens": args.reply_tokens,
        "messages": "one short line per run from _common.USER_LINES (a new one each run, so "
                    "only the persona prompt is cached)",
        "model_load_s": c.r(load_s, 3),
        "ttft_s": c.stats([x["ttft_s"] for x in runs]),
        "decode_tok_s": c.stats([x["decode_tok_s"] for x in runs], 2),
        "model_decode_tok_s": c.stats([x["model_decode_tok_s"] for x in runs], 2),
        "total_s": c.stats([x["total_s"] for x in runs]),
        "reply_pieces": c.stats([x["reply_pieces"] for x in runs], 1),
        "prompt_tokens_evaluated": c.stats([x["prompt_tokens_evaluated"] for x in runs], 1),
        "quiet_runs": len(quiet),
        "ttft_s_quiet_runs": c.stats([x["ttft_s"] for x in quiet]),
        "decode_tok_s_quiet_runs": c.stats([x["decode_tok_s"] for x in quiet], 2),
        "others_cores_during_runs": c.stats([x["others_cores"] for x in runs], 2),
        "load_average_before": load_before,
        "load_average_after": c.load_average(),
        "per_run": runs,
        "notes": "ttft: Companion.respond called -> first TextDelta (store write, prompt build, "
                 "prompt eval of what isn't cached, first sample). decode_tok_s: streamed pieces "
                 "after the first / time between first and last piece, as the person sees it; "
                 "model_decode_tok_s: llama.cpp's own decode counter. others_cores: cores used by "
                 "other processes during the run (0 = undisturbed; the machine has cpu_count).",
    })


if __name__ == "__main__":
    main()
