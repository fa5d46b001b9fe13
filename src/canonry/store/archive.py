"""Reading the raw archive back: pages in their original order, in bounded batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

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
    last = 0
    while True:
        cur = await conn.execute(
            "SELECT id, body, content_hash, fetched_at FROM canonry.raw_pages"
            " WHERE connection_id = %(c)s AND stream = %(s)s AND id > %(last)s"
            " AND (%(since)s::timestamptz IS NULL OR fetched_at >= %(since)s)"
            " AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s))"
            " ORDER BY id LIMIT %(n)s",
            {"c": connection_id, "s": stream, "last": last, "since": since, "ids": page_ids,
             "n": BATCH_PAGES},
        )  # fmt: skip
        rows = await cur.fetchall()
        if not rows:
            return
        for row in rows:
            yield StoredPage(int(row[0]), bytes(row[1]), bytes(row[2]), row[3])
        last = int(rows[-1][0])
