"""Fixtures for the file index: a migrated store with the files tables, real files on disk,
and a deterministic embedder (the model seam; the real one is exercised by the benchmark)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect

from os1.store import Store
from os1.tools.files import tables
from os1.tools.files.index import FileIndex
from tests.pdf import assemble_pdf


@pytest.fixture
def files_store(store: Store) -> Store:
    """The shared store, with the files tables (migration 6 creates them once it is listed)."""
    with store.engine.begin() as conn:
        if not inspect(conn).has_table("files_files"):
            tables.metadata.create_all(conn, tables=tables.TABLES)
            tables.create_extras(conn)
    return store


class WordsEmbedder:
    """Bag of words hashed into 256 dimensions, normalised: texts sharing words are close.
    Deterministic and instant; synonyms listed in ``SAME`` map to one word so a test can
    show a meaning match that keyword search misses."""

    name = "test-words"
    dim = 256
    SAME = {"automobile": "car", "vehicle": "car", "holiday": "vacation", "trip": "vacation"}

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                word = self.SAME.get(word, word)
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@pytest.fixture
def index(files_store: Store, user_id: int, clock) -> FileIndex:  # type: ignore[no-untyped-def]
    return FileIndex(files_store, user_id, clock)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def make_pdf(path: Path, pages: list[str | None]) -> Path:
    """A real PDF written by hand: one page per entry, with a text layer (Helvetica) or,
    for None, only a filled rectangle (what a scanned page looks like to a text reader)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, page in enumerate(pages):
        if page is None:
            stream = b"0.5 g 50 50 500 700 re f"
        else:
            lines = []
            for n, line in enumerate(page.split("\n")):
                safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                lines.append(f"BT /F1 12 Tf 72 {720 - 16 * n} Td ({safe}) Tj ET")
            stream = "\n".join(lines).encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    path.write_bytes(assemble_pdf(objects))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Lease agreement", level=1)
    document.add_paragraph("This lease is between Amy Walker and Riverside Flats Ltd.")
    document.add_paragraph("")
    document.add_heading("Rent", level=2)
    document.add_paragraph("The monthly rent is 950 pounds, due on the first of each month.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Deposit"
    table.cell(0, 1).text = "1900 pounds"
    table.cell(1, 0).text = "Notice period"
    table.cell(1, 1).text = "two months"
    document.add_heading("Pets", level=2)
    document.add_paragraph("A small dog named Biscuit is allowed in the flat.")
    document.save(str(path))
    return path
