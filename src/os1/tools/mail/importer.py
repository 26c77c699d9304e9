"""Importing a Maildir folder or an mbox file into the mail tables (the "import" account).

Idempotent: a message is recognised by its Message-ID (or, without one, by a hash of its
bytes, kept as a synthetic id ``<sha256-…@import.os1>``), so importing the same folder or
file again adds only what is new. Each import source is a folder of the import account,
named after the path; UIDs are numbered in the order messages are first seen.
"""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from os1.errors import InputError
from os1.tools.mail.parse import parse, to_email_message
from os1.tools.mail.store import MailStore
from os1.tools.mail.sync import new_message, sort_message
from os1.tools.mail.tables import mail_messages

IMPORT_ACCOUNT = "import"
BATCH = 200


@dataclass(frozen=True)
class ImportReport:
    source: str
    folders: int
    seen: int
    added: int
    skipped: int  # already imported


def _maildir_sources(path: Path) -> Iterator[tuple[str, Iterator[bytes]]]:
    box = mailbox.Maildir(str(path), factory=None, create=False)
    yield path.name or "Maildir", (bytes(m.as_bytes()) for m in box)
    for sub in sorted(box.list_folders()):
        sub_box = box.get_folder(sub)
        yield f"{path.name}/{sub}", (bytes(m.as_bytes()) for m in sub_box)


def _mbox_source(path: Path) -> Iterator[tuple[str, Iterator[bytes]]]:
    box = mailbox.mbox(str(path), create=False)
    yield path.name, (bytes(box.get_bytes(key)) for key in box.iterkeys())


def sources(path: Path) -> list[tuple[str, Iterator[bytes]]]:
    if not path.exists():
        raise InputError(f"There's nothing at {path}.", "Check the path to the Maildir or mbox file.")
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise InputError(f"{path} isn't a Maildir (it has no cur/ or new/ folder).",
                             "Give the Maildir's own folder, or an mbox file.")
        return list(_maildir_sources(path))
    with path.open("rb") as handle:
        start = handle.read(5)
    if start != b"From ":
        raise InputError(f"{path} doesn't look like an mbox file (it doesn't start with "
                         "'From ').", "Give an mbox file or a Maildir folder.")
    return list(_mbox_source(path))


def import_mail(mail: MailStore, user_id: int, path: Path, *,
                progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import a Maildir (with its subfolders) or an mbox file. Safe to run again."""
    path = Path(path).expanduser()
    found = sources(path)
    account = mail.account_by_name(user_id, IMPORT_ACCOUNT) or mail.add_account(
        user_id, name=IMPORT_ACCOUNT, kind="import")
    seen = added = skipped = 0
    for folder_name, messages in found:
        folder, _ = mail.ensure_folder(user_id, account.id, folder_name, role="", uidvalidity=1)
        known = {r[0] for r in mail.store._read(select(mail_messages.c.message_id).where(
            mail_messages.c.user_id == user_id, mail_messages.c.folder_id == folder.id))}
        next_uid = folder.last_uid + 1
        batch = []
        for raw in messages:
            seen += 1
            parsed = parse(raw)
            key = parsed.message_id or f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@import.os1>"
            if key in known:
                skipped += 1
                continue
            known.add(key)
            row = new_message(next_uid, parsed, flags=[], size=len(raw), internal_date=None,
                              sorting=sort_message(to_email_message(raw)), body=True)
            if not parsed.message_id:
                row = _with_message_id(row, key)
            batch.append(row)
            next_uid += 1
            if len(batch) >= BATCH:
                added += mail.add_messages(user_id, account.id, folder.id, batch)
                batch = []
                if progress:
                    progress("import", seen, seen)
        added += mail.add_messages(user_id, account.id, folder.id, batch)
    mail.record_sync(user_id, account.id, error=None)
    return ImportReport(source=str(path), folders=len(found), seen=seen, added=added,
                        skipped=skipped)


def _with_message_id(row, key: str):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    thread_key = row.thread_key if not row.thread_key.startswith("subject:") else row.thread_key
    return replace(row, message_id=key, thread_key=thread_key)
