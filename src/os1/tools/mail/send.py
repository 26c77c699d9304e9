"""Sending mail (SMTP) and changing the mailbox (IMAP): archive, delete, move, mark read.

These run only for an action the person approved (``os1.tools.approvals``). Each IMAP action
names messages by UID inside one folder and first checks the folder's UIDVALIDITY against
the stored one, so a UID can never hit a different message than the one that was shown.
Deleting moves to Trash; nothing else is expunged (the MOVE command, or COPY + flag +
UID EXPUNGE of exactly those UIDs where MOVE is missing).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from os1.errors import InputError
from os1.tools.mail.accounts import MailError, ServerSettings, explain

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def check_addresses(addresses: list[str], field: str = "To") -> list[str]:
    out = []
    for entry in addresses:
        for part in str(entry).split(","):
            part = part.strip()
            if not part:
                continue
            _name, addr = parseaddr(part)
            if not _ADDRESS.match(addr or ""):
                raise MailError(f"{part!r} ({field}) isn't an email address.",
                                "Write it as name@example.com.")
            out.append(part)
    return out


def build_message(*, sender: str, to: list[str], subject: str, body: str,
                  cc: list[str] | None = None, in_reply_to: str = "",
                  references: list[str] | None = None, when: Any = None,
                  domain: str | None = None) -> EmailMessage:
    """A proper message: Message-ID, Date, threading headers for replies."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    if when is not None:
        msg["Date"] = format_datetime(when)
    sender_domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain or sender_domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        chain = [r for r in (references or []) if r != in_reply_to] + [in_reply_to]
        msg["References"] = " ".join(chain[-20:])
    msg.set_content(body)
    return msg


MAX_ATTACHMENTS_BYTES = 25 * 1024 * 1024  # what most mail servers accept in one message


def attach_file(msg: EmailMessage, path: str) -> None:
    """Attach a file os1 made (a book's PDF or EPUB), typed by its name."""
    import mimetypes
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        raise InputError(f"The attachment {file.name} isn't there any more ({file}).",
                         "Make it again, then ask me to send it.")
    size = file.stat().st_size + sum(len(p.get_payload(decode=True) or b"")
                                     for p in msg.iter_attachments())
    if size > MAX_ATTACHMENTS_BYTES:
        raise InputError(f"The attachments come to {size // (1024 * 1024)} MB; mail servers "
                         f"take about {MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MB.",
                         "Send fewer files, or share a link you made yourself.")
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if file.suffix.lower() == ".epub":
        kind = "application/epub+zip"
    main, _, sub = kind.partition("/")
    msg.add_attachment(file.read_bytes(), maintype=main, subtype=sub, filename=file.name)


def reply_subject(subject: str) -> str:
    return subject if re.match(r"^\s*re\s*:", subject or "", re.I) else f"Re: {subject}".strip()


def forward_subject(subject: str) -> str:
    return subject if re.match(r"^\s*fwd?\s*:", subject or "", re.I) else f"Fwd: {subject}".strip()


def send_smtp(settings: ServerSettings, password: str | None, msg: EmailMessage) -> list[str]:
    """Send through SMTP (implicit TLS, STARTTLS, or plain for a local server). Returns the
    recipients the server accepted."""
    recipients = [parseaddr(a)[1] for key in ("To", "Cc", "Bcc")
                  for a in (msg.get_all(key) or []) for a in str(a).split(",") if a.strip()]
    sender = parseaddr(str(msg["From"]))[1]
    try:
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                    context=settings.ssl_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=settings.ssl_context())
                smtp.ehlo()
            if password is not None and settings.username:
                smtp.login(settings.username, password)
            refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"Couldn't sign in to the mail server {settings.host} to send as "
                        f"{settings.username}: the user name or password is wrong.",
                        "Check them, or make an app password and use that.") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{settings.host} refused every recipient: "
                        f"{', '.join(exc.recipients)}.", "Check the addresses.") from None
    except smtplib.SMTPSenderRefused:
        raise MailError(f"{settings.host} won't send mail from {sender}.",
                        "Check the account's address.") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{settings.host} didn't send the message ({type(exc).__name__}).",
                        "Nothing was sent; try again.") from None
    except (OSError, ssl.SSLError, socket.gaierror) as exc:
        raise explain(exc, settings, doing="send through") from None
    return [r for r in recipients if r not in refused]


# -- IMAP actions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Moved:
    old_uid: int
    new_uid: int | None  # from COPYUID when the server tells us


def check_validity(client: Any, folder: str, expected: int) -> None:
    info = client.select_folder(folder)
    validity = int(info.get(b"UIDVALIDITY", 0) or 0)
    if expected and validity != expected:
        raise MailError(f"The folder {folder!r} changed on the server since the last sync "
                        "(its UIDs were renumbered), so nothing was done.",
                        "Sync again, then ask me again.")


def ensure_folder(client: Any, name: str) -> None:
    if not client.folder_exists(name):
        client.create_folder(name)
        with contextlib.suppress(Exception):
            client.subscribe_folder(name)


def find_folder(client: Any, role_flag: bytes, names: tuple[str, ...]) -> str | None:
    with contextlib.suppress(Exception):
        found = client.find_special_folder(role_flag)
        if found:
            return str(found)
    existing = {str(n).lower(): str(n) for _f, _d, n in client.list_folders()}
    for name in names:
        if name.lower() in existing:
            return existing[name.lower()]
    return None


def _copyuid(client: Any, result: Any) -> dict[int, int]:
    """Map old → new UID from the COPYUID response code of the last MOVE (untagged OK) or
    COPY (tagged OK, the command's result)."""
    texts: list[str] = []
    with contextlib.suppress(Exception):
        untagged = client._imap.untagged_responses
        texts += ["COPYUID " + (x.decode() if isinstance(x, bytes) else str(x))
                  for x in untagged.pop("COPYUID", [])]
        texts += [x.decode() if isinstance(x, bytes) else str(x) for x in untagged.pop("OK", [])]
    texts.append(result.decode() if isinstance(result, bytes) else str(result))
    mapping: dict[int, int] = {}
    for text in texts:
        match = re.search(r"COPYUID \d+ ([\d:,]+) ([\d:,]+)", text)
        if match:
            old, new = _uid_set(match.group(1)), _uid_set(match.group(2))
            mapping.update(zip(old, new, strict=False))
    return mapping


def _uid_set(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            out.extend(range(min(a, b), max(a, b) + 1))
        elif part.isdigit():
            out.append(int(part))
    return out


def move_uids(client: Any, folder: str, uids: list[int], target: str) -> list[Moved]:
    """Move exactly ``uids`` (the folder must be selected) to ``target``."""
    if not uids:
        return []
    with contextlib.suppress(Exception):
        client._imap.untagged_responses.pop("OK", None)
        client._imap.untagged_responses.pop("COPYUID", None)
    if client.has_capability("MOVE"):
        mapping = _copyuid(client, client.move(uids, target))
    else:
        mapping = _copyuid(client, client.copy(uids, target))
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            raise MailError(f"The server can't move single messages safely (no MOVE or UIDPLUS); "
                            f"the messages were copied to {target!r} and marked deleted in "
                            f"{folder!r} but not removed.",
                            "Remove them from the old folder in your mail program.")
    return [Moved(uid, mapping.get(uid)) for uid in uids]


def mark_read(client: Any, uids: list[int]) -> None:
    client.add_flags(uids, [b"\\Seen"])


def append_sent(client: Any, msg: EmailMessage) -> str | None:
    """Put a copy into the Sent folder, if the server has one. Returns the folder used."""
    folder = find_folder(client, b"\\Sent", ("Sent", "Sent Items", "Sent Messages", "INBOX.Sent"))
    if folder is None:
        return None
    client.append(folder, msg.as_bytes(), flags=[b"\\Seen"])
    return folder
