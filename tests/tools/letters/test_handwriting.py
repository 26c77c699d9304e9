"""A letter written by hand: real PDFs and PNGs on disk, read back with pypdf and Pillow."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageChops, ImageStat

from os1.errors import InputError, Os1Error
from os1.tools.letters import fonts, handwriting
from os1.tools.letters.handwriting import render_handwritten

SHORT = """Dear Maria,

Thank you for the lemon tree. It sits by the window now and leans towards the light like it
is listening for something. I water it on Sundays and tell it about my week.

With love,"""

PARAGRAPH = ("I keep thinking about the evening by the river, when the light went gold and we "
             "stopped talking because there was nothing that needed saying. ")
LONG = "Dear Paul,\n\n" + "\n\n".join(PARAGRAPH * 4 for _ in range(6)) + "\n\nYours,"

A5_AT_150_DPI = (874, 1240)


def render(tmp_path: Path, body: str = SHORT, seed: int = 0, name: str = "letter",
           **kwargs: object) -> handwriting.HandwrittenResult:
    return render_handwritten(body, signature="Theodore", out_pdf=tmp_path / f"{name}.pdf",
                              out_png=tmp_path / f"{name}.png", seed=seed, **kwargs)  # type: ignore[arg-type]


def ink_mask(image: Image.Image) -> Image.Image:
    """Pixels of dark blue ink (the paper, its fibres and the rules are much lighter)."""
    r, g, b = image.convert("RGB").split()
    dark = r.point(lambda v: 255 if v < 110 else 0)
    return ImageChops.multiply(dark, b.point(lambda v: 255 if v > 60 else 0))


def test_short_letter_is_one_page_with_real_text_and_the_signature(tmp_path: Path) -> None:
    result = render(tmp_path)
    assert result.pages == 1 and result.pdf.is_file()
    reader = pypdf.PdfReader(result.pdf)
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "lemon" in text and "Theodore" in text and "Dear Maria," in text
    assert result.pngs == [tmp_path / "letter.png"]


def test_long_letter_runs_over_pages_with_one_png_each(tmp_path: Path) -> None:
    result = render(tmp_path, LONG)
    assert result.pages >= 3
    reader = pypdf.PdfReader(result.pdf)
    assert len(reader.pages) == result.pages
    assert [p.name for p in result.pngs] == ["letter.png"] + [f"letter-{n}.png"
                                                              for n in range(2, result.pages + 1)]
    assert "Theodore" in reader.pages[-1].extract_text()
    assert "Theodore" not in reader.pages[0].extract_text()
    assert all(p.is_file() for p in result.pngs)


def test_png_is_an_a5_page_with_ink_on_it(tmp_path: Path) -> None:
    result = render(tmp_path)
    image = Image.open(result.pngs[0])
    assert image.size == A5_AT_150_DPI
    assert max(ImageStat.Stat(image.convert("L")).stddev) > 8  # not a blank sheet
    ink = ink_mask(image)
    assert ImageStat.Stat(ink).sum[0] / 255 > 3000  # thousands of inked pixels
    # and the paper is paper-coloured, not white
    corner = image.convert("RGB").crop((5, 5, 60, 60))
    assert ImageStat.Stat(corner).mean[2] < ImageStat.Stat(corner).mean[0]


def test_same_seed_same_page_other_seed_other_hand(tmp_path: Path) -> None:
    first = render(tmp_path, seed=7, name="a")
    again = render(tmp_path, seed=7, name="b")
    other = render(tmp_path, seed=8, name="c")
    assert first.pngs[0].read_bytes() == again.pngs[0].read_bytes()
    assert first.pngs[0].read_bytes() != other.pngs[0].read_bytes()
    assert ImageChops.difference(ink_mask(Image.open(first.pngs[0])),
                                 ink_mask(Image.open(other.pngs[0]))).getbbox() is not None


def test_the_same_words_on_two_lines_are_written_differently(tmp_path: Path) -> None:
    body = "hello world, again\nhello world, again\nhello world, again"
    result = render(tmp_path, body)
    pages = handwriting.layout(body, signature="Theodore", faces=[fonts.hand()], seed=0)
    first_words = [s for s in pages[0].strokes if s.text == "hello"]
    assert len(first_words) == 3
    assert len({round(s.y - pages[0].rules[i], 2) for i, s in enumerate(first_words)}) == 3
    # In the picture: crop each line around its ruled line; identical typesetting would give
    # identical ink, handwriting doesn't.
    px = handwriting.PNG_DPI / 25.4
    image = Image.open(result.pngs[0])
    crops = []
    for rule in pages[0].rules[:3]:
        box = (0, round((rule - 7) * px), image.width, round((rule + 2) * px))
        crops.append(ink_mask(image.crop(box)))
    for a, b in ((0, 1), (1, 2)):
        diff = ImageChops.difference(crops[a], crops[b])
        assert ImageStat.Stat(diff).sum[0] / 255 > 200
    # the baselines (lowest inked row of "hello", ignoring descenders) really differ
    def base_row(crop: Image.Image) -> int:
        left = crop.crop((0, 0, round(38 * px), crop.height))
        rows = [y for y in range(left.height)
                if sum(left.getpixel((x, y)) > 0 for x in range(left.width)) > 2]  # type: ignore[operator]
        return max(rows)
    assert len({base_row(c) for c in crops}) > 1


def test_missing_font_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "package_root", lambda module: tmp_path / "not-installed")
    with pytest.raises(Os1Error) as caught:
        render(tmp_path)
    assert "handwriting font isn't installed" in caught.value.what
    assert "pip install 'os1[letters]'" in caught.value.fix
    assert list(tmp_path.glob("letter*")) == []


def test_bad_input_gets_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        render(tmp_path, "  \n\n ")
    with pytest.raises(InputError, match="right-to-left") as rtl:
        render(tmp_path, "Dear Dana, שלום from Tel Aviv")
    assert "book" in rtl.value.fix
    with pytest.raises(InputError, match="ROSE"):
        render(tmp_path, "A rose for you 🌹")
    with pytest.raises(InputError, match="paper"):
        render(tmp_path, paper="papyrus")
    with pytest.raises(Os1Error, match="hand"):
        render(tmp_path, hand="quill")
    assert list(tmp_path.iterdir()) == []


def test_very_long_words_are_broken_inside_the_margins(tmp_path: Path) -> None:
    body = "Look: " + "wonderful" * 30 + " and https://example.org/" + "a/b" * 60
    result = render(tmp_path, body)
    pages = handwriting.layout(body, signature="T", faces=[fonts.hand()])
    assert all(s.x < handwriting.PAGE_W - handwriting.MARGIN_RIGHT for p in pages for s in p.strokes)
    assert sum(s.text.endswith("-") for p in pages for s in p.strokes) >= 2
    assert result.pages == len(pages)


def test_caveat_hand_and_plain_paper(tmp_path: Path) -> None:
    result = render(tmp_path, hand="caveat", paper="plain")
    assert "lemon" in pypdf.PdfReader(result.pdf).pages[0].extract_text()


def test_a_failure_midway_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> Image.Image:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(handwriting, "draw_png", broken)
    with pytest.raises(RuntimeError):
        render(tmp_path, LONG)
    assert list(tmp_path.iterdir()) == []


def test_every_font_has_its_licence_on_disk() -> None:
    listed = {entry.package: entry for entry in fonts.licenses()}
    for package in ("fontpkg-indie-flower", "fontpkg-caveat", "fontpkg-eb-garamond"):
        entry = listed[package]
        assert entry.installed and entry.license == "OFL-1.1" and entry.copyright
        assert entry.license_path is not None
        assert "Open Font License" in entry.license_path.read_text(encoding="utf-8")
