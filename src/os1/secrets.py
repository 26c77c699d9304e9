"""Secrets at rest (mail and calendar passwords): encrypted with a key the person controls.

The key is a Fernet key (AES-128-CBC + HMAC-SHA256, from ``cryptography``) kept in a file
only its owner can read, outside the database: a copy of the database alone (a backup, a
stolen laptop's synced folder) doesn't reveal a password. ``OS1_SECRET_KEY`` (the key
itself) overrides the file, so a person can keep it in their own password manager or
keyring and hand it to os1 at start. The server keeps one key for the process; each
person's secrets are additionally bound to their user id (associated data in the token's
plaintext), so one person's ciphertext can't be replayed as another's.
"""

from __future__ import annotations

import os
from pathlib import Path

from os1.errors import ConfigError

KEY_ENV = "OS1_SECRET_KEY"


class SecretBox:
    """Encrypts and decrypts short secrets. Construct with ``open_box``."""

    def __init__(self, key: bytes, origin: str) -> None:
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"The secret key in {origin} isn't a valid key.",
                              f"Remove it and let os1 make a new one (secrets saved with it "
                              f"will have to be entered again), or set {KEY_ENV} to the right "
                              "key.") from exc
        self.origin = origin

    def encrypt(self, secret: str, *, owner: int) -> str:
        token = self._fernet.encrypt(f"{owner}\x00{secret}".encode())
        return token.decode("ascii")

    def decrypt(self, token: str, *, owner: int) -> str:
        from cryptography.fernet import InvalidToken

        try:
            plain = self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise ConfigError(f"A saved password can't be decrypted with the key in {self.origin}.",
                              "The key changed since it was saved: enter the password again "
                              "(os1 mail connect / os1 calendar connect), or restore the old "
                              "key.") from exc
        stored_owner, _, secret = plain.partition("\x00")
        if stored_owner != str(owner):
            raise ConfigError("A saved password belongs to someone else.",
                              "Enter the password again.")
        return secret


def open_box(key_file: Path) -> SecretBox:
    """The box for this data directory: ``OS1_SECRET_KEY`` if set, else ``key_file``
    (created with mode 0600 on first use)."""
    from cryptography.fernet import Fernet

    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return SecretBox(env.encode("ascii", "replace"), f"${KEY_ENV}")
    try:
        if key_file.exists():
            return SecretBox(key_file.read_bytes().strip(), str(key_file))
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key + b"\n")
        return SecretBox(key, str(key_file))
    except FileExistsError:  # another process made it just now
        return SecretBox(key_file.read_bytes().strip(), str(key_file))
    except OSError as exc:
        raise ConfigError(f"Couldn't read or create the secret key at {key_file}: "
                          f"{exc.strerror or exc}.",
                          f"Check the folder's permissions, or set {KEY_ENV}.") from exc


def fresh_key() -> str:
    """A new key, for ``OS1_SECRET_KEY`` (``os1 secret-key``)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")
