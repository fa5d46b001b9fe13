"""Row digests: rows stored with the same values are recognised before anything is staged.

A digest match must mean that the value compare would have written nothing, and every other
row must still reach the compare. These tests write pages through the writer and read what
the store holds and how many rows the stage received.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg import sql

from canonry.canonical import Department
from canonry.config import Settings
from canonry.mapping import Tombstone, entity_columns
from canonry.store import open_database
from canonry.store.connections import get_connection
from canonry.store.copyfmt import encode_rows
from canonry.store.database import Conn
from canonry.store.page import PageWrite
from canonry.store.writer import PageCounts, PageWriter
from tests.conftest import register
from tests.store.pages import department_page

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=1)


def _writer(conn: Conn, connection_id: int, *, replay: bool, version: str = "v1") -> PageWriter:
    return PageWriter(
        conn, connection_id=connection_id, run_id=None, stream="departments",
        entity=Department, mapping_version=version, replay=replay,
    )  # fmt: skip


async def _xact_stat(conn: Conn, counter: str, table: str) -> int:
    """A table's statistics counter for this transaction so far: differences within one
    transaction count what its statements did."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT coalesce(sum({}), 0) FROM pg_stat_xact_user_tables WHERE relname = %s"
        ).format(sql.Identifier(counter)),
        (table,),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _staged(conn: Conn) -> int:
    """Rows COPYed into the stage (not yet reported to the statistics)."""
    return await _xact_stat(conn, "n_tup_ins", "stage_department")


async def _stored(conn: Conn) -> dict[str, tuple[str, bool, bytes | None, str]]:
    cur = await conn.execute(
        "SELECT source_id, name, deleted, row_digest, xmin::text FROM canonry.department"
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in await cur.fetchall()}


def _counts(c: PageCounts) -> tuple[int, int, int]:
    return c.inserted, c.updated, c.unchanged


@dataclass
class _Store:
    conn: Conn
    connection_id: int
    counts: list[PageCounts]  # what each page of the sync did

    async def replayer(self, version: str = "v1") -> PageWriter:
        writer = _writer(self.conn, self.connection_id, replay=True, version=version)
        await writer.prepare()
        return writer


@asynccontextmanager
async def _synced(settings: Settings, *pages: PageWrite) -> AsyncIterator[_Store]:
    """The store after a sync wrote ``pages``, each in its own transaction."""
    await register(settings, "hr", "http://127.0.0.1:9")
    async with open_database(settings) as db, await db.connect() as conn:
        cid = (await get_connection(conn, "hr")).id
        sync = _writer(conn, cid, replay=False)
        await sync.prepare()
        yield _Store(conn, cid, [await sync.write(page, None) for page in pages])


def test_stored_rows_are_skipped_and_only_the_others_staged(settings: Settings) -> None:
    """A replayed page of stored rows stages nothing; a page with one changed and one new
    row stages those two only, and the store ends as the values say."""
    first = department_page({"D1": "a", "D2": "b", "D3": "c"}, T0)
    second = department_page({"D1": "a", "D2": "B", "D4": "d"}, T1, D1=T0)

    async def go() -> None:
        async with _synced(settings, first) as store:
            conn = store.conn
            assert _counts(store.counts[0]) == (3, 0, 0)
            before = await _stored(conn)
            assert first.rows is not None
            assert {k: v[2] for k, v in before.items()} == dict(
                zip(first.rows.ids, first.rows.digests, strict=True)
            )
            again = await store.replayer()
            async with conn.transaction():
                staged = await _staged(conn)
                assert _counts(await again.write(first, None)) == (0, 0, 3)
                assert await _staged(conn) - staged == 0
                assert _counts(await again.write(second, None)) == (1, 1, 1)
                assert await _staged(conn) - staged == 2
            after = await _stored(conn)
        assert second.rows is not None
        digests = dict(zip(second.rows.ids, second.rows.digests, strict=True))
        assert {k: v[:3] for k, v in after.items()} == {
            "D1": ("a", False, digests["D1"]),
            "D2": ("B", False, digests["D2"]),
            "D3": ("c", False, before["D3"][2]),
            "D4": ("d", False, digests["D4"]),
        }
        assert after["D1"][3] == before["D1"][3]  # not rewritten: no new row version

    asyncio.run(go())


async def _index_scans(conn: Conn) -> int:
    """Index scans of the department table in this transaction so far."""
    return await _xact_stat(conn, "idx_scan", "department")


def test_a_replayed_page_finds_the_rows_it_wrote_in_one_index_scan(settings: Settings) -> None:
    """Rows that the replayed raw page itself wrote are read by the raw-page index at once;
    a row another page wrote since (or a new one) takes its own primary-key probe."""
    first = department_page({f"D{i}": "a" for i in range(40)}, T0)

    async def go() -> None:
        async with _synced(settings, first) as store:
            conn = store.conn
            again = await store.replayer()
            async with conn.transaction():
                scans = await _index_scans(conn)
                assert _counts(await again.write(first, None)) == (0, 0, 40)
                assert await _index_scans(conn) - scans == 1
            await conn.execute(
                "UPDATE canonry.department SET raw_page_id = 2 WHERE source_id IN ('D1', 'D2')"
            )
            await conn.commit()
            async with conn.transaction():
                scans = await _index_scans(conn)
                assert _counts(await again.write(first, None)) == (0, 0, 40)
                assert await _index_scans(conn) - scans == 3

    asyncio.run(go())


def test_versions_older_than_the_stored_ones_are_not_staged(settings: Settings) -> None:
    """The compare would keep a newer stored version (its staleness guard): such rows are
    settled by the digest check already, whatever their values; rows without a time are
    left to the compare."""
    stored = department_page({"D1": "new", "D2": "new"}, T1)
    older = department_page({"D1": "old", "D2": "old", "D3": "old"}, T0)

    async def go() -> None:
        async with _synced(settings, stored) as store:
            conn = store.conn
            await conn.execute(
                "UPDATE canonry.department SET source_updated_at = NULL WHERE source_id = 'D2'"
            )
            await conn.commit()
            again = await store.replayer()
            async with conn.transaction():
                staged = await _staged(conn)
                assert _counts(await again.write(older, None)) == (1, 1, 1)
                assert await _staged(conn) - staged == 2  # D2 (no stored time) and D3 (new)
            after = await _stored(conn)
        assert {k: v[0] for k, v in after.items()} == {"D1": "new", "D2": "old", "D3": "old"}

    asyncio.run(go())


def test_a_page_without_update_times_settles_by_digest_and_the_compare_does_the_rest(
    settings: Settings,
) -> None:
    """Pages prepared while the writer inserted carry no update times: if the writer has
    moved on to comparing, equal rows are still settled by their digest, and an older
    version is staged but kept out by the compare's own staleness guard."""
    stored = department_page({"D1": "new", "D2": "same"}, T1)
    late = department_page({"D1": "old", "D2": "same", "D3": "x"}, T0, D2=T1, update_times=False)
    assert late.rows is not None
    assert late.rows.time_array is None

    async def go() -> None:
        async with _synced(settings, stored) as store:
            conn = store.conn
            again = await store.replayer()
            async with conn.transaction():
                staged = await _staged(conn)
                assert _counts(await again.write(late, None)) == (1, 0, 2)
                assert await _staged(conn) - staged == 2  # D1 (no time to settle it) and D3
            after = await _stored(conn)
        assert {k: v[0] for k, v in after.items()} == {"D1": "new", "D2": "same", "D3": "x"}

    asyncio.run(go())


def test_a_new_mapping_version_reaches_every_row(settings: Settings) -> None:
    """Same values under another mapping version: every row is staged and restamped."""
    page = department_page({"D1": "a", "D2": "b"}, T0)

    async def go() -> None:
        async with _synced(settings, page) as store:
            conn = store.conn
            again = await store.replayer(version="v2")
            async with conn.transaction():
                staged = await _staged(conn)
                assert _counts(await again.write(page, None)) == (0, 2, 0)
                assert await _staged(conn) - staged == 2
            cur = await conn.execute("SELECT DISTINCT mapping_version FROM canonry.department")
            assert await cur.fetchall() == [("v2",)]

    asyncio.run(go())


def test_a_row_a_tombstone_changed_is_compared_by_value_again(settings: Settings) -> None:
    """A tombstone without a time changes the row's values: its old digest no longer holds,
    so the archived record replayed after it is compared by value, and written back."""
    page = department_page({"D1": "a"}, T0)

    async def go() -> None:
        gone = department_page({}, T1, [Tombstone("D1", None, 0)])
        async with _synced(settings, page, gone) as store:
            conn = store.conn
            assert store.counts[1].deleted == 1
            assert (await _stored(conn))["D1"][1:3] == (True, None)
            again = await store.replayer()
            async with conn.transaction():
                assert _counts(await again.write(page, None)) == (0, 1, 0)
            assert page.rows is not None
            assert (await _stored(conn))["D1"][:3] == ("a", False, page.rows.digests[0])

    asyncio.run(go())


def test_digests_cover_the_values_and_not_the_place_in_thedepartment_page() -> None:
    columns = entity_columns(Department)
    base = Department(source_id="D1", name="a", code="X", source_updated_at=T0)
    row = tuple(base.__dict__[c] for c in columns)
    same_elsewhere = encode_rows(Department, [(*row, 0), (*row, 7)]).digests
    assert same_elsewhere[0] == same_elsewhere[1]
    for change in ({"name": "b"}, {"code": None}, {"source_updated_at": T1}, {"deleted": True}):
        other = base.model_copy(update=change)
        digest = encode_rows(Department, [(*(other.__dict__[c] for c in columns), 0)]).digests
        assert digest[0] != same_elsewhere[0], change
    staged = encode_rows(Department, [(*row, 0), (*row, 1), (*row, 2)])
    assert staged.subset([0, 1, 2]) == staged.payload
    assert len(staged.subset([1])) < len(staged.subset([0, 2])) < len(staged.payload)
