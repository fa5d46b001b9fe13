"""Archive retention: per-connection policies, and pruning raw pages nothing needs any more.

A raw page older than the connection's ``keep_days`` is deleted unless a canonical row's
provenance (``raw_page_id``) or an open dead letter still points at it, so provenance keeps
resolving. A body no raw page refers to any more is deleted with it.

A blob (fs, s3) is deleted after its row's deletion succeeded and before that commits: a
sync writing the same body meanwhile waits on the row lock, then stores the blob afresh.
If the process dies in between, the rows stay, without blobs, for pages that were due for
pruning anyway (the next prune removes them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg import sql

from canonry.canonical import ENTITY_TYPES
from canonry.errors import ConfigError
from canonry.store.blobs import BlobStores, drop
from canonry.store.database import Conn
from canonry.store.runs import _LOCK_CLASS
from canonry.store.schema import table_name


@dataclass(frozen=True)
class PruneResult:
    """What a prune deleted (or, dry, would delete)."""

    connection: str
    keep_days: int
    cutoff: dt.datetime
    dry_run: bool
    pages_deleted: int
    pages_kept_referenced: int
    bodies_deleted: int
    bytes_freed: int


async def set_policy(conn: Conn, connection_id: int, keep_days: int | None) -> None:
    """Keep ``connection_id``'s raw pages ``keep_days`` days (None: keep everything)."""
    if keep_days is not None and keep_days < 1:
        raise ConfigError(f"--keep-days must be at least 1 (got {keep_days})")
    await conn.execute(
        "INSERT INTO canonry.archive_policies (connection_id, keep_days) VALUES (%s, %s)"
        " ON CONFLICT (connection_id) DO UPDATE SET keep_days = EXCLUDED.keep_days,"
        " updated_at = now()",
        (connection_id, keep_days),
    )


async def list_policies(conn: Conn) -> list[tuple[str, int | None]]:
    """Every connection with its retention in days (None: keep everything)."""
    cur = await conn.execute(
        "SELECT c.name, p.keep_days FROM canonry.connections c"
        " LEFT JOIN canonry.archive_policies p ON p.connection_id = c.id ORDER BY c.name"
    )
    return [(str(name), days) for name, days in await cur.fetchall()]


async def policy_days(conn: Conn, connection_id: int) -> int | None:
    cur = await conn.execute(
        "SELECT keep_days FROM canonry.archive_policies WHERE connection_id = %s",
        (connection_id,),
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


async def _referenced(conn: Conn) -> sql.Composed:
    """SQL for the raw page ids of connection %(c)s that provenance or open DLQ entries use."""
    cur = await conn.execute(
        "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass('canonry.' || quote_ident(t))"
        " IS NOT NULL",
        ([table_name(e) for e in ENTITY_TYPES.values()],),
    )
    tables = [str(r[0]) for r in await cur.fetchall()]
    parts: list[sql.Composable] = [
        sql.SQL("SELECT raw_page_id FROM canonry.{} WHERE connection_id = %(c)s").format(
            sql.Identifier(t)
        )
        for t in tables
    ]
    parts.append(
        sql.SQL(
            "SELECT raw_page_id FROM canonry.dead_letters WHERE connection_id = %(c)s"
            " AND status = 'open' AND raw_page_id IS NOT NULL"
        )
    )
    return sql.SQL(" UNION ").join(parts)


async def prune(
    conn: Conn,
    stores: BlobStores,
    *,
    connection: str,
    connection_id: int,
    keep_days: int,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PruneResult:
    """Delete ``connection``'s unreferenced raw pages older than ``keep_days``, and orphan bodies.

    ``conn`` must be in autocommit mode. Holds the connection's sync lock meanwhile.
    """
    if keep_days < 1:
        raise ConfigError(f"--keep-days must be at least 1 (got {keep_days})")
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days)
    await _claim(conn, connection_id)
    try:
        async with conn.transaction(force_rollback=dry_run):
            result, blobs = await _prune_rows(
                conn, connection, connection_id, keep_days=keep_days, cutoff=cutoff,
                dry_run=dry_run,
            )  # fmt: skip
            if not dry_run:
                for kind, location, content_hash in blobs:
                    await drop(stores.at(kind, location), content_hash)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, connection_id))
    return result


async def _claim(conn: Conn, connection_id: int) -> None:
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, connection_id))
    row = await cur.fetchone()
    if not (row and row[0]):
        raise ConfigError(
            "a sync of this connection is running; prune or move its archive after it finishes"
        )


async def _prune_rows(
    conn: Conn, connection: str, connection_id: int, *, keep_days: int,
    cutoff: dt.datetime, dry_run: bool,
) -> tuple[PruneResult, list[tuple[str, str, bytes]]]:  # fmt: skip
    params = {"c": connection_id, "cutoff": cutoff}
    query = sql.SQL(
        "WITH kept AS ({referenced}),"
        " old AS (SELECT p.id, p.content_hash, EXISTS (SELECT 1 FROM kept k"
        "  WHERE k.raw_page_id = p.id) AS used FROM canonry.raw_pages p"
        "  WHERE p.connection_id = %(c)s AND p.fetched_at < %(cutoff)s),"
        " gone AS (DELETE FROM canonry.raw_pages p USING old"
        "  WHERE p.id = old.id AND NOT old.used RETURNING p.content_hash)"
        " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FILTER (WHERE used) FROM old),"
        "  (SELECT array_agg(DISTINCT content_hash) FROM gone)"
    ).format(referenced=await _referenced(conn))
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    pages, kept, hashes = int(row[0]), int(row[1]), row[2] or []
    cur = await conn.execute(
        "DELETE FROM canonry.raw_bodies b WHERE b.content_hash = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM canonry.raw_pages p WHERE p.content_hash = b.content_hash)"
        " RETURNING b.stored_in, b.location, b.content_hash, b.stored_size",
        (hashes,),
    )
    gone = await cur.fetchall()
    blobs = [(str(k), str(loc), bytes(h)) for k, loc, h, _ in gone if k != "db"]
    result = PruneResult(
        connection, keep_days, cutoff, dry_run, pages, kept, len(gone), sum(r[3] for r in gone)
    )
    return result, blobs
