"""Reading canonical entities back, with each field's provenance resolved by reference."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from canonry.canonical import ENTITY_TYPES, CanonicalEntity, FieldProvenance
from canonry.errors import NotFoundError
from canonry.mapping import entity_columns
from canonry.sdk.paths import get_path, json_path
from canonry.store.database import Conn
from canonry.store.schema import table_name

_PROVENANCE_COLUMNS = (
    "raw_page_id",
    "record_index",
    "mapping_version",
    "observed_at",
    "sync_run_id",
)


def entity_type(name: str) -> type[CanonicalEntity]:
    """The entity class called ``name``; the error lists the known ones."""
    try:
        return ENTITY_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(ENTITY_TYPES))
        raise NotFoundError(f"unknown entity type {name!r} (known: {known})") from None


async def list_entities(
    conn: Conn,
    entity: type[CanonicalEntity],
    *,
    connection: str | None = None,
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stored rows of ``entity`` (newest source change first), as dicts with ``connection``."""
    query = sql.SQL(
        "SELECT c.name AS connection, {cols} FROM canonry.{table} e"
        " JOIN canonry.connections c ON c.id = e.connection_id"
        " WHERE (%(conn)s::text IS NULL OR c.name = %(conn)s) AND (%(all)s OR NOT e.deleted)"
        " ORDER BY e.source_updated_at DESC NULLS LAST, e.source_id"
        " LIMIT %(limit)s OFFSET %(offset)s"
    ).format(
        cols=sql.SQL(", ").join(
            sql.SQL("e.{}").format(sql.Identifier(c)) for c in entity_columns(entity)
        ),
        table=sql.Identifier(table_name(entity)),
    )
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            query,
            {"conn": connection, "all": include_deleted, "limit": limit, "offset": offset},
        )
        return await cur.fetchall()


async def count_entities(
    conn: Conn, entity: type[CanonicalEntity], connection: str | None = None
) -> int:
    query = sql.SQL(
        "SELECT count(*) FROM canonry.{} e JOIN canonry.connections c ON c.id = e.connection_id"
        " WHERE NOT e.deleted AND (%(conn)s::text IS NULL OR c.name = %(conn)s)"
    ).format(sql.Identifier(table_name(entity)))
    cur = await conn.execute(query, {"conn": connection})
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def get_entity(
    conn: Conn, entity: type[CanonicalEntity], source_id: str, connection: str | None = None
) -> dict[str, Any]:
    """One stored row with its provenance pointer; ambiguity across connections is an error."""
    query = sql.SQL(
        "SELECT c.name AS connection, {cols}, {prov}, mv.stream, mv.records_path, mv.field_paths"
        " FROM canonry.{table} e JOIN canonry.connections c ON c.id = e.connection_id"
        " JOIN canonry.mapping_versions mv ON mv.version = e.mapping_version"
        " WHERE e.source_id = %(id)s AND (%(conn)s::text IS NULL OR c.name = %(conn)s)"
    ).format(
        cols=sql.SQL(", ").join(
            sql.SQL("e.{}").format(sql.Identifier(c)) for c in entity_columns(entity)
        ),
        prov=sql.SQL(", ").join(
            sql.SQL("e.{}").format(sql.Identifier(c)) for c in _PROVENANCE_COLUMNS
        ),
        table=sql.Identifier(table_name(entity)),
    )
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, {"id": source_id, "conn": connection})
        rows = await cur.fetchall()
    if not rows:
        where = f" in connection {connection!r}" if connection else ""
        raise NotFoundError(
            f"no {entity.entity_name} with source id {source_id!r}{where}; "
            f"list them with `canonry entities list {entity.entity_name}`"
        )
    if len(rows) > 1:
        names = ", ".join(r["connection"] for r in rows)
        raise NotFoundError(
            f"{entity.entity_name} {source_id!r} exists in several connections ({names}); "
            "name one with --connection"
        )
    return rows[0]


def field_provenance(entity: type[CanonicalEntity], row: dict[str, Any]) -> list[FieldProvenance]:
    """Every business field of a stored row, explained: source, raw page, path, mapping."""
    return [
        FieldProvenance(
            field=name,
            value=row[name],
            connection=row["connection"],
            stream=row["stream"],
            raw_page_id=row["raw_page_id"],
            record_index=row["record_index"],
            json_path=json_path(row["records_path"], row["record_index"], row["field_paths"][name]),
            mapping_version=row["mapping_version"],
            observed_at=row["observed_at"],
            sync_run_id=row["sync_run_id"],
            source_id=row["source_id"],
        )
        for name in entity.business_fields()
    ]


async def source_value(
    conn: Conn, raw_page_id: int, records_path: str, index: int, path: str
) -> Any:
    """The value at ``path`` of record ``index`` in an archived page (for verifying provenance)."""
    from canonry.archive import restore_body  # noqa: PLC0415
    from canonry.store.archive import read_body  # noqa: PLC0415

    body, content_hash = await read_body(conn, raw_page_id)
    import orjson  # noqa: PLC0415

    payload = orjson.loads(restore_body(raw_page_id, body, content_hash))
    records = get_path(payload, records_path) if records_path else payload
    return get_path(records[index], path)
