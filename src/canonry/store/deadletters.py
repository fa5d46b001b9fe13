"""The dead-letter queue: records that could not be used, kept with why and where from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from canonry.errors import NotFoundError
from canonry.store.database import Conn


@dataclass(frozen=True)
class DeadLetterRecord:
    id: int
    connection: str
    stream: str
    sync_run_id: int | None
    raw_page_id: int | None
    record_index: int | None
    source_id: str | None
    stage: str
    reason: str
    field: str | None
    value: str | None
    status: str
    created_at: dt.datetime
    record: Any


async def list_dead_letters(
    conn: Conn, *, connection: str | None = None, status: str | None = "open", limit: int = 100
) -> list[DeadLetterRecord]:
    cur = await conn.execute(
        "SELECT d.id, c.name, d.stream, d.sync_run_id, d.raw_page_id, d.record_index, d.source_id,"
        " d.stage, d.reason, d.field, d.value, d.status, d.created_at, d.record"
        " FROM canonry.dead_letters d JOIN canonry.connections c ON c.id = d.connection_id"
        " WHERE (%(conn)s::text IS NULL OR c.name = %(conn)s)"
        " AND (%(status)s::text IS NULL OR d.status = %(status)s)"
        " ORDER BY d.id LIMIT %(limit)s",
        {"conn": connection, "status": status, "limit": limit},
    )
    return [DeadLetterRecord(*row) for row in await cur.fetchall()]


async def dead_letter_depth(
    conn: Conn, *, connection: str | None = None, status: str = "open"
) -> dict[tuple[str, str], int]:
    """How many dead letters each (connection, stream) holds in ``status``."""
    cur = await conn.execute(
        "SELECT c.name, d.stream, count(*) FROM canonry.dead_letters d"
        " JOIN canonry.connections c ON c.id = d.connection_id"
        " WHERE d.status = %(status)s AND (%(conn)s::text IS NULL OR c.name = %(conn)s)"
        " GROUP BY c.name, d.stream",
        {"status": status, "conn": connection},
    )
    return {(name, stream): int(n) for name, stream, n in await cur.fetchall()}


async def get_dead_letter(conn: Conn, dead_letter_id: int) -> DeadLetterRecord:
    """One dead letter, with the record as received; the error says how to list them."""
    cur = await conn.execute(
        "SELECT d.id, c.name, d.stream, d.sync_run_id, d.raw_page_id, d.record_index,"
        " d.source_id, d.stage, d.reason, d.field, d.value, d.status, d.created_at, d.record"
        " FROM canonry.dead_letters d JOIN canonry.connections c ON c.id = d.connection_id"
        " WHERE d.id = %s",
        (dead_letter_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFoundError(
            f"no dead letter with id {dead_letter_id}; list them with `canonry dlq list`"
        )
    return DeadLetterRecord(*row)


async def discard_dead_letters(conn: Conn, ids: list[int]) -> int:
    """Mark open dead letters as discarded (kept for the record, no longer pending)."""
    cur = await conn.execute(
        "UPDATE canonry.dead_letters SET status = 'discarded', resolved_at = now()"
        " WHERE id = ANY(%s) AND status = 'open'",
        (ids,),
    )
    return cur.rowcount


async def pages_to_retry(
    conn: Conn, *, ids: list[int] | None = None, connection: str | None = None
) -> dict[tuple[str, str], list[int]]:
    """Raw pages holding the chosen open dead letters, per (connection, stream)."""
    cur = await conn.execute(
        "SELECT c.name, d.stream, array_agg(DISTINCT d.raw_page_id ORDER BY d.raw_page_id)"
        " FROM canonry.dead_letters d JOIN canonry.connections c ON c.id = d.connection_id"
        " WHERE d.status = 'open' AND d.raw_page_id IS NOT NULL"
        " AND (%(ids)s::bigint[] IS NULL OR d.id = ANY(%(ids)s))"
        " AND (%(conn)s::text IS NULL OR c.name = %(conn)s)"
        " GROUP BY c.name, d.stream",
        {"ids": ids, "conn": connection},
    )
    return {(name, stream): list(pages) for name, stream, pages in await cur.fetchall()}


async def statuses(conn: Conn, ids: list[int]) -> dict[int, str]:
    cur = await conn.execute(
        "SELECT id, status FROM canonry.dead_letters WHERE id = ANY(%s)", (ids,)
    )
    return {int(i): str(s) for i, s in await cur.fetchall()}
