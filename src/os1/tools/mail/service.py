"""One person's mail: connect or import, sync, read, search, summarize, and the actions.

``MailService`` is what the CLI, the server and the tools (``MailTools``) call. Reading
changes nothing on any server. The actions (send, reply, forward, archive, delete, move,
mark read) are only ever reached through an approved proposal.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from os1.clock import Clock
from os1.errors import InputError
from os1.secrets import SecretBox
from os1.store import Store
from os1.tools.mail import send as smtp
from os1.tools.mail.accounts import (
    DEFAULT_PORTS,
    SMTP_PORTS,
    MailError,
    ServerSettings,
    connect_imap,
    disconnect,
    explain,
)
from os1.tools.mail.importer import ImportReport, import_mail
from os1.tools.mail.store import Account, MailMessage, MailStore, MailSummary
from os1.tools.mail.sync import BODY_LIMIT, Progress, SyncReport, sync_account

QUIET_ROLES = ("sent", "trash", "junk", "drafts", "archive", "all")
OLD_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class NeedsYou:
    mail: MailSummary
    reason: str


@dataclass(frozen=True)
class Cleanup:
    kind: str  # old_newsletters | old_notifications | spam
    description: str  # "86 old newsletters (older than 30 days)"
    ids: list[int]
    action: str  # archive | delete


@dataclass(frozen=True)
class Overview:
    """The inbox at a glance, for "you have three things that need you today…"."""

    now: datetime
    total: int
    unread: int
    by_category: dict[str, int]
    needs_reply: list[NeedsYou]
    important: list[MailSummary]
    cleanup: list[Cleanup]
    syncing: bool = False  # some bodies are still downloading (sorting may improve)

    def as_text(self) -> str:
        lines = [f"{self.total} messages, {self.unread} unread."]
        if self.by_category:
            lines.append("By kind: " + ", ".join(f"{n} {c}" for c, n in
                                                  sorted(self.by_category.items(), key=lambda x: -x[1])))
        if self.needs_reply:
            lines.append(f"{len(self.needs_reply)} need a reply:")
            lines += [f"  {n.mail.line()} — {n.reason}" for n in self.needs_reply]
        if self.important:
            lines.append(f"{len(self.important)} look important:")
            lines += [f"  {m.line()}" for m in self.important]
        for c in self.cleanup:
            lines.append(f"Clean-up: {c.description} ({c.action}: {len(c.ids)} messages)")
        return "\n".join(lines)


@dataclass(frozen=True)
class SendResult:
    message_id: str
    recipients: list[str]
    sent_copy: str | None  # folder the copy went to, None when there's no Sent folder


@dataclass(frozen=True)
class ActionResult:
    done: list[int]  # mail ids the action was applied to
    detail: str
    moved_to: str = ""


class MailService:
    def __init__(self, store: Store, user_id: int, box: SecretBox, clock: Clock) -> None:
        self.store = store
        self.mail = MailStore(store)
        self.user_id = user_id
        self.box = box
        self.clock = clock

    # -- accounts ------------------------------------------------------------------------
    def connect(self, *, host: str, username: str, password: str, address: str = "",
                port: int | None = None, security: str = "tls", ca_file: str | None = None,
                smtp_host: str | None = None, smtp_port: int | None = None,
                smtp_security: str = "starttls", name: str | None = None) -> Account:
        """Check the sign-in works, then save the account (password encrypted)."""
        settings = ServerSettings(host=host, port=port or DEFAULT_PORTS.get(security, 993),
                                  username=username, security=security, ca_file=ca_file)
        disconnect(connect_imap(settings, password))  # raises MailError when it can't
        token = self.box.encrypt(password, owner=self.user_id)
        return self.mail.add_account(
            self.user_id, name=name or address or f"{username}@{host}", kind="imap",
            address=address or (username if "@" in username else f"{username}@{host}"),
            host=host, port=settings.port, security=security, username=username,
            password_token=token, ca_file=ca_file, smtp_host=smtp_host or host,
            smtp_port=smtp_port or SMTP_PORTS.get(smtp_security, 587),
            smtp_security=smtp_security)

    def accounts(self) -> list[Account]:
        return self.mail.accounts(self.user_id)

    def _settings(self, account: Account, *, smtp_side: bool = False) -> ServerSettings:
        if smtp_side:
            return ServerSettings(account.smtp_host or account.host, account.smtp_port,
                                  account.username, account.smtp_security, account.ca_file)
        return ServerSettings(account.host, account.port, account.username, account.security,
                              account.ca_file)

    def _password(self, account: Account) -> str:
        token = self.mail.password_token(self.user_id, account.id)
        if not token:
            raise InputError(f"No password is saved for {account.name}.",
                             "Connect the account again (os1 mail connect).")
        return self.box.decrypt(token, owner=self.user_id)

    @contextlib.contextmanager
    def _imap(self, account: Account) -> Iterator[Any]:
        _on_server(account)
        settings = self._settings(account)
        client = connect_imap(settings, self._password(account))
        try:
            yield client
        except MailError:
            raise
        except Exception as exc:
            if exc.__class__.__module__.startswith(("os1.", "sqlalchemy")):
                raise
            raise explain(exc, settings, doing="change mail on") from None
        finally:
            disconnect(client)

    def _default_account(self) -> Account:
        for account in self.accounts():
            if account.kind == "imap":
                return account
        raise InputError("No mail account is connected.", "Connect one with os1 mail connect.")

    # -- getting mail ----------------------------------------------------------------------
    def import_path(self, path: str | Path, progress: Progress | None = None) -> ImportReport:
        return import_mail(self.mail, self.user_id, Path(path), progress=progress)

    def sync(self, account_id: int | None = None, *, progress: Progress | None = None,
             bodies: bool = True, body_limit: int = BODY_LIMIT,
             folders: list[str] | None = None) -> SyncReport:
        """Sync one account (or every IMAP account). Safe to interrupt and run again."""
        accounts = [self.mail.account(self.user_id, account_id)] if account_id is not None \
            else [a for a in self.accounts() if a.kind == "imap"]
        total = SyncReport()
        for account in accounts:
            report = sync_account(self.mail, self.user_id, account.id, self._settings(account),
                                  self._password(account), progress=progress, bodies=bodies,
                                  body_limit=body_limit, folders=folders)
            total.folders += report.folders
            total.new_messages += report.new_messages
            total.bodies += report.bodies
            total.skipped_large += report.skipped_large
            total.removed += report.removed
            total.reset_folders += report.reset_folders
            total.header_seconds += report.header_seconds
            total.body_seconds += report.body_seconds
        return total

    # -- reading ---------------------------------------------------------------------------
    def list_mail(self, folder: str | None = "INBOX", *, category: str | None = None,
             needs_reply: bool | None = None, unread: bool | None = None,
             limit: int = 30) -> list[MailSummary]:
        return self.mail.list_messages(self.user_id, folder=folder, category=category,
                              needs_reply=needs_reply, unread=unread, limit=limit)

    def search(self, query: str, limit: int = 20) -> list[MailSummary]:
        return self.mail.search(self.user_id, query, limit=limit)

    def read(self, mail_id: int) -> MailMessage:
        return self.mail.get(self.user_id, mail_id)

    def thread(self, mail_id: int) -> list[MailMessage]:
        """Every stored message of the conversation ``mail_id`` belongs to, oldest first."""
        first = self.read(mail_id)
        members = self.mail.thread(self.user_id, first.thread_key)
        if first.message_id:
            members += [m for m in self.mail.by_message_id(self.user_id, first.message_id)
                        if m.id not in {x.id for x in members}]
        seen: set[str] = set()
        out = []
        for m in sorted(members, key=lambda m: (m.sent_at or self.clock.now(), m.id)):
            key = m.message_id or f"#{m.id}"
            if key in seen:  # the same message in two folders
                continue
            seen.add(key)
            out.append(self.read(m.id))
        return out or [first]

    def describe(self, mail_ids: list[int]) -> list[str]:
        """One line per message (for previews): "#12 From anna@x 'Lunch?' 3 Nov 2026 (INBOX)".
        Unknown ids raise, so a preview never hides a missing message."""
        found = self.mail.ids_in(self.user_id, list(dict.fromkeys(mail_ids)))
        missing = sorted(set(mail_ids) - {m.id for m in found})
        if missing:
            raise InputError(f"There's no mail {', '.join(f'#{i}' for i in missing)}.",
                             "Search or list your mail to find the right numbers.")
        return [m.line() for m in found]

    def describe_changeable(self, mail_ids: list[int]) -> list[str]:
        """``describe`` for an action on the server (archive, delete, move, mark read):
        imported mail can't be changed there, so a proposal for it is never shown only to
        fail when approved."""
        lines = self.describe(mail_ids)
        found = self.mail.ids_in(self.user_id, list(dict.fromkeys(mail_ids)))
        for account_id in {m.account_id for m in found}:
            _on_server(self.mail.account(self.user_id, account_id))
        return lines

    def overview(self, now: datetime | None = None, *, limit: int = 10) -> Overview:
        now = now or self.clock.now()
        every = [m for m in self.mail.list_messages(self.user_id, limit=1_000_000)
                 if self._counts(m)]
        by_category: dict[str, int] = defaultdict(int)
        for m in every:
            by_category[m.category] += 1
        recent = now - timedelta(days=14)
        needs = []
        for m in every:
            if m.needs_reply and m.category not in ("spam", "newsletter", "notification") \
                    and "\\Answered" not in m.flags and (m.sent_at is None or m.sent_at >= recent):
                age = _age(now, m.sent_at)
                needs.append(NeedsYou(m, f"{m.sender} wrote {age} and hasn't had a reply"))
        needs.sort(key=lambda n: (not n.mail.important, -(n.mail.sent_at.timestamp()
                                                          if n.mail.sent_at else 0)))
        important = [m for m in every if m.important and not m.seen and m.category != "spam"
                     and (m.sent_at is None or m.sent_at >= now - timedelta(days=7))]
        cleanup = []
        cutoff = now - OLD_AFTER
        for category, kind, label in (("newsletter", "old_newsletters", "old newsletters"),
                                      ("notification", "old_notifications", "old notifications")):
            ids = [m.id for m in every if m.category == category and m.sent_at is not None
                   and m.sent_at < cutoff and "\\Flagged" not in m.flags]
            if ids:
                cleanup.append(Cleanup(kind, f"{len(ids)} {label} (older than 30 days)", ids,
                                       "archive"))
        spam = [m.id for m in every if m.category == "spam"]
        if spam:
            cleanup.append(Cleanup("spam", f"{len(spam)} spam messages", spam, "delete"))
        pending = any(not m.body_fetched for m in every)
        return Overview(now=now, total=len(every), unread=sum(1 for m in every if not m.seen),
                        by_category=dict(by_category), needs_reply=needs[:limit],
                        important=important[:limit], cleanup=cleanup, syncing=pending)

    def _counts(self, m: MailSummary) -> bool:
        return self._role(m) not in QUIET_ROLES

    def _role(self, m: MailSummary) -> str:
        cache = getattr(self, "_roles", None)
        if cache is None:
            cache = {}
            for account in self.accounts():
                for f in self.mail.folders(self.user_id, account.id):
                    cache[(account.id, f.name)] = f.role
            self._roles = cache
        return str(cache.get((m.account_id, m.folder), ""))

    # -- drafting (used by previews and by the actions) --------------------------------------
    def _sender(self, account: Account) -> str:
        return account.address or account.username

    def draft(self, to: list[str], subject: str, body: str, cc: list[str] | None = None,
              account_id: int | None = None,
              attachments: list[str] | None = None) -> tuple[Account, Any]:
        account = self.mail.account(self.user_id, account_id) if account_id is not None \
            else self._default_account()
        to = smtp.check_addresses(to, "To")
        cc = smtp.check_addresses(cc or [], "Cc")
        if not to:
            raise InputError("The message has no recipient.", "Say who it should go to.")
        msg = smtp.build_message(sender=self._sender(account), to=to, subject=subject,
                                 body=body, cc=cc, when=self.clock.now())
        for path in attachments or []:
            smtp.attach_file(msg, path)
        return account, msg

    def draft_reply(self, mail_id: int, body: str) -> tuple[Account, Any]:
        original = self.read(mail_id)
        account = self.mail.account(self.user_id, original.account_id)
        if account.kind != "imap":
            account = self._default_account()
        to = [original.from_addr] if original.from_addr else []
        if not to:
            raise InputError(f"Mail #{mail_id} has no sender address to reply to.",
                             "Write a new message with send_email instead.")
        quoted = "\n".join("> " + line for line in original.body_text.splitlines()[:200])
        when = f"{original.sent_at:%d %b %Y}" if original.sent_at else "earlier"
        full = f"{body}\n\nOn {when}, {original.sender} wrote:\n{quoted}" if quoted else body
        msg = smtp.build_message(sender=self._sender(account), to=to,
                                 subject=smtp.reply_subject(original.subject), body=full,
                                 in_reply_to=original.message_id,
                                 references=original.references, when=self.clock.now())
        return account, msg

    def draft_forward(self, mail_id: int, to: list[str], note: str = "") -> tuple[Account, Any]:
        original = self.read(mail_id)
        account = self.mail.account(self.user_id, original.account_id)
        if account.kind != "imap":
            account = self._default_account()
        to = smtp.check_addresses(to, "To")
        if not to:
            raise InputError("The forward has no recipient.", "Say who it should go to.")
        when = f"{original.sent_at:%d %b %Y %H:%M}" if original.sent_at else "(no date)"
        body = (f"{note}\n\n" if note else "") + (
            "---------- Forwarded message ----------\n"
            f"From: {original.sender}\nDate: {when}\nSubject: {original.subject}\n"
            f"To: {', '.join(original.to)}\n\n{original.body_text}")
        msg = smtp.build_message(sender=self._sender(account), to=to,
                                 subject=smtp.forward_subject(original.subject), body=body,
                                 when=self.clock.now())
        return account, msg

    # -- actions (only through an approved proposal) -----------------------------------------
    def send_message(self, account: Account, msg: Any) -> SendResult:
        password = self._password(account)
        if not account.smtp_host or not account.smtp_port:
            raise InputError(f"{account.name} has no outgoing (SMTP) server.",
                             "Connect the account again with its SMTP server.")
        recipients = smtp.send_smtp(self._settings(account, smtp_side=True), password, msg)
        sent_copy = None
        with contextlib.suppress(MailError), self._imap(account) as client:
            sent_copy = smtp.append_sent(client, msg)
        return SendResult(str(msg["Message-ID"]), recipients, sent_copy)

    def send(self, to: list[str], subject: str, body: str, cc: list[str] | None = None,
             account_id: int | None = None,
             attachments: list[str] | None = None) -> SendResult:
        account, msg = self.draft(to, subject, body, cc, account_id, attachments)
        return self.send_message(account, msg)

    def reply(self, mail_id: int, body: str) -> SendResult:
        account, msg = self.draft_reply(mail_id, body)
        result = self.send_message(account, msg)
        with contextlib.suppress(MailError, InputError):
            self._flag([mail_id], "\\Answered")
        return result

    def forward(self, mail_id: int, to: list[str], note: str = "") -> SendResult:
        account, msg = self.draft_forward(mail_id, to, note)
        return self.send_message(account, msg)

    def _groups(self, mail_ids: list[int]) -> dict[tuple[int, int], list[MailSummary]]:
        self.describe(mail_ids)  # raises on unknown ids
        groups: dict[tuple[int, int], list[MailSummary]] = defaultdict(list)
        for m in self.mail.ids_in(self.user_id, list(dict.fromkeys(mail_ids))):
            folder = self.mail.folder_of(self.user_id, m.id)
            groups[(m.account_id, folder.id)].append(m)
        return groups

    def move(self, mail_ids: list[int], folder: str, *, role: str = "") -> ActionResult:
        """Move messages to ``folder`` on the server (created if missing)."""
        folder = folder.strip()
        if not folder:
            raise InputError("Which folder?", "Name the folder to move the mail to.")
        done: list[int] = []
        for (account_id, folder_id), items in self._groups(mail_ids).items():
            account = self.mail.account(self.user_id, account_id)
            source = next(f for f in self.mail.folders(self.user_id, account_id) if f.id == folder_id)
            if source.name == folder:
                continue
            with self._imap(account) as client:
                smtp.ensure_folder(client, folder)
                smtp.check_validity(client, source.name, source.uidvalidity)
                moved = smtp.move_uids(client, source.name, [m.uid for m in items], folder)
                status = client.folder_status(folder, [b"UIDVALIDITY"])
                validity = int(status.get(b"UIDVALIDITY", 0) or 0)
            target, _ = self.mail.ensure_folder(self.user_id, account_id, folder, role=role,
                                                uidvalidity=validity)
            by_uid = {m.uid: m for m in items}
            for step in moved:
                item = by_uid[step.old_uid]
                self.mail.move_local(self.user_id, item.id, target.id, step.new_uid)
                done.append(item.id)
        return ActionResult(done, f"Moved {len(done)} message(s) to {folder}.", folder)

    def _special(self, account: Account, role: str, flag: bytes, names: tuple[str, ...]) -> str:
        known = self.mail.folder_by_role(self.user_id, account.id, role)
        if known is not None:
            return known.name
        with self._imap(account) as client:
            found = smtp.find_folder(client, flag, names)
        return found or names[0]

    def archive(self, mail_ids: list[int]) -> ActionResult:
        """Move to the Archive folder (made if missing)."""
        results = []
        for account_id, ids in self._by_account(mail_ids).items():
            account = self.mail.account(self.user_id, account_id)
            name = self._special(account, "archive", b"\\Archive", ("Archive", "Archives"))
            results.append(self.move(ids, name, role="archive"))
        return _merge(results, "Archived")

    def delete(self, mail_ids: list[int]) -> ActionResult:
        """Move to Trash (made if missing). Nothing is expunged."""
        results = []
        for account_id, ids in self._by_account(mail_ids).items():
            account = self.mail.account(self.user_id, account_id)
            name = self._special(account, "trash", b"\\Trash", ("Trash", "Deleted Items"))
            results.append(self.move(ids, name, role="trash"))
        return _merge(results, "Moved to Trash")

    def mark_read(self, mail_ids: list[int]) -> ActionResult:
        return self._flag(mail_ids, "\\Seen")

    def _flag(self, mail_ids: list[int], flag: str) -> ActionResult:
        done = []
        for (account_id, folder_id), items in self._groups(mail_ids).items():
            account = self.mail.account(self.user_id, account_id)
            source = next(f for f in self.mail.folders(self.user_id, account_id) if f.id == folder_id)
            with self._imap(account) as client:
                smtp.check_validity(client, source.name, source.uidvalidity)
                client.add_flags([m.uid for m in items], [flag.encode()])
            self.mail.set_flags(self.user_id, [m.id for m in items], add=flag)
            done += [m.id for m in items]
        return ActionResult(done, f"Marked {len(done)} message(s) {flag.strip(chr(92)).lower()}.")

    def _by_account(self, mail_ids: list[int]) -> dict[int, list[int]]:
        self.describe(mail_ids)
        out: dict[int, list[int]] = defaultdict(list)
        for m in self.mail.ids_in(self.user_id, list(dict.fromkeys(mail_ids))):
            out[m.account_id].append(m.id)
        return out


def _merge(results: list[ActionResult], verb: str) -> ActionResult:
    done = [i for r in results for i in r.done]
    where = ", ".join(sorted({r.moved_to for r in results if r.moved_to}))
    return ActionResult(done, f"{verb} {len(done)} message(s).", where)


def _age(now: datetime, when: datetime | None) -> str:
    if when is None:
        return "at some point"
    delta = now - when
    if delta < timedelta(hours=1):
        return "just now"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    return f"{delta.days} day{'s' if delta.days != 1 else ''} ago"


def _on_server(account: Account) -> None:
    if account.kind != "imap":
        raise InputError(f"{account.name} is imported mail; it isn't on a server, so it "
                         "can't be moved, archived or deleted there.",
                         "Connect the IMAP account the mail came from (os1 mail connect).")
