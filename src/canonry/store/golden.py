"""Golden records, their links to source rows, match keys, crosswalk pins and rule sets.

The SQL half of entity resolution (``canonry.resolve`` holds the logic). Source rows are
addressed as (connection_id, source_id); a row's ``xmin`` tells whether it was rewritten
since it was last resolved, because the writer skips unchanged rows entirely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from canonry.canonical import CanonicalEntity
from canonry.errors import NotFoundError
from canonry.store.database import Conn
from canonry.store.schema import table_name

Row = tuple[int, str]  # (connection_id, source_id)


@dataclass(frozen=True)
class GoldenWrite:
    golden_id: int
    data: dict[str, Any]
    lineage: dict[str, Any]
    members: int


@dataclass(frozen=True)
class LinkWrite:
    row: Row
    golden_id: int
    matched_by: str
    xmin: str


def _split(rows: Iterable[Row]) -> tuple[list[int], list[str]]:
    pairs = list(rows)
    return [c for c, _ in pairs], [s for _, s in pairs]


# ------------------------------------------------------------------------------ rule sets


async def rule_sets(conn: Conn) -> dict[str, dict[str, Any]]:
    """Stored rules per entity type (as the JSON they were saved from)."""
    cur = await conn.execute(
        "SELECT entity_type, config FROM canonry.resolution_rules ORDER BY entity_type"
    )
    return dict(await cur.fetchall())


async def save_rule_set(conn: Conn, entity_type: str, config: dict[str, Any], version: str) -> None:
    await conn.execute(
        "INSERT INTO canonry.resolution_rules (entity_type, config, version)"
        " VALUES (%s, %s::jsonb, %s) ON CONFLICT (entity_type) DO UPDATE"
        " SET config = EXCLUDED.config, version = EXCLUDED.version, updated_at = now()",
        (entity_type, orjson.dumps(config).decode(), version),
    )


async def lock_entity(conn: Conn, entity_type: str) -> None:
    """Serialize resolutions of one entity type (held until the transaction ends)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('canonry.resolve:' || %s))", (entity_type,)
    )


async def prefer_index_lookups(conn: Conn) -> None:
    """For this transaction, join batches to big tables by index, never by a full scan.

    Resolution joins a few thousand keys (unnested arrays, a fresh temp table: no
    statistics) to tables of millions of rows; the planner's default guess picks a hash join
    over a sequential scan of the big table, once per batch.
    """
    await conn.execute("SET LOCAL enable_hashjoin = off")
    await conn.execute("SET LOCAL enable_mergejoin = off")


async def connection_names(conn: Conn) -> dict[int, str]:
    cur = await conn.execute("SELECT id, name FROM canonry.connections")
    return dict(await cur.fetchall())


# ----------------------------------------------------------------------- what to resolve


async def changed_rows(
    conn: Conn, entity: type[CanonicalEntity], *, everything: bool = False
) -> set[Row]:
    """Rows written (or gone) since they were last resolved; ``everything``: all of them."""
    changed = (
        "true"
        if everything
        else "CASE WHEN l.source_id IS NULL THEN NOT e.deleted"
        " ELSE l.resolved_xmin <> e.xmin::text END"
    )
    query = sql.SQL(
        "SELECT e.connection_id, e.source_id FROM canonry.{table} e"
        " LEFT JOIN canonry.entity_links l ON l.entity_type = %(et)s"
        "  AND l.connection_id = e.connection_id AND l.source_id = e.source_id"
        " WHERE (l.source_id IS NOT NULL OR NOT e.deleted) AND {changed}"
        " UNION ALL SELECT l.connection_id, l.source_id FROM canonry.entity_links l"
        " WHERE l.entity_type = %(et)s AND NOT EXISTS (SELECT 1 FROM canonry.{table} e"
        "  WHERE e.connection_id = l.connection_id AND e.source_id = l.source_id)"
    ).format(table=sql.Identifier(table_name(entity)), changed=sql.SQL(changed))
    cur = await conn.execute(query, {"et": entity.entity_name})
    return {(c, s) for c, s in await cur.fetchall()}


async def load_rows(
    conn: Conn,
    entity: type[CanonicalEntity],
    rows: Iterable[Row],
    fields: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Current values of ``rows`` (missing rows are simply absent), with xmin and times;
    ``fields`` limits the business fields read (default: all)."""
    cids, sids = _split(rows)
    names = entity.business_fields() if fields is None else fields
    query = sql.SQL(
        "SELECT e.connection_id, e.source_id, e.xmin::text AS xmin, e.deleted,"
        " e.source_updated_at, e.observed_at, {cols} FROM canonry.{table} e"
        " JOIN unnest(%(c)s::bigint[], %(s)s::text[]) AS k(c, s)"
        " ON e.connection_id = k.c AND e.source_id = k.s"
    ).format(
        cols=sql.SQL(", ").join(sql.SQL("e.{}").format(sql.Identifier(f)) for f in names),
        table=sql.Identifier(table_name(entity)),
    )
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, {"c": cids, "s": sids})
        return await cur.fetchall()


async def links_of(conn: Conn, entity_type: str, rows: Iterable[Row]) -> dict[Row, int]:
    cids, sids = _split(rows)
    cur = await conn.execute(
        "SELECT l.connection_id, l.source_id, l.golden_id FROM canonry.entity_links l"
        " JOIN unnest(%(c)s::bigint[], %(s)s::text[]) AS k(c, s)"
        " ON l.connection_id = k.c AND l.source_id = k.s WHERE l.entity_type = %(et)s",
        {"c": cids, "s": sids, "et": entity_type},
    )
    return {(c, s): g for c, s, g in await cur.fetchall()}


async def members_of(conn: Conn, entity_type: str, golden_ids: Iterable[int]) -> set[Row]:
    cur = await conn.execute(
        "SELECT connection_id, source_id FROM canonry.entity_links"
        " WHERE entity_type = %s AND golden_id = ANY(%s)",
        (entity_type, list(golden_ids)),
    )
    return {(c, s) for c, s in await cur.fetchall()}


async def sharing_keys(conn: Conn, entity_type: str, keys: Iterable[tuple[str, str]]) -> set[Row]:
    """Rows whose stored match key equals one of (rule, key)."""
    pairs = list(keys)
    cur = await conn.execute(
        "SELECT m.connection_id, m.source_id FROM canonry.match_keys m"
        " JOIN unnest(%(r)s::text[], %(k)s::text[]) AS q(r, k) ON m.rule = q.r AND m.key = q.k"
        " WHERE m.entity_type = %(et)s",
        {"r": [r for r, _ in pairs], "k": [k for _, k in pairs], "et": entity_type},
    )
    return {(c, s) for c, s in await cur.fetchall()}


async def pins_of(conn: Conn, entity_type: str, rows: Iterable[Row]) -> dict[Row, tuple[str, bool]]:
    cids, sids = _split(rows)
    cur = await conn.execute(
        "SELECT x.connection_id, x.source_id, x.pin, x.exclusive FROM canonry.crosswalk x"
        " JOIN unnest(%(c)s::bigint[], %(s)s::text[]) AS k(c, s)"
        " ON x.connection_id = k.c AND x.source_id = k.s WHERE x.entity_type = %(et)s",
        {"c": cids, "s": sids, "et": entity_type},
    )
    return {(c, s): (p, e) for c, s, p, e in await cur.fetchall()}


async def pinned_with(conn: Conn, entity_type: str, pins: Iterable[str]) -> set[Row]:
    cur = await conn.execute(
        "SELECT connection_id, source_id FROM canonry.crosswalk"
        " WHERE entity_type = %s AND pin = ANY(%s)",
        (entity_type, list(pins)),
    )
    return {(c, s) for c, s in await cur.fetchall()}


async def stale_rule_versions(conn: Conn, entity_type: str, version: str) -> bool:
    """Whether any live golden was resolved under other rules than ``version``."""
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM canonry.golden_records WHERE entity_type = %s"
        " AND NOT retired AND rules_version <> %s)",
        (entity_type, version),
    )
    row = await cur.fetchone()
    return bool(row and row[0])


# -------------------------------------------------------------------------------- writing


async def new_golden_ids(conn: Conn, n: int) -> list[int]:
    cur = await conn.execute(
        "SELECT nextval('canonry.golden_id_seq') FROM generate_series(1, %s)", (n,)
    )
    return [r[0] for r in await cur.fetchall()]


async def replace_links(
    conn: Conn,
    entity_type: str,
    rows: Iterable[Row],
    links: Sequence[LinkWrite],
    keys: Sequence[tuple[Row, str, str]],
) -> None:
    """Drop the links and keys of ``rows``, then store the new ones."""
    cids, sids = _split(rows)
    params = {"c": cids, "s": sids, "et": entity_type}
    for table in ("entity_links", "match_keys"):
        await conn.execute(
            sql.SQL(
                "DELETE FROM canonry.{} t USING unnest(%(c)s::bigint[], %(s)s::text[]) AS k(c, s)"
                " WHERE t.entity_type = %(et)s AND t.connection_id = k.c AND t.source_id = k.s"
            ).format(sql.Identifier(table)),
            params,
        )
    async with conn.cursor() as cur:
        async with cur.copy(
            "COPY canonry.entity_links (entity_type, connection_id, source_id, golden_id,"
            " matched_by, resolved_xmin) FROM STDIN"
        ) as copy:
            for link in links:
                await copy.write_row(
                    (entity_type, *link.row, link.golden_id, link.matched_by, link.xmin)
                )
        async with cur.copy(
            "COPY canonry.match_keys (entity_type, connection_id, source_id, rule, key) FROM STDIN"
        ) as copy:
            for row, rule, key in keys:
                await copy.write_row((entity_type, *row, rule, key))


async def upsert_goldens(
    conn: Conn, entity_type: str, goldens: Sequence[GoldenWrite], version: str
) -> tuple[int, int, int]:
    """Store goldens, skipping unchanged ones: (created, changed, of those values changed)."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS golden_stage (golden_id bigint, data jsonb,"
        " lineage jsonb, members integer) ON COMMIT DELETE ROWS"
    )
    async with conn.cursor() as cur:
        async with cur.copy("COPY golden_stage FROM STDIN") as copy:
            for g in goldens:
                await copy.write_row(
                    (
                        g.golden_id,
                        orjson.dumps(g.data).decode(),
                        orjson.dumps(g.lineage).decode(),
                        g.members,
                    )
                )
        await cur.execute(
            "SELECT count(*) FROM golden_stage s JOIN canonry.golden_records g"
            " ON g.entity_type = %s AND g.golden_id = s.golden_id WHERE g.data <> s.data",
            (entity_type,),
        )
        moved = await cur.fetchone()
        await cur.execute(
            "INSERT INTO canonry.golden_records AS g (entity_type, golden_id, data, lineage,"
            " members, rules_version) SELECT %(et)s, golden_id, data, lineage, members, %(v)s"
            " FROM golden_stage ON CONFLICT (entity_type, golden_id) DO UPDATE SET"
            " data = EXCLUDED.data, lineage = EXCLUDED.lineage, members = EXCLUDED.members,"
            " rules_version = EXCLUDED.rules_version, retired = false, merged_into = NULL,"
            " updated_at = now()"
            " WHERE (g.data, g.lineage, g.members, g.rules_version, g.retired)"
            "  IS DISTINCT FROM (EXCLUDED.data, EXCLUDED.lineage, EXCLUDED.members,"
            "  EXCLUDED.rules_version, false)"
            " RETURNING (xmax = 0)",
            {"et": entity_type, "v": version},
        )
        flags = [r[0] for r in await cur.fetchall()]
        await cur.execute("TRUNCATE golden_stage")
    created = sum(flags)
    return created, len(flags) - created, int(moved[0]) if moved else 0


async def retire_goldens(
    conn: Conn, entity_type: str, merged_into: Mapping[int, int | None]
) -> int:
    """Mark goldens with no members left as retired (pointing to where they went)."""
    if not merged_into:
        return 0
    ids = list(merged_into)
    cur = await conn.execute(
        "UPDATE canonry.golden_records g SET retired = true, members = 0,"
        " merged_into = k.target, updated_at = now()"
        " FROM unnest(%(ids)s::bigint[], %(to)s::bigint[]) AS k(id, target)"
        " WHERE g.entity_type = %(et)s AND g.golden_id = k.id AND NOT g.retired",
        {"ids": ids, "to": [merged_into[i] for i in ids], "et": entity_type},
    )
    return cur.rowcount


# ------------------------------------------------------------------------------- reading


async def get_golden(conn: Conn, entity_type: str, golden_id: int) -> dict[str, Any]:
    """One golden record with its member rows (connection name, source id, matched by)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT golden_id, data, lineage, members, retired, merged_into, rules_version,"
            " created_at, updated_at FROM canonry.golden_records"
            " WHERE entity_type = %s AND golden_id = %s",
            (entity_type, golden_id),
        )
        golden = await cur.fetchone()
        if golden is None:
            raise NotFoundError(
                f"no golden {entity_type} {golden_id}; list them with "
                f"`canonry golden list {entity_type}`"
            )
        await cur.execute(
            "SELECT c.name AS connection, l.source_id, l.matched_by FROM canonry.entity_links l"
            " JOIN canonry.connections c ON c.id = l.connection_id"
            " WHERE l.entity_type = %s AND l.golden_id = %s ORDER BY c.name, l.source_id",
            (entity_type, golden_id),
        )
        golden["sources"] = await cur.fetchall()
    return golden


async def list_goldens(
    conn: Conn, entity_type: str, *, min_members: int = 1, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT golden_id, data, members, updated_at FROM canonry.golden_records"
            " WHERE entity_type = %s AND NOT retired AND members >= %s"
            " ORDER BY golden_id LIMIT %s OFFSET %s",
            (entity_type, min_members, limit, offset),
        )
        return await cur.fetchall()


async def golden_counts(conn: Conn, entity_type: str) -> dict[int, int]:
    """How many live goldens have each member count."""
    cur = await conn.execute(
        "SELECT members, count(*) FROM canonry.golden_records"
        " WHERE entity_type = %s AND NOT retired GROUP BY members ORDER BY members",
        (entity_type,),
    )
    return dict(await cur.fetchall())


async def golden_of(conn: Conn, entity_type: str, connection: str, source_id: str) -> int:
    cur = await conn.execute(
        "SELECT l.golden_id FROM canonry.entity_links l"
        " JOIN canonry.connections c ON c.id = l.connection_id"
        " WHERE l.entity_type = %s AND c.name = %s AND l.source_id = %s",
        (entity_type, connection, source_id),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFoundError(
            f"{connection}:{source_id} is not linked to a golden {entity_type}; check the id, "
            f"then run `canonry golden run {entity_type}`"
        )
    return int(row[0])


# ------------------------------------------------------------------------------ crosswalk


async def set_pin(
    conn: Conn,
    entity_type: str,
    row: Row,
    pin: str,
    *,
    exclusive: bool = False,
    note: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO canonry.crosswalk (entity_type, connection_id, source_id, pin, exclusive,"
        " note) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (entity_type, connection_id,"
        " source_id) DO UPDATE SET pin = EXCLUDED.pin, exclusive = EXCLUDED.exclusive,"
        " note = EXCLUDED.note, created_at = now()",
        (entity_type, *row, pin, exclusive, note),
    )
    await _mark_changed(conn, entity_type, row)


async def _mark_changed(conn: Conn, entity_type: str, row: Row) -> None:
    """Make the next resolution revisit ``row`` although the row itself did not change."""
    await conn.execute(
        "UPDATE canonry.entity_links SET resolved_xmin = 'override' WHERE entity_type = %s"
        " AND connection_id = %s AND source_id = %s",
        (entity_type, *row),
    )


async def remove_pin(conn: Conn, entity_type: str, row: Row) -> str | None:
    """Drop the row's pin; returns the label it had (None: it had none)."""
    cur = await conn.execute(
        "DELETE FROM canonry.crosswalk WHERE entity_type = %s AND connection_id = %s"
        " AND source_id = %s RETURNING pin",
        (entity_type, *row),
    )
    found = await cur.fetchone()
    if found is None:
        return None
    await _mark_changed(conn, entity_type, row)
    return str(found[0])


async def list_pins(conn: Conn, entity_type: str | None = None) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT x.entity_type, c.name AS connection, x.source_id, x.pin, x.exclusive,"
            " x.note, x.created_at FROM canonry.crosswalk x"
            " JOIN canonry.connections c ON c.id = x.connection_id"
            " WHERE %(et)s::text IS NULL OR x.entity_type = %(et)s"
            " ORDER BY x.entity_type, x.pin, c.name, x.source_id",
            {"et": entity_type},
        )
        return await cur.fetchall()
