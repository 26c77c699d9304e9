"""One person's letters: drafting, revising, proofreading, handwriting, the book.

Everything here writes only to os1's own data (the library, files in the person's letters
folder): nothing leaves the machine. Sending a book to a publisher is a mail, proposed and
approved like every other (``os1.tools.letters.turns``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from os1.clock import Clock
from os1.errors import InputError
from os1.llm.base import ChatBackend, ChatMessage, complete
from os1.store import Store
from os1.tools.letters.draft import LetterRequest, plan_letter, revise_letter, write_letter
from os1.tools.letters.library import Book, Letter, LetterLibrary
from os1.tools.output import file_stem

MAX_BOOK_LETTERS = 300


@dataclass(frozen=True)
class Choice:
    """A letter os1 would put in "the best of", and why."""

    letter: Letter
    reasons: list[str]

    def as_text(self) -> str:
        return f"#{self.letter.id} {self.letter.title}: {'; '.join(self.reasons)}"


class LetterService:
    def __init__(self, store: Store, user_id: int, clock: Clock, *, backend: ChatBackend,
                 out_dir: Path, user_name: str,
                 remember: Callable[[str], list[str]] | None = None) -> None:
        self.library = LetterLibrary(store)
        self.user_id = user_id
        self.clock = clock
        self.backend = backend
        self.out_dir = Path(out_dir)
        self.user_name = user_name
        self.remember = remember  # what the companion knows about a name (memory recall)

    # -- the library -----------------------------------------------------------------------
    def get(self, letter_id: int) -> Letter:
        return self.library.get(self.user_id, letter_id)

    def all(self, limit: int = 1000) -> list[Letter]:
        return self.library.all(self.user_id, limit=limit)

    def current(self) -> Letter | None:
        return self.library.current(self.user_id, self.clock.now())

    def add(self, *, sender: str, recipient: str, body: str, occasion: str = "",
            written_on: str | None = None) -> Letter:
        """A letter the person wrote themselves (or imported)."""
        return self.library.add(self.user_id, sender=sender, recipient=recipient, body=body,
                                occasion=occasion, written_on=written_on, change="written by hand",
                                now=self.clock.now())

    def edit(self, letter_id: int, body: str) -> Letter:
        return self.library.revise(self.user_id, letter_id, body, change="edited by hand",
                                   now=self.clock.now())

    def update(self, letter_id: int, **fields: Any) -> Letter:
        return self.library.update(self.user_id, letter_id, now=self.clock.now(), **fields)

    def delete(self, letter_id: int) -> None:
        self.library.delete(self.user_id, letter_id)

    # -- writing ---------------------------------------------------------------------------
    def _request(self, sender: str, recipient: str, occasion: str, notes: str) -> LetterRequest:
        memories: list[str] = []
        if self.remember is not None:
            for name in {sender, recipient} - {self.user_name}:
                memories += [m for m in self.remember(name) if m not in memories]
        earlier = [letter.body for letter in
                   self.library.all(self.user_id, between=(sender, recipient), limit=3)]
        return LetterRequest(sender=sender, recipient=recipient, occasion=occasion, notes=notes,
                             memories=memories[:8], earlier=earlier)

    async def draft_from_words(self, text: str) -> Letter:
        """“Write a letter from Chris to Loretta for their 50th anniversary; they met in a bus
        queue in 1974”: who, to whom, what for, then the letter in the sender's voice."""
        plan = await plan_letter(self.backend, text, user_name=self.user_name)
        if not plan.recipient:
            raise InputError("Who is the letter to?",
                             "Tell me, e.g. “a letter from Chris to Loretta for their anniversary”.")
        return await self.draft(sender=plan.sender or self.user_name, recipient=plan.recipient,
                                occasion=plan.occasion, notes=plan.facts or text)

    async def draft(self, *, sender: str, recipient: str, occasion: str = "",
                    notes: str = "") -> Letter:
        if not recipient.strip():
            raise InputError("Who is the letter to?", "Give the recipient's name.")
        request = self._request(sender, recipient, occasion, notes)
        body = await write_letter(self.backend, request)
        return self.library.add(self.user_id, sender=sender, recipient=recipient, body=body,
                                occasion=occasion, notes=notes, change="drafted",
                                now=self.clock.now())

    async def revise(self, letter_id: int, words: str) -> Letter:
        """“Warmer”, “mention the dog”, “shorter”: a new version."""
        letter = self.get(letter_id)
        request = self._request(letter.sender, letter.recipient, letter.occasion, letter.notes)
        body = await revise_letter(self.backend, letter.body, words, request)
        if body == letter.body:
            raise InputError("I couldn't rewrite it that way just now; the letter is as it was.",
                             "Try saying it differently, e.g. “make it warmer”.")
        return self.library.revise(self.user_id, letter_id, body, change=words.strip()[:300],
                                   now=self.clock.now())

    async def proofread(self, letter_id: int) -> tuple[Letter, str]:
        """Spelling, grammar and tone, with every change shown; the corrected text becomes a
        new version (the old one stays)."""
        from os1.tools.writing.proofread import proofread, render_changes

        letter = self.get(letter_id)
        result = await proofread(letter.body, backend=self.backend)
        if not result.changes:
            return letter, "I read it through and found nothing to change."
        shown = render_changes(result)
        if result.corrected != letter.body:
            letter = self.library.revise(self.user_id, letter_id, result.corrected,
                                         change="proofread", now=self.clock.now())
        return letter, shown

    # -- making things ---------------------------------------------------------------------
    def handwrite(self, letter_id: int, *, hand: str = "indie-flower", seed: int | None = None,
                  out_dir: Path | None = None) -> Any:
        """The letter as a handwritten page: PDF and PNG in the letters folder."""
        from os1.tools.letters.handwriting import render_handwritten

        letter = self.get(letter_id)
        folder = Path(out_dir or self.out_dir / "handwritten")
        stem = f"{letter.id}-{file_stem(letter.title, fallback='letter')}-v{letter.version}"
        # The signature is drawn in the hand, larger: the typed name at the end goes.
        lines = letter.body.rstrip().splitlines()
        body = "\n".join(lines[:-1]).rstrip() if len(lines) > 1 and \
            lines[-1].strip().lower() == letter.sender.lower() else letter.body
        return render_handwritten(body, signature=letter.sender,
                                  out_pdf=folder / f"{stem}.pdf", out_png=folder / f"{stem}.png",
                                  hand=hand, seed=letter.id * 1000 + letter.version
                                  if seed is None else seed)

    def best_of(self, n: int = 12) -> list[Choice]:
        """The letters os1 would choose for a book, with its reasons: the person's favourites,
        the ones they worked on most, the fuller ones, one of each pair of people before a
        second, oldest first in the book."""
        letters = self.library.all(self.user_id)
        if not letters:
            return []
        longest = max(len(x.body) for x in letters)

        def score(x: Letter) -> float:
            return ((3.0 if x.favorite else 0.0) + min(x.versions - 1, 4) * 0.5
                    + len(x.body) / longest + (0.5 if x.occasion else 0.0))

        chosen: list[Letter] = []
        pairs: dict[tuple[str, str], int] = {}
        for letter in sorted(letters, key=score, reverse=True):
            pair = (letter.sender.lower(), letter.recipient.lower())
            if pairs.get(pair, 0) >= max(1, n // 4):
                continue
            pairs[pair] = pairs.get(pair, 0) + 1
            chosen.append(letter)
            if len(chosen) >= n:
                break
        out = []
        for letter in sorted(chosen, key=lambda x: (x.written_on, x.id)):
            reasons = []
            if letter.favorite:
                reasons.append("you marked it a favourite")
            if letter.versions > 1:
                reasons.append(f"you worked on it ({letter.versions} versions)")
            if len(letter.body) >= 0.6 * longest:
                reasons.append("one of the fullest")
            if letter.occasion:
                reasons.append(f"for {letter.occasion}")
            if pairs[(letter.sender.lower(), letter.recipient.lower())] == 1:
                reasons.append(f"the only one from {letter.sender} to {letter.recipient} here")
            out.append(Choice(letter, reasons or ["it reads well"]))
        return out

    async def foreword(self, title: str, letters: list[Letter]) -> str:
        people = sorted({f"{x.sender} and {x.recipient}" for x in letters})[:6]
        occasions = sorted({x.occasion for x in letters if x.occasion})[:6]
        system = ("Write a short foreword (two paragraphs, under 160 words) for a book of "
                  "personal letters. Plain and warm; no headings; don't invent names.")
        user = (f"Title: {title}\nLetters: {len(letters)}\nBetween: {', '.join(people)}\n"
                f"Occasions: {', '.join(occasions) or 'everyday life'}\nCompiled by: "
                f"{self.user_name}")
        try:
            text = await complete(self.backend, [ChatMessage("system", system),
                                                 ChatMessage("user", user)],
                                  max_tokens=260, temperature=0.6, aside=True)
        except Exception:
            text = ""
        text = text.replace("**", "").strip()
        if len(text) < 40:
            text = (f"These {len(letters)} letters were written for the people in them, "
                    "never for a book. They are gathered here because they say, better than "
                    "anything else could, what those people meant to each other.")
        return text

    async def make_book(self, *, title: str, letter_ids: list[int] | None = None,
                        subtitle: str = "", foreword: str | None = None,
                        author: str | None = None, progress: Any = None) -> Book:
        """The book: a print-ready PDF and an EPUB, both checked by their validators."""
        import asyncio

        from os1.tools.letters.book import BookLetter, BookSpec, build_book

        if not title.strip():
            raise InputError("The book needs a title.", "Say what it should be called.")
        if letter_ids is None:
            letters = [c.letter for c in self.best_of()]
        else:
            letters = [self.get(i) for i in letter_ids]
        if not letters:
            raise InputError("There are no letters to put in a book yet.",
                             "Write one first: “write a letter from … to …”.")
        if len(letters) > MAX_BOOK_LETTERS:
            raise InputError(f"That's {len(letters)} letters; a book holds at most "
                             f"{MAX_BOOK_LETTERS}.", "Choose fewer, or make two volumes.")
        if foreword is None:
            foreword = await self.foreword(title, letters)
        spec = BookSpec(title=title.strip(), subtitle=subtitle, author=author or self.user_name,
                        foreword=foreword, letters=[
                            BookLetter(title=x.occasion or f"To {x.recipient}", sender=x.sender,
                                       recipient=x.recipient, occasion=x.occasion,
                                       written_on=x.written_on, body=x.body) for x in letters])
        stem = f"{file_stem(title, fallback='book')}-{self.clock.now():%Y%m%d-%H%M%S}"
        result = await asyncio.to_thread(build_book, spec, self.out_dir / "books", stem=stem,
                                         validate=True, progress=progress)
        return self.library.add_book(self.user_id, title=spec.title, subtitle=subtitle,
                                     author=spec.author, foreword=foreword,
                                     letter_ids=[x.id for x in letters],
                                     pdf_path=str(result.pdf), epub_path=str(result.epub),
                                     verdict=dict(result.verdict), now=self.clock.now())

    def books(self) -> list[Book]:
        return self.library.books(self.user_id)

    def book(self, book_id: int) -> Book:
        return self.library.book(self.user_id, book_id)
