"""Deleting a connection takes everything of it along, entity rows included (no FK on them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest

from canonry.canonical import ENTITY_TYPES, Employee
from canonry.config import Settings
from canonry.errors import NotFoundError
from canonry.sandbox import HRSandbox
from canonry.store import open_database
from canonry.store.connections import delete_connection, get_connection
from canonry.store.page import PageWrite
from canonry.store.schema import table_name
from canonry.store.writer import PageWriter
from canonry.sync import run_sync
from tests.conftest import register

# The tables the delete trigger of migration 0009 covers, found the way it finds them.
_COVERED = """
SELECT c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'canonry'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'connection_id' AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND NOT EXISTS (SELECT 1 FROM pg_constraint k
    WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = 'canonry.connections'::regclass)
"""


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def test_every_connection_owned_table_is_cascaded(database_url: str) -> None:
    """Each entity table is either covered by the delete trigger or has its FK: never neither."""
    with psycopg.connect(database_url) as conn:
        covered = {r[0] for r in conn.execute(_COVERED).fetchall()}
        owned = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'canonry' AND column_name = 'connection_id'"
            ).fetchall()
        }
        with_fk = {
            r[0]
            for r in conn.execute(
                "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
                " AND confrelid = 'canonry.connections'::regclass"
            ).fetchall()
        }
    assert {table_name(e) for e in ENTITY_TYPES.values()} <= covered
    assert owned == covered | {t.removeprefix("canonry.") for t in with_fk}


def test_deleting_a_synced_connection_leaves_nothing_of_it(
    settings: Settings,
    serve: Callable[[HRSandbox], str],
    hr_sandbox: Callable[..., HRSandbox],
) -> None:
    """Entity rows, raw pages, runs and watermarks go; another connection's rows stay."""
    url = serve(hr_sandbox(employees=300))

    async def go() -> None:
        await register(settings, "hr", url, page_size=100)
        await register(settings, "other", url, page_size=100)
        async with open_database(settings) as db:
            await run_sync(db, "hr")
            await run_sync(db, "other")
            async with await db.connect(autocommit=True) as conn:
                assert await delete_connection(conn, "hr")

    asyncio.run(go())
    with psycopg.connect(_url(settings)) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM canonry.employee),"
            " (SELECT count(*) FROM canonry.department),"
            " (SELECT count(*) FROM canonry.raw_pages), (SELECT count(*) FROM canonry.sync_runs),"
            " (SELECT count(DISTINCT connection_id) FROM canonry.employee)"
        ).fetchone()
    assert left == (300, 40, 4, 1, 1)  # only "other": 3 employee pages + 1 department page


def test_a_page_for_a_deleted_connection_is_refused(settings: Settings) -> None:
    """A replayed page written after its connection went is refused, not stored as an orphan."""

    async def go() -> None:
        await register(settings, "hr", "http://127.0.0.1:9", page_size=100)
        async with open_database(settings) as db, await db.connect() as conn:
            record = await get_connection(conn, "hr")
            await conn.commit()
            writer = PageWriter(
                conn, connection_id=record.id, run_id=None, stream="employees",
                entity=Employee, mapping_version="v", replay=True,
            )  # fmt: skip
            await writer.prepare()
            async with await db.connect(autocommit=True) as other:
                await delete_connection(other, "hr")
            page = PageWrite("employees", None, 1, record.created_at, 0, None, [], [], None)
            with pytest.raises(NotFoundError, match="was deleted while its pages were written"):
                await writer.write(page, None)

    asyncio.run(go())
