"""Accounts on the server: passwords, browser sessions, API keys, sign-in rate limits.

Passwords are hashed with argon2id (argon2-cffi). Sign-in takes the same time whether the
account exists or not: an unknown name is checked against a dummy hash. Session tokens and
API keys are random (256 bits) and only their sha256 is stored, so reading the database
doesn't let anyone sign in. Every lookup that touches a person's data takes their id.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from os1.store import Store
from os1.store import schema as s

HANDLE = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 200
SESSION_DAYS = 30
KEY_PREFIX = "os1-"


class AccountError(ValueError):
    """Something the person can fix (the message says what); ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 422, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    id: int
    handle: str


@dataclass(frozen=True)
class Session:
    id: int
    user: User
    csrf_token: str


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_handle(handle: str) -> str:
    handle = handle.strip()
    if not HANDLE.fullmatch(handle):
        raise AccountError("Choose a name of 3 to 40 letters, digits, '.', '_' or '-'.")
    return handle


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"That password is too long (at most {MAX_PASSWORD} characters).")
    return password


@dataclass(frozen=True)
class LoginLimits:
    """At most ``per_account`` failed sign-ins per name, and ``per_address`` per address,
    within ``window``; then 429 until the oldest failure leaves the window."""

    per_account: int = 5
    per_address: int = 30
    window: timedelta = timedelta(minutes=15)


class Accounts:
    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None,
                 limits: LoginLimits | None = None) -> None:
        self.store = store
        self.clock = store.clock
        self.hasher = hasher or PasswordHasher()
        self.limits = limits or LoginLimits()
        # Checked when the name is unknown, so that a wrong name costs what a wrong password does.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def _read(self, stmt: Any) -> list[Any]:
        return self.store._read(stmt)

    # -- sign up / sign in ---------------------------------------------------------------
    def user(self, user_id: int) -> User | None:
        rows = self._read(select(s.users.c.id, s.users.c.handle).where(s.users.c.id == user_id))
        return User(rows[0].id, rows[0].handle) if rows else None

    def signup(self, handle: str, password: str) -> User:
        handle = check_handle(handle)
        digest = self.hasher.hash(check_password(password))
        now = self.clock.now()
        with self.store._tx() as conn:
            taken = conn.execute(select(s.users.c.id).where(
                func.lower(s.users.c.handle) == handle.lower())).first()
            if taken is not None:
                raise AccountError("That name is taken. Choose another, or sign in.", 409)
            user_id = int(conn.execute(insert(s.users).values(
                handle=handle, created_at=now)).inserted_primary_key[0])
            conn.execute(insert(s.credentials).values(user_id=user_id, password_hash=digest,
                                                      updated_at=now))
        return User(user_id, handle)

    def _failures(self, key: str) -> list[datetime]:
        since = self.clock.now() - self.limits.window
        rows = self._read(select(s.login_failures.c.at).where(
            s.login_failures.c.key == key, s.login_failures.c.at > since)
            .order_by(s.login_failures.c.at))
        return [row.at for row in rows]

    def _check_limit(self, key: str, limit: int) -> None:
        failures = self._failures(key)
        if len(failures) >= limit:
            oldest = failures[-limit]
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=self.clock.now().tzinfo)
            wait = int((oldest + self.limits.window - self.clock.now()).total_seconds()) + 1
            minutes = max(1, (wait + 59) // 60)
            raise AccountError(f"Too many failed sign-ins. Try again in {minutes} minute"
                               f"{'s' if minutes != 1 else ''}.", 429, retry_after=max(1, wait))

    def login(self, handle: str, password: str, *, address: str) -> User:
        """The user, or AccountError(401/429). Always hashes once, known name or not."""
        handle = handle.strip()[:100]
        account_key, address_key = f"account:{handle.lower()}", f"address:{address}"
        self._check_limit(account_key, self.limits.per_account)
        self._check_limit(address_key, self.limits.per_address)
        rows = self._read(select(s.users.c.id, s.users.c.handle, s.credentials.c.password_hash)
                          .join(s.credentials, s.credentials.c.user_id == s.users.c.id)
                          .where(func.lower(s.users.c.handle) == handle.lower()))
        digest = rows[0].password_hash if rows else self._dummy
        ok = False
        try:
            ok = self.hasher.verify(digest, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or not rows:
            now = self.clock.now()
            with self.store._tx() as conn:
                conn.execute(insert(s.login_failures), [{"key": account_key, "at": now},
                                                        {"key": address_key, "at": now}])
                conn.execute(delete(s.login_failures).where(
                    s.login_failures.c.at < now - timedelta(days=1)))
            raise AccountError("Wrong name or password.", 401)
        user = User(rows[0].id, rows[0].handle)
        with self.store._tx() as conn:
            conn.execute(delete(s.login_failures).where(s.login_failures.c.key == account_key))
            if self.hasher.check_needs_rehash(digest):
                conn.execute(update(s.credentials).where(s.credentials.c.user_id == user.id)
                             .values(password_hash=self.hasher.hash(password)))
        return user

    def change_password(self, user_id: int, current: str, new: str, *,
                        keep_session: int | None) -> None:
        rows = self._read(select(s.credentials.c.password_hash)
                          .where(s.credentials.c.user_id == user_id))
        try:
            ok = bool(rows) and self.hasher.verify(rows[0].password_hash, current[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise AccountError("That isn't your current password.", 403)
        digest = self.hasher.hash(check_password(new))
        with self.store._tx() as conn:
            conn.execute(update(s.credentials).where(s.credentials.c.user_id == user_id)
                         .values(password_hash=digest, updated_at=self.clock.now()))
            ended = delete(s.auth_sessions).where(s.auth_sessions.c.user_id == user_id)
            if keep_session is not None:
                ended = ended.where(s.auth_sessions.c.id != keep_session)
            conn.execute(ended)

    # -- sessions ------------------------------------------------------------------------
    def start_session(self, user_id: int) -> tuple[str, str]:
        """A new session: (token for the cookie, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.clock.now()
        with self.store._tx() as conn:
            conn.execute(insert(s.auth_sessions).values(
                user_id=user_id, token_hash=token_hash(token), csrf_token=csrf, created_at=now,
                expires_at=now + timedelta(days=SESSION_DAYS)))
        return token, csrf

    def session(self, token: str) -> Session | None:
        if not token or len(token) > 200:
            return None
        rows = self._read(select(s.auth_sessions.c.id, s.auth_sessions.c.csrf_token,
                                 s.auth_sessions.c.expires_at, s.users.c.id.label("uid"),
                                 s.users.c.handle)
                          .join(s.users, s.users.c.id == s.auth_sessions.c.user_id)
                          .where(s.auth_sessions.c.token_hash == token_hash(token)))
        if not rows:
            return None
        row = rows[0]
        expires = row.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=self.clock.now().tzinfo)
        if expires <= self.clock.now():
            return None
        return Session(row.id, User(row.uid, row.handle), row.csrf_token)

    def end_session(self, user_id: int, session_id: int) -> None:
        with self.store._tx() as conn:
            conn.execute(delete(s.auth_sessions).where(s.auth_sessions.c.user_id == user_id,
                                                       s.auth_sessions.c.id == session_id))

    # -- API keys ------------------------------------------------------------------------
    def create_key(self, user_id: int, name: str) -> tuple[ApiKey, str]:
        name = " ".join(name.split())[:100] or "key"
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        prefix = secret[: len(KEY_PREFIX) + 6]
        now = self.clock.now()
        with self.store._tx() as conn:
            count = conn.execute(select(func.count()).select_from(s.api_keys)
                                 .where(s.api_keys.c.user_id == user_id)).scalar_one()
            if count >= 50:
                raise AccountError("You have 50 API keys already. Delete one you don't use.", 409)
            key_id = int(conn.execute(insert(s.api_keys).values(
                user_id=user_id, name=name, prefix=prefix, key_hash=token_hash(secret),
                created_at=now)).inserted_primary_key[0])
        return ApiKey(key_id, name, prefix, now, None), secret

    def keys(self, user_id: int) -> list[ApiKey]:
        rows = self._read(select(s.api_keys).where(s.api_keys.c.user_id == user_id)
                          .order_by(s.api_keys.c.id))
        return [ApiKey(r.id, r.name, r.prefix, r.created_at, r.last_used_at) for r in rows]

    def delete_key(self, user_id: int, key_id: int) -> bool:
        with self.store._tx() as conn:
            result = conn.execute(delete(s.api_keys).where(s.api_keys.c.user_id == user_id,
                                                           s.api_keys.c.id == key_id))
        return bool(result.rowcount)

    def user_for_key(self, secret: str) -> User | None:
        if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        digest = token_hash(secret)
        rows = self._read(select(s.api_keys.c.id, s.api_keys.c.key_hash, s.api_keys.c.last_used_at,
                                 s.users.c.id.label("uid"), s.users.c.handle)
                          .join(s.users, s.users.c.id == s.api_keys.c.user_id)
                          .where(s.api_keys.c.key_hash == digest))
        if not rows:  # found by its hash: nothing secret is compared in Python
            return None
        row = rows[0]
        now = self.clock.now()
        last = row.last_used_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        if last is None or now - last > timedelta(minutes=1):  # not a write per request
            with self.store._tx() as conn:
                conn.execute(update(s.api_keys).where(s.api_keys.c.id == row.id)
                             .values(last_used_at=now))
        return User(row.uid, row.handle)

    # -- settings ------------------------------------------------------------------------
    def settings(self, user_id: int) -> dict[str, Any]:
        rows = self._read(select(s.user_settings.c.data).where(s.user_settings.c.user_id == user_id))
        return dict(rows[0].data) if rows else {}

    def save_settings(self, user_id: int, data: dict[str, Any]) -> None:
        now = self.clock.now()
        with self.store._tx() as conn:
            found = conn.execute(select(s.user_settings.c.user_id)
                                 .where(s.user_settings.c.user_id == user_id)).first()
            if found:
                conn.execute(update(s.user_settings).where(s.user_settings.c.user_id == user_id)
                             .values(data=data, updated_at=now))
            else:
                conn.execute(insert(s.user_settings).values(user_id=user_id, data=data,
                                                            updated_at=now))
