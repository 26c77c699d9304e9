"""``os1 letters`` through the real command: a letter added from a file, listed, shown,
marked, written in ink, and a book made of it — none of which needs the model."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import OS1

LETTER = ("Dear Loretta,\n\nFifty years ago I stood behind you in a bus queue in 1974 and never "
          "wanted the bus to come.\n\nAll my love,\nChris\n")


def os1(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    return subprocess.run([OS1, "--data-dir", str(data), "letters", *args], capture_output=True,
                          text=True, timeout=120, env=env | {"COLUMNS": "200"})


def test_the_library_from_the_shell(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = tmp_path / "loretta.txt"
    source.write_text(LETTER, encoding="utf-8")
    added = os1(data, "add", str(source), "--from", "Chris", "--to", "Loretta", "--occasion",
                "50th anniversary", "--date", "2024-06-01")
    assert added.returncode == 0, added.stderr
    assert "Added #1 Chris to Loretta, 50th anniversary" in added.stdout
    listed = os1(data, "list")
    assert "Chris to Loretta, 50th anniversary" in listed.stdout and "2024-06-01" in listed.stdout
    assert LETTER.strip() in os1(data, "show", "1").stdout
    assert os1(data, "favorite", "1").returncode == 0
    assert "★" in os1(data, "list").stdout

    inked = os1(data, "handwrite", "1")
    assert inked.returncode == 0, inked.stderr
    pdf = Path(inked.stdout.split("PDF", 1)[1].split()[0])
    assert pdf.is_file() and pdf.is_relative_to(data)
    assert "Chris" in PdfReader(pdf).pages[-1].extract_text()

    foreword = tmp_path / "foreword.txt"
    foreword.write_text("These letters were written for the people in them.", encoding="utf-8")
    book = os1(data, "book", "Bus Queues", "--letters", "1", "--foreword", str(foreword))
    assert book.returncode == 0, book.stderr
    assert "EPUB  valid" in book.stdout and "PDF   valid" in book.stdout
    assert "Bus Queues" in os1(data, "books").stdout

    missing = os1(data, "show", "7")
    assert missing.returncode != 0 and "There's no letter #7" in missing.stdout + missing.stderr
    typo = os1(data, "book", "Typo", "--letters", "1,x")
    assert typo.returncode != 0 and "numbers separated by commas" in typo.stdout + typo.stderr
    unknown = os1(data, "book", "Ghost", "--letters", "9", "--foreword", str(foreword))
    assert unknown.returncode != 0 and "There's no letter #9" in unknown.stdout + unknown.stderr
    assert "Ghost" not in os1(data, "books").stdout
