"""The book as an EPUB 3 (ebooklib): a title page, the foreword and one chapter per letter,
with a navigation document and an NCX for older readers.

All text is escaped for XHTML and stripped of characters XML forbids; anything holding Hebrew
or Arabic gets ``dir="auto"`` so a reading system lays it out right to left. Emoji stay: a
reader draws them with its own fonts (only the PDF, which must embed every glyph, drops the
ones no installed font has).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ebooklib import epub

from os1.tools.letters import fonts

if TYPE_CHECKING:
    from os1.tools.letters.book import BookSpec

Progress = Callable[[str, int, int], None]

CSS = """\
body { font-family: "EB Garamond", Garamond, Georgia, serif; line-height: 1.45; margin: 0 5%; }
h1 { font-weight: normal; text-align: center; margin: 2.5em 0 0.4em; font-size: 1.6em; }
p.meta { text-align: center; font-style: italic; color: #555; margin: 0.1em 0; text-indent: 0; }
div.letter { margin-top: 2.2em; }
div.letter p { margin: 0 0 0.7em; text-indent: 0; overflow-wrap: break-word; word-wrap: break-word; }
section.title { text-align: center; margin-top: 30%; }
section.title h1 { font-size: 2em; margin-top: 0; }
p.subtitle { font-style: italic; font-size: 1.2em; text-align: center; }
p.author { margin-top: 3em; text-align: center; }
p.colophon { font-size: 0.8em; color: #555; margin-top: 4em; text-align: center; }
"""

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: str) -> str:
    """Text made safe for XHTML: escaped, and without characters XML can't hold."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def _dir(text: str) -> str:
    return ' dir="auto"' if any(fonts.is_rtl(c) for c in text) else ""


def _para(text: str, css_class: str = "") -> str:
    lines = [esc(line) for line in text.split("\n")]
    klass = f' class="{css_class}"' if css_class else ""
    return f"<p{klass}{_dir(text)}>{'<br/>'.join(lines)}</p>"


def book_identifier(spec: BookSpec) -> str:
    """A UUID that stays the same when the same book is built again (an edition's identity)."""
    key = "\x1f".join([spec.title, spec.author, *(f"{x.title}|{x.written_on}" for x in spec.letters)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'os1-book:' + key)}"


def write_epub(spec: BookSpec, target: Path, *, progress: Progress | None = None) -> None:
    from os1.tools.letters.book import letter_heading, paragraphs

    lang = spec.language or "en"
    book = epub.EpubBook()
    book.set_identifier(book_identifier(spec))
    book.set_title(_NOT_XML.sub("", spec.title))
    book.set_language(lang)
    if spec.author:
        book.add_author(_NOT_XML.sub("", spec.author))
    book.add_metadata("DC", "date", date.today().isoformat())
    if spec.subtitle:
        book.add_metadata("DC", "description", _NOT_XML.sub("", spec.subtitle))
    book.add_metadata("DC", "publisher", "os1")
    style = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css",
                          content=CSS.encode())
    book.add_item(style)

    def page(uid: str, title: str, file_name: str, content: str) -> epub.EpubHtml:
        item = epub.EpubHtml(uid=uid, title=_NOT_XML.sub("", title) or "Untitled",
                             file_name=file_name, lang=lang)
        item.content = f"<html><body>{content}</body></html>"
        item.add_item(style)
        book.add_item(item)
        return item

    parts = [f'<section class="title" epub:type="titlepage"><h1{_dir(spec.title)}>'
             f"{esc(spec.title)}</h1>"]
    if spec.subtitle:
        parts.append(_para(spec.subtitle, "subtitle"))
    if spec.author:
        parts.append(_para(spec.author, "author"))
    parts.append('<p class="colophon">Made with os1.</p></section>')
    spine: list[epub.EpubHtml] = [page("title", spec.title, "title.xhtml", "".join(parts))]
    toc: list[epub.Link] = []
    if spec.foreword.strip():
        body = "".join(_para(p) for p in paragraphs(spec.foreword))
        item = page("foreword", "Foreword", "foreword.xhtml",
                    f'<section epub:type="foreword"><h1>Foreword</h1><div class="letter">{body}'
                    "</div></section>")
        spine.append(item)
        toc.append(epub.Link("foreword.xhtml", "Foreword", "foreword"))
    total = len(spec.letters)
    for number, letter in enumerate(spec.letters, 1):
        heading, lines = letter_heading(letter)
        meta = "".join(_para(line, "meta") for line in lines)
        body = "".join(_para(p) for p in paragraphs(letter.body))
        name = f"letter-{number:03d}.xhtml"
        item = page(f"letter{number}", heading, name,
                    f'<section epub:type="chapter"><h1{_dir(heading)}>{esc(heading)}</h1>{meta}'
                    f'<div class="letter">{body}</div></section>')
        spine.append(item)
        toc.append(epub.Link(name, _NOT_XML.sub("", heading), f"letter{number}"))
        if progress:
            progress("epub", number, total)
    book.toc = toc
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [*spine[:1], "nav", *spine[1:]]
    epub.write_epub(str(target), book, {"epub3_pages": False})
