"""Reading the raw archive back: pages in their original order, in bounded batches.

A page's body is found through its content hash (``raw_bodies``), inline or in a blob store.
A body whose blob is missing is handed on as a stand-in that makes ``restore_body`` raise
``CorruptArchiveError`` naming the page, so replay dead-letters it and goes on; a store
that cannot be reached at all stops the replay (``StoreError``) instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from psycopg import sql

from canonry.archive import unavailable_body
from canonry.errors import NotFoundError
from canonry.store.blobs import BlobMissingError, blob_stores, fetch
from canonry.store.database import Conn

BATCH_PAGES = 64


@dataclass(frozen=True)
class StoredPage:
    """An archived page as the replay needs it: id, compressed body, hash, fetch time."""

    id: int
    body: bytes
    content_hash: bytes
    fetched_at: dt.datetime


async def iter_archived(
    conn: Conn,
    connection_id: int,
    stream: str,
    *,
    since: dt.datetime | None = None,
    page_ids: list[int] | None = None,
) -> AsyncIterator[StoredPage]:
    """Archived pages of a stream by id (the order they were stored), a batch at a time."""
    # Only the filters that apply: a catch-all "(x IS NULL OR ...)" form makes the generic
    # prepared plan scan every page per batch (quadratic replays).
    where = [sql.SQL("p.connection_id = %(c)s AND p.stream = %(s)s AND p.id > %(last)s")]
    if since is not None:
        where.append(sql.SQL("p.fetched_at >= %(since)s"))
    if page_ids is not None:
        where.append(sql.SQL("p.id = ANY(%(ids)s)"))
    query = sql.SQL(
        "SELECT p.id, p.content_hash, p.fetched_at, b.body, b.stored_in, b.location"
        " FROM canonry.raw_pages p LEFT JOIN canonry.raw_bodies b USING (content_hash)"
        " WHERE {} ORDER BY p.id LIMIT %(n)s"
    ).format(sql.SQL(" AND ").join(where))
    last = 0
    while True:
        # Binary results: a body crosses as its bytes, not as hex text twice its size that
        # PostgreSQL encodes and psycopg decodes (0.33 -> 0.09 ms a page).
        async with conn.cursor(binary=True) as cur:
            await cur.execute(
                query,
                {"c": connection_id, "s": stream, "last": last, "since": since,
                 "ids": page_ids, "n": BATCH_PAGES},
            )  # fmt: skip
            rows = await cur.fetchall()
        if not rows:
            return
        bodies = await asyncio.gather(*(_body(r[1], r[3], r[4], r[5]) for r in rows))
        for row, body in zip(rows, bodies, strict=True):
            yield StoredPage(int(row[0]), body, bytes(row[1]), row[2])
        last = int(rows[-1][0])


async def _body(
    content_hash: bytes, inline: bytes | None, stored_in: str | None, location: str | None
) -> bytes:
    """The compressed body, or a stand-in saying why it cannot be had."""
    if stored_in is None:
        return unavailable_body("its body row is missing from raw_bodies")
    if stored_in == "db":
        return bytes(inline) if inline is not None else unavailable_body("its body is empty")
    try:
        return await fetch(blob_stores().at(stored_in, location or ""), bytes(content_hash))
    except BlobMissingError as exc:
        return unavailable_body(str(exc))


async def read_body(conn: Conn, raw_page_id: int) -> tuple[bytes, bytes]:
    """The compressed body and content hash of one raw page, wherever the body is stored."""
    cur = await conn.execute(
        "SELECT p.content_hash, b.body, b.stored_in, b.location FROM canonry.raw_pages p"
        " LEFT JOIN canonry.raw_bodies b USING (content_hash) WHERE p.id = %s",
        (raw_page_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFoundError(
            f"raw page {raw_page_id} is not in the archive (retention may have removed it)"
        )
    return await _body(bytes(row[0]), row[1], row[2], row[3]), bytes(row[0])


@dataclass(frozen=True)
class ArchiveStats:
    """How big the archive is: fetches kept, distinct bodies, and bytes per backend."""

    pages: int
    bodies: int
    body_bytes: int
    stored_bytes: dict[str, int]


async def archive_stats(conn: Conn, connection_id: int | None = None) -> ArchiveStats:
    """Pages and the bodies they use (of one connection, or all), with compressed bytes."""
    cur = await conn.execute(
        "SELECT count(*) FROM canonry.raw_pages"
        " WHERE %(c)s::bigint IS NULL OR connection_id = %(c)s",
        {"c": connection_id},
    )
    row = await cur.fetchone()
    pages = int(row[0]) if row else 0
    cur = await conn.execute(
        "SELECT b.stored_in, count(*), sum(b.body_size), sum(b.stored_size)"
        " FROM canonry.raw_bodies b WHERE %(c)s::bigint IS NULL OR EXISTS (SELECT 1"
        "  FROM canonry.raw_pages p WHERE p.content_hash = b.content_hash"
        "  AND p.connection_id = %(c)s) GROUP BY b.stored_in",
        {"c": connection_id},
    )
    rows = await cur.fetchall()
    return ArchiveStats(
        pages=pages,
        bodies=sum(int(r[1]) for r in rows),
        body_bytes=sum(int(r[2] or 0) for r in rows),
        stored_bytes={str(r[0]): int(r[3] or 0) for r in rows},
    )
