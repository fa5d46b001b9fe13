"""Writing one mapped page: archive entry, entity upsert, tombstones, dead letters, watermark
and run counters, all in one transaction. A crash at any instant leaves all of it or none.

Rows go through binary COPY into a session temp table, then one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE <something changed>``: unchanged rows get no
new version (no dead tuples) and stale versions never overwrite newer ones. The upsert
locks every conflicting row before its ``WHERE`` runs, though: a page of 1,000 unchanged
rows wrote 3.3 MB of WAL and dirtied 1,000 heap pages for nothing. So while pages bring
mostly unchanged rows (a replay, a full refresh), one statement compares each staged row
with the stored one first and writes only what changed, with the upsert as its fallback
for rows a concurrent writer changed or inserted between the compare and the write.
Before even that, the page's row digests are checked against the stored ones (with no
COPY): rows stored with the same values, and rows older than the stored version, would not
be written by the compare either; only the others are staged and compared, and a page of
unchanged rows sends nothing more. A replayed page finds the rows it wrote itself by the
raw-page index, in one read; only the others take one primary-key probe each.

While a stream's pages bring only new records (a first sync), a plain ``INSERT`` replaces
the upsert: it skips the speculative insertion, about 1.5 ms of PostgreSQL's CPU per 1,000
rows. The first page that meets a stored row fails it, and is written again with the upsert.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal

import structlog
from psycopg import AsyncCursor, errors, sql
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from canonry.archive import ArchivedPage
from canonry.canonical import CanonicalEntity
from canonry.errors import NotFoundError
from canonry.mapping import DeadLetter, entity_columns
from canonry.store.blobs import blob_stores, store_blob
from canonry.store.copyfmt import ROW_DIGEST, PackedArray, PackedArrayDumper, StagedRows, null_times
from canonry.store.database import Conn
from canonry.store.page import PageWrite
from canonry.store.refresh import RefreshStep, record_step
from canonry.store.schema import column_types, table_name

log = structlog.get_logger("canonry.sync")
_Mode = Literal["insert", "compare", "upsert"]  # how PageWriter writes its next page


@dataclass
class PageCounts:
    """What one page did to the store."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    dead_lettered: int = 0

    def add(self, other: PageCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PageWriter:
    """Writes the pages of one stream of one sync run through one connection.

    Each page commits on its own, except with ``replay=True``: then the caller holds one
    transaction around all the pages, and calls ``finish()`` before it ends.
    """

    def __init__(
        self,
        conn: Conn,
        *,
        connection_id: int,
        run_id: int,
        stream: str,
        entity: type[CanonicalEntity],
        mapping_version: str,
        replay: bool = False,
    ) -> None:
        self._conn = conn
        self._replay = replay
        # A newer version of a record supersedes its dead letters; re-mapping the same
        # archived record successfully (replay, retry) resolves them.
        self._resolved_as = "resolved" if replay else "superseded"
        self._connection_id = connection_id
        self._run_id = run_id
        self._stream = stream
        self._entity = entity
        self._mapping_version = mapping_version
        self._stage = sql.Identifier(f"stage_{table_name(entity)}")
        self._open_dead_letters = True
        self._apply: sql.Composed | bytes = self._apply_sql()
        self._differing: sql.Composed | bytes = self._differing_sql()
        self._upsert: sql.Composed | bytes = self._upsert_sql(conflicts=True)
        self._insert: sql.Composed | bytes = self._upsert_sql(conflicts=False)
        # How the next page is written, chosen from what the last one did:
        # - "insert" after a page that inserted every row (never again once a plain INSERT
        #   met a stored row; never in a replay, whose rows are all stored already);
        # - "compare" after a page of mostly unchanged rows (a replay's are): the compare
        #   writes nothing for them, where the upsert would lock each one;
        # - "upsert" otherwise: pages of changed rows need their locks, in one pass.
        self._mode: _Mode = "compare" if replay else "upsert"
        self._may_insert = not replay
        # The volatile WHERE (always true) makes COPY insert row by row into the stage. Its
        # batched path buffers a binary COPY's 1,000 rows in 1,000 slots, and PostgreSQL
        # (up to 16 at least) tracks each slot's pin of one tuple descriptor in a resource
        # owner array whose cost grows with the square of its identical entries: a quarter
        # of the COPY, 0.85 ms a page. The stage is a temp table, so row by row writes no WAL.
        self._copy: sql.Composed | bytes = sql.SQL(
            "COPY {} FROM STDIN (FORMAT BINARY) WHERE random() >= 0"
        ).format(self._stage)
        self._truncate: sql.Composed | bytes = sql.SQL("TRUNCATE {}").format(self._stage)
        self._stage_filled = False  # rows of an earlier page of this transaction are staged
        # A replay's pages share one transaction: it locks the connection once, and its
        # counters, invisible to others until it commits anyway, are written by finish().
        self._locked = False
        self._held, self._held_pages = PageCounts(), 0

    def __repr__(self) -> str:
        return f"<PageWriter run={self._run_id} stream={self._stream!r}>"

    async def prepare(self) -> None:
        """Create the staging table for this session and learn whether the DLQ has entries."""
        columns = entity_columns(self._entity)
        defs = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for c, t in zip(
                (*columns, "record_index", ROW_DIGEST),
                (*column_types(self._entity), "int4", "bytea"),
                strict=True,
            )
        )
        await self._conn.execute(
            sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} ({}) ON COMMIT DELETE ROWS").format(
                self._stage, defs
            )
        )
        cur = await self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM canonry.dead_letters WHERE connection_id = %s"
            " AND stream = %s AND status = 'open')",
            (self._connection_id, self._stream),
        )
        row = await cur.fetchone()
        self._open_dead_letters = bool(row and row[0])
        self._conn.adapters.register_dumper(PackedArray, PackedArrayDumper)
        # Each page commits with its watermark, so atomicity is what resuming needs, not
        # fsync-per-page: if the *server* crashes, the last pages and their watermark are
        # lost together and simply fetched again. A killed client loses nothing committed.
        await self._conn.execute("SET synchronous_commit = off")
        await self._conn.commit()
        # Rendered once: composing them costs more per page than sending them.
        self._apply = self._as_bytes(self._apply)
        self._differing = self._as_bytes(self._differing)
        self._upsert = self._as_bytes(self._upsert)
        self._insert = self._as_bytes(self._insert)
        self._copy = self._as_bytes(self._copy)
        self._truncate = self._as_bytes(self._truncate)

    @property
    def inserting(self) -> bool:
        """Whether pages are written with a plain INSERT for now (only new rows so far)."""
        return self._mode == "insert"

    def _as_bytes(self, query: sql.Composed | bytes) -> bytes:
        return query if isinstance(query, bytes) else query.as_bytes(self._conn)

    async def write(
        self, page: PageWrite, watermark: dt.datetime | None, refresh: RefreshStep | None = None
    ) -> PageCounts:
        """Apply ``page`` and move the watermark to ``watermark`` (if given), atomically.

        In a full refresh, ``refresh`` moves its checkpoint and seen ids in the same
        transaction, so a resumed refresh starts exactly after the pages stored.
        """
        if self._mode == "insert":
            try:
                return await self._write(page, watermark, refresh)
            except errors.UniqueViolation:  # rolled back whole: write it again, upserting
                self._mode, self._may_insert = "upsert", False
                log.info("page.rewritten", stream=self._stream, why="a row was stored already")
        return await self._write(page, watermark, refresh)

    async def _write(
        self, page: PageWrite, watermark: dt.datetime | None, refresh: RefreshStep | None
    ) -> PageCounts:
        counts = PageCounts(fetched=page.fetched, dead_lettered=len(page.dead))
        # A replay runs inside its own outer transaction: a savepoint per page would only add
        # round trips, and make every per-page TRUNCATE of the stage create a new file.
        async with nullcontext() if self._replay else self._conn.transaction():
            page_id = page.raw_page_id
            if page_id is None:
                assert page.archived is not None, "a fresh page must carry its archive entry"
                page_id = await self._insert_raw(page.archived)  # its FK locks the connection
            elif not self._locked:
                await self._lock_connection()
                self._locked = self._replay
            if page.rows is not None:
                counts.inserted, counts.updated = await self._upsert_rows(page, page_id)
                counts.unchanged = len(page.row_ids) - counts.inserted - counts.updated
                if self._open_dead_letters:
                    await self._supersede_ids(page.row_ids)
            if page.tombstones:
                counts.deleted = await self._apply_tombstones(page, page_id)
            if page.dead:
                await self._insert_dead(page, page_id)
                self._open_dead_letters = True
            elif self._replay and self._open_dead_letters:
                await self._resolve_page(page_id)
            if refresh is not None:
                await record_step(self._conn, self._connection_id, self._stream, refresh)
            if self._replay:
                self._held.add(counts)
                self._held_pages += 1
            else:
                await self._count(counts, watermark)
        return counts

    async def finish(self) -> None:
        """Add a replay's pages to its run's counters: call it before its transaction ends."""
        if self._held_pages:
            await self._count(self._held, None, pages=self._held_pages)
            self._held, self._held_pages = PageCounts(), 0

    async def _lock_connection(self) -> None:
        """Hold the connection row for this transaction: entity rows have no FK to it.

        A concurrent delete of the connection waits for the page, then deletes its rows too.
        """
        cur = await self._conn.execute(
            "SELECT 1 FROM canonry.connections WHERE id = %s FOR KEY SHARE", (self._connection_id,)
        )
        if await cur.fetchone() is None:
            raise NotFoundError(
                f"connection {self._connection_id} was deleted while its pages were written; "
                "nothing more is stored for it"
            )

    async def _insert_raw(self, a: ArchivedPage) -> int:
        """Store the page's fetch record, and its body once per content hash.

        With a blob backend configured, a new body's blob is written here, before the
        transaction commits the row that points to it.
        """
        store = blob_stores().writer()
        cur = await self._conn.execute(
            "WITH b AS (INSERT INTO canonry.raw_bodies (content_hash, body, body_size,"
            " stored_size, stored_in, location) VALUES (%(hash)s, %(body)s, %(size)s, %(stored)s,"
            " %(kind)s, %(location)s) ON CONFLICT (content_hash) DO NOTHING RETURNING 1)"
            " INSERT INTO canonry.raw_pages (connection_id, stream, sync_run_id, request, status,"
            " headers, content_hash, record_count, fetched_at) VALUES (%(c)s, %(s)s, %(run)s,"
            " %(req)s, %(status)s, %(headers)s, %(hash)s, %(n)s, %(at)s)"
            " RETURNING id, (SELECT count(*) FROM b)",
            {
                "hash": a.content_hash, "body": a.body if store is None else None,
                "size": a.body_size, "stored": len(a.body),
                "kind": "db" if store is None else store.kind,
                "location": None if store is None else store.location,
                "c": self._connection_id, "s": self._stream, "run": self._run_id,
                "req": Jsonb(a.request), "status": a.status, "headers": Jsonb(a.headers),
                "n": a.record_count, "at": a.fetched_at,
            },
        )  # fmt: skip
        row = await cur.fetchone()
        assert row is not None
        if store is not None and row[1]:
            await store_blob(store, a.content_hash, a.body)
        return int(row[0])

    async def _upsert_rows(self, page: PageWrite, page_id: int) -> tuple[int, int]:
        staged = page.rows
        assert staged is not None
        params = {
            "connection_id": self._connection_id,
            "page_id": page_id,
            "mapping_version": self._mapping_version,
            "observed_at": page.observed_at,
            "run_id": self._run_id,
        }
        async with self._conn.cursor() as cur:
            if self._mode == "insert":
                await self._stage_rows(cur, staged.payload)
                await cur.execute(self._insert, params)
                return cur.rowcount, 0
            if self._mode == "compare":
                inserted, updated = await self._compare_then_write(cur, staged, params)
            else:
                await self._stage_rows(cur, staged.payload)
                inserted, updated = await _counts(cur, self._upsert, params)
        rows = len(staged.ids)
        mode: _Mode = (
            "insert" if self._may_insert and inserted == rows
            else "compare" if (inserted + updated) * 2 <= rows  # mostly unchanged rows
            else "upsert"
        )  # fmt: skip
        if (mode == "compare") != (self._mode == "compare"):
            log.info("writer.compare", stream=self._stream, on=mode == "compare")
        self._mode = mode
        return inserted, updated

    async def _stage_rows(self, cur: AsyncCursor[TupleRow], payload: bytes) -> None:
        if self._stage_filled:
            # A replay writes every page inside one outer transaction, so ON COMMIT DELETE
            # ROWS never fires between pages: without this, each page would upsert all the
            # pages before it again (quadratic). TRUNCATE, not DELETE: dead tuples would
            # still be scanned by every later page.
            await cur.execute(self._truncate)
        async with cur.copy(self._copy) as copy:
            await copy.write(payload)
        self._stage_filled = self._replay

    async def _differing_rows(
        self, cur: AsyncCursor[TupleRow], staged: StagedRows, params: dict[str, object]
    ) -> list[int]:
        """Positions of the rows the compare may have to write (see ``_differing_sql``).

        A page prepared without update times settles only rows stored with its digests.
        """
        times = staged.time_array if staged.time_array is not None else null_times(len(staged.ids))
        await cur.execute(
            self._differing,
            {**params, "ids": staged.id_array, "digests": staged.digest_array, "updated": times},
        )
        row = await cur.fetchone()
        assert row is not None
        return list(row[0])

    async def _compare_then_write(
        self, cur: AsyncCursor[TupleRow], staged: StagedRows, params: dict[str, object]
    ) -> tuple[int, int]:
        differing = await self._differing_rows(cur, staged, params)
        if not differing:
            return 0, 0
        all_rows = len(differing) == len(staged.ids)
        await self._stage_rows(cur, staged.payload if all_rows else staged.subset(differing))
        inserted, updated, new, changed = await _counts(cur, self._apply, params)
        if inserted < new or updated < changed:
            # Another writer inserted or changed some of these rows after the compare read
            # them: the upsert settles them under row locks (the others are equal now).
            log.info(
                "page.upserted", stream=self._stream, why="rows changed under the page",
                missed=new - inserted + changed - updated,
            )  # fmt: skip
            more_inserted, more_updated = await _counts(cur, self._upsert, params)
            inserted, updated = inserted + more_inserted, updated + more_updated
        return inserted, updated

    def _apply_sql(self) -> sql.Composed:
        """Compare staged rows with stored ones once, then update by ``ctid`` and insert.

        Returns inserted, updated, and how many should have been (new rows, changed rows):
        fewer means another writer got in between, and the page needs the upsert after it.
        """
        columns = entity_columns(self._entity)
        compared = [sql.Identifier(c) for c in columns if c != "source_id"]
        table = sql.Identifier(table_name(self._entity))
        return sql.SQL(
            # One index probe per staged row, whatever the table's statistics say: a plain
            # join planned on stale ones (just after a first sync) hashed the whole table.
            "WITH m AS (SELECT s.source_id, t.tid, t.changed FROM {stage} s LEFT JOIN LATERAL"
            " (SELECT t.ctid AS tid,"
            "  ({old}, t.mapping_version) IS DISTINCT FROM ({new}, %(mapping_version)s::text)"
            "  AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL"
            "       OR s.source_updated_at >= t.source_updated_at) AS changed"
            "  FROM canonry.{table} t"
            "  WHERE t.connection_id = %(connection_id)s AND t.source_id = s.source_id"
            "  LIMIT 1) t ON true),"
            " up AS (UPDATE canonry.{table} t SET {sets}, mapping_version = %(mapping_version)s,"
            "  raw_page_id = %(page_id)s, record_index = s.record_index,"
            "  observed_at = %(observed_at)s, sync_run_id = %(run_id)s, row_digest = s.row_digest"
            "  FROM m JOIN {stage} s ON s.source_id = m.source_id"
            # A version that a concurrent update replaced fails the ctid recheck: skipped.
            "  WHERE m.changed AND t.ctid = m.tid RETURNING 1),"
            " ins AS ({insert} JOIN m ON m.source_id = s.source_id WHERE m.tid IS NULL"
            "  ON CONFLICT (connection_id, source_id) DO NOTHING RETURNING 1)"
            " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM up),"
            " count(*) FILTER (WHERE m.tid IS NULL),"
            " count(*) FILTER (WHERE m.tid IS NOT NULL AND m.changed) FROM m"
        ).format(
            old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in compared),
            new=sql.SQL(", ").join(sql.SQL("s.{}").format(c) for c in compared),
            stage=self._stage,
            table=table,
            sets=sql.SQL(", ").join(sql.SQL("{c} = s.{c}").format(c=c) for c in compared),
            insert=self._upsert_sql(conflicts=False),
        )

    def _differing_sql(self) -> sql.Composed:
        """Positions (0-based) of the page's rows that the compare may have to write.

        The others are stored with the same digest and mapping version (equal), or as a
        newer version (the compare's staleness guard would keep them). NULLs (no digest, no
        time) leave a row to the compare. Rows that the same raw page wrote (a replay) are
        found in one hashed read of its rows by the raw-page index; only the rest take one
        primary-key probe each (``OFFSET 0`` keeps ``known`` computed once per row). A NULL
        in the ``IN`` would read as settled in the ``FILTER``: hence no NULL digests, and the
        ``coalesce``.
        """
        return sql.SQL(
            "SELECT coalesce(array_agg(s.i - 1) FILTER (WHERE NOT s.known"
            "  AND t.settled IS NOT TRUE), '{{}}')"
            " FROM (SELECT u.*, coalesce((u.source_id, u.digest) IN (SELECT p.source_id,"
            "   p.row_digest FROM canonry.{table} p WHERE p.connection_id = %(connection_id)s"
            "   AND p.raw_page_id = %(page_id)s AND p.mapping_version = %(mapping_version)s"
            "   AND p.row_digest IS NOT NULL), false) AS known"
            "  FROM unnest(%(ids)b::text[], %(digests)b::bytea[], %(updated)b::timestamptz[])"
            "  WITH ORDINALITY AS u(source_id, digest, updated_at, i) OFFSET 0) s"
            " LEFT JOIN LATERAL (SELECT (t.row_digest = s.digest"
            "   AND t.mapping_version = %(mapping_version)s)"
            "  OR s.updated_at < t.source_updated_at AS settled FROM canonry.{table} t"
            "  WHERE NOT s.known AND t.connection_id = %(connection_id)s"
            "  AND t.source_id = s.source_id LIMIT 1) t ON true"
        ).format(table=sql.Identifier(table_name(self._entity)))

    def _upsert_sql(self, *, conflicts: bool) -> sql.Composed:
        """The upsert, or (``conflicts=False``) a plain INSERT of the stage."""
        columns = entity_columns(self._entity)
        ident = [sql.Identifier(c) for c in columns]
        compared = [c for c in columns if c != "source_id"] + ["mapping_version"]
        prov = ["raw_page_id", "record_index", "observed_at", "sync_run_id", ROW_DIGEST]
        insert = sql.SQL(
            "INSERT INTO canonry.{table} AS t (connection_id, {cols}, mapping_version, {prov})"
            " SELECT %(connection_id)s, {scols}, %(mapping_version)s, %(page_id)s, s.record_index,"
            "  %(observed_at)s, %(run_id)s, s.row_digest FROM {stage} s"
        ).format(
            table=sql.Identifier(table_name(self._entity)),
            cols=sql.SQL(", ").join(ident),
            prov=sql.SQL(", ").join(map(sql.Identifier, prov)),
            scols=sql.SQL(", ").join(sql.SQL("s.{}").format(i) for i in ident),
            stage=self._stage,
        )
        if not conflicts:
            return insert
        return sql.SQL(
            "WITH up AS ({insert}"
            " ON CONFLICT (connection_id, source_id) DO UPDATE SET {sets}"
            " WHERE ({old}) IS DISTINCT FROM ({new})"
            "  AND (t.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL"
            "       OR EXCLUDED.source_updated_at >= t.source_updated_at)"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        ).format(
            insert=insert,
            sets=sql.SQL(", ").join(
                sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c))
                for c in (*compared, *prov)
            ),
            old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in compared),
            new=sql.SQL(", ").join(
                sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in compared
            ),
        )

    async def _apply_tombstones(self, page: PageWrite, page_id: int) -> int:
        stones = page.tombstones
        # A row's digest covers the values it was written with: these change them.
        cur = await self._conn.execute(
            sql.SQL(
                "UPDATE canonry.{} AS t SET deleted = true, source_updated_at = x.updated_at,"
                " row_digest = NULL,"
                " raw_page_id = %(page_id)s, record_index = x.idx, mapping_version = %(mv)s,"
                " observed_at = %(observed_at)s, sync_run_id = %(run_id)s"
                " FROM unnest(%(ids)s::text[], %(ts)s::timestamptz[], %(idx)s::int4[])"
                "  AS x(source_id, updated_at, idx)"
                " WHERE t.connection_id = %(connection_id)s AND t.source_id = x.source_id"
                "  AND NOT t.deleted AND (t.source_updated_at IS NULL OR x.updated_at IS NULL"
                "       OR x.updated_at >= t.source_updated_at)"
            ).format(sql.Identifier(table_name(self._entity))),
            {
                "page_id": page_id,
                "mv": self._mapping_version,
                "observed_at": page.observed_at,
                "run_id": self._run_id,
                "connection_id": self._connection_id,
                "ids": [s.source_id for s in stones],
                "ts": [s.updated_at for s in stones],
                "idx": [s.record_index for s in stones],
            },
        )
        return cur.rowcount

    async def _insert_dead(self, page: PageWrite, page_id: int) -> None:
        """Dead-letter the page's failures, one open entry per record.

        The same archived record failing again (replay, retry) updates its entry in place;
        a newer version of a record supersedes the older version's entry.
        """
        dead = page.dead
        if self._open_dead_letters:
            kept = await self._refresh_open(dead, page_id)
            dead = [d for d in dead if d.record_index not in kept]
            ids = [d.source_id for d in dead if d.source_id is not None]
            if ids:
                await self._supersede_ids(ids, "superseded")
        if not dead:
            return
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO canonry.dead_letters (connection_id, stream, sync_run_id, raw_page_id,"
                " record_index, source_id, stage, reason, field, value, record, mapping_version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        self._connection_id, self._stream, self._run_id, page_id, d.record_index,
                        d.source_id, d.stage, d.reason, d.field, d.value, Jsonb(d.record),
                        self._mapping_version,
                    )
                    for d in dead
                ],
            )  # fmt: skip

    async def _refresh_open(self, dead: list[DeadLetter], page_id: int) -> set[int | None]:
        """Update open entries of the same raw records; return the record indexes updated."""
        cur = await self._conn.execute(
            "UPDATE canonry.dead_letters d SET stage = x.stage, reason = x.reason,"
            " field = x.field, value = x.value, sync_run_id = %s, mapping_version = %s"
            " FROM unnest(%s::int4[], %s::text[], %s::text[], %s::text[], %s::text[])"
            "  AS x(idx, stage, reason, field, value)"
            " WHERE d.raw_page_id = %s AND d.record_index IS NOT DISTINCT FROM x.idx"
            "  AND d.status = 'open' RETURNING d.record_index",
            (
                self._run_id, self._mapping_version, [d.record_index for d in dead],
                [d.stage for d in dead], [d.reason for d in dead], [d.field for d in dead],
                [d.value for d in dead], page_id,
            ),
        )  # fmt: skip
        return {row[0] for row in await cur.fetchall()}

    async def _supersede_ids(self, source_ids: list[str], status: str | None = None) -> None:
        await self._conn.execute(
            "UPDATE canonry.dead_letters SET status = %s, resolved_at = now()"
            " WHERE connection_id = %s AND stream = %s AND status = 'open'"
            " AND source_id = ANY(%s)",
            (status or self._resolved_as, self._connection_id, self._stream, source_ids),
        )

    async def _resolve_page(self, page_id: int) -> None:
        """A replayed page that now reads cleanly resolves its page-level dead letters."""
        await self._conn.execute(
            "UPDATE canonry.dead_letters SET status = 'resolved', resolved_at = now()"
            " WHERE raw_page_id = %s AND record_index IS NULL AND status = 'open'",
            (page_id,),
        )

    async def _count(self, c: PageCounts, watermark: dt.datetime | None, pages: int = 1) -> None:
        """Add the page to the run's counters and move the watermark: one round trip."""
        await self._conn.execute(
            "WITH w AS (INSERT INTO canonry.watermarks AS w (connection_id, stream,"
            " cursor_value, sync_run_id) SELECT %(c)s, %(s)s, %(wm)s, %(run)s"
            " WHERE %(wm)s::timestamptz IS NOT NULL"
            " ON CONFLICT (connection_id, stream) DO UPDATE SET"
            " cursor_value = GREATEST(w.cursor_value, EXCLUDED.cursor_value),"
            " sync_run_id = EXCLUDED.sync_run_id, updated_at = now())"
            " UPDATE canonry.sync_runs SET pages = pages + %(p)s, fetched = fetched + %(f)s,"
            " inserted = inserted + %(i)s, updated = updated + %(u)s,"
            " unchanged = unchanged + %(n)s, deleted = deleted + %(d)s,"
            " dead_lettered = dead_lettered + %(x)s WHERE id = %(run)s",
            {
                "c": self._connection_id, "s": self._stream, "wm": watermark, "run": self._run_id,
                "p": pages, "f": c.fetched, "i": c.inserted, "u": c.updated, "n": c.unchanged,
                "d": c.deleted, "x": c.dead_lettered,
            },
        )  # fmt: skip


async def _counts(
    cur: AsyncCursor[TupleRow], query: sql.Composed | bytes, params: dict[str, object]
) -> list[int]:
    """Run ``query``, which answers one row of counts."""
    await cur.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return [int(v) for v in row]


async def read_watermark(conn: Conn, connection_id: int, stream: str) -> dt.datetime | None:
    """The committed watermark of a stream, or None before its first sync."""
    cur = await conn.execute(
        "SELECT cursor_value FROM canonry.watermarks WHERE connection_id = %s AND stream = %s",
        (connection_id, stream),
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def list_watermarks(conn: Conn, connection_id: int) -> dict[str, dt.datetime | None]:
    """Every stream's committed watermark for a connection."""
    cur = await conn.execute(
        "SELECT stream, cursor_value FROM canonry.watermarks WHERE connection_id = %s",
        (connection_id,),
    )
    return dict(await cur.fetchall())


async def register_mapping(
    conn: Conn, *, version: str, connector: str, stream: str, entity: str,
    records_path: str, field_paths: dict[str, str],
) -> None:  # fmt: skip
    """Record a mapping version's field paths; refuse a changed mapping under an old version."""
    cur = await conn.execute(
        "INSERT INTO canonry.mapping_versions (version, connector, stream, entity, records_path,"
        " field_paths) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (version) DO NOTHING"
        " RETURNING version",
        (version, connector, stream, entity, records_path, Jsonb(field_paths)),
    )
    if await cur.fetchone() is not None:
        return
    cur = await conn.execute(
        "SELECT field_paths, records_path FROM canonry.mapping_versions WHERE version = %s",
        (version,),
    )
    row = await cur.fetchone()
    if row is not None and (row[0] != field_paths or row[1] != records_path):
        from canonry.errors import ConfigError  # noqa: PLC0415

        raise ConfigError(
            f"mapping {version} declares different field paths than when it was first used; "
            "bump the mapping's version so stored provenance stays true"
        )
