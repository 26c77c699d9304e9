"""Incremental IMAP sync: headers first (every folder), then bodies, each in batches that are
committed as they arrive.

- Nothing on the server changes: folders are opened with EXAMINE (read-only) and fetched
  with BODY.PEEK, so no \\Seen flag is set and nothing moves.
- Resumable: each batch is one transaction and moves the folder's ``last_uid`` on; bodies
  still missing are simply those with ``body_fetched`` false. A crash or a dropped
  connection loses at most one batch; the next run continues and never stores a UID twice.
- A folder whose UIDVALIDITY changed is read again from the start (its old rows dropped).
- Bodies above ``body_limit`` bytes aren't downloaded: the headers stay, with a note.
- Each message is sorted (``os1.tools.mail.sort.classify``) from its headers at first and
  again from its full text when the body arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from os1.tools.mail.accounts import MailError, ServerSettings, disconnect, explain, list_folders
from os1.tools.mail.parse import ParsedMail, parse, snippet, to_email_message
from os1.tools.mail.store import MailStore, NewMessage

HEADER_BATCH = 250
BODY_BATCH = 50
BODY_LIMIT = 20 * 1024 * 1024  # bytes; larger messages keep headers + a note

Progress = Callable[[str, int, int], None]  # (phase "headers"|"bodies", done, total)


@dataclass(frozen=True)
class Sorted:
    category: str = "personal"
    needs_reply: bool = False
    important: bool = False
    spam_score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def sort_message(msg: EmailMessage) -> Sorted:
    """The classifier's verdict, or a neutral one if it's missing or fails on this message."""
    try:
        from os1.tools.mail.sort import classify
    except ImportError:
        return Sorted()
    try:
        result = classify(msg)
    except Exception:
        return Sorted()
    return Sorted(category=str(getattr(result, "category", "personal") or "personal"),
                  needs_reply=bool(getattr(result, "needs_reply", False)),
                  important=bool(getattr(result, "important", False)),
                  spam_score=float(getattr(result, "spam_score", 0.0) or 0.0),
                  reasons=list(getattr(result, "reasons", []) or []))


@dataclass
class SyncReport:
    folders: int = 0
    new_messages: int = 0  # header rows added
    bodies: int = 0  # bodies downloaded
    skipped_large: int = 0  # bodies over the limit (headers kept)
    removed: int = 0  # rows of messages no longer on the server
    reset_folders: list[str] = field(default_factory=list)  # UIDVALIDITY changed
    header_seconds: float = 0.0
    body_seconds: float = 0.0


def _flags(value: Any) -> list[str]:
    out = []
    for f in value or ():
        out.append(f.decode() if isinstance(f, bytes) else str(f))
    return out


def new_message(uid: int, parsed: ParsedMail, *, flags: list[str], size: int,
                internal_date: datetime | None, sorting: Sorted, body: bool,
                body_note: str = "") -> NewMessage:
    sent_at = parsed.date or internal_date
    return NewMessage(
        uid=uid, message_id=parsed.message_id, thread_key=parsed.thread_key,
        in_reply_to=parsed.in_reply_to, references=parsed.references,
        from_name=parsed.from_name, from_addr=parsed.from_addr, to=parsed.to, cc=parsed.cc,
        subject=parsed.subject, sent_at=sent_at, flags=flags, size=size or parsed.size,
        snippet=snippet(parsed.text) if body else "", body_text=parsed.text if body else "",
        attachments=[a.as_dict() for a in parsed.attachments] if body else [],
        body_fetched=body, body_note=body_note, category=sorting.category,
        needs_reply=sorting.needs_reply, important=sorting.important,
        spam_score=sorting.spam_score, list_unsubscribe=parsed.list_unsubscribe)


def body_values(parsed: ParsedMail, sorting: Sorted, note: str = "") -> dict[str, Any]:
    notes = [note] if note else []
    if parsed.truncated:
        notes.append("text cut at 100,000 characters")
    return dict(body_text=parsed.text, snippet=snippet(parsed.text),
                attachments=[a.as_dict() for a in parsed.attachments], body_fetched=True,
                body_note="; ".join(notes), category=sorting.category,
                needs_reply=sorting.needs_reply, important=sorting.important,
                spam_score=sorting.spam_score)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Syncer:
    """Syncs one account's folders into the MailStore. ``client`` is a logged-in IMAPClient
    (``accounts.connect_imap``); the syncer doesn't log out."""

    def __init__(self, mail: MailStore, user_id: int, account_id: int, client: Any,
                 settings: ServerSettings, *, progress: Progress | None = None,
                 body_limit: int = BODY_LIMIT, header_batch: int = HEADER_BATCH,
                 body_batch: int = BODY_BATCH) -> None:
        self.mail = mail
        self.user_id = user_id
        self.account_id = account_id
        self.client = client
        self.settings = settings
        self.progress = progress or (lambda phase, done, total: None)
        self.body_limit = body_limit
        self.header_batch = header_batch
        self.body_batch = body_batch

    def run(self, *, bodies: bool = True, folders: list[str] | None = None) -> SyncReport:
        report = SyncReport()
        try:
            names = list_folders(self.client)
            if folders is not None:
                wanted = {f.lower() for f in folders}
                names = [(n, r) for n, r in names if n.lower() in wanted]
            report.folders = len(names)
            started = time.perf_counter()
            self._headers(names, report)
            report.header_seconds = time.perf_counter() - started
            if bodies:
                started = time.perf_counter()
                self._bodies(names, report)
                report.body_seconds = time.perf_counter() - started
        except MailError:
            raise
        except Exception as exc:
            if exc.__class__.__module__.startswith(("os1.", "sqlalchemy")):
                raise
            raise explain(exc, self.settings, doing="sync with") from None
        return report

    # -- phase 1: headers ------------------------------------------------------------------
    def _headers(self, names: list[tuple[str, str]], report: SyncReport) -> None:
        plan: list[tuple[int, list[int]]] = []
        for name, role in names:
            info = self.client.select_folder(name, readonly=True)
            validity = int(info.get(b"UIDVALIDITY", 0) or 0)
            folder, reset = self.mail.ensure_folder(self.user_id, self.account_id, name,
                                                    role=role, uidvalidity=validity)
            if reset:
                report.reset_folders.append(name)
            uids = sorted(int(u) for u in self.client.search("ALL"))
            report.removed += self.mail.forget_missing(self.user_id, folder.id, set(uids))
            self.mail.set_folder_total(self.user_id, folder.id, len(uids))
            plan.append((folder.id, [u for u in uids if u > folder.last_uid]))
        total = sum(len(uids) for _, uids in plan)
        done = 0
        self.progress("headers", 0, total)
        for (folder_id, uids), (name, _role) in zip(plan, names, strict=True):
            if not uids:
                continue
            self.client.select_folder(name, readonly=True)
            for start in range(0, len(uids), self.header_batch):
                batch = uids[start:start + self.header_batch]
                fetched = self.client.fetch(batch, ["BODY.PEEK[HEADER]", "FLAGS", "RFC822.SIZE",
                                                    "INTERNALDATE"])
                rows = []
                for uid in batch:
                    data = fetched.get(uid)
                    if data is None:  # expunged meanwhile
                        continue
                    raw = data.get(b"BODY[HEADER]") or b""
                    parsed = parse(raw, headers_only=True)
                    sorting = sort_message(to_email_message(raw))
                    rows.append(new_message(uid, parsed, flags=_flags(data.get(b"FLAGS")),
                                            size=int(data.get(b"RFC822.SIZE") or 0),
                                            internal_date=_aware(data.get(b"INTERNALDATE")),
                                            sorting=sorting, body=False))
                report.new_messages += self.mail.add_messages(
                    self.user_id, self.account_id, folder_id, rows, last_uid=max(batch))
                done += len(batch)
                self.progress("headers", done, total)

    # -- phase 2: bodies --------------------------------------------------------------------
    def _bodies(self, names: list[tuple[str, str]], report: SyncReport) -> None:
        folders = []
        for name, _role in names:
            folder = self.mail.folder(self.user_id, self.account_id, name)
            if folder is not None:
                folders.append((name, folder.id, self.mail.count_pending_bodies(self.user_id, folder.id)))
        total = sum(n for _, _, n in folders)
        done = 0
        self.progress("bodies", 0, total)
        for name, folder_id, pending in folders:
            if not pending:
                continue
            self.client.select_folder(name, readonly=True)
            while True:
                batch = self.mail.pending_bodies(self.user_id, folder_id, self.body_batch)
                if not batch:
                    break
                updates: list[tuple[int, dict[str, Any]]] = []
                small = [(row_id, uid) for row_id, uid, size in batch if size <= self.body_limit]
                for row_id, _uid, size in batch:
                    if size > self.body_limit:
                        report.skipped_large += 1
                        updates.append((row_id, {
                            "body_fetched": True,
                            "body_note": f"not downloaded: {size / 1_048_576:.0f} MB is over the "
                                         f"{self.body_limit / 1_048_576:.0f} MB limit"}))
                if small:
                    fetched = self.client.fetch([uid for _, uid in small], ["BODY.PEEK[]"])
                    for row_id, uid in small:
                        data = fetched.get(uid)
                        if data is None:  # gone from the server meanwhile
                            updates.append((row_id, {"body_fetched": True,
                                                     "body_note": "gone from the server"}))
                            continue
                        raw = data.get(b"BODY[]") or b""
                        parsed = parse(raw)
                        sorting = sort_message(to_email_message(raw))
                        updates.append((row_id, body_values(parsed, sorting)))
                        report.bodies += 1
                self.mail.set_bodies(self.user_id, updates)
                done += len(batch)
                self.progress("bodies", done, total)


def sync_account(mail: MailStore, user_id: int, account_id: int, settings: ServerSettings,
                 password: str, *, progress: Progress | None = None, bodies: bool = True,
                 body_limit: int = BODY_LIMIT, folders: list[str] | None = None) -> SyncReport:
    """Connect, sync, log out. Records the outcome on the account (last_sync_at/last_error)."""
    from os1.tools.mail.accounts import connect_imap

    try:
        client = connect_imap(settings, password)
        try:
            report = Syncer(mail, user_id, account_id, client, settings, progress=progress,
                            body_limit=body_limit).run(bodies=bodies, folders=folders)
        finally:
            disconnect(client)
    except MailError as exc:
        mail.record_sync(user_id, account_id, error=exc.what)
        raise
    mail.record_sync(user_id, account_id, error=None)
    return report
