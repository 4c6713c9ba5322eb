"""Encryption at rest for free text that patients write.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256) from the ``cryptography`` package.
Several keys can be configured, newest first: the newest encrypts, all of them decrypt, so keys can be
rotated (``python -m bot rotate-key`` re-encrypts every stored value with the newest key). A value that
no configured key can decrypt raises :class:`WrongKeyError`: the bot fails closed rather than showing or
overwriting data it cannot read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


class WrongKeyError(RuntimeError):
    """Stored data cannot be decrypted with any configured key."""


class Keyring:
    def __init__(self, keys: list[str] | tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "an encryption key is not a valid Fernet key (generate one with: python -m bot keygen)"
            ) from None

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise WrongKeyError(
                "stored data cannot be decrypted with the configured ENCRYPTION_KEYS "
                "(wrong key, or an old key was removed before rotation)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise WrongKeyError("a stored value cannot be decrypted for rotation") from None


_keyring: Keyring | None = None


def install_keyring(keyring: Keyring) -> None:
    """Makes ``keyring`` the process-wide keyring used by the encrypted column types."""
    global _keyring
    _keyring = keyring


def current_keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("no encryption keyring installed (call install_keyring at start-up)")
    return _keyring


def generate_key() -> str:
    return Fernet.generate_key().decode()


def load_or_create_key_file(path: Path) -> str:
    """Reads the key file, creating it (mode 0600) with a new key when it does not exist yet."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token; plaintext never reaches the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else current_keyring().encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else current_keyring().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted (flow state may hold what a patient typed)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return current_keyring().encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        return None if value is None else json.loads(current_keyring().decrypt(value))
