"""Time to first token as one conversation grows: turn 1 vs turn 30.

Thirty real turns through Companion.respond in one conversation (fixed short user lines,
replies capped by the Companion's reply_tokens). The prompt grows by appending, so
llama.cpp should re-evaluate only the newest turn and turn 30 should answer about as fast
as turn 1 (goal: within 1.5x). Before turn 1 one uncounted warm-up conversation evaluates
the persona prompt, as any earlier turn would have.

    .venv/bin/python benchmarks/conversation_growth.py [--turns 30] [--reply-tokens 40]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


async def conversation(companion, backend, args) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = []
    for i in range(args.turns):
        c.between_runs(args)
        line = c.USER_LINES[i % len(c.USER_LINES)]
        perf0 = c.llama_perf(backend)
        cpu = c.CpuWatch()
        turn = await c.timed_respond(companion, line)
        cpu_use = cpu.read()
        perf = c.perf_delta(perf0, c.llama_perf(backend))
        rows.append({
            "turn": i + 1,
            "ttft_s": c.r(turn.ttft_s),
            "total_s": c.r(turn.total_s),
            "prompt_build_s": c.r(turn.usage.get("prompt_build_s"), 5),
            # tokens in the model's context after the turn ~ prompt + reply
            "context_tokens": backend._llm.n_tokens,  # noqa: SLF001
            "prompt_tokens_evaluated": perf["n_p_eval"],
            "prompt_eval_ms": c.r(perf["t_p_eval_ms"], 1),
            "reply_pieces": turn.pieces,
            "decode_tok_s": c.r(turn.decode_tok_s, 2),
            **cpu_use,
            "error": turn.error,
        })
        c.log(f"turn {i + 1}: ttft {turn.ttft_s or 0:.3f}s, evaluated "
              f"{perf['n_p_eval']} prompt tokens, context {backend._llm.n_tokens}, "  # noqa: SLF001
              f"{turn.pieces} pieces" + (f" ERROR {turn.error}" if turn.error else ""))
    return rows


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30, help="turns (default %(default)s)")
    parser.add_argument("--reply-tokens", type=int, default=40,
                        help="Companion reply_tokens: the cap on each reply (default %(default)s)")
    parser.add_argument("--window", type=int, default=5,
                        help="turns in each median for the first-vs-last comparison")
    args = c.parse(parser)

    load_before = c.load_average()
    c.log(f"loading {args.model}")
    backend, load_s = c.load_backend(args, max_reply_tokens=args.reply_tokens)
    try:
        with c.companion_session(backend, args.reply_tokens) as warm:
            asyncio.run(c.timed_respond(warm.companion, "Hello."))  # persona prompt evaluated
        with c.companion_session(backend, args.reply_tokens) as session:
            rows = asyncio.run(conversation(session.companion, backend, args))
            summaries = session.store.latest_summary(session.user_id,
                                                     session.companion.conversation_id)
    finally:
        asyncio.run(backend.aclose())

    ttft = [row["ttft_s"] for row in rows]
    w = min(args.window, len(rows))
    first, last = statistics.median(ttft[:w]), statistics.median(ttft[-w:])
    c.emit({
        "benchmark": "conversation_growth",
        **c.environment(args),
        "turns": args.turns,
        "reply_tokens": args.reply_tokens,
        "model_load_s": c.r(load_s, 3),
        "ttft_turn1_s": ttft[0],
        f"ttft_turn{len(rows)}_s": ttft[-1],
        "ratio_last_over_first": c.r(ttft[-1] / ttft[0], 3) if ttft[0] else None,
        f"median_ttft_turns_1_{w}_s": c.r(first),
        f"median_ttft_turns_{len(rows) - w + 1}_{len(rows)}_s": c.r(last),
        "ratio_median_last_over_first": c.r(last / first, 3) if first else None,
        "goal": "turn 30 within 1.5x of turn 1",
        "context_tokens_first_last": [rows[0]["context_tokens"], rows[-1]["context_tokens"]],
        "prompt_tokens_evaluated": c.stats([row["prompt_tokens_evaluated"] for row in rows], 1),
        "folded_into_summary": summaries is not None,
        "ttft_by_turn_s": ttft,
        "prompt_build_s_first_last": [rows[0]["prompt_build_s"], rows[-1]["prompt_build_s"]],
        "disturbed_turns": [row["turn"] for row in rows if (row["others_cores"] or 0) >= 0.2],
        "others_cores_per_turn": [row["others_cores"] for row in rows],
        "load_average_before": load_before,
        "load_average_after": c.load_average(),
        "per_turn": rows,
    })


if __name__ == "__main__":
    main()
