"""The letter library: one person's letters, each with every version it has had.

Every call takes the owner's id and every statement filters on it, like the other
repositories. A revision never overwrites: "warmer", "shorter", a proofread or an edit by
hand each add a version, so the first draft is always there to go back to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from os1.errors import InputError
from os1.store import Store
from os1.store.engine import transaction
from os1.store.repos import _aware, storable
from os1.tools.letters.tables import books
from os1.tools.letters.tables import letter_versions as V
from os1.tools.letters.tables import letters as L

MAX_BODY = 50_000  # characters: a long letter is 2-3,000


@dataclass(frozen=True)
class Version:
    version: int
    body: str
    change: str
    created_at: datetime


@dataclass(frozen=True)
class Letter:
    id: int
    sender: str
    recipient: str
    occasion: str
    written_on: str  # ISO date
    notes: str
    favorite: bool
    body: str  # the newest version
    version: int
    versions: int  # how many there are
    created_at: datetime
    updated_at: datetime

    @property
    def title(self) -> str:
        occasion = f", {self.occasion}" if self.occasion else ""
        return f"{self.sender} to {self.recipient}{occasion}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sender": self.sender, "recipient": self.recipient,
                "occasion": self.occasion, "written_on": self.written_on, "title": self.title,
                "notes": self.notes, "favorite": self.favorite, "body": self.body,
                "version": self.version, "versions": self.versions,
                "updated_at": self.updated_at.isoformat()}

    def as_text(self) -> str:
        return f"#{self.id} {self.title} ({self.written_on}, version {self.version})"


@dataclass(frozen=True)
class Book:
    id: int
    title: str
    subtitle: str
    author: str
    foreword: str
    letter_ids: list[int]
    pdf_path: str | None
    epub_path: str | None
    verdict: dict[str, Any]
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "subtitle": self.subtitle,
                "author": self.author, "letters": len(self.letter_ids),
                "letter_ids": list(self.letter_ids), "verdict": self.verdict,
                "created_at": self.created_at.isoformat()}


def _clean(text: str, what: str, limit: int) -> str:
    text = storable(" ".join(text.split()) if limit <= 300 else text.strip())
    if len(text) > limit:
        raise InputError(f"The {what} is {len(text):,} characters; the most is {limit:,}.",
                         f"Shorten the {what} and try again.")
    return text


class LetterLibrary:
    """Letters, versions and books, for one owner at a time (the id on every call)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _tx(self) -> Any:
        return transaction(self.store.engine, self.store.label)

    # -- letters ---------------------------------------------------------------------------
    def add(self, user_id: int, *, sender: str, recipient: str, body: str, occasion: str = "",
            written_on: date | str | None = None, notes: str = "", change: str = "drafted",
            now: datetime) -> Letter:
        sender = _clean(sender, "sender's name", 200)
        recipient = _clean(recipient, "recipient's name", 200)
        if not sender or not recipient:
            raise InputError("A letter needs someone it's from and someone it's to.",
                             "Say who it's from and who it's for, e.g. “from Chris to Loretta”.")
        body = _clean(body, "letter", MAX_BODY)
        if not body:
            raise InputError("That letter is empty.", "Write something in it first.")
        day = (written_on.isoformat() if isinstance(written_on, date)
               else (written_on or now.date().isoformat()))
        with self._tx() as conn:
            letter_id = conn.execute(insert(L).values(
                user_id=user_id, sender=sender, recipient=recipient,
                occasion=_clean(occasion, "occasion", 300), written_on=str(day)[:10],
                notes=storable(notes[:5000]), favorite=False, created_at=now,
                updated_at=now)).inserted_primary_key[0]
            conn.execute(insert(V).values(user_id=user_id, letter_id=letter_id, version=1,
                                          body=body, change=change[:300], created_at=now))
        return self.get(user_id, int(letter_id))

    def revise(self, user_id: int, letter_id: int, body: str, *, change: str,
               now: datetime) -> Letter:
        """A new version (the old ones stay)."""
        body = _clean(body, "letter", MAX_BODY)
        if not body:
            raise InputError("That would leave the letter empty.", "Nothing was changed.")
        current = self.get(user_id, letter_id)
        if body == current.body:
            return current
        with self._tx() as conn:
            conn.execute(insert(V).values(user_id=user_id, letter_id=letter_id,
                                          version=current.versions + 1, body=body,
                                          change=change[:300], created_at=now))
            conn.execute(update(L).where(L.c.user_id == user_id, L.c.id == letter_id)
                         .values(updated_at=now))
        return self.get(user_id, letter_id)

    def update(self, user_id: int, letter_id: int, *, now: datetime, **fields: Any) -> Letter:
        """Sender, recipient, occasion, date, favourite: the label, not the text."""
        allowed = {"sender": 200, "recipient": 200, "occasion": 300, "written_on": 10}
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if value is None:
                continue
            if key == "favorite":
                values[key] = bool(value)
            elif key in allowed:
                values[key] = _clean(str(value), key.replace("_", " "), allowed[key])
            else:
                raise InputError(f"A letter has no field {key!r}.",
                                 "You can change sender, recipient, occasion, written_on, favorite.")
        self.get(user_id, letter_id)  # exists, and is theirs
        if values:
            values["updated_at"] = now
            with self._tx() as conn:
                conn.execute(update(L).where(L.c.user_id == user_id, L.c.id == letter_id)
                             .values(**values))
        return self.get(user_id, letter_id)

    def get(self, user_id: int, letter_id: int) -> Letter:
        found = self._letters(user_id, ids=[letter_id])
        if not found:
            raise InputError(f"There's no letter #{letter_id}.",
                             "os1 letters list shows your letters and their numbers.")
        return found[0]

    def versions(self, user_id: int, letter_id: int) -> list[Version]:
        self.get(user_id, letter_id)
        rows = self.store._read(select(V.c.version, V.c.body, V.c.change, V.c.created_at).where(
            V.c.user_id == user_id, V.c.letter_id == letter_id).order_by(V.c.version))
        return [Version(r.version, r.body, r.change, _aware(r.created_at) or r.created_at)
                for r in rows]

    def all(self, user_id: int, *, between: tuple[str, str] | None = None,
             limit: int = 1000) -> list[Letter]:
        """Newest first. ``between``: letters from either of two people to the other."""
        return self._letters(user_id, between=between, limit=limit)

    def count(self, user_id: int) -> int:
        return int(self.store._read(select(func.count()).select_from(L).where(
            L.c.user_id == user_id))[0][0])

    def current(self, user_id: int, now: datetime, within: timedelta = timedelta(hours=3)
                ) -> Letter | None:
        """The letter being worked on: the one changed last, if that was recent."""
        found = self._letters(user_id, limit=1)
        if found and now - found[0].updated_at <= within:
            return found[0]
        return None

    def delete(self, user_id: int, letter_id: int) -> None:
        self.get(user_id, letter_id)
        with self._tx() as conn:
            conn.execute(delete(V).where(V.c.user_id == user_id, V.c.letter_id == letter_id))
            conn.execute(delete(L).where(L.c.user_id == user_id, L.c.id == letter_id))

    def _letters(self, user_id: int, *, ids: list[int] | None = None,
                 between: tuple[str, str] | None = None, limit: int = 1000) -> list[Letter]:
        newest = (select(V.c.letter_id, func.max(V.c.version).label("latest"),
                         func.count().label("n"))
                  .where(V.c.user_id == user_id).group_by(V.c.letter_id).subquery())
        stmt = (select(L, V.c.body, V.c.version, newest.c.n)
                .join(newest, newest.c.letter_id == L.c.id)
                .join(V, (V.c.letter_id == L.c.id) & (V.c.version == newest.c.latest)
                      & (V.c.user_id == user_id))
                .where(L.c.user_id == user_id))
        if ids is not None:
            stmt = stmt.where(L.c.id.in_(ids))
        if between is not None:
            a, b = (p.strip().lower() for p in between)
            stmt = stmt.where(((func.lower(L.c.sender) == a) & (func.lower(L.c.recipient) == b))
                              | ((func.lower(L.c.sender) == b) & (func.lower(L.c.recipient) == a)))
        rows = self.store._read(stmt.order_by(L.c.updated_at.desc(), L.c.id.desc()).limit(limit))
        return [Letter(id=r.id, sender=r.sender, recipient=r.recipient, occasion=r.occasion,
                       written_on=r.written_on, notes=r.notes, favorite=bool(r.favorite),
                       body=r.body, version=r.version, versions=int(r.n),
                       created_at=_aware(r.created_at) or r.created_at,
                       updated_at=_aware(r.updated_at) or r.updated_at) for r in rows]

    # -- books -----------------------------------------------------------------------------
    def add_book(self, user_id: int, *, title: str, subtitle: str, author: str, foreword: str,
                 letter_ids: list[int], pdf_path: str, epub_path: str,
                 verdict: dict[str, Any], now: datetime) -> Book:
        with self._tx() as conn:
            book_id = conn.execute(insert(books).values(
                user_id=user_id, title=storable(title[:300]), subtitle=storable(subtitle[:300]),
                author=storable(author[:200]), foreword=storable(foreword),
                letter_ids=list(letter_ids), pdf_path=pdf_path, epub_path=epub_path,
                verdict=verdict, created_at=now)).inserted_primary_key[0]
        return self.book(user_id, int(book_id))

    def book(self, user_id: int, book_id: int) -> Book:
        rows = self.store._read(select(books).where(books.c.user_id == user_id,
                                                    books.c.id == book_id))
        if not rows:
            raise InputError(f"There's no book #{book_id}.", "os1 letters books lists yours.")
        return _book(rows[0])

    def books(self, user_id: int) -> list[Book]:
        rows = self.store._read(select(books).where(books.c.user_id == user_id)
                                .order_by(books.c.id.desc()))
        return [_book(r) for r in rows]


def _book(r: Any) -> Book:
    return Book(id=r.id, title=r.title, subtitle=r.subtitle, author=r.author,
                foreword=r.foreword, letter_ids=[int(i) for i in r.letter_ids or []],
                pdf_path=r.pdf_path, epub_path=r.epub_path, verdict=dict(r.verdict or {}),
                created_at=_aware(r.created_at) or r.created_at)
