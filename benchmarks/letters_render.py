"""Letters on paper: the time to write one handwritten page (PDF and PNG separately, p50 over
``--pages`` pages), and to make a ``--letters``-letter book (PDF and EPUB separately), with the
validators' verdicts (EPUBCheck, qpdf + every font embedded), sizes and page counts.

    .venv/bin/python benchmarks/letters_render.py [--pages 12] [--letters 100] [--keep DIR]

The letters are generated here from a small fixed vocabulary of occasions, people and
sentences (no third-party text), seeded, so every run sets the same book. Fonts' static
instances are prepared once before timing (os1 caches them on disk after the first use).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CpuWatch, emit, load_average, log, os1_commit, stats  # noqa: E402

from os1.tools.letters import book_epub, book_pdf, fonts, handwriting  # noqa: E402
from os1.tools.letters.book import BookLetter, BookSpec, check_spec, pdf_cleaner  # noqa: E402
from os1.tools.letters.book import _needs_shaping as needs_shaping  # noqa: E402
from os1.tools.letters.validate import validate_epub, validate_pdf  # noqa: E402

PEOPLE = ["Maria", "Paul", "Amelia", "Jonah", "Rosalind", "Theo", "Nadia", "Sam", "Iris", "Leo",
          "Grandma June", "Mr Okafor", "Aunt Bea", "Dr Lindqvist", "Chris", "Hannah"]
OCCASIONS = ["wedding", "new baby", "fiftieth anniversary", "leaving home", "retirement",
             "first day at school", "graduation", "move abroad", "recovery", "birthday"]
OPENINGS = ["I have been meaning to write since the {o}, and every time I sat down the words "
            "ran away from me.", "I wanted to put this on paper, because paper keeps things "
            "better than I do.", "It has taken me a week to find the right words for your {o}, "
            "and I am still not sure I have them."]
MIDDLES = [
    "I keep coming back to the afternoon we spent by the river, when the light went gold.",
    "You laughed so hard at the ducks that the old man on the bench started laughing too.",
    "The kitchen still smells of the bread you taught me to make, and I still burn the crust.",
    "When the house is quiet I can hear your terrible singing, and I find that I miss it.",
    "Be brave in small ways every day; the big ways mostly take care of themselves.",
    "Thank you for the patience, the borrowed umbrellas, and the phone calls at midnight.",
    "I remember you at seven, furious that the sea would not stay still for a photograph.",
    "Whatever the next years bring, you will not be facing them on your own.",
    "There is a jar of small notes by our kettle now; it was your idea and it was a good one.",
    "I am not good at saying these things out loud, so I am writing them down instead.",
]
CLOSINGS = ["With all my love,", "Yours, always,", "Warmly,", "Love, and more love,"]


def make_letter(rng: random.Random, n: int) -> BookLetter:
    to, frm, occasion = rng.choice(PEOPLE), rng.choice(PEOPLE), rng.choice(OCCASIONS)
    paragraphs = [rng.choice(OPENINGS).format(o=occasion)]
    for _ in range(rng.randint(2, 6)):
        paragraphs.append(" ".join(rng.sample(MIDDLES, rng.randint(2, 5))))
    body = f"Dear {to},\n\n" + "\n\n".join(paragraphs) + f"\n\n{rng.choice(CLOSINGS)}\n{frm}"
    return BookLetter(title=f"For {to}, on a {occasion}" if n % 3 else f"To {to}",
                      sender=frm, recipient=to, occasion=occasion.capitalize(),
                      written_on=f"20{20 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d}", body=body)


def handwritten_pages(out: Path, pages: int) -> dict[str, Any]:
    """Time the PDF and the PNG drawing of the same layouts, page by page."""
    rng = random.Random(5)
    faces = [fonts.hand(), *fonts.fallbacks()]
    stock = handwriting.PAPERS["cream"]
    texture = handwriting.paper_texture(stock, 0, handwriting.PNG_DPI)
    pdf_s, png_s, layout_s = [], [], []
    for n in range(pages):
        body = make_letter(rng, n).body
        started = time.perf_counter()
        laid = handwriting.layout(body, signature="Theodore", faces=faces, seed=n)[:1]
        layout_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        handwriting.draw_pdf(laid, faces, texture, stock, out / f"page-{n}.pdf", title="bench")
        pdf_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        handwriting.draw_png(laid[0], faces, texture, stock).save(out / f"page-{n}.png")
        png_s.append(time.perf_counter() - started)
    started = time.perf_counter()
    whole = handwriting.render_handwritten(make_letter(rng, 0).body * 3, signature="Theodore",
                                           out_pdf=out / "whole.pdf", out_png=out / "whole.png")
    return {"pages": pages, "layout_s": stats(layout_s), "pdf_s_per_page": stats(pdf_s),
            "png_s_per_page": stats(png_s), "png_dpi": handwriting.PNG_DPI,
            "pdf_bytes_per_page": (out / "page-0.pdf").stat().st_size,
            "png_bytes_per_page": (out / "page-0.png").stat().st_size,
            "three_part_letter": {"pages": whole.pages,
                                  "render_s": round(time.perf_counter() - started, 3)}}


def book(out: Path, count: int) -> dict[str, Any]:
    rng = random.Random(11)
    spec = BookSpec(title="Letters Written for Other People", subtitle="A hundred of the best",
                    author="Theodore Twombly", foreword="\n\n".join(rng.sample(MIDDLES, 4)),
                    letters=[make_letter(rng, n) for n in range(count)])
    check_spec(spec)
    pdf_path, epub_path = out / "book.pdf", out / "book.epub"
    watch = CpuWatch()
    started = time.perf_counter()
    pages = book_pdf.write_pdf(spec, pdf_path, clean=pdf_cleaner(spec), shaping=needs_shaping(spec))
    pdf_s = time.perf_counter() - started
    pdf_cpu = watch.read()
    started = time.perf_counter()
    book_epub.write_epub(spec, epub_path)
    epub_s = time.perf_counter() - started
    started = time.perf_counter()
    pdf_verdict = validate_pdf(pdf_path)
    check_pdf_s = time.perf_counter() - started
    started = time.perf_counter()
    epub_verdict = validate_epub(epub_path)
    check_epub_s = time.perf_counter() - started
    words = sum(len(letter.body.split()) for letter in spec.letters)
    return {"letters": count, "pages": pages, "words": words,
            "pdf_s": round(pdf_s, 3), "pdf_cpu": pdf_cpu, "epub_s": round(epub_s, 3),
            "pdf_bytes": pdf_path.stat().st_size, "epub_bytes": epub_path.stat().st_size,
            "check_pdf_s": round(check_pdf_s, 3), "check_epub_s": round(check_epub_s, 3),
            "verdict": {"pdf": pdf_verdict.as_dict(), "epub": epub_verdict.as_dict()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--letters", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="write the outputs here and keep them")
    args = parser.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="os1-bench-letters-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        for face in [fonts.hand(), *fonts.book_faces().__dict__.values(), *fonts.fallbacks()]:
            fonts.static_path(face)
        warm_s = time.perf_counter() - started
        log(f"fonts ready in {warm_s:.1f}s; writing {args.pages} handwritten pages")
        load_before = load_average()
        hand = handwritten_pages(out, args.pages)
        log(f"making a {args.letters}-letter book")
        made = book(out, args.letters)
        emit({"benchmark": "letters_render", "os1_commit": os1_commit(),
              "load_average": {"before": load_before, "after": load_average()},
              "font_prepare_s": round(warm_s, 2), "handwritten": hand, "book": made,
              **({"kept_in": str(out)} if args.keep else {})})
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
