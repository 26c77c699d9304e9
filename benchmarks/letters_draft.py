"""Time to draft a personal letter with the embedded model, through os1's own LetterService:
planning the request (who, to whom, the occasion: JSON schema), then writing the letter in
the sender's voice; and a revision ("warmer"). p50/p95 over the requests below, with the
letter's length and the tokens written.

    .venv/bin/python benchmarks/letters_draft.py [--runs 6] [--wait-quiet 60]

The requests were written for os1 (no third-party text).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from _common import (  # noqa: E402
    CpuWatch,
    base_parser,
    between_runs,
    emit,
    environment,
    llama_perf,
    load_backend,
    log,
    open_store,
    parse,
    perf_delta,
    stats,
)

from os1.clock import SystemClock  # noqa: E402
from os1.errors import InputError  # noqa: E402
from os1.tools.letters.service import LetterService  # noqa: E402

REQUESTS = [
    "Write a letter from Chris to Loretta for their 50th anniversary; they met in a bus queue "
    "in 1974 and still dance in the kitchen",
    "Write a letter from Maya to her grandmother Rosa for her 90th birthday; Rosa taught her to "
    "bake bread on Sundays",
    "Write a letter from Tom to his brother Sam, who is moving to Canada; they shared a room "
    "for fifteen years",
    "Write a letter from Ellen to Paul for their first anniversary; they met at a library and "
    "he returned her book late",
    "Write a letter from Jonas to his daughter Lea on her graduation; she studied while working "
    "nights",
    "Write a letter from Ana to her old teacher Mr Hale to say thank you; he lent her his books "
    "when she had none",
]


async def run(args) -> dict:  # type: ignore[no-untyped-def]
    backend, load_s = load_backend(args, max_reply_tokens=800)
    data_dir = Path(tempfile.mkdtemp(prefix="os1-bench-letters-"))
    clock = SystemClock()
    store = open_store(data_dir, clock)
    user_id = store.ensure_user("local")
    service = LetterService(store, user_id, clock, backend=backend, out_dir=data_dir / "letters",
                            user_name="Theodore")
    drafts, revisions = [], []
    for i in range(args.runs):
        request = REQUESTS[i % len(REQUESTS)]
        between_runs(args)
        watch, before = CpuWatch(), llama_perf(backend)
        started = time.perf_counter()
        letter = await service.draft_from_words(request)
        elapsed = time.perf_counter() - started
        perf = perf_delta(before, llama_perf(backend))
        drafts.append({"seconds": round(elapsed, 2), "chars": len(letter.body),
                       "words": len(letter.body.split()), "tokens_written": perf["n_eval"],
                       "prompt_tokens": perf["n_p_eval"], "sender": letter.sender,
                       "recipient": letter.recipient, "occasion": letter.occasion,
                       **watch.read()})
        log(f"draft {i + 1}: {elapsed:.1f} s, {len(letter.body)} chars "
            f"({letter.sender} → {letter.recipient})")
        if i < 3:
            between_runs(args)
            started = time.perf_counter()
            try:
                revised = await service.revise(letter.id, "warmer")
                revisions.append({"seconds": round(time.perf_counter() - started, 2),
                                  "chars": len(revised.body), "ok": True})
            except InputError as exc:  # the model handed it back unchanged twice
                revisions.append({"seconds": round(time.perf_counter() - started, 2),
                                  "ok": False, "why": exc.what})
        if i == 0:
            sample = letter.body
    await backend.aclose()
    return {
        "benchmark": "letters_draft",
        "environment": environment(args),
        "model_load_s": round(load_s, 2),
        "draft_s": stats([d["seconds"] for d in drafts], 2),
        "draft_words": stats([d["words"] for d in drafts], 0),
        "draft_tokens_written": stats([d["tokens_written"] for d in drafts], 0),
        "revise_warmer_s": stats([r["seconds"] for r in revisions if r["ok"]], 2),
        "revisions_failed": sum(1 for r in revisions if not r["ok"]),
        "revisions": revisions,
        "drafts": drafts,
        "sample_letter": sample,
    }


def main() -> None:
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    args = parse(parser)
    emit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
