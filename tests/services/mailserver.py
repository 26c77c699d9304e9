"""A throwaway mail system for the tests: Debian's Dovecot (IMAP with TLS and STARTTLS,
LMTP) and an aiosmtpd SMTP server that requires AUTH and delivers what it accepts into
Dovecot over LMTP, so a sent mail really arrives in the recipient's IMAP inbox.

Everything lives in one temporary folder: Dovecot's config, run and state directories,
the Maildirs, a self-signed CA and the server certificate it signed (``ca_file`` is what a
client trusts). Dovecot runs in the foreground (``-F``) and is stopped at the end.

Dovecot refuses to read mail as root, so when the tests run as root the Maildirs belong to
the ``dovecot`` system user (Debian's package creates it) and its login processes run as
``dovenull``; otherwise everything runs as the current user.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import grp
import imaplib
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from tests.services import STARTUP_SECONDS, ServiceError, end_process, free_port, log_tail, unavailable

INSTALL = "sudo apt-get install dovecot-imapd dovecot-lmtpd (Debian/Ubuntu)"
DEFAULT_PASSWORD = "correct-horse-battery-staple"


def find_dovecot() -> str | None:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it: (ca, cert, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "os1 test mail CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


@dataclass(frozen=True)
class MailboxState:
    """A mailbox as the server holds it: per folder, (uid, flags, message-id) of each message.
    Compare two snapshots to see exactly what changed."""

    uidvalidity: dict[str, int]
    messages: dict[str, list[tuple[int, frozenset[str], str]]]

    def message_ids(self, folder: str) -> list[str]:
        return [mid for _, _, mid in self.messages.get(folder, [])]

    def flags(self, folder: str) -> dict[str, frozenset[str]]:
        return {mid: flags for _, flags, mid in self.messages.get(folder, [])}


@dataclass
class AcceptedMail:
    sender: str
    recipients: list[str]
    data: bytes
    login: str | None


@dataclass
class SmtpServer:
    """aiosmtpd with AUTH required (PLAIN/LOGIN, also over STARTTLS), delivering by LMTP."""

    host: str
    port: int
    controller: Any
    accepted: list[AcceptedMail] = field(default_factory=list)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()


class MailServer:
    def __init__(self, program: str, base: Path) -> None:
        self.program = program
        self.base = base
        self.host = "127.0.0.1"
        self.config = base / "dovecot.conf"
        self.log_path = base / "dovecot.log"
        self.users_file = base / "users"
        self.mail_root = base / "mail"
        self.imap_port = self.imaps_port = self.lmtp_port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.users: dict[str, str] = {}
        self.smtp: SmtpServer | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            self.mail_uid, self.mail_gid = entry.pw_uid, entry.pw_gid
            self.internal_user, self.login_user = "dovecot", "dovenull"
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(os.getuid()).pw_name
            self.internal_user = self.login_user = me
        self.ca_file, self.cert_file, self.key_file = make_certificates(base)

    # -- config ---------------------------------------------------------------------------
    def _write_config(self) -> None:
        b = self.base
        group = grp.getgrgid(self.mail_gid).gr_name
        self.config.write_text(f"""
base_dir = {b}/run
state_dir = {b}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap lmtp
listen = {self.host}
ssl = yes
ssl_cert = <{self.cert_file}
ssl_key = <{self.key_file}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
auth_verbose = yes
default_internal_user = {self.internal_user}
default_internal_group = {group if os.geteuid() != 0 else "dovecot"}
default_login_user = {self.login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{self.mail_root}/%u/Maildir
mail_fsync = never
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
lda_mailbox_autocreate = yes
imap_idle_notify_interval = 120 secs
login_trusted_networks =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users_file}
}}
# Dovecot re-reads the passwd-file at most once a second; users made with the default
# password sign in at once through this one.
passdb {{
  driver = static
  args = password={DEFAULT_PASSWORD}
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={self.mail_root}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
    ssl = yes
  }}
  process_min_avail = 0
}}
service lmtp {{
  inet_listener lmtp {{
    address = {self.host}
    port = {self.lmtp_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")

    def _write_users(self) -> None:
        lines = [f"{user}:{{PLAIN}}{password}::::::" for user, password in self.users.items()]
        self.users_file.write_text("\n".join(lines) + "\n")
        self.users_file.chmod(0o644)
        # Dovecot re-reads the file when its mtime changes (whole seconds): make sure it does.
        self._users_version = getattr(self, "_users_version", int(time.time())) + 1
        os.utime(self.users_file, (self._users_version, self._users_version))

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, attempts: int = 3, *, keep_ports: bool = False) -> None:
        self.base.chmod(0o755)
        self.mail_root.mkdir(exist_ok=True)
        os.chown(self.mail_root, self.mail_uid, self.mail_gid)
        for attempt in range(attempts):
            if not keep_ports or not self.imap_port:
                self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
            self._write_config()
            self._write_users()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [self.program, "-F", "-c", str(self.config)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if self._answers():
                    return
                time.sleep(0.05)
            exited = self.process.poll() is not None
            self.stop_process()
            if exited and "in use" in log_tail(self.log_path, 10) and attempt + 1 < attempts:
                continue
            what = (f"dovecot exited (code {self.process.returncode}) while starting"
                    if exited else f"dovecot didn't answer within {STARTUP_SECONDS:.0f} s")
            raise ServiceError(f"{what} on port {self.imap_port}.", self.log_path)

    def _answers(self) -> bool:
        for port in (self.imap_port, self.lmtp_port):
            try:
                with socket.create_connection((self.host, port), timeout=1.0) as sock:
                    if not sock.recv(100):
                        return False
            except OSError:
                return False
        return True

    def stop_process(self) -> None:
        end_process(self.process)

    def restart(self) -> None:
        """Stop and start again on the same ports (mail is kept)."""
        self.stop_process()
        self.start(keep_ports=True)

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(["doveadm", "-c", str(self.config), *args], capture_output=True,
                                text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise ServiceError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}",
                               self.log_path)
        return result.stdout

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of ``user`` (the server side closes them). Returns
        quietly when the user has none."""
        subprocess.run(["doveadm", "-c", str(self.config), "kick", user], capture_output=True,
                       timeout=30, check=False)

    # -- users and mail ---------------------------------------------------------------------
    def create_user(self, user: str, password: str = DEFAULT_PASSWORD) -> str:
        """Add (or reset) a user with an empty mailbox. Returns the address (user@localhost
        unless ``user`` has an @)."""
        self.users[user] = password
        self._write_users()
        if password != DEFAULT_PASSWORD:
            time.sleep(1.1)  # let Dovecot notice the new passwd-file
        folder = self.mail_root / user
        if folder.exists():
            shutil.rmtree(folder)
        return user

    def imap(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.imap_port, timeout=30)
        conn.login(user, self.users[user])
        return conn

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX",
                flags: str = "", via: str = "append") -> None:
        """Put a raw message into ``folder`` of ``user``: APPEND over IMAP (default; exact
        bytes, any flags) or LMTP delivery (``via="lmtp"``; folder through user+folder)."""
        if via == "lmtp":
            rcpt = user if folder == "INBOX" else f"{user}+{folder}"
            with smtplib.LMTP(self.host, self.lmtp_port, timeout=60) as lmtp:
                lmtp.sendmail("sender@localhost", [rcpt], raw)
            return
        conn = self.imap(user)
        try:
            conn.create(_quote(folder))
            typ, data = conn.append(_quote(folder), f"({flags})" if flags else None, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def deliver_many(self, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
        conn = self.imap(user)
        try:
            conn.create(_quote(folder))
            for raw in raws:
                typ, data = conn.append(_quote(folder), None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def write_maildir(self, user: str, raws: list[bytes], start: int = 0) -> None:
        """Write messages straight into the user's INBOX Maildir (fast, for benchmarks)."""
        new = self.mail_root / user / "Maildir" / "new"
        for sub in ("new", "cur", "tmp"):
            (new.parent / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for i, raw in enumerate(raws, start):
            path = new / f"{stamp}.M{i}P{os.getpid()}.localhost"
            path.write_bytes(raw)
        for root, dirs, files in os.walk(self.mail_root / user):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self.mail_uid, self.mail_gid)
        os.lchown(self.mail_root / user, self.mail_uid, self.mail_gid)

    def snapshot(self, user: str) -> MailboxState:
        """Every folder's UIDVALIDITY and each message's (uid, flags, Message-ID), read with
        EXAMINE (read-only, so taking it changes nothing)."""
        conn = self.imap(user)
        validity: dict[str, int] = {}
        messages: dict[str, list[tuple[int, frozenset[str], str]]] = {}
        try:
            typ, listing = conn.list()
            names = []
            for line in listing or []:
                text = line.decode() if isinstance(line, bytes) else str(line)
                name = text.rsplit(' "/" ', 1)[-1].strip().strip('"')
                if "\\Noselect" not in text:
                    names.append(name)
            for name in sorted(names):
                typ, _ = conn.select(_quote(name), readonly=True)
                if typ != "OK":
                    continue
                _, uv = conn.response("UIDVALIDITY")
                validity[name] = int(uv[0]) if uv and uv[0] else 0
                items: list[tuple[int, frozenset[str], str]] = []
                typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                for part in data or []:
                    if not isinstance(part, tuple):
                        continue
                    meta = part[0].decode()
                    uid = int(meta.split("UID ", 1)[1].split()[0].rstrip(")"))
                    flags_text = meta.split("FLAGS (", 1)[1].split(")", 1)[0] if "FLAGS (" in meta else ""
                    header = BytesHeaderParser().parsebytes(part[1])
                    items.append((uid, frozenset(f for f in flags_text.split() if f != "\\Recent"),
                                  str(header.get("Message-ID", "")).strip()))
                messages[name] = sorted(items)
                conn.close()
        finally:
            with contextlib.suppress(Exception):
                conn.logout()
        return MailboxState(validity, messages)

    # -- SMTP ---------------------------------------------------------------------------------
    def start_smtp(self) -> SmtpServer:
        """The SMTP server (once): AUTH PLAIN/LOGIN with the Dovecot users' passwords,
        STARTTLS offered, each accepted message delivered into Dovecot by LMTP."""
        if self.smtp is not None:
            return self.smtp
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self
        accepted: list[AcceptedMail] = []

        def authenticator(_server: Any, session: Any, _envelope: Any, mechanism: str,
                          auth_data: Any) -> AuthResult:
            if mechanism not in ("LOGIN", "PLAIN") or not isinstance(auth_data, LoginPassword):
                return AuthResult(success=False, handled=False)
            login = auth_data.login.decode()
            password = auth_data.password.decode()
            ok = server.users.get(login) == password
            return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

        class Handler:
            async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
                data = envelope.original_content or envelope.content
                if isinstance(data, str):
                    data = data.encode()
                login = getattr(session, "auth_data", None)
                accepted.append(AcceptedMail(envelope.mail_from, list(envelope.rcpt_tos), data,
                                             login if isinstance(login, str) else None))
                local = []
                for rcpt in envelope.rcpt_tos:
                    user = rcpt.split("@", 1)[0] if rcpt.split("@", 1)[0] in server.users else rcpt
                    if user in server.users:
                        local.append(user)
                if local:
                    try:
                        with smtplib.LMTP(server.host, server.lmtp_port, timeout=60) as lmtp:
                            lmtp.sendmail(envelope.mail_from, local, data)
                    except (OSError, smtplib.SMTPException) as exc:
                        return f"451 delivery failed: {exc}"
                return "250 OK"

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        port = free_port()
        controller = Controller(Handler(), hostname=self.host, port=port,
                                authenticator=authenticator, auth_required=True,
                                auth_require_tls=False, tls_context=context,
                                decode_data=False, data_size_limit=80 * 1024 * 1024)
        controller.start()
        self.smtp = SmtpServer(self.host, port, controller, accepted)
        return self.smtp


def _quote(folder: str) -> str:
    return f'"{folder}"' if not folder.startswith('"') else folder


_lock = threading.Lock()


def start_mailserver() -> MailServer:
    """Start Dovecot, or skip (fail, when services are required) if it isn't installed."""
    program = find_dovecot()
    if program is None:
        unavailable("Dovecot isn't installed (no /usr/sbin/dovecot)", INSTALL)
    if not Path("/usr/lib/dovecot/lmtp").exists():
        unavailable("Dovecot's LMTP server isn't installed", INSTALL)
    server = MailServer(program, Path(tempfile.mkdtemp(prefix="os1-mail-")))
    atexit.register(server.stop)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def header_of(raw: bytes, name: str) -> str:
    return str(message_from_bytes(raw).get(name, ""))
