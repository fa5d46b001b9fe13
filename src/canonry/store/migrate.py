"""A small migration runner: numbered SQL files applied in order, each in its own transaction.

Why not Alembic: it needs SQLAlchemy, which Canonry does not otherwise use, and our
migrations are plain SQL. This runner serializes concurrent upgraders with an advisory
lock and refuses to run against a database whose applied files were edited or are newer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from canonry.errors import MigrationError

_LOCK_KEY = 0x43414E4F4E5259  # "CANONRY"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """Migrations shipped with this code, in order."""
    found = []
    for entry in files("canonry.store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


async def applied(conn: psycopg.AsyncConnection[TupleRow]) -> dict[int, str]:
    """Applied versions and their checksums ({} on a fresh database)."""
    cur = await conn.execute("SELECT to_regclass('canonry.schema_migrations') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return {}
    cur = await conn.execute("SELECT version, checksum FROM canonry.schema_migrations")
    return {int(v): str(c) for v, c in await cur.fetchall()}


async def upgrade(conn: psycopg.AsyncConnection[TupleRow]) -> list[Migration]:
    """Apply every pending migration; returns what was applied."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        async with conn.transaction():
            await conn.execute("CREATE SCHEMA IF NOT EXISTS canonry")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS canonry.schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        done = await applied(conn)
        shipped = available()
        _check(done, shipped)
        ran = []
        for m in shipped:
            if m.version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql.SQL(m.sql))
                await conn.execute(
                    "INSERT INTO canonry.schema_migrations (version, name, checksum)"
                    " VALUES (%s, %s, %s)",
                    (m.version, m.name, m.checksum),
                )
            ran.append(m)
        return ran
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def _check(done: dict[int, str], shipped: list[Migration]) -> None:
    known = {m.version: m for m in shipped}
    newer = sorted(v for v in done if v not in known)
    if newer:
        raise MigrationError(
            f"the database has migrations {newer} that this Canonry does not know; "
            "upgrade Canonry, or point it at another database"
        )
    for version, checksum in done.items():
        if known[version].checksum != checksum:
            raise MigrationError(
                f"migration {version} ({known[version].name}) was edited after it was applied; "
                "add a new migration instead of changing an applied one"
            )
