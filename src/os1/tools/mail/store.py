"""The mail repository: accounts, folders, messages, full-text search. Every call takes the
owner's id and every statement filters on it (like ``os1.memory.store``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update

from os1.errors import InputError
from os1.store import Store
from os1.store.repos import _aware, storable
from os1.tools.mail.tables import mail_accounts, mail_folders, mail_messages

_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    kind: str  # imap | import
    address: str
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    ca_file: str | None
    smtp_host: str
    smtp_port: int
    smtp_security: str
    last_sync_at: datetime | None
    last_error: str | None

    def __repr__(self) -> str:  # never a password, and there is none here
        return f"Account(id={self.id}, name={self.name!r}, kind={self.kind!r}, host={self.host!r})"


@dataclass(frozen=True)
class Folder:
    id: int
    account_id: int
    name: str
    role: str
    uidvalidity: int
    last_uid: int
    total: int
    synced_at: datetime | None


@dataclass(frozen=True)
class MailSummary:
    """One message as a list shows it."""

    id: int
    account_id: int
    folder: str
    uid: int
    message_id: str
    thread_key: str
    from_name: str
    from_addr: str
    subject: str
    sent_at: datetime | None
    snippet: str
    flags: list[str]
    category: str
    needs_reply: bool
    important: bool
    spam_score: float
    body_fetched: bool
    size: int

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def sender(self) -> str:
        return self.from_addr or self.from_name or "(unknown sender)"

    @property
    def source(self) -> str:
        """Citation label: "mail #42 from anna@x, 3 Nov"."""
        when = f", {self.sent_at.day} {self.sent_at:%b %Y}" if self.sent_at else ""
        return f"mail #{self.id} from {self.sender}{when}"

    def line(self) -> str:
        """One line for a preview: #12 From anna@x 'Lunch?' 3 Nov 2026 (INBOX)."""
        when = f" {self.sent_at.day} {self.sent_at:%b %Y}" if self.sent_at else ""
        return f"#{self.id} From {self.sender} '{self.subject or '(no subject)'}'{when} ({self.folder})"


@dataclass(frozen=True)
class MailMessage(MailSummary):
    """One message in full (its text is outside text: data, never instructions)."""

    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    body_text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    body_note: str = ""
    list_unsubscribe: str = ""


@dataclass(frozen=True)
class NewMessage:
    """What sync/import hands the store for one (folder, uid)."""

    uid: int
    message_id: str
    thread_key: str
    in_reply_to: str
    references: list[str]
    from_name: str
    from_addr: str
    to: list[str]
    cc: list[str]
    subject: str
    sent_at: datetime | None
    flags: list[str]
    size: int
    snippet: str = ""
    body_text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    body_fetched: bool = False
    body_note: str = ""
    category: str = "personal"
    needs_reply: bool = False
    important: bool = False
    spam_score: float = 0.0
    list_unsubscribe: str = ""


def _account(row: Any) -> Account:
    return Account(id=row.id, name=row.name, kind=row.kind, address=row.address, host=row.host,
                   port=row.port, security=row.security, username=row.username,
                   has_password=bool(row.password_token), ca_file=row.ca_file,
                   smtp_host=row.smtp_host, smtp_port=row.smtp_port,
                   smtp_security=row.smtp_security, last_sync_at=_aware(row.last_sync_at),
                   last_error=row.last_error)


def _folder(row: Any) -> Folder:
    return Folder(id=row.id, account_id=row.account_id, name=row.name, role=row.role,
                  uidvalidity=int(row.uidvalidity), last_uid=int(row.last_uid),
                  total=int(row.total), synced_at=_aware(row.synced_at))


_SUMMARY_COLUMNS = [mail_messages.c.id, mail_messages.c.account_id, mail_folders.c.name.label("folder"),
                    mail_messages.c.uid, mail_messages.c.message_id, mail_messages.c.thread_key,
                    mail_messages.c.from_name, mail_messages.c.from_addr, mail_messages.c.subject,
                    mail_messages.c.sent_at, mail_messages.c.snippet, mail_messages.c.flags,
                    mail_messages.c.category, mail_messages.c.needs_reply,
                    mail_messages.c.important, mail_messages.c.spam_score,
                    mail_messages.c.body_fetched, mail_messages.c.size]


def _summary_kwargs(row: Any) -> dict[str, Any]:
    return dict(id=row.id, account_id=row.account_id, folder=row.folder, uid=int(row.uid),
                message_id=row.message_id, thread_key=row.thread_key, from_name=row.from_name,
                from_addr=row.from_addr, subject=row.subject, sent_at=_aware(row.sent_at),
                snippet=row.snippet, flags=row.flags.split(), category=row.category,
                needs_reply=bool(row.needs_reply), important=bool(row.important),
                spam_score=float(row.spam_score), body_fetched=bool(row.body_fetched),
                size=int(row.size))


def _summary(row: Any) -> MailSummary:
    return MailSummary(**_summary_kwargs(row))


def _values(user_id: int, account_id: int, folder_id: int, m: NewMessage,
            now: datetime) -> dict[str, Any]:
    return dict(user_id=user_id, account_id=account_id, folder_id=folder_id, uid=m.uid,
                message_id=storable(m.message_id)[:998], thread_key=storable(m.thread_key)[:998],
                in_reply_to=storable(m.in_reply_to)[:998],
                references=storable(" ".join(m.references)),
                from_name=storable(m.from_name)[:500], from_addr=storable(m.from_addr)[:320],
                to_addrs=[storable(a) for a in m.to], cc_addrs=[storable(a) for a in m.cc],
                subject=storable(m.subject), sent_at=m.sent_at, snippet=storable(m.snippet),
                body_text=storable(m.body_text), attachments=m.attachments,
                flags=" ".join(m.flags)[:500], size=m.size, category=m.category,
                needs_reply=m.needs_reply, important=m.important, spam_score=m.spam_score,
                body_fetched=m.body_fetched, body_note=storable(m.body_note),
                list_unsubscribe=storable(m.list_unsubscribe), created_at=now)


class MailStore:
    """Every person's mail in one database, each row reachable only with its owner's id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.clock = store.clock

    # -- accounts ------------------------------------------------------------------------
    def add_account(self, user_id: int, *, name: str, kind: str, address: str = "",
                    host: str = "", port: int = 0, security: str = "tls", username: str = "",
                    password_token: str | None = None, ca_file: str | None = None,
                    smtp_host: str = "", smtp_port: int = 0,
                    smtp_security: str = "starttls") -> Account:
        """Add an account, or update the one with this name (a reconnect)."""
        values = dict(kind=kind, address=address, host=host, port=port, security=security,
                      username=username, password_token=password_token, ca_file=ca_file,
                      smtp_host=smtp_host, smtp_port=smtp_port, smtp_security=smtp_security)
        existing = self.account_by_name(user_id, name)
        with self.store._tx() as conn:
            if existing is None:
                conn.execute(mail_accounts.insert().values(
                    user_id=user_id, name=name, created_at=self.clock.now(), **values))
            else:
                conn.execute(update(mail_accounts).where(
                    mail_accounts.c.user_id == user_id, mail_accounts.c.id == existing.id)
                    .values(**values))
        found = self.account_by_name(user_id, name)
        assert found is not None
        return found

    def account_by_name(self, user_id: int, name: str) -> Account | None:
        rows = self.store._read(select(mail_accounts).where(
            mail_accounts.c.user_id == user_id, mail_accounts.c.name == name))
        return _account(rows[0]) if rows else None

    def account(self, user_id: int, account_id: int) -> Account:
        rows = self.store._read(select(mail_accounts).where(
            mail_accounts.c.user_id == user_id, mail_accounts.c.id == account_id))
        if not rows:
            raise InputError(f"There's no mail account #{account_id}.",
                             "Connect one with os1 mail connect.")
        return _account(rows[0])

    def accounts(self, user_id: int) -> list[Account]:
        rows = self.store._read(select(mail_accounts).where(mail_accounts.c.user_id == user_id)
                                .order_by(mail_accounts.c.id))
        return [_account(r) for r in rows]

    def password_token(self, user_id: int, account_id: int) -> str | None:
        rows = self.store._read(select(mail_accounts.c.password_token).where(
            mail_accounts.c.user_id == user_id, mail_accounts.c.id == account_id))
        return rows[0][0] if rows else None

    def record_sync(self, user_id: int, account_id: int, *, error: str | None) -> None:
        values: dict[str, Any] = {"last_error": error}
        if error is None:
            values["last_sync_at"] = self.clock.now()
        with self.store._tx() as conn:
            conn.execute(update(mail_accounts).where(
                mail_accounts.c.user_id == user_id, mail_accounts.c.id == account_id).values(**values))

    def remove_account(self, user_id: int, account_id: int) -> None:
        with self.store._tx() as conn:
            conn.execute(delete(mail_messages).where(mail_messages.c.user_id == user_id,
                                                     mail_messages.c.account_id == account_id))
            conn.execute(delete(mail_folders).where(mail_folders.c.user_id == user_id,
                                                    mail_folders.c.account_id == account_id))
            conn.execute(delete(mail_accounts).where(mail_accounts.c.user_id == user_id,
                                                     mail_accounts.c.id == account_id))

    # -- folders -------------------------------------------------------------------------
    def folders(self, user_id: int, account_id: int) -> list[Folder]:
        rows = self.store._read(select(mail_folders).where(
            mail_folders.c.user_id == user_id, mail_folders.c.account_id == account_id)
            .order_by(mail_folders.c.name))
        return [_folder(r) for r in rows]

    def folder(self, user_id: int, account_id: int, name: str) -> Folder | None:
        rows = self.store._read(select(mail_folders).where(
            mail_folders.c.user_id == user_id, mail_folders.c.account_id == account_id,
            mail_folders.c.name == name))
        return _folder(rows[0]) if rows else None

    def ensure_folder(self, user_id: int, account_id: int, name: str, *, role: str = "",
                      uidvalidity: int = 0) -> tuple[Folder, bool]:
        """The folder's row, created if new. When the server's UIDVALIDITY differs from the
        stored one, the folder's messages are dropped (their UIDs now name other messages)
        and it is read again from the start: returns (folder, reset)."""
        existing = self.folder(user_id, account_id, name)
        reset = False
        with self.store._tx() as conn:
            if existing is None:
                conn.execute(mail_folders.insert().values(
                    user_id=user_id, account_id=account_id, name=name, role=role,
                    uidvalidity=uidvalidity, last_uid=0, total=0))
            elif existing.uidvalidity != uidvalidity:
                reset = existing.uidvalidity != 0
                conn.execute(delete(mail_messages).where(mail_messages.c.user_id == user_id,
                                                         mail_messages.c.folder_id == existing.id))
                conn.execute(update(mail_folders).where(
                    mail_folders.c.user_id == user_id, mail_folders.c.id == existing.id)
                    .values(uidvalidity=uidvalidity, last_uid=0, role=role or existing.role))
            elif role and existing.role != role:
                conn.execute(update(mail_folders).where(
                    mail_folders.c.user_id == user_id, mail_folders.c.id == existing.id)
                    .values(role=role))
        found = self.folder(user_id, account_id, name)
        assert found is not None
        return found, reset

    def folder_by_role(self, user_id: int, account_id: int, role: str) -> Folder | None:
        rows = self.store._read(select(mail_folders).where(
            mail_folders.c.user_id == user_id, mail_folders.c.account_id == account_id,
            mail_folders.c.role == role).order_by(mail_folders.c.id).limit(1))
        return _folder(rows[0]) if rows else None

    def set_folder_total(self, user_id: int, folder_id: int, total: int) -> None:
        with self.store._tx() as conn:
            conn.execute(update(mail_folders).where(
                mail_folders.c.user_id == user_id, mail_folders.c.id == folder_id)
                .values(total=total, synced_at=self.clock.now()))

    # -- messages: writing -----------------------------------------------------------------
    def add_messages(self, user_id: int, account_id: int, folder_id: int,
                     messages: list[NewMessage], *, last_uid: int | None = None) -> int:
        """Store a batch (one transaction) and move the folder's ``last_uid`` on: a crash
        loses at most this batch, and a re-run skips every UID already stored. Returns how
        many were new."""
        if not messages and last_uid is None:
            return 0
        now = self.clock.now()
        uids = [m.uid for m in messages]
        with self.store._tx() as conn:
            have: set[int] = set()
            for start in range(0, len(uids), 500):
                chunk = uids[start:start + 500]
                have |= {int(r[0]) for r in conn.execute(select(mail_messages.c.uid).where(
                    mail_messages.c.user_id == user_id, mail_messages.c.folder_id == folder_id,
                    mail_messages.c.uid.in_(chunk)))}
            fresh = [_values(user_id, account_id, folder_id, m, now) for m in messages
                     if m.uid not in have]
            seen: set[int] = set()
            unique = []
            for row in fresh:
                if row["uid"] not in seen:
                    seen.add(row["uid"])
                    unique.append(row)
            if unique:
                conn.execute(mail_messages.insert(), unique)
            top = max([last_uid or 0, *uids]) if uids or last_uid else 0
            if top:
                conn.execute(update(mail_folders).where(
                    mail_folders.c.user_id == user_id, mail_folders.c.id == folder_id,
                    mail_folders.c.last_uid < top).values(last_uid=top))
        return len(unique)

    def pending_bodies(self, user_id: int, folder_id: int, limit: int = 100) -> list[tuple[int, int, int]]:
        """(id, uid, size) of messages whose body hasn't been read yet, oldest UID first."""
        rows = self.store._read(select(mail_messages.c.id, mail_messages.c.uid, mail_messages.c.size)
                                .where(mail_messages.c.user_id == user_id,
                                       mail_messages.c.folder_id == folder_id,
                                       mail_messages.c.body_fetched.is_(False))
                                .order_by(mail_messages.c.uid).limit(limit))
        return [(int(r.id), int(r.uid), int(r.size)) for r in rows]

    def count_pending_bodies(self, user_id: int, folder_id: int) -> int:
        rows = self.store._read(select(func.count()).select_from(mail_messages).where(
            mail_messages.c.user_id == user_id, mail_messages.c.folder_id == folder_id,
            mail_messages.c.body_fetched.is_(False)))
        return int(rows[0][0])

    def set_bodies(self, user_id: int, bodies: list[tuple[int, dict[str, Any]]]) -> None:
        """Fill in bodies (and sorting) for a batch, in one transaction. Each entry is
        (message row id, column values)."""
        if not bodies:
            return
        with self.store._tx() as conn:
            for row_id, values in bodies:
                clean = {k: storable(v) if isinstance(v, str) else v for k, v in values.items()}
                conn.execute(update(mail_messages).where(
                    mail_messages.c.user_id == user_id, mail_messages.c.id == row_id).values(**clean))

    def set_flags(self, user_id: int, ids: Iterable[int], add: str = "", remove: str = "") -> None:
        with self.store._tx() as conn:
            for row in conn.execute(select(mail_messages.c.id, mail_messages.c.flags).where(
                    mail_messages.c.user_id == user_id, mail_messages.c.id.in_(list(ids)))):
                flags = [f for f in row.flags.split() if f != remove]
                if add and add not in flags:
                    flags.append(add)
                conn.execute(update(mail_messages).where(
                    mail_messages.c.user_id == user_id, mail_messages.c.id == row.id)
                    .values(flags=" ".join(flags)))

    def move_local(self, user_id: int, message_id: int, folder_id: int, uid: int | None) -> None:
        """Record that a message now lives in another folder (``uid`` when the server said
        it; otherwise the row goes and the next sync of that folder brings it back)."""
        with self.store._tx() as conn:
            if uid is None:
                conn.execute(delete(mail_messages).where(mail_messages.c.user_id == user_id,
                                                         mail_messages.c.id == message_id))
                return
            conn.execute(delete(mail_messages).where(
                mail_messages.c.user_id == user_id, mail_messages.c.folder_id == folder_id,
                mail_messages.c.uid == uid, mail_messages.c.id != message_id))
            conn.execute(update(mail_messages).where(
                mail_messages.c.user_id == user_id, mail_messages.c.id == message_id)
                .values(folder_id=folder_id, uid=uid))

    def forget_missing(self, user_id: int, folder_id: int, present_uids: set[int]) -> int:
        """Drop rows of messages the server no longer has in this folder (moved or deleted
        elsewhere). Returns how many."""
        rows = self.store._read(select(mail_messages.c.id, mail_messages.c.uid).where(
            mail_messages.c.user_id == user_id, mail_messages.c.folder_id == folder_id))
        gone = [int(r.id) for r in rows if int(r.uid) not in present_uids]
        if gone:
            with self.store._tx() as conn:
                for start in range(0, len(gone), 500):
                    conn.execute(delete(mail_messages).where(
                        mail_messages.c.user_id == user_id,
                        mail_messages.c.id.in_(gone[start:start + 500])))
        return len(gone)

    # -- messages: reading ---------------------------------------------------------------
    def _base(self, user_id: int) -> Any:
        return (select(*_SUMMARY_COLUMNS)
                .select_from(mail_messages.join(mail_folders,
                                                mail_folders.c.id == mail_messages.c.folder_id))
                .where(mail_messages.c.user_id == user_id))

    def list_messages(self, user_id: int, *, folder: str | None = None, category: str | None = None,
             needs_reply: bool | None = None, important: bool | None = None,
             unread: bool | None = None, before: datetime | None = None,
             since: datetime | None = None, account_id: int | None = None,
             limit: int = 50, offset: int = 0) -> list[MailSummary]:
        stmt = self._base(user_id)
        if folder is not None:
            stmt = stmt.where(func.lower(mail_folders.c.name) == folder.lower())
        if category is not None:
            stmt = stmt.where(mail_messages.c.category == category)
        if needs_reply is not None:
            stmt = stmt.where(mail_messages.c.needs_reply.is_(needs_reply))
        if important is not None:
            stmt = stmt.where(mail_messages.c.important.is_(important))
        if unread is not None:
            seen = mail_messages.c.flags.like("%\\Seen%")
            stmt = stmt.where(~seen if unread else seen)
        if before is not None:
            stmt = stmt.where(mail_messages.c.sent_at < before)
        if since is not None:
            stmt = stmt.where(mail_messages.c.sent_at >= since)
        if account_id is not None:
            stmt = stmt.where(mail_messages.c.account_id == account_id)
        stmt = stmt.order_by(mail_messages.c.sent_at.desc(), mail_messages.c.id.desc())
        return [_summary(r) for r in self.store._read(stmt.limit(limit).offset(offset))]

    def count(self, user_id: int, **filters: Any) -> int:
        return len(self.list_messages(user_id, limit=1_000_000, **filters))

    def counts_by_category(self, user_id: int, folder: str | None = None) -> dict[str, int]:
        stmt = (select(mail_messages.c.category, func.count())
                .select_from(mail_messages.join(mail_folders,
                                                mail_folders.c.id == mail_messages.c.folder_id))
                .where(mail_messages.c.user_id == user_id))
        if folder is not None:
            stmt = stmt.where(func.lower(mail_folders.c.name) == folder.lower())
        rows = self.store._read(stmt.group_by(mail_messages.c.category))
        return {r[0]: int(r[1]) for r in rows}

    def get(self, user_id: int, message_id: int) -> MailMessage:
        cols = [*_SUMMARY_COLUMNS, mail_messages.c.to_addrs, mail_messages.c.cc_addrs,
                mail_messages.c.in_reply_to, mail_messages.c.references, mail_messages.c.body_text,
                mail_messages.c.attachments, mail_messages.c.body_note,
                mail_messages.c.list_unsubscribe, mail_messages.c.folder_id]
        rows = self.store._read(select(*cols).select_from(mail_messages.join(
            mail_folders, mail_folders.c.id == mail_messages.c.folder_id)).where(
            mail_messages.c.user_id == user_id, mail_messages.c.id == message_id))
        if not rows:
            raise InputError(f"There's no mail #{message_id}.",
                             "Search or list your mail to find its number.")
        r = rows[0]
        return MailMessage(**_summary_kwargs(r), to=list(r.to_addrs or []),
                           cc=list(r.cc_addrs or []), in_reply_to=r.in_reply_to,
                           references=r.references.split(), body_text=r.body_text,
                           attachments=list(r.attachments or []), body_note=r.body_note,
                           list_unsubscribe=r.list_unsubscribe)

    def folder_of(self, user_id: int, message_id: int) -> Folder:
        rows = self.store._read(select(mail_folders).select_from(mail_folders.join(
            mail_messages, mail_messages.c.folder_id == mail_folders.c.id)).where(
            mail_messages.c.user_id == user_id, mail_messages.c.id == message_id))
        if not rows:
            raise InputError(f"There's no mail #{message_id}.",
                             "Search or list your mail to find its number.")
        return _folder(rows[0])

    def thread(self, user_id: int, thread_key: str, limit: int = 200) -> list[MailSummary]:
        stmt = self._base(user_id).where(or_(mail_messages.c.thread_key == thread_key,
                                             mail_messages.c.message_id == thread_key))
        rows = self.store._read(stmt.order_by(mail_messages.c.sent_at, mail_messages.c.id).limit(limit))
        return [_summary(r) for r in rows]

    def by_message_id(self, user_id: int, message_id_header: str) -> list[MailSummary]:
        rows = self.store._read(self._base(user_id).where(
            mail_messages.c.message_id == message_id_header))
        return [_summary(r) for r in rows]

    def search(self, user_id: int, query: str, limit: int = 20) -> list[MailSummary]:
        """Messages matching every word of ``query`` (subject, sender, body), newest first."""
        words = [w.strip(".-+") for w in _WORD.findall(query.lower())]
        words = [w for w in words if len(w) > 1][:12]
        if not words:
            return []
        if self.engine.dialect.name == "sqlite":
            match = " AND ".join('"' + w.replace('"', "") + '"' for w in words)
            owner = f"u{int(user_id)}"
            stmt = (self._base(user_id)
                    .where(mail_messages.c.id.in_(select(text("rowid")).select_from(text("mail_fts"))
                                                  .where(text("mail_fts MATCH :q")))))
            stmt = stmt.order_by(mail_messages.c.sent_at.desc()).limit(limit)
            q = f"owner:{owner} AND ({match})"
            with self.engine.connect() as conn:
                rows = list(conn.execute(stmt, {"q": q}))
            return [_summary(r) for r in rows]
        conds = []
        for w in words:
            pattern = f"%{w}%"
            conds.append(or_(mail_messages.c.subject.ilike(pattern),
                             mail_messages.c.from_addr.ilike(pattern),
                             mail_messages.c.from_name.ilike(pattern),
                             mail_messages.c.body_text.ilike(pattern)))
        stmt = self._base(user_id).where(and_(*conds)).order_by(mail_messages.c.sent_at.desc())
        return [_summary(r) for r in self.store._read(stmt.limit(limit))]

    def ids_in(self, user_id: int, ids: list[int]) -> list[MailSummary]:
        rows = self.store._read(self._base(user_id).where(mail_messages.c.id.in_(ids)))
        by_id = {r.id: _summary(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def sent_texts(self, user_id: int, limit: int = 50) -> list[str]:
        """Bodies of the person's sent mail (for learning their tone)."""
        rows = self.store._read(select(mail_messages.c.body_text).select_from(mail_messages.join(
            mail_folders, mail_folders.c.id == mail_messages.c.folder_id)).where(
            mail_messages.c.user_id == user_id, mail_folders.c.role == "sent",
            mail_messages.c.body_fetched.is_(True)).order_by(mail_messages.c.sent_at.desc()).limit(limit))
        return [r[0] for r in rows]

    def sent_recipients(self, user_id: int, limit: int = 500) -> list[str]:
        """Everyone on To/Cc of the person's newest sent mail (the people they write to)."""
        rows = self.store._read(select(mail_messages.c.to_addrs, mail_messages.c.cc_addrs)
                                .select_from(mail_messages.join(
                                    mail_folders, mail_folders.c.id == mail_messages.c.folder_id))
                                .where(mail_messages.c.user_id == user_id,
                                       mail_folders.c.role == "sent")
                                .order_by(mail_messages.c.sent_at.desc()).limit(limit))
        return [str(a) for to, cc in rows for a in [*(to or []), *(cc or [])]]
