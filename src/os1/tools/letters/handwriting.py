"""A letter as a handwritten page: a hand font on textured paper, to PDF and PNG.

Nobody writes like a typesetter, so the page is laid out once with seeded variation (each line
drifts and slopes a little, each word differs slightly in size, height, angle and ink), and that
one layout is drawn twice: by fpdf2 into a PDF (the text stays real, selectable text) and by
Pillow into PNG pages. The same seed gives the same page, byte for byte; another seed gives
the same letter written again. Right-to-left scripts are refused with a clear message for now:
a word-by-word hand can't order them honestly (the book sets them properly).
"""

from __future__ import annotations

import contextlib
import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from os1.errors import InputError, Os1Error
from os1.tools.letters import fonts
from os1.tools.letters.fonts import FontFace
from os1.tools.output import atomic_output

PAGE_W, PAGE_H = 148.0, 210.0  # A5, mm
MARGIN_LEFT, MARGIN_RIGHT = 17.0, 14.0
FIRST_BASELINE, BOTTOM = 26.0, 22.0  # mm from the top: first line; mm kept free at the foot
PITCH = 8.0  # mm between ruled lines
INDENT = 7.0  # a paragraph's first line, mm
PNG_DPI = 150
MAX_PAGES = 40
MM_PER_PT = 25.4 / 72
INK = (28, 42, 102)  # a dark blue fountain-pen ink
HAND_SIZES = {"indie-flower": 14.0, "caveat": 17.5}  # pt: the two hands look alike at these


@dataclass(frozen=True)
class Paper:
    color: tuple[int, int, int]
    rule: tuple[int, int, int] | None  # the faint ruled lines, or None for plain paper


PAPERS = {
    "cream": Paper((247, 240, 225), (200, 205, 214)),
    "white": Paper((251, 250, 246), (196, 208, 226)),
    "blue": Paper((236, 241, 247), (178, 194, 218)),
    "plain": Paper((247, 240, 225), None),
}


@dataclass(frozen=True)
class Stroke:
    """A run of text placed on the page: baseline start (mm from the top-left), size (pt),
    angle (degrees, anticlockwise) and slant (degrees, tops leaning right)."""

    text: str
    x: float
    y: float
    size: float
    angle: float
    ink: tuple[int, int, int]
    face: int  # 0: the hand; 1…: fallback faces, in the order given to the layout
    slant: float = 0.0


@dataclass
class Page:
    strokes: list[Stroke] = field(default_factory=list)
    rules: list[float] = field(default_factory=list)  # y of each ruled line, mm


@dataclass(frozen=True)
class HandwrittenResult:
    pdf: Path
    pngs: list[Path]
    pages: int


def render_handwritten(body: str, *, signature: str, out_pdf: Path, out_png: Path | None = None,
                       hand: str = "indie-flower", seed: int = 0,
                       paper: str = "cream") -> HandwrittenResult:
    """Write ``body`` by hand and sign it with ``signature``; PNG pages are ``out_png``,
    then ``<stem>-2.png``, ``<stem>-3.png``… All files appear together or not at all."""
    faces = [fonts.hand(hand), *fonts.fallbacks()]
    stock = _paper(paper)
    pages = layout(body, signature=signature, faces=faces, hand=hand, seed=seed, paper=paper)
    out_pdf = Path(out_pdf)
    png_paths = png_names(Path(out_png), len(pages)) if out_png is not None else []
    with contextlib.ExitStack() as stack:
        pdf_temp = stack.enter_context(atomic_output(out_pdf))
        png_temps = [stack.enter_context(atomic_output(p)) for p in png_paths]
        texture = paper_texture(stock, seed, PNG_DPI)
        draw_pdf(pages, faces, texture, stock, pdf_temp, title=_first_words(body))
        for page, temp in zip(pages, png_temps, strict=True):
            draw_png(page, faces, texture, stock).save(temp, format="PNG")
    return HandwrittenResult(out_pdf, png_paths, len(pages))


def png_names(first: Path, pages: int) -> list[Path]:
    return [first] + [first.with_name(f"{first.stem}-{n}{first.suffix or '.png'}")
                      for n in range(2, pages + 1)]


def _paper(name: str) -> Paper:
    try:
        return PAPERS[name]
    except KeyError:
        raise InputError(f"I don't have {name!r} paper.",
                         f"Choose one of: {', '.join(PAPERS)}.") from None


def _first_words(body: str) -> str:
    words = body.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


# -- layout -----------------------------------------------------------------------------------
class _Measure:
    """Widths of text in mm at a given size, from the font's own advances (Pillow at 100 px)."""

    def __init__(self, faces: list[FontFace]) -> None:
        self.fonts = [ImageFont.truetype(str(fonts.static_path(f)), 100) for f in faces]

    def width(self, text: str, face: int, size: float) -> float:
        return self.fonts[face].getlength(text) / 100 * size * MM_PER_PT


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(c for c in text if c == "\n" or not fonts.is_invisible(c) or c == " ")


def _check(text: str, faces: list[FontFace], what: str) -> None:
    rtl = sorted({c for c in text if fonts.is_rtl(c)})
    if rtl:
        raise InputError(f"{what} has right-to-left text ({''.join(rtl[:12])}), which the "
                         "handwritten page can't set yet.",
                         "Put the letter in a book (books set Hebrew and Arabic properly), or "
                         "write the handwritten version in a left-to-right script.")
    missing = fonts.missing_characters(text, faces)
    if missing:
        raise InputError(f"{what} has characters no installed font can draw: "
                         f"{fonts.describe(missing[:10])}.",
                         "Remove or replace them (emoji are best written as words on a "
                         "handwritten page), then try again.")


def _runs(word: str, faces: list[FontFace]) -> list[tuple[str, int]]:
    """Split a word into runs drawable by one face each, preferring the hand."""
    for index, face in enumerate(faces):
        if all(fonts.covers(face, c) for c in word):
            return [(word, index)]
    runs: list[tuple[str, int]] = []
    for char in word:
        face_index = next(i for i, f in enumerate(faces) if fonts.covers(f, char))
        if runs and runs[-1][1] == face_index:
            runs[-1] = (runs[-1][0] + char, face_index)
        else:
            runs.append((char, face_index))
    return runs


def layout(body: str, *, signature: str, faces: list[FontFace], hand: str = "indie-flower",
           seed: int = 0, paper: str = "cream") -> list[Page]:
    """Place every word of the letter on pages: the one layout both the PDF and PNG draw."""
    body = _clean(body).strip("\n")
    signature = " ".join(_clean(signature).split())
    if not body.strip():
        raise InputError("The letter is empty: there is nothing to write by hand.",
                         "Write (or paste) the letter's text, then try again.")
    _check(body, faces, "The letter")
    _check(signature, faces, "The signature")
    rng = random.Random(f"{seed}:{hand}:{paper}")
    measure = _Measure(faces)
    size = HAND_SIZES.get(hand, 15.0)
    right = PAGE_W - MARGIN_RIGHT
    rows = _wrap(body, measure, size, right - MARGIN_LEFT)
    lines_per_page = int((PAGE_H - BOTTOM - FIRST_BASELINE) // PITCH) + 1
    rules = [FIRST_BASELINE + i * PITCH + 0.9 for i in range(lines_per_page)]
    tilt = rng.gauss(0, 0.25)  # a page-long habit: this writer's lines rise or fall a little
    pages: list[Page] = [Page(rules=rules)]
    line = 0
    for indent, words in rows:
        if line >= lines_per_page:
            pages.append(Page(rules=rules))
            line = 0
        if words:
            _place_line(pages[-1], words, line, indent, rng, measure, faces, size, tilt)
        line += 1
    if signature:
        if line + 2 > lines_per_page:
            pages.append(Page(rules=rules))
            line = 0
        _place_signature(pages[-1], signature, line + 1, rng, measure, faces, size, right)
    if len(pages) > MAX_PAGES:
        raise InputError(f"That letter fills {len(pages)} handwritten pages; I write at most "
                         f"{MAX_PAGES}.", "Shorten it, or make it into a book instead.")
    if len(pages) > 1:
        for number, page in enumerate(pages, 1):
            label = f"– {number} –" if fonts.covers(faces[0], "–") else f"- {number} -"
            width = measure.width(label, 0, 9)
            page.strokes.append(Stroke(label, (PAGE_W - width) / 2, PAGE_H - 10, 9, 0.0,
                                       (120, 128, 160), 0))
    return pages


def _wrap(body: str, measure: _Measure, size: float, width: float) -> list[tuple[float, list[str]]]:
    """Break the letter into rows of words (with a first-line indent for real paragraphs)."""
    space = measure.width(" ", 0, size) * 1.1
    rows: list[tuple[float, list[str]]] = []
    for paragraph in body.split("\n"):
        words = [chunk for word in paragraph.split()
                 for chunk in _split_long(word, measure, size, width * 0.92)]
        if not words:
            rows.append((0.0, []))
            continue
        total = sum(measure.width(w, 0, size) + space for w in words)
        indent = INDENT if total > width and rows and not rows[-1][1] else 0.0
        current: list[str] = []
        used = indent
        for word in words:
            w = measure.width(word, 0, size)
            if current and used + space + w > width * 0.96:
                rows.append((indent, current))
                current, used, indent = [], 0.0, 0.0
            used += (space if current else 0) + w
            current.append(word)
        rows.append((indent, current))
    while rows and not rows[-1][1]:
        rows.pop()
    return rows


def _split_long(word: str, measure: _Measure, size: float, width: float) -> list[str]:
    """A word wider than the line (a URL, a long compound) is broken with hyphens."""
    if measure.width(word, 0, size) <= width:
        return [word]
    chunks, current = [], ""
    for char in word:
        if current and measure.width(current + char + "-", 0, size) > width:
            chunks.append(current + "-")
            current = ""
        current += char
    return [*chunks, current]


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _ink(rng: random.Random, base: tuple[int, int, int] = INK) -> tuple[int, int, int]:
    shade = rng.gauss(0, 7)
    return tuple(max(0, min(255, int(round(c + shade)))) for c in base)  # type: ignore[return-value]


def _place_line(page: Page, words: list[str], line: int, indent: float, rng: random.Random,
                measure: _Measure, faces: list[FontFace], size: float, tilt: float) -> None:
    baseline = FIRST_BASELINE + line * PITCH + _clamp(rng.gauss(0, 0.35), 0.9)
    slope = math.radians(_clamp(tilt + rng.gauss(0, 0.35), 1.2))
    x = MARGIN_LEFT + indent + rng.uniform(-0.6, 1.0)
    start = x
    space = measure.width(" ", 0, size)
    for word in words:
        word_size = size * (1 + _clamp(rng.gauss(0, 0.03), 0.07))
        angle = math.degrees(slope) + _clamp(rng.gauss(0, 0.8), 2.2)
        y = baseline - (x - start) * math.tan(slope) + _clamp(rng.gauss(0, 0.22), 0.6)
        ink = _ink(rng)
        for text, face in _runs(word, faces):
            page.strokes.append(Stroke(text, round(x, 3), round(y, 3), round(word_size, 3),
                                       round(angle, 3), ink, face))
            width = measure.width(text, face, word_size)
            x += width * math.cos(math.radians(angle))
            y -= width * math.sin(math.radians(angle))
        x += space * rng.uniform(0.95, 1.45)


def _place_signature(page: Page, signature: str, line: int, rng: random.Random, measure: _Measure,
                     faces: list[FontFace], size: float, right: float) -> None:
    sig_size = size * 1.65
    runs = _runs(signature, faces)
    width = sum(measure.width(text, face, sig_size) for text, face in runs)
    x = max(MARGIN_LEFT, min(MARGIN_LEFT + (right - MARGIN_LEFT) * 0.45, right - width - 2))
    y = FIRST_BASELINE + line * PITCH + 2.5 + rng.uniform(-0.5, 0.5)
    angle = 4.0 + rng.gauss(0, 0.8)
    ink = _ink(rng, (20, 30, 84))
    for text, face in runs:
        page.strokes.append(Stroke(text, round(x, 3), round(y, 3), round(sig_size, 3),
                                   round(angle, 3), ink, face, slant=14.0))
        run_width = measure.width(text, face, sig_size)
        x += run_width * math.cos(math.radians(angle))
        y -= run_width * math.sin(math.radians(angle))


# -- paper ------------------------------------------------------------------------------------
def paper_texture(paper: Paper, seed: int, dpi: int) -> Image.Image:
    """The sheet itself: fine grain, soft mottling, a few fibres and slightly darker edges,
    seeded so a letter keeps its paper."""
    w, h = round(PAGE_W / 25.4 * dpi), round(PAGE_H / 25.4 * dpi)
    rng = random.Random(f"paper:{seed}")
    base = Image.new("RGB", (w, h), paper.color)
    lighter = Image.new("RGB", (w, h), tuple(min(255, c + 5) for c in paper.color))
    darker = Image.new("RGB", (w, h), tuple(max(0, c - 14) for c in paper.color))
    # Image.effect_noise has no seed, so the noise comes from our own seeded generator.
    grain = Image.frombytes("L", (w // 2, h // 2), rng.randbytes((w // 2) * (h // 2)))
    grain = grain.resize((w, h), Image.Resampling.BILINEAR).point(lambda v: 128 + (v - 128) // 5)
    mottle = Image.frombytes("L", (w // 40, h // 40), rng.randbytes((w // 40) * (h // 40)))
    mottle = mottle.resize((w, h), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(dpi / 8))
    mottle = mottle.point(lambda v: 128 + (v - 128) // 2)
    mask = ImageChops.add(grain, mottle, scale=2.0, offset=0)
    sheet = Image.composite(darker, lighter, mask.point(lambda v: 255 - v))
    draw = ImageDraw.Draw(sheet)
    fibre = tuple(max(0, c - 22) for c in paper.color)
    for _ in range(int(w * h / 12000)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        length, angle = rng.uniform(dpi / 30, dpi / 8), rng.uniform(0, math.pi)
        bend = rng.uniform(-0.4, 0.4)
        points = [(x + t * length * math.cos(angle + bend * t), y + t * length * math.sin(angle + bend * t))
                  for t in (0.0, 0.33, 0.66, 1.0)]
        draw.line(points, fill=fibre, width=1)  # type: ignore[arg-type]
    sheet = Image.blend(base, sheet, 0.85)
    edges = Image.radial_gradient("L").resize((w, h)).point(lambda v: max(0, v - 150) * 2)
    return Image.composite(darker, sheet, edges.point(lambda v: v // 3))


# -- drawing ----------------------------------------------------------------------------------
def draw_pdf(pages: list[Page], faces: list[FontFace], texture: Image.Image, paper: Paper,
             target: Path, *, title: str) -> None:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(PAGE_W, PAGE_H))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("os1")
    pdf.set_lang("en")
    for index, face in enumerate(faces):
        pdf.add_font(f"face{index}", "", str(fonts.static_path(face)))
    background = io.BytesIO()
    small = texture.resize((round(texture.width * 0.6), round(texture.height * 0.6)),
                           Image.Resampling.LANCZOS)
    small.save(background, format="JPEG", quality=82)
    for page in pages:
        pdf.add_page()
        pdf.image(background, x=0, y=0, w=PAGE_W, h=PAGE_H)
        if paper.rule is not None:
            pdf.set_draw_color(*paper.rule)
            pdf.set_line_width(0.18)
            for y in page.rules:
                pdf.line(9, y, PAGE_W - 9, y)
        for stroke in page.strokes:
            pdf.set_font(f"face{stroke.face}", size=stroke.size)
            pdf.set_text_color(*stroke.ink)
            with pdf.rotation(stroke.angle, stroke.x, stroke.y), \
                    pdf.skew(stroke.slant, 0, stroke.x, stroke.y):
                pdf.text(stroke.x, stroke.y, stroke.text)
    try:
        pdf.output(str(target))
    except Exception as exc:  # fpdf2 raises plain exceptions for font and encoding trouble
        raise Os1Error(f"I couldn't write the handwritten PDF: {exc}.",
                       "Try another hand (hand='caveat'), or tell us what the letter contained.") from exc


class _PngFonts:
    def __init__(self, faces: list[FontFace], px_per_pt: float) -> None:
        self.paths = [str(fonts.static_path(f)) for f in faces]
        self.px_per_pt = px_per_pt
        self.cache: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}

    def get(self, face: int, size_pt: float) -> ImageFont.FreeTypeFont:
        quarter_px = round(size_pt * self.px_per_pt * 4)
        key = (face, quarter_px)
        if key not in self.cache:
            self.cache[key] = ImageFont.truetype(self.paths[face], quarter_px / 4)
        return self.cache[key]


def draw_png(page: Page, faces: list[FontFace], texture: Image.Image, paper: Paper,
             dpi: int = PNG_DPI) -> Image.Image:
    """The page as an image, from the same layout as the PDF (mm → px at ``dpi``)."""
    px = dpi / 25.4
    sheet = texture.copy()
    draw = ImageDraw.Draw(sheet)
    if paper.rule is not None:
        for y in page.rules:
            draw.line([(9 * px, y * px), ((PAGE_W - 9) * px, y * px)], fill=paper.rule,
                      width=max(1, round(0.18 * px)))
    cache = _PngFonts(faces, dpi / 72)
    for stroke in page.strokes:
        font = cache.get(stroke.face, stroke.size)
        left, top, right, bottom = font.getbbox(stroke.text, anchor="ls")
        pad = int(max(right - left, bottom - top) * 0.35) + 6
        w, h = right - left + 2 * pad, bottom - top + 2 * pad
        ax, ay = pad - left, pad - top  # where the baseline start sits in the word's image
        mask = Image.new("L", (int(w), int(h)), 0)
        ImageDraw.Draw(mask).text((ax, ay), stroke.text, font=font, fill=255, anchor="ls")
        mask = _turn(mask, ax, ay, stroke.angle, stroke.slant)
        ink = Image.new("RGB", mask.size, stroke.ink)
        sheet.paste(ink, (round(stroke.x * px - ax), round(stroke.y * px - ay)), mask)
    return sheet


def _turn(mask: Image.Image, ax: float, ay: float, angle: float, slant: float) -> Image.Image:
    """Rotate (anticlockwise) and slant the word's image about its baseline start."""
    if not angle and not slant:
        return mask
    a = math.radians(angle)
    k = math.tan(math.radians(slant))
    # forward, in image coordinates (y down): slant (tops move right), then rotate
    m00, m01 = math.cos(a), math.sin(a) - math.cos(a) * k
    m10, m11 = -math.sin(a), math.cos(a) + math.sin(a) * k
    det = m00 * m11 - m01 * m10
    i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
    data = (i00, i01, ax - i00 * ax - i01 * ay, i10, i11, ay - i10 * ax - i11 * ay)
    return mask.transform(mask.size, Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
