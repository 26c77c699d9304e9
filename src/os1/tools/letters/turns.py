"""Letters and the book inside the conversation.

"Write a letter from Chris to Loretta for their 50th anniversary; they met in a bus queue
in 1974" drafts one; "warmer", "mention the dog", "shorter" revise the letter just written;
"proofread it", "make it look handwritten"; "gather my best letters into a book called …"
makes the book (os1's own files: nothing leaves the machine); "send the book to the
publisher at …" is a mail with the book attached, proposed and sent only when approved.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from os1.errors import InputError
from os1.events import Made
from os1.tools.intents import Intent, addresses_in
from os1.tools.letters.library import Letter
from os1.tools.letters.service import LetterService
from os1.tools.organizer import Organizer, Outcome, _proposed

OPEN_FOR = timedelta(minutes=20)  # "warmer" is about the letter changed this recently


def _letter_made(letter: Letter) -> Made:
    return Made("letter", letter.id, letter.title, {})


def _shown(letter: Letter, head: str) -> str:
    return f"{head}\n\n{letter.body}"


class LetterTurns:
    kinds = frozenset({"letter_write", "letter_revise", "letter_proofread", "letter_handwrite",
                       "letters_list", "book_make", "book_send"})

    def __init__(self, service: LetterService, organizer: Organizer) -> None:
        self.service = service
        self.organizer = organizer

    def letter_open(self) -> bool:
        return self.service.library.current(self.service.user_id, self.service.clock.now(),
                                            within=OPEN_FOR) is not None

    async def handle(self, intent: Intent, text: str, message_id: int,
                     earlier: list[str]) -> Outcome | None:
        handler = getattr(self, f"_{intent.kind}")
        result: Outcome | None = await handler(intent, text, message_id, earlier)
        return result

    async def _current(self) -> Letter:
        letter = await asyncio.to_thread(self.service.current)
        if letter is None:
            raise InputError("Which letter? I haven't written one with you lately.",
                             "Ask me to write one, or say “os1 letters list” to see them.")
        return letter

    async def _letter_write(self, intent: Intent, text: str, message_id: int,
                            earlier: list[str]) -> Outcome:
        letter = await self.service.draft_from_words(text)
        return Outcome(reply=_shown(letter, f"Here's a first draft, in {letter.sender}'s voice. "
                                            "Tell me what to change (“warmer”, “mention the "
                                            "dog”, “shorter”), or “make it look handwritten”."),
                       made=[_letter_made(letter)], tools=["letters.draft"])

    async def _letter_revise(self, intent: Intent, text: str, message_id: int,
                             earlier: list[str]) -> Outcome:
        letter = await self._current()
        revised = await self.service.revise(letter.id, text)
        return Outcome(reply=_shown(revised, f"Version {revised.version}:"),
                       made=[_letter_made(revised)], tools=["letters.revise"])

    async def _letter_proofread(self, intent: Intent, text: str, message_id: int,
                                earlier: list[str]) -> Outcome:
        letter = await self._current()
        checked, changes = await self.service.proofread(letter.id)
        if checked.version == letter.version:
            return Outcome(reply=changes)
        return Outcome(reply=f"{changes}\n\nI kept the earlier version too; this is version "
                             f"{checked.version}:\n\n{checked.body}",
                       made=[_letter_made(checked)], tools=["letters.proofread"])

    async def _letter_handwrite(self, intent: Intent, text: str, message_id: int,
                                earlier: list[str]) -> Outcome:
        letter = await self._current()
        hand = "caveat" if re.search(r"\bcaveat|another hand|different hand\b", text, re.I) \
            else "indie-flower"
        page = await asyncio.to_thread(self.service.handwrite, letter.id, hand=hand)
        files = {"pdf": str(page.pdf)}
        if page.pngs:
            files["png"] = str(page.pngs[0])
        pages = f"{page.pages} page{'s' if page.pages != 1 else ''}"
        return Outcome(reply=f"Here it is in ink ({pages}).",
                       made=[Made("handwritten", letter.id, letter.title, files)],
                       tools=["letters.handwrite"])

    async def _letters_list(self, intent: Intent, text: str, message_id: int,
                            earlier: list[str]) -> Outcome:
        letters = await asyncio.to_thread(self.service.all, 50)
        if not letters:
            return Outcome(reply="There are no letters yet. Ask me to write one: “a letter "
                                 "from Chris to Loretta for their anniversary”.")
        lines = [f"• #{x.id} {x.title} — {x.written_on}"
                 + (f" ({x.versions} versions)" if x.versions > 1 else "") for x in letters[:20]]
        more = f"\n…and {len(letters) - 20} more (os1 letters list)." if len(letters) > 20 else ""
        return Outcome(reply="Your letters:\n" + "\n".join(lines) + more)

    async def _book_make(self, intent: Intent, text: str, message_id: int,
                         earlier: list[str]) -> Outcome:
        title = _title_in(text) or "Letters"
        choices = await asyncio.to_thread(self.service.best_of)
        if not choices:
            return Outcome(reply="There are no letters to make a book of yet.")
        book = await self.service.make_book(title=title, letter_ids=[c.letter.id for c in choices])
        reasons = "\n".join(f"• {c.as_text()}" for c in choices)
        verdict = book.verdict
        said = {True: "valid", None: "not checked", False: "problems found"}
        checks = "; ".join(f"{k.upper()}: {said.get(v.get('ok'), 'problems found')}"
                           for k, v in verdict.items() if isinstance(v, dict))
        files = {"pdf": book.pdf_path or "", "epub": book.epub_path or ""}
        count = f"{len(choices)} letter{'s' if len(choices) != 1 else ''}"
        return Outcome(reply=f"I made “{book.title}”: {count}, with a foreword and a table of "
                             f"contents, as a PDF and an EPUB. I chose:\n{reasons}"
                             + (f"\n({checks})" if checks else "")
                             + "\nSay “send the book to …” when you want it to go to a publisher.",
                       made=[Made("book", book.id, book.title, files)], tools=["letters.book"])

    async def _book_send(self, intent: Intent, text: str, message_id: int,
                         earlier: list[str]) -> Outcome:
        org = self.organizer
        if not org.has("send_email"):
            return Outcome(reply="I can't send mail yet. Connect your account with: os1 mail "
                                 "connect (the book stays in your letters folder).")
        books = await asyncio.to_thread(self.service.books)
        if not books:
            return Outcome(reply="There's no book yet. Say “gather my best letters into a book "
                                 "called …” first.")
        book = books[0]
        typed = sorted(addresses_in(text))
        names = [] if typed else [m.group(1) for m in [re.search(
            r"\bto\s+(?:my\s+\w+\s+)?([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)", text)] if m]
        to = typed or org._resolve_people(names, text)
        if not to:
            return Outcome(reply="Who should it go to? Give me the publisher's email address.")
        letter = await org._draft(
            f"Send the manuscript of “{book.title}”, a book of {len(book.letter_ids)} personal "
            f"letters compiled by {self.service.user_name}, attached as PDF and EPUB, for their "
            "consideration. Brief, polite, no promises.", to=", ".join(to))
        files = [p for p in (book.pdf_path, book.epub_path) if p]
        proposal = await org._propose(
            "send_email", {"to": to, "subject": f"Manuscript: {book.title}", "body": letter,
                           "attachments": files},
            text=text, message_id=message_id, earlier=earlier,
            chosen=set() if typed else set(to))
        return _proposed(proposal, f"Here's the cover letter, with “{book.title}” attached. "
                                   "Shall I send it?")


def _title_in(text: str) -> str:
    found = re.search(r"\b(?:called|titled|entitled|named)\s+[\"“']?(.+?)[\"”']?\s*[.!?]?$",
                      text.strip(), re.I)
    return found.group(1).strip() if found else ""

