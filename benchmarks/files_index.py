"""The file index at 10,000 files: files indexed per second, the cost of a refresh that
finds nothing new (what ``FileIndex.watch`` pays every interval), and query latency
(p50/p95 over ~200 varied queries), keyword-only and hybrid with the real embedder.

    .venv/bin/python benchmarks/files_index.py [--files 10000] [--queries 200]
        [--embed-files 2000] [--keep DIR]

The files are generated into a temporary folder: Markdown notes and plain-text logs with
headings and varied vocabulary (~90%), real Word files (python-docx, ~6%) and real PDFs
(written by hand, ~3%, a few of them image-only). The embedder (all-MiniLM-L6-v2 int8,
one thread) is slow on a 2-core machine, so the hybrid run indexes the first
``--embed-files`` files (0 skips it; use the full count for the real figure); the JSON says
how many and the embedding cost per file and per passage.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import inspect

from os1.clock import SystemClock
from os1.store import Store, open_engine
from os1.tools.files import tables
from os1.tools.files.index import FileIndex

TOPICS = {
    "travel": "flight hotel passport Lisbon Kyoto train luggage itinerary beach museum visa",
    "money": "budget invoice tax rent mortgage savings pension receipt salary refund bank",
    "health": "doctor appointment dentist prescription allergy vaccine blood pressure sleep",
    "work": "meeting deadline roadmap quarterly review hiring manager project launch client",
    "home": "garden boiler plumber landlord lease furniture paint kitchen tenancy repair",
    "family": "birthday school grandmother wedding holiday recipe anniversary children",
    "study": "thesis chapter lecture exam bibliography seminar citation professor essay",
    "hobby": "guitar chess climbing photography knitting sourdough cycling marathon",
}
FILLER = ["the", "and", "with", "for", "about", "from", "this", "that", "then", "after",
          "before", "while", "because", "notes", "remember", "check", "call", "write", "send",
          "plan", "ask", "maybe", "next", "week", "month", "today", "later"]
QUERIES = [
    "passport renewal", "dentist appointment", "quarterly review", "boiler repair", "lease tenancy",
    "tax refund", "sourdough recipe", "thesis chapter", "marathon training", "hotel in Kyoto",
    "what did the plumber say", "wedding plans", "blood pressure", "hiring manager", "budget",
    "guitar lessons", "grandmother birthday", "invoice from the client", "museum visit",
    "mortgage savings", "when is the exam", "photography trip", "paint the kitchen", "project launch",
]


def sentence(rng: random.Random, topic: str) -> str:
    words = TOPICS[topic].split()
    picked = [rng.choice(words) if rng.random() < 0.35 else rng.choice(FILLER)
              for _ in range(rng.randint(8, 18))]
    return " ".join(picked).capitalize() + "."


def text_body(rng: random.Random, topic: str, markdown: bool) -> str:
    out = []
    for section in range(rng.randint(1, 5)):
        if markdown:
            out.append(f"{'#' * min(3, section + 1)} {topic.title()} {rng.choice(TOPICS[topic].split())}")
        out.append("\n".join(sentence(rng, topic) for _ in range(rng.randint(2, 12))))
    return "\n\n".join(out) + "\n"


def make_pdf(path: Path, pages: list[str | None]) -> None:
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, page in enumerate(pages):
        stream = b"0.5 g 50 50 500 700 re f" if page is None else "\n".join(
            f"BT /F1 11 Tf 60 {740 - 14 * n} Td ({line}) Tj ET"
            for n, line in enumerate(page.split("\n"))).encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def generate(root: Path, count: int, seed: int = 7) -> dict[str, int]:
    import docx

    rng = random.Random(seed)
    kinds: dict[str, int] = {}
    for n in range(count):
        topic = rng.choice(list(TOPICS))
        folder = root / topic / f"{2015 + n % 11}" / f"batch{n // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        stem = f"{topic}-{rng.choice(TOPICS[topic].split())}-{n:05d}"
        if roll < 0.06:
            document = docx.Document()
            document.add_heading(f"{topic.title()} document {n}", level=1)
            for _ in range(rng.randint(3, 12)):
                document.add_paragraph(" ".join(sentence(rng, topic) for _ in range(3)))
            document.save(str(folder / f"{stem}.docx"))
            kind = "docx"
        elif roll < 0.09:
            pages: list[str | None] = [None] if rng.random() < 0.1 else [
                "\n".join(sentence(rng, topic) for _ in range(rng.randint(5, 25)))
                for _ in range(rng.randint(1, 4))]
            make_pdf(folder / f"{stem}.pdf", pages)
            kind = "pdf"
        elif roll < 0.6:
            (folder / f"{stem}.md").write_text(text_body(rng, topic, True))
            kind = "md"
        else:
            (folder / f"{stem}.txt").write_text(text_body(rng, topic, False))
            kind = "txt"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def query_set(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = list(QUERIES)
    while len(out) < n:
        topic = rng.choice(list(TOPICS))
        out.append(" ".join(rng.sample(TOPICS[topic].split(), rng.randint(1, 3))))
    return out[:n]


def time_queries(index: FileIndex, queries: list[str]) -> dict[str, Any]:
    search, find = [], []
    empty = 0
    for q in queries:
        started = time.perf_counter()
        hits = index.search(q, limit=5)
        search.append(time.perf_counter() - started)
        empty += not hits
        started = time.perf_counter()
        index.find_file(q, limit=5)
        find.append(time.perf_counter() - started)
    return {"search": percentiles(search), "find_file": percentiles(find),
            "queries": len(queries), "queries_without_hits": empty}


def open_store(path: Path) -> Store:
    clock = SystemClock()
    engine = open_engine(path, clock)
    with engine.begin() as conn:  # until migration 6 is on every database
        if not inspect(conn).has_table("files_files"):
            tables.metadata.create_all(conn, tables=tables.TABLES)
            tables.create_extras(conn)
    return Store(engine, clock, label=path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embed-files", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="os1-files-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"benchmark": "files_index", "files": args.files}
    try:
        docs = work / "docs"
        started = time.perf_counter()
        if not docs.exists():
            result["generated"] = generate(docs, args.files)
        result["generate_s"] = round(time.perf_counter() - started, 1)
        print(f"generated {args.files} files in {result['generate_s']} s", file=sys.stderr)

        store = open_store(work / "os1.db")
        index = FileIndex(store, store.ensure_user("bench"), store.clock)
        index.add_folder(str(docs))
        first = index.refresh()
        result["first_index"] = {
            "seconds": first.seconds, "files_per_s": round(args.files / first.seconds, 1),
            "indexed": first.indexed, "skipped": first.skipped, "errors": first.errors,
            "passages": index.stats()["chunks"]}
        print(f"first index: {result['first_index']}", file=sys.stderr)
        again = index.refresh()
        result["refresh_nothing_changed"] = {"seconds": again.seconds,
                                             "unchanged": again.unchanged}
        queries = query_set(args.queries)
        result["keyword"] = time_queries(index, queries)
        print(f"keyword queries: {result['keyword']}", file=sys.stderr)
        store.engine.dispose()

        if args.embed_files:
            result["hybrid"] = hybrid(work, docs, args.embed_files, queries)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


def hybrid(work: Path, docs: Path, count: int, queries: list[str]) -> dict[str, Any]:
    from os1.errors import ModelError
    from os1.memory.embed import load_embedder

    try:
        embedder = load_embedder(threads=1)
    except ModelError as exc:
        return {"skipped": exc.what}
    subset = work / "embedded"
    every = sorted(p for p in docs.rglob("*") if p.is_file())
    files = every[::max(1, len(every) // count)][:count]  # spread over topics and years
    for path in files:
        target = subset / path.relative_to(docs)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    store = open_store(work / "os1-hybrid.db")
    index = FileIndex(store, store.ensure_user("bench"), store.clock, embedder)
    index.add_folder(str(subset))
    started = time.perf_counter()
    sample = embedder.embed(["warm up the session"] * 64)
    del sample
    report = index.refresh()
    passages = index.stats()["chunks"]
    out: dict[str, Any] = {
        "files": len(files), "index_seconds": report.seconds,
        "files_per_s": round(len(files) / report.seconds, 1), "passages": passages,
        "embedding_note": "indexing time is almost all embedding (MiniLM int8, 1 thread); "
                          "per_passage_ms = index_seconds / passages",
        "per_passage_ms": round(report.seconds / max(1, passages) * 1000, 2),
        "warmup_s": round(time.perf_counter() - started - report.seconds, 2)}
    print(f"hybrid index: {out}", file=sys.stderr)
    index.search("warm up")  # loads the vectors once
    out.update(time_queries(index, queries))
    started = time.perf_counter()
    for q in queries[:50]:
        embedder.embed([q])
    out["query_embedding_ms"] = round((time.perf_counter() - started) / 50 * 1000, 2)
    store.engine.dispose()
    return out


if __name__ == "__main__":
    main()
