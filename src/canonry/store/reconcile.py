"""Full-refresh reconciliation: records a complete full sync did not see were deleted.

Sources without tombstones only say "gone" by leaving a record out. A full sync notes every
id it sees; once the stream's walk completes, rows of that stream it did not see are
soft-deleted, and each deletion is logged with the run that decided it. A refresh resumed
after a kill (see ``refresh``) keeps the seen ids of the run that began it.
"""

from __future__ import annotations

from psycopg import sql

from canonry.canonical import CanonicalEntity
from canonry.store.database import Conn
from canonry.store.schema import table_name

ABSENT = "absent_from_full_refresh"


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
    cur = await conn.execute(
        sql.SQL(
            "WITH gone AS ("
            " UPDATE canonry.{table} t SET deleted = true, sync_run_id = %(run)s,"
            "  observed_at = now()"
            " WHERE t.connection_id = %(c)s AND NOT t.deleted"
            "  AND t.mapping_version IN (SELECT version FROM canonry.mapping_versions"
            "   WHERE connector = %(connector)s AND stream = %(stream)s)"
            "  AND NOT EXISTS (SELECT 1 FROM seen_ids s WHERE s.source_id = t.source_id)"
            " RETURNING t.source_id)"
            " INSERT INTO canonry.deletions (connection_id, entity, stream, source_id, sync_run_id,"
            "  reason) SELECT %(c)s, %(entity)s, %(stream)s, source_id, %(run)s, %(reason)s"
            " FROM gone"
        ).format(table=sql.Identifier(table_name(entity))),
        {
            "run": run_id, "c": connection_id, "connector": connector,
            "stream": stream,
            "entity": entity.entity_name, "reason": ABSENT,
        },
    )  # fmt: skip
    deleted = cur.rowcount
    await conn.execute("DROP TABLE seen_ids")
    await conn.execute(
        "DELETE FROM canonry.refresh_seen WHERE sync_run_id = %s AND stream = %s",
        (seen_run, stream),
    )
    return deleted


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
