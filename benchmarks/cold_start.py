"""Cold start: from launching the real `os1` in a pseudo-terminal to its input prompt.

A data directory is prepared with os1's own Store API (the persona from tests/conftest.py
and --history-turns exchanges dated a day back) and copied afresh for every launch, so each
starts the same way: `os1` loads the model, greets ("welcome back", generated from the
conversation so far) and shows "Theodore> ". Two cases:
  fresh_directory  os1 has never run there, so nothing evaluated is saved: the greeting
                   reads the whole prompt (one uncounted warm-up launch first, which also
                   puts the model file in the page cache)
  used_directory   the same directory after one os1 session that quit normally, leaving its
                   saved KV state (DATA_DIR/cache): the usual start
Goal: ready in under 5 s.

Timeline markers read from the terminal:
  loaded      the help line, printed once the model has loaded (process start, imports,
              database, model load, KV state restore)
  first_word  the companion's name, printed with the greeting's first token (prompt build +
              evaluating whatever of the prompt isn't restored)
  ready       "Theodore> " (the rest of the greeting, decoded token by token)

Then, for the breakdown, the pieces are timed without a terminal: `os1 --version`
(interpreter + CLI imports), importing everything chat needs, and, in this process for each
case, the model load and the greeting (prompt size, tokens evaluated, rates from llama.cpp's
counters) and the first turn after it.

    .venv/bin/python benchmarks/cold_start.py [--runs 3] [--history-turns 10]
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
OS1 = str(Path(sys.executable).with_name("os1"))
HELP_MARK = "Ctrl-C stops a reply"
DISTURBED = 0.2  # other processes' cores during a launch above which it is redone


def os1_env(args: Any, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    env.update({"OS1_HOME": str(data_dir), "OS1_MODELS_DIR": str(c.models_dir()),
                "OS1_MODEL": args.model, "OS1_CONTEXT_TOKENS": str(args.n_ctx),
                "TERM": "xterm", "COLUMNS": "100", "LINES": "40"})
    if args.threads:
        env["OS1_THREADS"] = str(args.threads)
    return env


def launch(args: Any, template: Path, workdir: Path, index: str) -> dict[str, Any]:
    import pexpect

    data_dir = workdir / f"run{index}"
    c.copy_tree(template, data_dir)
    user = c.PERSONA["user_name"]
    cpu = c.CpuWatch()
    started = time.perf_counter()
    child = pexpect.spawn(OS1, env=os1_env(args, data_dir), encoding="utf-8",
                          dimensions=(40, 100), timeout=args.timeout)
    marks: dict[str, float | None] = {"loaded": None, "first_word": None, "ready": None}
    greeting, error = "", None
    try:
        child.expect_exact(HELP_MARK)
        marks["loaded"] = time.perf_counter() - started
        child.expect_exact(str(c.PERSONA["name"]))
        marks["first_word"] = time.perf_counter() - started
        child.expect_exact(f"{user}> ")
        marks["ready"] = time.perf_counter() - started
        greeting = ANSI.sub("", child.before).strip()
        child.sendline("/quit")
        child.expect(pexpect.EOF, timeout=60)
    except (pexpect.TIMEOUT, pexpect.EOF) as exc:
        error = f"{type(exc).__name__}; output so far: {ANSI.sub('', child.before or '')[-500:]}"
    finally:
        child.close(force=True)
    use = cpu.read()  # the child has been reaped: its CPU time counts as ours
    loaded, first, ready = marks["loaded"], marks["first_word"], marks["ready"]
    return {
        "ready_s": c.r(ready, 3),
        "loaded_s": c.r(loaded, 3),
        "greeting_first_token_s": c.r(first - loaded, 3) if first and loaded else None,
        "greeting_rest_s": c.r(ready - first, 3) if ready and first else None,
        "greeting": greeting,
        **use,
        "error": error,
    }


def timed_command(argv: list[str], env: dict[str, str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def greet(companion: Any) -> Any:
    started = time.perf_counter()
    return await c.timed(companion.greet(), started)


def in_process(args: Any, template: Path, workdir: Path, label: str) -> dict[str, Any]:
    """The model load (with os1 restoring its saved KV state, if the directory has one) and
    the greeting, timed inside this process without a terminal, on a copy of ``template``."""
    from os1.clock import SystemClock
    from os1.companion import Companion

    data_dir = workdir / f"in-process-{label}"
    c.copy_tree(template, data_dir)
    cpu = c.CpuWatch()
    backend, load_s = c.load_backend(args, data_dir=data_dir)  # as the CLI builds it
    clock = SystemClock()
    store = c.open_store(data_dir, clock)
    try:
        user_id = store.ensure_user(c.LOCAL_USER)
        persona = store.active_persona(user_id)
        assert persona is not None
        companion = Companion(store=store, backend=backend, clock=clock, user_id=user_id,
                              persona=persona, reply_tokens=512)  # what the CLI passes
        seen: list[list[dict[str, str]]] = []
        llm = backend._llm  # noqa: SLF001
        original = llm.create_chat_completion

        def record(**options: Any) -> Any:
            seen.append(options["messages"])
            return original(**options)

        llm.create_chat_completion = record  # type: ignore[method-assign,assignment]
        perf0 = c.llama_perf(backend)
        turn = asyncio.run(greet(companion))
        perf = c.perf_delta(perf0, c.llama_perf(backend))
        messages = seen[-1]
        count = backend.count_tokens
        total = c.prompt_tokens(backend, messages)
        split = {"system": count(messages[0]["content"]),
                 "history": sum(count(m["content"]) for m in messages[1:-1]),
                 "instruction": count(messages[-1]["content"])}
        split["chat_template"] = total - sum(split.values())
        # The person's first message after the greeting: how much of the prompt is reused.
        perf0 = c.llama_perf(backend)
        first = asyncio.run(c.timed_respond(companion, c.USER_LINES[0]))
        after = c.perf_delta(perf0, c.llama_perf(backend))
    finally:
        store.engine.dispose()
        asyncio.run(backend.aclose())
    return {
        "model_load_s": c.r(load_s, 3),
        "restored_tokens": getattr(backend, "restored_tokens", None),
        "greeting_prompt_build_s": c.r(turn.usage.get("prompt_build_s"), 4),
        "greeting_prompt_tokens": total,
        "greeting_prompt_split_tokens": split,
        "greeting_prompt_tokens_evaluated": perf["n_p_eval"],
        "greeting_prompt_eval_s": c.r(perf["t_p_eval_ms"] / 1000, 3),
        "prompt_eval_tok_s": c.r(perf["n_p_eval"] / perf["t_p_eval_ms"] * 1000, 1)
        if perf["t_p_eval_ms"] else None,
        "greeting_first_token_s": c.r(turn.ttft_s, 3),
        "greeting_tokens": perf["n_eval"],
        "greeting_decode_s": c.r(perf["t_eval_ms"] / 1000, 3),
        "decode_tok_s": c.r(perf["n_eval"] / perf["t_eval_ms"] * 1000, 2)
        if perf["t_eval_ms"] else None,
        "greeting_total_s": c.r(turn.total_s, 3),
        "first_turn_after_greeting": {"ttft_s": c.r(first.ttft_s, 3),
                                      "prompt_tokens_evaluated": after["n_p_eval"]},
        **cpu.read(),
    }


def scenario(args: Any, template: Path, workdir: Path, name: str, warmup: int) -> dict[str, Any]:
    runs, disturbed = [], []
    for i in range(warmup + args.runs):
        for attempt in range(1 + args.retry_disturbed):
            c.between_runs(args)
            result = launch(args, template, workdir, f"{name}-{i}-{attempt}")
            warm = i >= warmup
            c.log(f"{name}: {'launch' if warm else 'warm-up launch'} {i}: ready "
                  f"{result['ready_s']}s (loaded {result['loaded_s']}s, first word "
                  f"+{result['greeting_first_token_s']}s, rest +{result['greeting_rest_s']}s), "
                  f"others {result['others_cores']} cores"
                  + (f" ERROR {result['error']}" if result["error"] else ""))
            if (result["others_cores"] or 0) < DISTURBED or attempt == args.retry_disturbed:
                break
            if warm:
                disturbed.append(result)
            c.log(f"{name}: launch {i} was disturbed by other processes; again")
        if warm:
            runs.append(result)
    ready = [x["ready_s"] for x in runs if x["ready_s"] is not None]
    return {
        "ready_s": c.stats(ready, 3),
        "loaded_s": c.stats([x["loaded_s"] for x in runs if x["loaded_s"]], 3),
        "greeting_first_token_s": c.stats([x["greeting_first_token_s"] for x in runs
                                           if x["greeting_first_token_s"]], 3),
        "greeting_rest_s": c.stats([x["greeting_rest_s"] for x in runs if x["greeting_rest_s"]], 3),
        "others_cores_per_run": [x["others_cores"] for x in runs],
        "per_run": runs,
        "discarded_disturbed_runs": disturbed,
    }


def main() -> None:
    parser = c.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured launches (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted launches first")
    parser.add_argument("--history-turns", type=int, default=10,
                        help="exchanges already in the conversation (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per marker")
    parser.add_argument("--retry-disturbed", type=int, default=2,
                        help="launch again (up to this many times) when other processes used "
                             f"{DISTURBED}+ cores during a launch (default %(default)s)")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="only the terminal launches, not the separate timings")
    args = c.parse(parser)

    load_before = c.load_average()
    with tempfile.TemporaryDirectory(prefix="os1-cold-") as tmp:
        workdir = Path(tmp)
        template = workdir / "template"
        history = c.prepare_data_dir(template, args.history_turns)
        # 1. A directory os1 has never opened: nothing evaluated is saved, the whole prompt is
        #    read at start (also what every start was before os1 kept its KV state).
        cold = scenario(args, template, workdir, "fresh", args.warmup)
        # 2. The same directory after os1 has run in it once and quit (saving its KV state):
        #    the usual start. Made by one more launch, not counted.
        lived = workdir / "lived"
        c.between_runs(args)
        prep = launch(args, template, workdir, "prep")
        c.copy_tree(workdir / "runprep", lived)  # after its /quit: KV state saved
        states = sorted((lived / "cache").glob("*")) if (lived / "cache").is_dir() else []
        c.log(f"prepared a used directory (prep launch ready {prep['ready_s']}s); saved state: "
              f"{[(p.name, p.stat().st_size) for p in states]}")
        saved = scenario(args, lived, workdir, "saved", 0)
        breakdown: dict[str, Any] = {}
        if not args.no_breakdown:
            env = os1_env(args, workdir / "unused")
            breakdown["os1_version_s"] = c.r(timed_command([OS1, "--version"], env), 3)
            breakdown["import_everything_s"] = c.r(timed_command(
                [sys.executable, "-c", "import os1.cli.main, os1.cli.chat, os1.cli.setup_cmd, "
                 "os1.cli.runtime, os1.companion, os1.llm.embedded, llama_cpp"], env), 3)
            c.between_runs(args)
            breakdown["in_process_fresh"] = in_process(args, template, workdir, "fresh")
            c.between_runs(args)
            breakdown["in_process_saved"] = in_process(args, lived, workdir, "saved")
            c.log(f"breakdown: {breakdown}")
        saved_state = {"files": [{"name": p.name, "bytes": p.stat().st_size} for p in states]}

    c.emit({
        "benchmark": "cold_start",
        **c.environment(args),
        "runs": args.runs,
        "history": {"turns": args.history_turns, **history},
        "goal": "ready in under 5 s",
        "fresh_directory": {"what": "os1 has never run in this directory: no saved KV state",
                            **cold},
        "used_directory": {"what": "the same directory after one os1 session (KV state saved "
                                   "at exit)", "saved_state": saved_state, **saved},
        "breakdown": breakdown,
        "load_average_before": load_before,
        "load_average_after": c.load_average(),
    })


if __name__ == "__main__":
    main()
