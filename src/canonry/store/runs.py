"""Sync runs: one row per run, with counts updated in each page's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from canonry.errors import ConfigError
from canonry.store.database import Conn

_LOCK_CLASS = 0x43524E  # advisory lock namespace for "a sync of connection N is running"
LOCK_WAIT_S = 10.0


@dataclass(frozen=True)
class RunRecord:
    id: int
    connection: str
    mode: str
    status: str
    streams: list[str]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pages: int
    fetched: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    dead_lettered: int
    error: str | None
    stats: dict[str, Any]

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


_COLUMNS = (
    "r.id, c.name, r.mode, r.status, r.streams, r.started_at, r.finished_at, r.pages, r.fetched,"
    " r.inserted, r.updated, r.unchanged, r.deleted, r.dead_lettered, r.error, r.stats"
)


async def start_run(lock_conn: Conn, connection_id: int, mode: str, streams: list[str]) -> int:
    """Claim the connection for one sync and record the run.

    ``lock_conn`` (autocommit) holds a session advisory lock for the run's lifetime; if its
    process dies, PostgreSQL drops the lock, and the next run marks the dead one interrupted.
    """
    # A killed client's backend may still be finishing its last statement: wait a little.
    await lock_conn.execute(f"SET lock_timeout = '{int(LOCK_WAIT_S * 1000)}ms'")
    try:
        await lock_conn.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCK_CLASS, connection_id))
    except psycopg.errors.LockNotAvailable:
        raise ConfigError(
            "another sync of this connection is running; wait for it to finish (see `canonry runs`)"
        ) from None
    finally:
        await lock_conn.execute("RESET lock_timeout")
    await lock_conn.execute(
        "UPDATE canonry.sync_runs SET status = 'interrupted', finished_at = clock_timestamp(),"
        " error = 'the process running this sync stopped before it finished'"
        " WHERE connection_id = %s AND status = 'running'",
        (connection_id,),
    )
    cur = await lock_conn.execute(
        "INSERT INTO canonry.sync_runs (connection_id, mode, status, streams)"
        " VALUES (%s, %s, 'running', %s) RETURNING id",
        (connection_id, mode, streams),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def finish_run(
    lock_conn: Conn,
    run_id: int,
    connection_id: int,
    *,
    status: str,
    error: str | None,
    stats: dict[str, Any],
) -> None:
    """Close the run and release the connection's sync lock."""
    await lock_conn.execute(
        "UPDATE canonry.sync_runs SET status = %s, error = %s, stats = %s,"
        " finished_at = clock_timestamp() WHERE id = %s",
        (status, error, Jsonb(stats), run_id),
    )
    await lock_conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, connection_id))


async def get_run(conn: Conn, run_id: int) -> RunRecord | None:
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM canonry.sync_runs r JOIN canonry.connections c"  # noqa: S608 - constant
        " ON c.id = r.connection_id WHERE r.id = %s",
        (run_id,),
    )
    row = await cur.fetchone()
    return RunRecord(*row) if row else None


async def list_runs(conn: Conn, connection: str | None = None, limit: int = 20) -> list[RunRecord]:
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM canonry.sync_runs r JOIN canonry.connections c"  # noqa: S608 - constant
        " ON c.id = r.connection_id WHERE %(name)s::text IS NULL OR c.name = %(name)s"
        " ORDER BY r.id DESC LIMIT %(limit)s",
        {"name": connection, "limit": limit},
    )
    return [RunRecord(*row) for row in await cur.fetchall()]
