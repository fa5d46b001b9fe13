"""Full-refresh reconciliation: records a complete full sync did not see were deleted.

Sources without tombstones only say "gone" by leaving a record out. A full sync notes every
id it sees; once the stream's walk completes, rows of that stream it did not see are
soft-deleted, and each deletion is logged with the run that decided it. A refresh resumed
after a kill (see ``refresh``) keeps the seen ids of the run that began it.
"""

from __future__ import annotations

import structlog
from psycopg import sql

from canonry.canonical import CanonicalEntity
from canonry.store.database import Conn
from canonry.store.schema import table_name

ABSENT = "absent_from_full_refresh"

log = structlog.get_logger("canonry.sync")


async def reconcile(
    conn: Conn,
    entity: type[CanonicalEntity],
    *,
    connection_id: int,
    run_id: int,
    connector: str,
    stream: str,
    seen_run_id: int | None = None,
) -> int:
    """Soft-delete the stream's live rows this refresh did not see; returns how many.

    ``seen_run_id`` is the run whose seen ids count (a resumed refresh keeps those of the
    run that began it); the deletions are logged under ``run_id``, the run deciding them.
    """
    seen_run = run_id if seen_run_id is None else seen_run_id
    table = sql.Identifier(table_name(entity))
    if await _all_written_by_refresh(conn, table, connection_id, connector, stream):
        log.info("reconcile.skipped", stream=stream, why="every live row was written by it")
        await _forget_seen(conn, seen_run, stream)
        return 0
    # The seen ids, one row each, in an analyzed temp table: without statistics the planner
    # picks a nested-loop anti-join, quadratic in the stream's size.
    await conn.execute("DROP TABLE IF EXISTS pg_temp.seen_ids")
    await conn.execute(
        "CREATE TEMP TABLE seen_ids ON COMMIT DROP AS SELECT DISTINCT unnest(source_ids)"
        " AS source_id FROM canonry.refresh_seen WHERE sync_run_id = %s AND stream = %s",
        (seen_run, stream),
    )
    await conn.execute("ANALYZE seen_ids")
    # The entity table may have no statistics yet (a first refresh follows its bulk load
    # within autovacuum's delay): PostgreSQL 15 then guessed a few hundred rows and chose a
    # nested-loop anti-join, over ten minutes for 200,000 rows. A hash join is right at any
    # size; SET LOCAL ends with this transaction.
    await conn.execute("SET LOCAL enable_nestloop = off")
    # A row's digest covers the values it was written with, deleted = false among them.
    cur = await conn.execute(
        sql.SQL(
            "WITH gone AS ("
            " UPDATE canonry.{table} t SET deleted = true, sync_run_id = %(run)s,"
            "  observed_at = now(), row_digest = NULL"
            " WHERE t.connection_id = %(c)s AND NOT t.deleted"
            "  AND t.mapping_version IN (SELECT version FROM canonry.mapping_versions"
            "   WHERE connector = %(connector)s AND stream = %(stream)s)"
            "  AND NOT EXISTS (SELECT 1 FROM seen_ids s WHERE s.source_id = t.source_id)"
            " RETURNING t.source_id)"
            " INSERT INTO canonry.deletions (connection_id, entity, stream, source_id, sync_run_id,"
            "  reason) SELECT %(c)s, %(entity)s, %(stream)s, source_id, %(run)s, %(reason)s"
            " FROM gone"
        ).format(table=table),
        {
            "run": run_id, "c": connection_id, "connector": connector,
            "stream": stream,
            "entity": entity.entity_name, "reason": ABSENT,
        },
    )  # fmt: skip
    deleted = cur.rowcount
    await conn.execute("DROP TABLE seen_ids")
    await _forget_seen(conn, seen_run, stream)
    return deleted


async def _all_written_by_refresh(
    conn: Conn, table: sql.Identifier, connection_id: int, connector: str, stream: str
) -> bool:
    """Whether every live row of the stream was last written by a run of its refresh.

    Those runs write the stream's rows only from the refresh's pages, whose ids are all
    seen (or as tombstones, which are not live): then no live row can be unseen. It is so
    after the first full sync of a stream, where the anti-join below costs about 1 s per
    million rows and this scan a quarter of that. Any other run (an incremental sync while
    the refresh was unfinished, a replay, a refresh begun before migration 0010) leaves its
    own run id on what it changed, and the long way is taken.
    """
    cur = await conn.execute(
        sql.SQL(
            "SELECT NOT EXISTS (SELECT 1 FROM canonry.{table} t"
            " WHERE t.connection_id = %(c)s AND NOT t.deleted"
            "  AND t.mapping_version IN (SELECT version FROM canonry.mapping_versions"
            "   WHERE connector = %(connector)s AND stream = %(stream)s)"
            "  AND (t.sync_run_id IS NULL OR t.sync_run_id <> ALL (COALESCE((SELECT k.runs"
            "   FROM canonry.refresh_checkpoints k WHERE k.connection_id = %(c)s"
            "   AND k.stream = %(stream)s), '{{}}'))))"
        ).format(table=table),
        {"c": connection_id, "connector": connector, "stream": stream},
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def _forget_seen(conn: Conn, seen_run: int, stream: str) -> None:
    await conn.execute(
        "DELETE FROM canonry.refresh_seen WHERE sync_run_id = %s AND stream = %s",
        (seen_run, stream),
    )


async def forget_stale(conn: Conn, connection_id: int) -> None:
    """Drop what finished or dead full syncs of this connection saw, unless a refresh
    checkpoint keeps it for the run that will resume that refresh."""
    await conn.execute(
        "DELETE FROM canonry.refresh_seen s WHERE s.sync_run_id IN (SELECT id"
        " FROM canonry.sync_runs WHERE connection_id = %s AND status <> 'running')"
        " AND NOT EXISTS (SELECT 1 FROM canonry.refresh_checkpoints k"
        "  WHERE k.connection_id = %s AND k.refresh_run_id = s.sync_run_id"
        "  AND k.stream = s.stream)",
        (connection_id, connection_id),
    )
