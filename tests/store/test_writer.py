"""The page writer racing another writer of the same rows: nothing lost, nothing stale kept.

Syncs and replays of one connection are serialized, so this other writer is plain SQL on a
second connection. Each test holds a row lock there, lets the page's statement block on
it, then commits: the page read the rows before that commit and writes them after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from canonry.canonical import Department
from canonry.config import Settings
from canonry.store import open_database
from canonry.store.connections import get_connection
from canonry.store.database import Conn
from canonry.store.page import PageWrite
from canonry.store.writer import PageCounts, PageWriter
from tests.conftest import log_events, register
from tests.store.pages import department_page

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STORED, PAGE, LATER = T0, T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2)
_INSERT = (
    "INSERT INTO canonry.department (connection_id, source_id, name, source_updated_at,"
    " raw_page_id, record_index, mapping_version, observed_at) VALUES (%s, %s, %s, %s, 1, 0,"
    " 'v1', now())"
)


async def _blocked(watch: Conn, pid: int) -> None:
    """Return once backend ``pid`` waits on a lock (the other writer's)."""
    for _ in range(500):
        cur = await watch.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
        )
        row = await cur.fetchone()
        if row is not None and row[0] == "Lock":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the page's statement never waited for the other writer")


async def _race(
    settings: Settings,
    setup: Callable[[Conn, int], Awaitable[None]],
    other_writes: Callable[[Conn, int], Awaitable[None]],
    page: PageWrite,
) -> tuple[PageCounts, dict[str, tuple[str, dt.datetime]]]:
    """Write ``page`` while ``other_writes`` holds its rows; return counts and stored rows."""
    await register(settings, "hr", "http://127.0.0.1:9")
    async with open_database(settings) as db, await db.connect() as conn:
        connection_id = (await get_connection(conn, "hr")).id
        await setup(conn, connection_id)
        await conn.commit()
        writer = PageWriter(
            conn, connection_id=connection_id, run_id=None, stream="departments",
            entity=Department, mapping_version="v1", replay=True,
        )  # fmt: skip
        await writer.prepare()
        async with await db.connect() as other, await db.connect(autocommit=True) as watch:
            await other_writes(other, connection_id)
            async with conn.transaction():
                task = asyncio.create_task(writer.write(page, None))
                await _blocked(watch, conn.info.backend_pid)
                await other.commit()
                counts = await task
        cur = await conn.execute(
            "SELECT source_id, name, source_updated_at FROM canonry.department"
            " WHERE connection_id = %s",
            (connection_id,),
        )
        stored = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
    return counts, stored


async def _nothing(conn: Conn, connection_id: int) -> None:
    pass


def test_a_row_another_writer_inserts_under_the_page_is_upserted(settings: Settings) -> None:
    """The page saw no D2; by its insert, D2 exists: the upsert fallback updates it."""

    async def theirs(other: Conn, connection_id: int) -> None:
        await other.execute(_INSERT, (connection_id, "D2", "theirs", STORED))

    page = department_page({"D1": "ours", "D2": "ours", "D3": "ours"}, PAGE)
    with log_events() as logs:
        counts, stored = asyncio.run(_race(settings, _nothing, theirs, page))
    assert stored == dict.fromkeys(("D1", "D2", "D3"), ("ours", PAGE))
    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 1, 0)
    assert [e["missed"] for e in logs if e["event"] == "page.upserted"] == [1]


@pytest.mark.parametrize(
    ("their_time", "winner"), [(LATER, "theirs"), (STORED, "ours")], ids=["newer", "older"]
)
def test_a_row_another_writer_updates_under_the_page_keeps_the_newest(
    settings: Settings, their_time: dt.datetime, winner: str
) -> None:
    """The page compared D1 with the version the other writer replaced, then found it gone.

    The newest version wins either way: the page's when the other writer's is older, the
    other writer's when it is newer than the page (the page's is stale then).
    """

    async def stored(conn: Conn, connection_id: int) -> None:
        await conn.execute(_INSERT, (connection_id, "D1", "stored", STORED))

    async def theirs(other: Conn, connection_id: int) -> None:
        await other.execute(
            "UPDATE canonry.department SET name = 'theirs', source_updated_at = %s"
            " WHERE connection_id = %s AND source_id = 'D1'",
            (their_time, connection_id),
        )

    page = department_page({"D1": "ours", "D2": "ours"}, PAGE)
    with log_events() as logs:
        counts, rows = asyncio.run(_race(settings, stored, theirs, page))
    assert rows["D1"] == (winner, PAGE if winner == "ours" else their_time)
    assert rows["D2"] == ("ours", PAGE)
    assert (counts.inserted, counts.updated) == (1, 1 if winner == "ours" else 0)
    assert [e["missed"] for e in logs if e["event"] == "page.upserted"] == [1]
