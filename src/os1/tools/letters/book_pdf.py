"""The book as a print-ready PDF: a 6 × 9 in trade paperback set in EB Garamond.

What a printer asks for: the trim size as the page size, mirrored margins (the inner one, by
the spine, wider), every font embedded (fpdf2 embeds TrueType subsets), running heads and
folios, a title page, a copyright page, contents with real page numbers (fpdf2 fills the
reserved pages once the letters are set), and bookmarks for screen readers of the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from os1.tools.letters import fonts

if TYPE_CHECKING:
    from os1.tools.letters.book import BookSpec

PAGE_W, PAGE_H = 152.4, 228.6  # 6 × 9 in, mm
INNER, OUTER, TOP, BOTTOM = 20.0, 15.0, 20.0, 21.0
BODY_PT, BODY_LEADING = 11.0, 5.6  # mm between baselines
TOC_LINE = 6.2
TOC_TITLE_SPACE = 38.0  # the "Contents" heading on the first contents page
MUTED = (95, 95, 95)

Progress = Callable[[str, int, int], None]


class BookPDF(FPDF):
    """fpdf2 with a book's page furniture: mirrored margins, running heads, folios."""

    def __init__(self, book_title: str) -> None:
        super().__init__(unit="mm", format=(PAGE_W, PAGE_H))
        self.book_title = book_title
        self.running = ""  # the current letter's title, for recto heads
        self.quiet: set[int] = set()  # pages with no head and no folio (title, copyright)
        self.openings: set[int] = set()  # chapter openings: folio but no head
        self.next_quiet = False
        self.next_opening = False
        self.reuse_page: int | None = None  # a fresh, empty page the next chapter may open on
        self.set_margins(INNER, TOP, OUTER)
        self.set_auto_page_break(True, BOTTOM)

    def header(self) -> None:
        page = self.page_no()
        recto = page % 2 == 1
        self.set_left_margin(INNER if recto else OUTER)
        self.set_right_margin(OUTER if recto else INNER)
        self.set_x(self.l_margin)
        if self.next_quiet:
            self.quiet.add(page)
        if self.next_opening:
            self.openings.add(page)
        if page in self.quiet or page in self.openings:
            return
        head = self.running if recto and self.running else self.book_title
        self.set_font("serif", "I", 8.5)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 10.5)
        self.cell(self.epw, 5, text_fit(self, head, self.epw), align=Align.C)
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, TOP)

    def _perform_page_break(self) -> None:
        """A paragraph running onto the next page must move to that page's margins (recto and
        verso mirror each other); fpdf2 would keep the previous page's x. Relies on fpdf2's
        internal page-break hook (2.8); the mirrored-margins test catches a change."""
        offset = self.x - self.l_margin
        super()._perform_page_break()
        self.x = self.l_margin + offset

    def footer(self) -> None:
        page = self.page_no()
        if page in self.quiet:
            return
        self.set_font("serif", "", 9)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, PAGE_H - 13)
        self.cell(self.epw, 5, str(page), align=Align.C)
        self.set_text_color(0, 0, 0)

    def new_page(self, *, quiet: bool = False, opening: bool = False) -> None:
        self.next_quiet, self.next_opening = quiet, opening
        self.add_page()
        self.next_quiet = self.next_opening = False


def text_fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit on one line of ``width`` mm."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def toc_pages(entries: int) -> int:
    """How many pages the contents take (every entry is kept to one line, so this is exact)."""
    usable = PAGE_H - TOP - BOTTOM
    first = int((usable - TOC_TITLE_SPACE) // TOC_LINE)
    rest = int(usable // TOC_LINE)
    return 1 + max(0, math.ceil((entries - first) / rest))


def nice_date(written_on: str) -> str:
    try:
        day = date.fromisoformat(written_on.strip())
    except ValueError:
        return written_on.strip()
    return f"{day.day} {day.strftime('%B')} {day.year}"


def write_pdf(spec: BookSpec, target: Path, *, clean: Callable[[str], str], shaping: bool,
              progress: Progress | None = None) -> int:
    """Set the book and write it to ``target``; returns the page count."""
    from os1.tools.letters.book import letter_heading

    faces = fonts.book_faces()
    pdf = BookPDF(clean(spec.title))
    pdf.set_title(clean(spec.title))
    if spec.author:
        pdf.set_author(clean(spec.author))
    if spec.subtitle:
        pdf.set_subject(clean(spec.subtitle))
    pdf.set_lang(spec.language or "en")
    pdf.set_creator("os1")
    pdf.add_font("serif", "", str(fonts.static_path(faces.regular)))
    pdf.add_font("serif", "B", str(fonts.static_path(faces.bold)))
    pdf.add_font("serif", "I", str(fonts.static_path(faces.italic)))
    names = []
    for face in fonts.fallbacks():
        pdf.add_font(face.slug, "", str(fonts.static_path(face)))
        names.append(face.slug)
    pdf.set_fallback_fonts(names, exact_match=False)
    if shaping:
        pdf.set_text_shaping(True)

    _title_page(pdf, spec, clean)
    _copyright_page(pdf, spec, clean, faces, names)
    pdf.new_page(opening=True)
    # The contents pages carry no running head; nor does the fresh page the placeholder ends
    # on, where the first chapter opens.
    pdf.next_opening = True
    pdf.insert_toc_placeholder(_render_toc, pages=toc_pages(len(spec.letters) + bool(spec.foreword)),
                               reset_page_indices=False)
    pdf.next_opening = False
    pdf.reuse_page = pdf.page
    if spec.foreword.strip():
        _chapter(pdf, "Foreword", [], clean(spec.foreword), clean)
    total = len(spec.letters)
    for number, letter in enumerate(spec.letters, 1):
        heading, lines = letter_heading(letter)
        _chapter(pdf, clean(heading), [clean(line) for line in lines], clean(letter.body), clean)
        if progress:
            progress("pdf", number, total)
    pdf.output(str(target))
    return pdf.pages_count


def _title_page(pdf: BookPDF, spec: BookSpec, clean: Callable[[str], str]) -> None:
    pdf.new_page(quiet=True)
    pdf.set_y(PAGE_H * 0.28)
    pdf.set_font("serif", "", 26)
    pdf.multi_cell(0, 11, clean(spec.title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if spec.subtitle:
        pdf.ln(3)
        pdf.set_font("serif", "I", 14)
        pdf.multi_cell(0, 7, clean(spec.subtitle), align=Align.C, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_draw_color(150, 150, 150)
    middle = pdf.l_margin + pdf.epw / 2
    pdf.line(middle - 12, pdf.get_y(), middle + 12, pdf.get_y())
    if spec.author:
        pdf.set_y(PAGE_H * 0.62)
        pdf.set_font("serif", "", 13)
        pdf.multi_cell(0, 7, clean(spec.author), align=Align.C, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)


def _copyright_page(pdf: BookPDF, spec: BookSpec, clean: Callable[[str], str],
                    faces: fonts.BookFaces, fallback_names: list[str]) -> None:
    pdf.new_page(quiet=True)
    pdf.set_font("serif", "", 8.5)
    pdf.set_text_color(*MUTED)
    today = date.today()
    owner = clean(spec.author) if spec.author else "the authors of these letters"
    lines = [
        clean(spec.title),
        f"Copyright © {today.year} {owner}. All rights reserved.",
        "The letters in this book are published with the permission of the people who "
        "wrote them and of those they were written to.",
        f"Set in {faces.regular.family} ({faces.regular.license}, {faces.regular.package} "
        f"{faces.regular.version})" + (" with fallback faces for other scripts." if fallback_names
                                        else "."),
        f"Made with os1, {today.strftime('%B')} {today.year}.",
    ]
    pdf.set_y(PAGE_H - BOTTOM - 8 - 4.6 * 8)
    for line in lines:
        pdf.multi_cell(0, 4.2, line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.6)
    pdf.set_text_color(0, 0, 0)


def _render_toc(pdf: FPDF, outline: list[Any]) -> None:
    assert isinstance(pdf, BookPDF)
    pdf.set_y(TOP + 14)
    pdf.set_font("serif", "", 18)
    pdf.cell(0, 10, "Contents", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(TOP + TOC_TITLE_SPACE)
    pdf.set_font("serif", "", 10.5)
    for section in outline:
        if section.level != 0:
            continue
        if pdf.get_y() + TOC_LINE > PAGE_H - BOTTOM:
            pdf.add_page()
            pdf.set_y(TOP)
        number = str(section.page_number)
        number_w = pdf.get_string_width(number) + 2
        title = text_fit(pdf, section.name, pdf.epw - number_w - 8)
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.cell(pdf.epw - number_w, TOC_LINE, title, align=Align.L, link=pdf.add_link(
            page=section.page_number))
        title_end = pdf.l_margin + pdf.get_string_width(title) + 2
        dots_start, dots_end = title_end, pdf.l_margin + pdf.epw - number_w
        pdf.set_text_color(*MUTED)
        x = math.ceil(dots_start / 2.2) * 2.2
        while x < dots_end - 1:
            pdf.text(x, y + TOC_LINE * 0.68, ".")
            x += 2.2
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin + pdf.epw - number_w, y)
        pdf.cell(number_w, TOC_LINE, number, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _chapter(pdf: BookPDF, heading: str, lines: list[str], body: str,
             clean: Callable[[str], str]) -> None:
    pdf.running = heading
    if pdf.reuse_page == pdf.page:
        pdf.reuse_page = None
    else:
        pdf.new_page(opening=True)
    pdf.start_section(heading, level=0)
    pdf.set_y(TOP + 22)
    pdf.set_font("serif", "", 17)
    pdf.multi_cell(0, 8, heading, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("serif", "I", 10.5)
    pdf.set_text_color(*MUTED)
    for line in lines:
        pdf.multi_cell(0, 5.4, line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(9)
    pdf.set_font("serif", "", BODY_PT)
    from os1.tools.letters.book import paragraphs

    for paragraph in paragraphs(body):
        single = "\n" in paragraph or pdf.get_string_width(paragraph) < pdf.epw
        pdf.multi_cell(0, BODY_LEADING, paragraph, align=Align.L if single else Align.J,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(BODY_LEADING * 0.55)
