"""Encryption at rest for what a function is configured with in confidence: its
environment variables (Lambda encrypts them with a KMS key; here, with a key of the
server's own).

The key lives in the data directory (``secret.key``, mode 0600), made on first start. It
is Fernet's: AES-128-CBC with an HMAC-SHA256, so a value is both secret and
tamper-evident. Losing the key makes the stored variables unreadable, as losing a KMS key
would: back it up with the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken


class SecretError(Exception):
    """A stored value cannot be decrypted with this server's key."""


class Cipher(Protocol):
    def encrypt(self, plain: bytes) -> str: ...

    def decrypt(self, token: str) -> bytes: ...


class FernetCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_file(cls, path: Path) -> FernetCipher:
        """The key at ``path``, made (atomically, readable by the owner only) if absent."""
        return cls(key_file(path, Fernet.generate_key))

    def encrypt(self, plain: bytes) -> str:
        return self._fernet.encrypt(plain).decode()

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise SecretError(
                "a stored value does not decrypt with this server's key (secret.key was "
                "replaced or the data is corrupt)"
            ) from None


def key_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key kept at ``path``; the first caller makes it with ``make`` and writes it
    atomically, readable by the owner only, and durably before anyone uses it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as sink:
            sink.write(make())
            sink.flush()
            os.fsync(sink.fileno())
        try:
            os.link(scratch, path)  # never replaces a key another process just made
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
        # The key's name is on disk before anything is protected with it.
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return path.read_bytes().strip()
