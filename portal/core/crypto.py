"""Encryption of secrets kept in the database (ASVS 6.2.1, 6.4.1): Fernet (AES-128-CBC with HMAC-SHA256, from the
`cryptography` package) through a MultiFernet, so that keys can be rotated.

The keys come from the environment variable DATA_ENCRYPTION_KEYS: comma-separated Fernet keys, the first one
encrypts, every one decrypts. To rotate: put a new key first, keep the old ones after it, restart, run
`flask --app wsgi accounts rotate-encryption` (which re-encrypts every secret with the first key), then drop the old
keys. A key is made with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.

Without DATA_ENCRYPTION_KEYS (development, tests) one key is derived from SECRET_KEY, so that `make run` works out of
the box. That is NOT protection: whoever has SECRET_KEY (it sits next to the database settings) has the key;
production therefore refuses to start without DATA_ENCRYPTION_KEYS (config.ProductionConfig).

`EncryptedText` is the column type: the model reads and writes the clear text, the database only ever holds the
token. A value that cannot be decrypted with any key raises `cryptography.fernet.InvalidToken` when read, loudly,
rather than handing out garbage."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EncryptedText",
    "InvalidToken",
    "decrypt",
    "derived_key",
    "encrypt",
    "fernet",
    "key_id",
    "keyed_digest",
    "rotate",
]


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from the app's SECRET_KEY: for development only (see the module's docstring)."""
    digest = hashlib.sha256(b"portal data encryption key|" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def parse_keys(value: str | Iterable[str] | None) -> list[bytes]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip().encode() for item in items if item and item.strip()]


def keys_from_config(config) -> list[bytes]:
    keys = parse_keys(config.get("DATA_ENCRYPTION_KEYS"))
    return keys or [derived_key(config["SECRET_KEY"])]


def fernet(keys: list[bytes] | None = None) -> MultiFernet:
    """The MultiFernet of the given keys, or of the app's (the first encrypts, all decrypt)."""
    if keys is None:
        keys = keys_from_config(current_app.config)
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str, keys: list[bytes] | None = None) -> str:
    return fernet(keys).encrypt(text.encode()).decode("ascii")


def decrypt(token: str, keys: list[bytes] | None = None) -> str:
    return fernet(keys).decrypt(token.encode("ascii")).decode()


def rotate(token: str, keys: list[bytes] | None = None) -> str:
    """The same secret encrypted with the first key (a token made with any of the keys)."""
    return fernet(keys).rotate(token.encode("ascii")).decode("ascii")


def key_id(key: bytes) -> str:
    """A short public name of a key (8 hex digits of a hash of it), stored beside what was made with it."""
    return hashlib.sha256(b"portal key id|" + key).hexdigest()[:8]


def keyed_digest(text: str, key: bytes) -> str:
    """HMAC-SHA256 of `text` (hex) under a MAC key derived from a data-encryption key: a one-way value that nobody
    can test guesses against without the key, which is not in the database (for secrets nothing needs back)."""
    mac_key = hashlib.sha256(b"portal keyed digest|" + key).digest()
    return hmac.new(mac_key, text.encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    """A string column stored encrypted. Size the column for the token: about 1.4 times the clear text, plus 100."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
