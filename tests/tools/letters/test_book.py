"""Books of letters: real PDFs and EPUBs, checked by EPUBCheck (Java) and qpdf, read back with
pypdf. EPUBCheck needs Java: without it these tests skip, unless OS1_REQUIRE_SERVICES=1."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pypdf
import pytest

from os1.errors import InputError, Os1Error
from os1.tools.letters import book as book_module
from os1.tools.letters.book import MAX_LETTERS, BookLetter, BookResult, BookSpec, build_book
from os1.tools.letters.validate import validate_epub, validate_pdf
from tests.pdf import assemble_pdf
from tests.services import unavailable

NAMES = ["Maria", "Paul", "Amelia", "Jonah", "Rosalind", "Theo", "Nadia", "Sam", "Iris", "Leo"]
OCCASIONS = ["A wedding", "A new baby", "Fifty years together", "Leaving home", "Thank you",
             "A first day at school", "Retirement", "Moving abroad", "An apology", "Graduation"]
SENTENCES = [
    "I keep coming back to the afternoon we spent by the river.",
    "You laughed so hard at the ducks that the old man on the bench started laughing too.",
    "Nothing I could buy would say it as well as the way you looked at each other.",
    "The kitchen still smells of the bread you taught me to make.",
    "I am not good at saying these things out loud, so I am writing them down instead.",
    "When the house is quiet I can still hear your terrible singing, and I miss it.",
    "Be brave in small ways every day; the big ways take care of themselves.",
    "Thank you for the years, the patience, and for never once saying I told you so.",
]


def make_letters(count: int, seed: int = 1) -> list[BookLetter]:
    rng = random.Random(seed)
    letters = []
    for n in range(count):
        to, frm = rng.choice(NAMES), rng.choice(NAMES)
        paragraphs = [" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 6)))
                      for _ in range(rng.randint(1, 4))]
        body = f"Dear {to},\n\n" + "\n\n".join(paragraphs) + f"\n\nWith love,\n{frm}"
        letters.append(BookLetter(title=f"{OCCASIONS[n % len(OCCASIONS)]}, for {to} ({n + 1})",
                                  sender=frm, recipient=to, occasion=OCCASIONS[n % 10],
                                  written_on=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}", body=body))
    return letters


def spec(count: int, title: str = "Letters & <Other> Kindnesses") -> BookSpec:
    return BookSpec(title=title, subtitle="Written for other people", author="Theodore Twombly",
                    foreword="These letters were written for other people.\n\nAll of them are "
                             "true, in the way that matters.", letters=make_letters(count))


def require_java() -> None:
    if not shutil.which("java"):
        unavailable("Java isn't installed, so EPUBCheck can't run", "apt-get install -y "
                    "default-jre-headless")


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> BookResult:
    require_java()
    return build_book(spec(3), tmp_path_factory.mktemp("three"))


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def assert_valid(result: BookResult) -> None:
    pdf, epub = result.verdict["pdf"], result.verdict["epub"]
    assert pdf["ok"] is True, pdf["messages"]
    assert pdf["details"]["fonts_embedded"] is True and pdf["details"]["fonts"]
    assert pdf["details"]["pages"] == result.pages
    assert epub["ok"] is True, epub["messages"]
    assert epub["details"]["errors"] == 0 and epub["details"]["fatal"] == 0
    assert epub["tool"].startswith("EPUBCheck")


def test_three_letter_book_builds_and_validates(three: BookResult) -> None:
    assert three.pdf.name == "letters-other-kindnesses.pdf" and three.epub.is_file()
    assert_valid(three)
    assert three.verdict["warnings"] == []
    reader = pypdf.PdfReader(three.pdf)
    assert reader.metadata is not None and reader.metadata.title == "Letters & <Other> Kindnesses"
    assert reader.metadata.author == "Theodore Twombly"
    assert reader.trailer["/Root"].get_object().get("/Lang") == "en"  # type: ignore[union-attr]
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (432, 648)  # 6 × 9 in
    assert [o.title for o in reader.outline][:2] == ["Foreword", make_letters(3)[0].title]  # type: ignore[union-attr]


def test_contents_page_numbers_point_at_each_letter(three: BookResult) -> None:
    texts = page_texts(three.pdf)
    contents = next(t for t in texts if "Contents" in t)
    entries = {}
    for line in contents.splitlines():
        match = re.match(r"(.+?)[ .]*\s(\d+)$", line.strip())
        if match:
            entries[match.group(1).strip(" .")] = int(match.group(2))
    for letter in make_letters(3):
        assert letter.title in entries, (letter.title, entries)
        page_text = texts[entries[letter.title] - 1]
        assert letter.title in page_text and f"From {letter.sender} to {letter.recipient}" in page_text
    assert "Foreword" in texts[entries["Foreword"] - 1]
    # the folio printed at the foot of that page is the number the contents gave
    number = entries[make_letters(3)[1].title]
    assert texts[number - 1].strip().splitlines()[-1].strip() == str(number)


def test_twenty_letter_book(tmp_path: Path) -> None:
    require_java()
    seen: list[tuple[str, int, int]] = []
    result = build_book(spec(20), tmp_path, stem="twenty", progress=lambda *a: seen.append(a))
    assert_valid(result)
    assert result.pages >= 24
    assert len(pypdf.PdfReader(result.pdf).outline) == 21
    assert ("pdf", 20, 20) in seen and ("epub", 20, 20) in seen and ("check", 2, 2) in seen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["twenty.epub", "twenty.pdf"]


def test_emoji_hebrew_and_arabic_title(tmp_path: Path) -> None:
    require_java()
    title = "Letters 💌 to Mum ❤️ — שלום — مرحبا"
    result = build_book(spec(2, title=title), tmp_path)
    assert result.pdf.name == "letters-to-mum.pdf"
    assert_valid(result)
    # documented: an emoji no font has is left out of the PDF only, and named in the warnings
    assert any("LOVE LETTER" in w for w in result.verdict["warnings"])
    first = page_texts(result.pdf)[0]
    assert "Letters" in first and "Mum" in first and "❤" in first
    assert "שלום" in first or "םולש" in first
    fonts_used = " ".join(result.verdict["pdf"]["details"]["fonts"])
    assert "EBGaramond" in fonts_used
    import zipfile

    with zipfile.ZipFile(result.epub) as epub:
        title_page = epub.read("EPUB/title.xhtml").decode()
    assert "💌" in title_page and 'dir="auto"' in title_page and "שלום" in title_page


def test_text_that_needs_escaping_and_very_long_words(tmp_path: Path) -> None:
    require_java()
    letters = make_letters(2)
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 5
    letters[0] = BookLetter("Fish & <chips> \"tonight\"", "A & B", "C <D>", "", "not a date",
                            f"Dear C,\n\n{long_word} and a very long line " + "la " * 400)
    result = build_book(BookSpec(title="A & B", letters=letters), tmp_path)
    assert_valid(result)
    text = "\n".join(page_texts(result.pdf))
    assert "Fish & <chips>" in text and "not a date" in text


def test_bad_books_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no letters") as none:
        build_book(BookSpec(title="Empty"), tmp_path)
    assert "Choose" in none.value.fix
    with pytest.raises(InputError, match="no title"):
        build_book(BookSpec(title="  ", letters=make_letters(1)), tmp_path)
    empty = make_letters(3)
    empty[1] = BookLetter("Blank", "A", "B", "", "2024-01-01", " \n ")
    with pytest.raises(InputError, match="Letter 2 is empty"):
        build_book(BookSpec(title="Gaps", letters=empty), tmp_path)
    with pytest.raises(InputError, match="U\\+E000"):
        build_book(BookSpec(title="Private \ue000 use", letters=make_letters(1)), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_five_hundred_letters_are_refused_with_advice_to_split(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        build_book(BookSpec(title="Everything", letters=make_letters(500)), tmp_path)
    assert "500 letters" in caught.value.what and str(MAX_LETTERS) in caught.value.what
    assert "2 volumes" in caught.value.fix
    assert list(tmp_path.iterdir()) == []


def test_a_build_failing_midway_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_epub(spec: BookSpec, target: Path, **kwargs: object) -> None:
        target.write_bytes(b"PK\x03\x04 half an epub")
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(book_module, "write_epub", broken_epub)
    with pytest.raises(Os1Error, match="Nothing was written"):
        build_book(spec(2), tmp_path, validate=False)
    assert list(tmp_path.iterdir()) == []  # neither the finished PDF nor any .part file


def test_validators_say_not_checked_without_java_and_catch_unembedded_fonts(tmp_path: Path) -> None:
    fake = tmp_path / "x.epub"
    fake.write_bytes(b"not really")
    verdict = validate_epub(fake, java=str(tmp_path / "no-java-here"))
    assert verdict.ok is None and "not checked" in verdict.messages[0] and "Java" in verdict.messages[0]
    content = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET"
    pdf = tmp_path / "base14.pdf"
    pdf.write_bytes(assemble_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]))
    checked = validate_pdf(pdf)
    assert checked.ok is False and "font not embedded: /Helvetica" in checked.messages
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nothing else")
    assert validate_pdf(broken).ok is False


def test_margins_are_mirrored_even_when_a_paragraph_runs_over(tmp_path: Path) -> None:
    """Inner margin (by the spine) wider than the outer, on every page, including a paragraph
    carried over from the page before."""
    long_letter = BookLetter("One long paragraph", "A", "B", "", "2024-01-01",
                             " ".join(["The light went gold over the river and we stayed."] * 120))
    result = build_book(BookSpec(title="Margins", letters=[long_letter]), tmp_path, validate=False)
    reader = pypdf.PdfReader(result.pdf)
    assert len(reader.pages) >= 5
    for number, page in enumerate(reader.pages, 1):
        xs: list[float] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float,
                  xs: list[float] = xs) -> None:
            if text.strip() and size > 10:  # body text, not folios or running heads
                xs.append(tm[4] * cm[0] + cm[4])

        page.extract_text(visitor_text=visit)
        if not xs or number < 4:
            continue
        left_mm = min(xs) / 72 * 25.4
        expected = 1.0 + (20.0 if number % 2 == 1 else 15.0)  # recto: inner on the left; 1 mm cell padding
        assert abs(left_mm - expected) < 0.5, (number, left_mm)
