"""Credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from ``CANONRY_SECRET_KEY``, else from ``$CANONRY_HOME/secret.key``, which is
created (mode 0600) on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken

from canonry.config import Settings
from canonry.errors import ConfigError


class SecretBox:
    """Encrypts and decrypts a connection's secret fields."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ConfigError(
                "CANONRY_SECRET_KEY is not a valid key; make one with "
                "`python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())'`"
            ) from None

    def __repr__(self) -> str:
        return "<SecretBox ***>"

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(_key_file(settings.home))

    def seal(self, values: dict[str, str]) -> bytes:
        return self._fernet.encrypt(orjson.dumps(values))

    def open(self, token: bytes) -> dict[str, str]:
        try:
            data: dict[str, str] = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise ConfigError(
                "stored credentials cannot be decrypted with this key; set CANONRY_SECRET_KEY "
                "to the key they were saved with, or add the connection again with --force"
            ) from None
        return data


def _key_file(home: Path) -> bytes:
    path = home / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
