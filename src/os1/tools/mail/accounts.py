"""Connecting to an IMAP server, with errors a person can act on.

TLS certificates are verified by default (system CAs); ``ca_file`` trusts a given CA instead
(a self-hosted server, the tests' Dovecot). Every failure comes out as ``MailError`` saying
what happened and what to do — and never containing the password.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from os1.errors import Os1Error

SECURITIES = ("tls", "starttls", "plain")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
SMTP_PORTS = {"tls": 465, "starttls": 587, "plain": 25}


class MailError(Os1Error):
    """A mail server can't be reached, refused us, or dropped the connection."""


class MailConnectionLost(MailError):
    """The connection dropped in the middle of something; what was stored stays, and the
    next sync continues from there."""


@dataclass(frozen=True)
class ServerSettings:
    """Where an IMAP (or SMTP) server is and how to talk to it. Holds no password."""

    host: str
    port: int
    username: str
    security: str = "tls"  # tls (implicit) | starttls | plain (tests, localhost only)
    ca_file: str | None = None  # trust this CA file instead of the system's
    timeout: float = 30.0

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file \
            else ssl.create_default_context()
        return context

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def explain(exc: BaseException, settings: ServerSettings, *, doing: str = "connect to") -> MailError:
    """A library or socket exception as a MailError in plain words (never the password)."""
    from imapclient import exceptions as ix

    host = settings.host
    who = f" as {settings.username}" if settings.username else ""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, ix.LoginError):
        return MailError(f"Couldn't sign in to {host}{who}: the server said the user name or "
                         "password is wrong.",
                         "Check them, or make an app password in your mail provider's security "
                         "settings and use that.")
    if isinstance(exc, socket.gaierror):
        return MailError(f"Couldn't find the mail server {host!r}: there's no such host name.",
                         "Check the server name (your provider's help pages list it) and your "
                         "internet connection.")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"The mail server {settings.where} refused the connection.",
                         "Check the port (IMAP is usually 993 with TLS, 143 with STARTTLS) and "
                         "that the server is running.")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailError(f"{host}'s certificate can't be trusted ({exc.verify_message}).",
                         "If this is your own server, give its CA certificate file (ca_file); "
                         "otherwise don't connect — someone may be in between.")
    if isinstance(exc, ssl.SSLError):
        return MailError(f"A secure (TLS) connection to {settings.where} failed: "
                         f"{exc.reason or exc}.",
                         "Check whether the port expects TLS from the start (993) or STARTTLS "
                         "(143), and choose the matching security.")
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailConnectionLost(f"{settings.where} stopped answering (timed out) while we "
                                  f"tried to {doing} it.",
                                  "Try again in a moment; what was already synced is kept.")
    if isinstance(exc, ix.IMAPClientAbortError | ConnectionError | EOFError | OSError):
        return MailConnectionLost(f"The connection to {settings.where} dropped while we tried "
                                  f"to {doing} it.",
                                  "Sync again: it continues where it stopped and doesn't "
                                  "download anything twice.")
    if isinstance(exc, ix.IMAPClientError):
        return MailError(f"{host} refused a request ({_short(exc)}).",
                         "Try again; if it keeps happening, the server may not support it.")
    return MailError(f"Something went wrong talking to {host}: {type(exc).__name__}.",
                     "Try again; if it keeps happening, report it.")


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def connect_imap(settings: ServerSettings, password: str) -> Any:
    """A logged-in IMAPClient. Raises MailError (never with the password in it)."""
    from imapclient import IMAPClient

    if settings.security not in SECURITIES:
        raise MailError(f"Unknown security {settings.security!r}.",
                        "Use tls, starttls, or plain (only for a server on this machine).")
    client = None
    try:
        client = IMAPClient(settings.host, port=settings.port,
                            ssl=settings.security == "tls",
                            ssl_context=settings.ssl_context() if settings.security == "tls" else None,
                            timeout=settings.timeout, use_uid=True)
        client.normalise_times = False
        if settings.security == "starttls":
            client.starttls(settings.ssl_context())
        client.login(settings.username, password)
        return client
    except BaseException as exc:
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()
        error = explain(exc, settings, doing="sign in to")
        # The library's exception may quote the exchange; drop it rather than risk the
        # password reaching a log through __context__.
        raise error from None


def disconnect(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.logout()
    with contextlib.suppress(Exception):
        client.shutdown()


FOLDER_ROLES = {b"\\Sent": "sent", b"\\Trash": "trash", b"\\Archive": "archive",
                b"\\Junk": "junk", b"\\Drafts": "drafts", b"\\All": "all"}
NAME_ROLES = {"inbox": "inbox", "sent": "sent", "sent items": "sent", "sent mail": "sent",
              "sent messages": "sent", "trash": "trash", "deleted items": "trash",
              "deleted messages": "trash", "bin": "trash", "archive": "archive",
              "archives": "archive", "junk": "junk", "spam": "junk", "drafts": "drafts"}


def folder_role(name: str, flags: tuple[Any, ...] = ()) -> str:
    for flag in flags:
        key = flag if isinstance(flag, bytes) else str(flag).encode()
        if key in FOLDER_ROLES:
            return FOLDER_ROLES[key]
    leaf = name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].strip().lower()
    if name.upper() == "INBOX":
        return "inbox"
    return NAME_ROLES.get(leaf, "")


def list_folders(client: Any) -> list[tuple[str, str]]:
    """(name, role) of every selectable folder, INBOX first."""
    out = []
    for flags, _delimiter, name in client.list_folders():
        if any(f in (b"\\Noselect", b"\\NonExistent") for f in flags):
            continue
        name = name.decode() if isinstance(name, bytes) else str(name)
        out.append((name, folder_role(name, tuple(flags))))
    out.sort(key=lambda item: (item[0].upper() != "INBOX", item[0]))
    return out
