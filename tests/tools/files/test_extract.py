"""Extraction from real files: every format, its places, and the bad inputs (never raises)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from os1.tools.files.extract import (
    CHUNK_MAX,
    MAX_TEXT_BYTES,
    extract,
    parse_place,
    read_document,
    source_label,
)
from tests.tools.files.conftest import make_docx, make_pdf


def test_markdown_chunks_keep_lines_and_headings() -> None:
    text = "# Trip\n\nWe fly to Lisbon.\n\n## Day 2\n\n```\n# not a heading\n```\nBelem tower.\n"
    result = extract("notes/trip.md", text.encode(), "markdown")
    assert result.status == "ok"
    assert [(c.place, c.heading) for c in result.chunks] == [
        ("lines 1–3", "Trip"), ("lines 5–10", "Trip › Day 2")]
    assert "Belem tower." in result.chunks[1].text
    assert source_label("notes/trip.md", "line", 5, 10) == "notes/trip.md:5-10"


def test_long_text_is_cut_into_passages_that_cover_every_line() -> None:
    lines = [f"line number {n} about gardening and tomatoes" for n in range(1, 401)]
    result = extract("long.txt", "\n".join(lines).encode(), "text")
    assert len(result.chunks) > 3
    covered = [n for c in result.chunks for n in range(c.first, c.last + 1)]
    assert covered == list(range(1, 401))
    assert all(len(c.text) <= CHUNK_MAX for c in result.chunks)


def test_pdf_pages_are_places(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "report.pdf", ["Quarterly report", "Revenue grew in Norway",
                                              "Penguins on page three"])
    result = extract("report.pdf", pdf.read_bytes(), "pdf")
    assert result.status == "ok"
    assert [c.place for c in result.chunks] == ["page 1", "page 2", "page 3"]
    assert "Penguins" in result.chunks[2].text
    assert source_label("report.pdf", "page", 3, 3) == "report.pdf p. 3"


def test_image_only_pdf_says_it_has_no_text_layer(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "scan.pdf", [None, None])
    result = extract("scan.pdf", pdf.read_bytes(), "pdf")
    assert result.status == "skipped"
    assert result.note == ("scan.pdf has no text layer (it's a scanned image); os1 can't read "
                           "it without OCR.")


def test_encrypted_pdf_is_skipped_with_a_note(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Secret salary figures"])
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt("hunter2", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    result = extract("locked.pdf", out.getvalue(), "pdf")
    assert result.status == "skipped"
    assert "password-protected" in result.note and "locked.pdf" in result.note


def test_corrupt_files_are_errors_not_exceptions() -> None:
    for name, kind in (("broken.pdf", "pdf"), ("broken.docx", "docx"), ("broken.odt", "odt")):
        result = extract(name, b"%PDF-1.4 this is not really anything" * 3, kind)
        assert result.status == "error", name
        assert name in result.note and "damaged" in result.note


def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "lease.docx")
    doc = read_document("lease.docx", path.read_bytes(), "docx")
    texts = [u.text for u in doc.units]
    assert texts[0] == "Lease agreement" and doc.units[0].starts_section
    assert "Deposit | 1900 pounds\nNotice period | two months" in texts
    result = extract("lease.docx", path.read_bytes(), "docx")
    pets = next(c for c in result.chunks if "Biscuit" in c.text)
    assert pets.heading == "Lease agreement › Pets"
    assert pets.place == "paragraphs 6–7"


def test_email_file_headers_and_html_body() -> None:
    raw = (b"From: Anna <anna@example.com>\r\nTo: amy@example.com\r\n"
           b"Subject: Dinner =?utf-8?q?Fr=C3=A9d?=\r\n"
           b"Date: Tue, 3 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{}</style></head><body><p>Dinner at <b>eight</b>?</p>"
           b"<script>alert(1)</script></body></html>\r\n")
    result = extract("dinner.eml", raw, "email")
    assert result.status == "ok"
    text = result.chunks[0].text
    assert "From: Anna <anna@example.com>" in text and "Subject: Dinner Fréd" in text
    assert "Dinner at" in text and "eight" in text and "alert" not in text
    assert result.chunks[0].heading == "Dinner Fréd"


def test_email_with_unknown_charset_still_reads() -> None:
    raw = (b"From: x@example.com\nSubject: odd\nContent-Type: text/plain; charset=x-klingon\n\n"
           b"plain words here\n")
    result = extract("odd.eml", raw, "email")
    assert result.status == "ok" and "plain words here" in result.chunks[0].text


def test_binary_named_txt_is_skipped() -> None:
    result = extract("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "text")
    assert result.status == "skipped" and "binary" in result.note


def test_undecodable_text_is_guessed_not_dropped() -> None:
    latin = "Café crème, déjà vu, naïve façade — voilà les résumés ".encode("cp1252") * 20
    result = extract("fr.txt", latin, "text")
    assert result.status == "ok"
    assert "Café crème" in result.chunks[0].text
    utf16 = "Hello from Windows Notepad".encode("utf-16")
    assert "Notepad" in extract("w.txt", utf16, "text").chunks[0].text


def test_truncated_large_text_says_so() -> None:
    data = ("word " * 20 + "\n").encode() * (MAX_TEXT_BYTES // 100)
    result = extract("big.log", data[:MAX_TEXT_BYTES], "text", truncated=True)
    assert result.status == "ok" and "only its first 4 MB" in result.note


def test_empty_file_is_ok_with_nothing_to_index() -> None:
    result = extract("empty.md", b"", "markdown")
    assert result.status == "ok" and result.chunks == []


def test_parse_place_reads_citations() -> None:
    assert parse_place("lines 12–30") == (12, 30)
    assert parse_place("report.pdf p. 3") == (3, 3)
    assert parse_place("notes/trip2024.md:12-20") == (12, 20)
    assert parse_place("¶ 9-4") == (4, 9)
    assert parse_place("") is None
