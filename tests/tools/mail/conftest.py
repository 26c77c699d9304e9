"""Fixtures for the mail tests: one real Dovecot (+ SMTP) per session, a fresh mailbox per
test, a migrated store, a SecretBox and a MailService connected to the test mailbox."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from os1.secrets import SecretBox, open_box
from os1.store import Store
from os1.tools.mail.service import MailService
from tests.services.mailserver import DEFAULT_PASSWORD, MailServer, start_mailserver

SPAMASSASSIN = Path(__file__).resolve().parents[4] / "shared" / "data" / "mail" / "spamassassin"
if not SPAMASSASSIN.exists():
    SPAMASSASSIN = Path("/work/shared/data/mail/spamassassin")
_names = itertools.count(1)


def corpus() -> list[bytes]:
    """The spam/ham messages, or skip."""
    if not SPAMASSASSIN.is_dir():
        pytest.skip(f"the SpamAssassin sample isn't at {SPAMASSASSIN}")
    files = sorted(p for p in SPAMASSASSIN.glob("*/*") if p.is_file())
    if not files:
        pytest.skip(f"{SPAMASSASSIN} is empty")
    return [p.read_bytes() for p in files]


def mail(subject: str = "Hello", sender: str = "anna@example.org", to: str = "amy@localhost",
         body: str = "Hi Amy,\nare you free for lunch on Friday?\nAnna", *,
         when: datetime | None = None, msgid: str | None = None, headers: dict[str, str] | None = None,
         ) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2026, 3, 13, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = msgid or f"<{next(_names)}.{abs(hash(subject))}@example.org>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


def oddities() -> dict[str, bytes]:
    """Messages with every MIME oddity we could think of."""
    nested = (b"From: a@x.org\r\nTo: amy@localhost\r\nSubject: nested\r\nMessage-ID: <nested@x>\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n"
              b"--A\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n"
              b"--B\r\nContent-Type: multipart/related; boundary=C\r\n\r\n"
              b"--C\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ndeep inside \xc3\xa9\r\n"
              b"--C--\r\n--B\r\nContent-Type: text/html\r\n\r\n<p>deep html</p>\r\n--B--\r\n"
              b"--A\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@x\r\nSubject: inner\r\n\r\ninner body\r\n"  # noqa: E501
              b"--A--\r\n")
    return {
        "no_body": b"From: nobody@x.org\r\nTo: amy@localhost\r\nSubject: empty\r\nMessage-ID: <empty@x>\r\n\r\n",  # noqa: E501
        "no_headers_at_all": b"\r\njust some text without any header\r\n",
        "unknown_charset": (b"From: a@x.org\r\nSubject: =?x-klingon?Q?qapla=27?=\r\nMessage-ID: <cs@x>\r\n"
                            b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla' \xff\xfe\r\n"),
        "lying_charset": (b"From: a@x.org\r\nSubject: lies\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          b"\r\ncaf\xe9 cr\xe8me\r\n"),
        "broken_from": b"From: <<<@@@>>>\r\nTo: ,,,;;\r\nDate: yesterday-ish\r\nSubject: broken\r\n\r\nbody\r\n",  # noqa: E501
        "html_only": (b"From: shop@x.org\r\nSubject: sale\r\nMessage-ID: <html@x>\r\nContent-Type: text/html\r\n\r\n"  # noqa: E501
                      b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
                      b"<body><h1>Big sale</h1><p>Everything must go</p></body></html>\r\n"),
        "nested": nested,
        "unterminated_multipart": (b"From: a@x.org\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n"  # noqa: E501
                                   b"--Z\r\nContent-Type: text/plain\r\n\r\nthe start only"),
        "bad_base64": (b"From: a@x.org\r\nSubject: b64\r\nContent-Type: text/plain\r\n"
                       b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64###\r\n"),
        "nul_bytes": b"From: a@x.org\r\nSubject: nul\x00here\r\n\r\nbody\x00with nul\r\n",
        "long_header": b"From: a@x.org\r\nSubject: " + b"x" * 20000 + b"\r\n\r\nbody\r\n",
        "eight_bit_headers": "From: Jürgen <j@x.de>\r\nSubject: Grüße\r\n\r\nHallo\r\n".encode("latin-1"),
    }


def big_attachment(megabytes: int = 50, subject: str = "the big file") -> bytes:
    """A message with a ``megabytes`` MB (encoded) attachment, built without holding a
    decoded copy."""
    line = base64.b64encode(b"\x00" * 57) + b"\r\n"  # 78 bytes per line
    lines = megabytes * 1024 * 1024 // len(line)
    head = (f"From: big@example.org\r\nTo: amy@localhost\r\nSubject: {subject}\r\n"
            "Message-ID: <big@example.org>\r\nDate: Fri, 13 Mar 2026 09:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n"
            "--BIG\r\nContent-Type: text/plain\r\n\r\nHere is the video.\r\n"
            "--BIG\r\nContent-Type: video/mp4; name=\"holiday.mp4\"\r\n"
            "Content-Disposition: attachment; filename=\"holiday.mp4\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode()
    return head + line * lines + b"--BIG--\r\n"


@pytest.fixture(scope="session")
def mailserver() -> Iterator[MailServer]:
    server = start_mailserver()
    yield server
    server.stop()


@pytest.fixture
def mailbox_user(mailserver: MailServer) -> str:
    """A fresh, empty mailbox (user name) for this test."""
    return mailserver.create_user(f"amy{next(_names)}")


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return open_box(tmp_path / "secret.key")


@pytest.fixture
def service(store: Store, user_id: int, box: SecretBox, clock) -> MailService:  # type: ignore[no-untyped-def]
    return MailService(store, user_id, box, clock)


@pytest.fixture
def connected(service: MailService, mailserver: MailServer, mailbox_user: str) -> MailService:
    """The service with the test mailbox connected (IMAP over TLS trusting the test CA,
    SMTP on the test server with STARTTLS)."""
    smtp = mailserver.start_smtp()
    service.connect(host="127.0.0.1", port=mailserver.imaps_port, username=mailbox_user,
                    password=DEFAULT_PASSWORD, address=f"{mailbox_user}@localhost",
                    security="tls", ca_file=str(mailserver.ca_file), smtp_host=smtp.host,
                    smtp_port=smtp.port, smtp_security="starttls")
    return service


def days_ago(clock, days: float) -> datetime:  # type: ignore[no-untyped-def]
    return clock.now() - timedelta(days=days)
