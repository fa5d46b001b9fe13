"""Where Canonry's data lives: the embedded server or any PostgreSQL named by URL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from canonry.config import Settings
from canonry.errors import StoreError
from canonry.store import blobs, migrate
from canonry.store.embedded import embedded_url, start_embedded
from canonry.store.secrets import SecretBox

Conn = psycopg.AsyncConnection[TupleRow]


@dataclass
class Database:
    """A reachable, migrated database, and the key for the secrets stored in it."""

    url: str
    secrets: SecretBox
    embedded: bool
    _server: Any = None

    def __repr__(self) -> str:
        return f"<Database {self.location}>"

    @property
    def key(self) -> str:
        """A short stable id of this database (no secret in it), to key per-process state."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:12]

    @property
    def location(self) -> str:
        """Where the data lives, safe to print: the embedded folder, or the URL sans password."""
        if self._server is not None:
            return f"embedded at {self._server.pgdata}"
        return _safe_url(self.url)

    async def connect(self, *, autocommit: bool = False) -> Conn:
        """A new connection; the caller closes it (``async with await db.connect()``)."""
        return await _connect(self.url, autocommit=autocommit)


async def _connect(url: str, *, autocommit: bool) -> Conn:
    try:
        return await psycopg.AsyncConnection.connect(
            url, autocommit=autocommit, application_name="canonry"
        )
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"cannot connect to PostgreSQL at {_safe_url(url)}: {first}; check "
            "CANONRY_DATABASE_URL (or --database-url), or unset it to use the embedded server"
        ) from None


def _safe_url(url: str) -> str:
    """The URL without its password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparseable URL>"
    host = info.get("host", "localhost")
    port = info.get("port", "5432")
    return f"postgresql://{info.get('user', '')}@{host}:{port}/{info.get('dbname', '')}"


@asynccontextmanager
async def open_database(settings: Settings, *, upgrade: bool = True) -> AsyncIterator[Database]:
    """The database named by settings (starting the embedded one if none), migrated."""
    server = None
    if settings.database_url is None:
        server = start_embedded(settings.home)
        url = embedded_url(server)
    else:
        url = settings.database_url.get_secret_value()
    blobs.configure(settings)  # this context's archive backend (db, fs or s3)
    db = Database(
        url=url,
        secrets=SecretBox.from_settings(settings),
        embedded=server is not None,
        _server=server,
    )
    if upgrade:
        async with await db.connect(autocommit=True) as conn:
            await migrate.upgrade(conn)
    yield db
