"""Building one person's organizer: their mail, calendar and files as tools, their
proposals, and what drafting needs (their tone, their contacts, proofreading).

The terminal builds one for the local person; the server one per companion. Capabilities
whose libraries aren't installed are left out (the organizer says how to add them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from os1.clock import Clock
from os1.llm.base import ChatBackend
from os1.secrets import SecretBox, open_box
from os1.store import Store
from os1.tools.approvals import Approvals
from os1.tools.base import ToolRegistry
from os1.tools.organizer import Organizer

log = logging.getLogger(__name__)


@dataclass
class Services:
    """One person's organizer services (each None when it can't be built here)."""

    mail: Any = None
    calendar: Any = None
    files: Any = None
    reminders: Any = None
    music: Any = None
    # Where this person's letters, books and music are written (None: not here).
    out_dir: Path | None = None


def build_services(store: Store, clock: Clock, user_id: int, *, box: SecretBox | None,
                   embedder: Any = None, files: bool = True,
                   out_dir: Path | None = None) -> Services:
    services = Services(out_dir=out_dir)
    if out_dir is not None:
        try:
            from os1.tools.music.service import MusicService

            services.music = MusicService(store, user_id, clock, out_dir / "music")
        except ImportError as exc:  # the music extra isn't installed
            log.info("music unavailable: %s", exc)
    try:
        from os1.tools.mail.service import MailService

        if box is not None:
            services.mail = MailService(store, user_id, box, clock)
    except ImportError as exc:  # the organizer extra isn't installed
        log.info("mail unavailable: %s", exc)
    try:
        from os1.tools.calendar.reminders import Reminders
        from os1.tools.calendar.service import CalendarService

        services.calendar = CalendarService(store, user_id, box, clock)
        services.reminders = Reminders(store, user_id, clock)
    except ImportError as exc:
        log.info("calendar unavailable: %s", exc)
    if files:
        try:
            from os1.tools.files.index import FileIndex

            services.files = FileIndex(store, user_id, clock, embedder=embedder)
        except ImportError as exc:
            log.info("files unavailable: %s", exc)
    return services


def build_organizer(store: Store, clock: Clock, user_id: int, *, user_name: str,
                    backend: ChatBackend, services: Services,
                    remember: Callable[[str], list[str]] | None = None) -> Organizer:
    """``remember``: what the companion knows about a name (memory recall), for letters."""
    providers: list[object] = []
    if services.mail is not None:
        from os1.tools.mail.tools import MailTools

        providers.append(MailTools(services.mail))
    if services.calendar is not None:
        from os1.tools.calendar.tools import CalendarTools

        providers.append(CalendarTools(services.calendar))
    if services.files is not None:
        from os1.tools.files.tools import FilesTools

        providers.append(FilesTools(services.files))
    registry = ToolRegistry(*providers)
    mail = services.mail

    def correspondents() -> dict[str, str]:
        """People the person has written to (from their Sent folder, in one query)."""
        if mail is None:
            return {}
        found: dict[str, str] = {}
        for address in mail.mail.sent_recipients(user_id):
            name, addr = parseaddr(address)
            if addr:
                found.setdefault(addr.lower(), name or addr)
        return found

    def contacts() -> dict[str, str]:
        """Everyone the person knows by name: who they write to, and the people (not lists,
        shops or spam) who write to them."""
        if mail is None:
            return {}
        known = correspondents()
        for category in ("personal", "work"):
            for summary in mail.list_mail(folder=None, category=category, limit=500):
                if summary.from_addr:
                    known.setdefault(summary.from_addr.lower(), summary.from_name or
                                     summary.from_addr)
        return known

    def style_note() -> str | None:
        if mail is None:
            return None
        try:
            from os1.tools.mail.style import learn_style

            sent = mail.mail.sent_texts(user_id, limit=100)
            return learn_style(sent, name=user_name).prompt_note() if sent else None
        except Exception:  # a help for drafting, never a reason not to draft
            log.warning("couldn't learn the writing style", exc_info=True)
            return None

    async def proofread(text: str) -> str:
        from os1.tools.writing.proofread import proofread as check
        from os1.tools.writing.proofread import render_changes

        result = await check(text, backend=backend)
        if not result.changes:
            return "I read it through and found nothing to change."
        return f"{render_changes(result)}\n\nWith those changes:\n{result.corrected}"

    organizer = Organizer(registry, Approvals(store, user_id, clock), backend, clock,
                          user_name=user_name, style_note=style_note, contacts=contacts,
                          correspondents=correspondents, proofread=proofread, services=services)
    organizer.makers = _makers(store, clock, user_id, user_name=user_name, backend=backend,
                               services=services, organizer=organizer, remember=remember)
    return organizer


def _makers(store: Store, clock: Clock, user_id: int, *, user_name: str, backend: ChatBackend,
            services: Services, organizer: Organizer,
            remember: Callable[[str], list[str]] | None) -> list[object]:
    """Letters and the book, music: where this person's files can be written."""
    makers: list[object] = []
    if services.out_dir is None:
        return makers
    try:
        from os1.tools.letters.service import LetterService
        from os1.tools.letters.turns import LetterTurns

        letters = LetterService(store, user_id, clock, backend=backend,
                                out_dir=services.out_dir / "letters", user_name=user_name,
                                remember=remember)
        makers.append(LetterTurns(letters, organizer))
    except ImportError as exc:  # the letters extra isn't installed
        log.info("letters unavailable: %s", exc)
    if services.music is not None:
        from os1.tools.music.turns import MusicTurns

        makers.append(MusicTurns(services.music))
    return makers


def memory_recall(memory: Any) -> Callable[[str], list[str]] | None:
    """What the companion remembers about a name, as short lines (for writing letters)."""
    if memory is None:
        return None

    def remember(name: str) -> list[str]:
        try:
            return [hit.memory.content for hit in memory.recall(name, limit=6)]
        except Exception:  # a help for writing, never a reason not to write
            log.warning("recall for a letter failed", exc_info=True)
            return []

    return remember


def secret_box(data_dir: Path) -> SecretBox:
    """The data directory's key file (or OS1_SECRET_KEY)."""
    return open_box(data_dir / "secret.key")
