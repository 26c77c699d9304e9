"""Shared setup for the benchmark scripts: the real model, a real SQLite store in a temporary
directory, a persona made with os1's own Store API, timing and JSON output.

Nothing here is a fake: the Companion, the EmbeddedBackend (llama.cpp) and the Store are the
ones os1 runs. Each script prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from os1.clock import Clock, SystemClock
from os1.companion import Companion
from os1.config import Config, Settings, load_config
from os1.events import Done, Error, TextDelta
from os1.llm.embedded import EmbeddedBackend
from os1.llm.factory import build_backend
from os1.models.files import resolve_model
from os1.persona.model import Persona, Traits
from os1.store import Store, open_engine

DEFAULT_MODEL = Settings().model  # qwen2.5-coder-1.5b
LEARNED_KINDS = ("fact", "person", "preference", "plan", "event", "feeling")
DEFAULT_N_CTX = Settings().context_tokens  # 4096, what os1 uses out of the box
LOCAL_USER = "local"  # the user the terminal runs as (os1.cli.runtime.LOCAL_USER)

# The persona from tests/conftest.py, so every benchmark talks to the same companion.
PERSONA = dict(
    name="Iris", name_story="I read a book of names and liked Iris best.",
    user_name="Theodore", voice="female",
    traits=Traits(warmth=0.8, humour=0.6, curiosity=0.7, directness=0.5),
    answers={"user_name": "Theodore", "social": "social", "mother": "close", "voice": "female"},
)

# Short, fixed things a person might say, used in order (and cycled).
USER_LINES = [
    "Hi! How are you today?",
    "I just got back from a walk by the river.",
    "It was cold, but the light was beautiful.",
    "Do you like autumn?",
    "I've been thinking about calling my sister.",
    "We haven't talked in a few weeks.",
    "She's busy with her new job.",
    "Maybe I'll call her tonight.",
    "What should I cook for dinner?",
    "I have rice, eggs and some spinach.",
    "That sounds good, thanks.",
    "Work was long today.",
    "My manager moved the deadline again.",
    "I'm a bit tired, honestly.",
    "Tell me something nice.",
    "Ha, that's sweet.",
    "I started reading a new book.",
    "It's about a lighthouse keeper.",
    "I like quiet stories like that.",
    "Do you have a favourite kind of story?",
    "I might go to bed early.",
    "Tomorrow I have a dentist appointment.",
    "I always get nervous there.",
    "Thanks, that helps a little.",
    "What do you think about when I'm away?",
    "That's a lovely thought.",
    "I should water my plants.",
    "The basil is doing well.",
    "I'll make pesto this weekend.",
    "Good night, Iris.",
]


# -- arguments and output ---------------------------------------------------------------------
def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="catalog name or path to a GGUF file (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads (default: os1's default, the CPU count)")
    parser.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX,
                        help="context window in tokens (default: os1's, %(default)s)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before starting, and before each run or turn, wait up to this "
                             "long for other processes to leave the CPU alone (default: don't)")
    return parser


def wait_for_quiet(max_wait: float, below: float = 0.2, window: float = 3.0) -> dict[str, Any]:
    """Wait until other processes use fewer than ``below`` cores over ``window`` seconds.

    On 2 cores, another busy process doesn't slow llama.cpp by half but by 10-100x (its
    OpenMP threads wait on each other at every barrier), so a disturbed run is worthless."""
    started = time.perf_counter()
    others = None
    while max_wait > 0:
        watch = CpuWatch()
        time.sleep(window)
        others = watch.read()["others_cores"]
        if others is not None and others < below:
            break
        if time.perf_counter() - started >= max_wait:
            log(f"still busy after {max_wait:.0f}s (others use {others} cores); going ahead")
            break
        log(f"waiting for a quiet machine (others use {others} cores)")
    return {"waited_s": round(time.perf_counter() - started, 1), "others_cores_at_start": others}


def between_runs(args: argparse.Namespace) -> float:
    """With --wait-quiet, wait (untimed) for a quiet machine before the next run or turn.
    Returns the seconds waited. Waiting between turns doesn't touch the model's state."""
    if not args.wait_quiet:
        return 0.0
    return float(wait_for_quiet(args.wait_quiet, window=1.0)["waited_s"])


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the arguments, then (if asked) wait for a quiet machine before anything loads."""
    args = parser.parse_args()
    args.quiet = wait_for_quiet(args.wait_quiet) if args.wait_quiet else None
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _busy_ticks() -> int:
    """Busy CPU time of the whole machine, in clock ticks (all processes, all cores)."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal


def _our_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuWatch:
    """How many cores this process (and its reaped children) used over a span, and how many
    everything else on the machine used: the disturbance figure for each measurement."""

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start()

    def start(self) -> CpuWatch:
        self.t0, self.busy0, self.ours0 = time.perf_counter(), _busy_ticks(), _our_seconds()
        return self

    def read(self) -> dict[str, float | None]:
        wall = time.perf_counter() - self.t0
        if wall <= 0.05:
            return {"ours_cores": None, "others_cores": None}
        busy = (_busy_ticks() - self.busy0) / self.tick
        ours = _our_seconds() - self.ours0
        return {"ours_cores": round(ours / wall, 2),
                "others_cores": round(max(0.0, busy - ours) / wall, 2)}


def environment(args: argparse.Namespace) -> dict[str, Any]:
    import llama_cpp

    quiet = getattr(args, "quiet", None)
    return {
        "model": args.model,
        "threads": args.threads or os.cpu_count() or 2,
        "n_ctx": args.n_ctx,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "llama_cpp_python": llama_cpp.__version__,
        "os1_commit": os1_commit(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **({"wait_quiet": quiet} if quiet else {}),
    }


def os1_commit() -> str | None:
    """The commit of the os1 being measured, '+dirty' when src/ has uncommitted changes."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=repo,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value)}")


def r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def percentile(values: list[Any], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def stats(values: list[Any], digits: int = 4) -> dict[str, Any]:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": r(percentile(values, 50), digits),
            "p95": r(percentile(values, 95), digits), "mean": r(sum(values) / len(values), digits),
            "min": r(min(values), digits), "max": r(max(values), digits)}


# -- the model --------------------------------------------------------------------------------
def models_dir() -> Path:
    """Where os1 looks for assembled models (honours OS1_MODELS_DIR like os1 does)."""
    with tempfile.TemporaryDirectory() as nowhere:
        return load_config(nowhere).models_dir


def model_path(model: str) -> Path:
    path, _spec = resolve_model(model, models_dir())
    return path


def backend_config(args: argparse.Namespace, data_dir: Path,
                   max_reply_tokens: int = 512) -> Config:
    """os1's config for ``data_dir`` with the benchmark's model settings laid over it."""
    return load_config(data_dir, overrides={
        "backend": "embedded", "model": args.model, "context_tokens": args.n_ctx,
        "threads": args.threads, "max_reply_tokens": max_reply_tokens})


def load_backend(args: argparse.Namespace, max_reply_tokens: int = 512,
                 data_dir: Path | None = None) -> tuple[EmbeddedBackend, float]:
    """The real EmbeddedBackend, built by os1's own factory (os1.llm.factory.build_backend)
    for ``data_dir`` (default: a scratch directory, so nothing is restored or kept).
    Returns it and its load time."""
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="os1-bench-backend-"))
        atexit.register(shutil.rmtree, data_dir, True)
    config = backend_config(args, data_dir, max_reply_tokens)
    started = time.perf_counter()
    backend = build_backend(config)
    elapsed = time.perf_counter() - started
    assert isinstance(backend, EmbeddedBackend)
    return backend, elapsed


def llama_perf(backend: EmbeddedBackend) -> dict[str, float]:
    """llama.cpp's own cumulative counters for this context (prompt vs decode tokens/ms)."""
    import llama_cpp

    data = llama_cpp.llama_perf_context(backend._llm._ctx.ctx)  # noqa: SLF001
    return {"n_p_eval": data.n_p_eval, "t_p_eval_ms": data.t_p_eval_ms,
            "n_eval": data.n_eval, "t_eval_ms": data.t_eval_ms}


def prompt_tokens(backend: EmbeddedBackend, messages: list[dict[str, str]]) -> int:
    """Tokens of ``messages`` as llama-cpp-python formats them (the GGUF's chat template)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = backend._llm  # noqa: SLF001
    text = lambda token: llm._model.token_get_text(token)  # noqa: E731, SLF001
    formatter = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"],
                                    eos_token=text(llm.token_eos()),
                                    bos_token=text(llm.token_bos()))
    prompt = formatter(messages=messages).prompt  # type: ignore[arg-type]
    return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))


def perf_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: after[key] - before[key] for key in before}


# -- the store --------------------------------------------------------------------------------
class FixedClock:
    """A clock that says what it is told: used only to date prepared history in the past."""

    def __init__(self, when: datetime) -> None:
        self.current = when

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


def open_store(data_dir: Path, clock: Clock) -> Store:
    """A real SQLite store where os1 itself would put it (DATA_DIR/os1.db)."""
    db = load_config(data_dir).db_path
    return Store(open_engine(db, clock), clock, label=db)


def create_persona(store: Store, user_id: int) -> Persona:
    return store.create_persona(user_id, **PERSONA)  # type: ignore[arg-type]


@dataclass
class Session:
    data_dir: Path
    store: Store
    companion: Companion
    user_id: int

    def close(self) -> None:
        self.store.engine.dispose()


@contextmanager
def companion_session(backend: EmbeddedBackend, reply_tokens: int,
                      clock: Clock | None = None) -> Iterator[Session]:
    """A fresh data directory with one persona, and a Companion on the given backend."""
    with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
        data_dir = Path(tmp)
        clock = clock or SystemClock()
        store = open_store(data_dir, clock)
        user_id = store.ensure_user(LOCAL_USER)
        persona = create_persona(store, user_id)
        companion = Companion(store=store, backend=backend, clock=clock, user_id=user_id,
                              persona=persona, reply_tokens=reply_tokens)
        session = Session(data_dir, store, companion, user_id)
        try:
            yield session
        finally:
            session.close()


def prepare_data_dir(data_dir: Path, history_turns: int, days_ago: float = 1.0) -> dict[str, Any]:
    """A data directory as a person who has talked with Iris before would have it: a persona
    and ``history_turns`` exchanges, dated ``days_ago`` days back. Built with the Store API."""
    clock = FixedClock(datetime.now(UTC) - timedelta(days=days_ago, minutes=2 * history_turns))
    store = open_store(data_dir, clock)
    try:
        user_id = store.ensure_user(LOCAL_USER)
        persona = create_persona(store, user_id)
        conversation = store.current_conversation(user_id, persona.id)
        chars = 0
        for i in range(history_turns):
            said = USER_LINES[i % len(USER_LINES)]
            store.add_message(user_id, conversation, role="user", source="user", content=said)
            clock.advance(seconds=40)
            reply = HISTORY_REPLIES[i % len(HISTORY_REPLIES)]
            store.add_message(user_id, conversation, role="assistant", source="companion",
                              content=reply, meta={"kind": "reply"})
            clock.advance(seconds=80)
            chars += len(said) + len(reply)
        return {"messages": 2 * history_turns, "characters": chars}
    finally:
        store.engine.dispose()


# Replies of the length the persona prompt asks for (one to four sentences).
HISTORY_REPLIES = [
    "I'm well, thank you for asking. I was hoping you'd come by. How has your day been so far?",
    "That sounds lovely. What did the river look like today, was it high after the rain?",
    "Cold light is the best kind, clear and a little sharp. I'd have liked to see it with you.",
    "I do. Everything seems to be letting go at once, and somehow it's beautiful rather "
    "than sad. What about you?",
    "I think she'd be glad to hear from you. What's making you hesitate?",
    "A few weeks can feel longer than it is. You could start with something small, like "
    "asking how the new job is going.",
    "New jobs swallow people whole for a while. A short call might be exactly what she needs.",
    "Tonight sounds good. I'll be curious to hear how it goes.",
    "How about something warm and simple? You sound like you need comfort more than effort.",
    "Fried rice with spinach and a soft egg on top. Ten minutes, one pan, and very forgiving.",
]


# -- one timed turn ---------------------------------------------------------------------------
@dataclass
class Turn:
    ttft_s: float | None  # respond() called -> first text piece
    total_s: float  # respond() called -> Done
    pieces: int  # streamed text pieces (llama-cpp-python yields about one per token)
    decode_tok_s: float | None  # (pieces - 1) / (last piece - first piece)
    text: str
    usage: dict[str, float] = field(default_factory=dict)
    error: str | None = None


async def timed(events: Any, started: float) -> Turn:
    first = last = None
    pieces = 0
    done: Done | None = None
    error: str | None = None
    async for event in events:
        now = time.perf_counter()
        if isinstance(event, TextDelta):
            pieces += 1
            if first is None:
                first = now
            last = now
        elif isinstance(event, Done):
            done = event
        elif isinstance(event, Error):
            error = event.text
    end = time.perf_counter()
    rate = None
    if first is not None and last is not None and pieces > 1 and last > first:
        rate = (pieces - 1) / (last - first)
    return Turn(ttft_s=None if first is None else first - started, total_s=end - started,
                pieces=pieces, decode_tok_s=rate, text=done.text if done else "",
                usage=dict(done.usage) if done else {}, error=error)


async def timed_respond(companion: Companion, text: str) -> Turn:
    started = time.perf_counter()
    return await timed(companion.respond(text), started)


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("os1.lock"))
