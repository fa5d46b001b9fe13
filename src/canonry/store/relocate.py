"""Moving stored bodies between backends (db, fs, s3); the index stays in PostgreSQL.

Each batch: lock the rows, copy every body to the target (written before the row that will
point to it commits), repoint the rows, commit; only then delete the old blobs. A crash
leaves at worst an orphan blob, never a row without its blob. A body whose blob is already
missing is left as it is, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from canonry.store.blobs import BlobMissingError, BlobStore, BlobStores, drop, fetch, store_blob
from canonry.store.database import Conn

BATCH_BODIES = 100


@dataclass
class MoveResult:
    """What a move did: bodies moved, their bytes, and those whose blob was missing."""

    to: str
    location: str | None
    moved: int = 0
    bytes_moved: int = 0
    missing: list[str] = field(default_factory=list)


async def move_bodies(
    conn: Conn, stores: BlobStores, *, to: str, connection_id: int | None = None
) -> MoveResult:
    """Move bodies (of ``connection_id``'s pages, or all) to backend ``to``; autocommit ``conn``."""
    target = None if to == "db" else stores.target(to)
    result = MoveResult(to, None if target is None else target.location)
    last = b""
    while True:
        async with conn.transaction():
            rows = await _batch(conn, to, result.location, connection_id, last)
            if not rows:
                return result
            last = bytes(rows[-1][0])
            old = await _move_batch(conn, stores, target, rows, result)
        for store, content_hash in old:
            await drop(store, content_hash)


async def _batch(
    conn: Conn, kind: str, location: str | None, connection_id: int | None, last: bytes
) -> list[tuple[bytes, bytes | None, str, str | None]]:
    cur = await conn.execute(
        "SELECT b.content_hash, b.body, b.stored_in, b.location FROM canonry.raw_bodies b"
        " WHERE NOT (b.stored_in = %(kind)s AND b.location IS NOT DISTINCT FROM %(loc)s)"
        " AND b.content_hash > %(last)s AND (%(c)s::bigint IS NULL OR EXISTS (SELECT 1"
        "  FROM canonry.raw_pages p WHERE p.content_hash = b.content_hash"
        "  AND p.connection_id = %(c)s))"
        " ORDER BY b.content_hash LIMIT %(n)s FOR UPDATE OF b",
        {"kind": kind, "loc": location, "last": last, "c": connection_id, "n": BATCH_BODIES},
    )
    return [(bytes(h), b, str(k), loc) for h, b, k, loc in await cur.fetchall()]


async def _move_batch(
    conn: Conn,
    stores: BlobStores,
    target: BlobStore | None,
    rows: list[tuple[bytes, bytes | None, str, str | None]],
    result: MoveResult,
) -> list[tuple[BlobStore, bytes]]:
    """Copy and repoint one batch; returns the old blobs to delete once it commits."""
    old: list[tuple[BlobStore, bytes]] = []
    for content_hash, inline, kind, location in rows:
        source = None if kind == "db" else stores.at(kind, location or "")
        try:
            data = bytes(inline) if source is None and inline is not None else b""
            if source is not None:
                data = await fetch(source, content_hash)
        except BlobMissingError:
            result.missing.append(content_hash.hex())
            continue
        if target is not None:
            await store_blob(target, content_hash, data)
        await conn.execute(
            "UPDATE canonry.raw_bodies SET body = %s, stored_in = %s, location = %s"
            " WHERE content_hash = %s",
            (
                data if target is None else None,
                "db" if target is None else target.kind,
                None if target is None else target.location,
                content_hash,
            ),
        )
        result.moved += 1
        result.bytes_moved += len(data)
        if source is not None:
            old.append((source, content_hash))
    return old
