"""``canonry entities``: read canonical records back, each field with where it came from."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from canonry.canonical import CanonicalEntity, FieldProvenance
from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.mapping import entity_columns
from canonry.store.database import Conn
from canonry.store.entities import (
    count_entities,
    entity_type,
    field_provenance,
    get_entity,
    list_entities,
)

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Read canonical records back, with each field's provenance.",
    no_args_is_help=True,
)

# The columns `entities list` shows by default (JSON output has them all).
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee": (
        "source_id",
        "first_name",
        "last_name",
        "email",
        "status",
        "job_title",
        "department_source_id",
    ),
    "department": ("source_id", "name", "code", "parent_source_id", "cost_center"),
}

TypeArg = Annotated[
    str, typer.Argument(metavar="TYPE", help="Entity type: employee or department.")
]
ConnectionOpt = Annotated[
    str | None, typer.Option("--connection", "-c", help="Only records from this connection.")
]


def _list_columns(entity: type[CanonicalEntity]) -> tuple[str, ...]:
    return LIST_COLUMNS.get(entity.entity_name, ("source_id", *entity.business_fields()[:5]))


@app.command(
    "list",
    epilog=examples(
        "canonry entities list employee",
        "canonry entities list employee --connection hr --limit 20 --offset 40",
        "canonry entities list department --deleted",
        "canonry --json entities list employee --limit 1000",
    ),
)
def list_(
    ctx: typer.Context,
    *,
    type_name: TypeArg,
    connection: ConnectionOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per page.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Rows to skip.")] = 0,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted records.")] = False,
) -> None:
    """List stored records of one entity type, most recently changed at the source first."""
    state = cli_context(ctx)
    entity = entity_type(type_name)

    async def fetch(conn: Conn) -> tuple[list[dict[str, Any]], int]:
        rows = await list_entities(
            conn, entity, connection=connection, include_deleted=deleted, limit=limit, offset=offset
        )
        return rows, await count_entities(conn, entity, connection)

    rows, total = state.query(fetch)
    columns = ("connection", *_list_columns(entity), *(("deleted",) if deleted else ()))
    shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
    state.output.result(
        {
            "entity": entity.entity_name,
            "total": total,
            "offset": offset,
            "limit": limit,
            "rows": rows,
        },
        lambda: table(
            columns,
            ([row[c] for c in columns] for row in rows),
            caption=f"{entity.entity_name} {shown} of {total:,} (not deleted)",
        ),
    )


@app.command(
    epilog=examples(
        "canonry entities show employee E0000042",
        "canonry entities show employee E0000042 --provenance",
        "canonry --json entities show employee E0000042 --connection hr --provenance",
    )
)
def show(
    ctx: typer.Context,
    *,
    type_name: TypeArg,
    source_id: Annotated[
        str, typer.Argument(metavar="SOURCE_ID", help="The record's id in its source system.")
    ],
    connection: ConnectionOpt = None,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance", "-p", help="Show where each field came from: page, path, mapping."
        ),
    ] = False,
) -> None:
    """Show one record; with --provenance, the source response and JSON path of every field."""
    state = cli_context(ctx)
    entity = entity_type(type_name)
    row = state.query(lambda conn: get_entity(conn, entity, source_id, connection))
    fields = {"connection": row["connection"], **{c: row[c] for c in entity_columns(entity)}}
    trail = field_provenance(entity, row) if provenance else []
    payload: dict[str, Any] = {"entity": fields}
    if provenance:
        payload["provenance"] = [p.model_dump(mode="json") for p in trail]
    state.output.result(
        payload,
        lambda: (
            _provenance_table(entity, source_id, trail)
            if provenance
            else table(
                ("field", "value"), fields.items(), title=f"{entity.entity_name} {source_id}"
            )
        ),
    )


def _provenance_table(
    entity: type[CanonicalEntity], source_id: str, trail: list[FieldProvenance]
) -> Table:
    first = trail[0] if trail else None
    title = f"{entity.entity_name} {source_id}"
    if first is not None:
        title += f" from {first.connection}/{first.stream}"
    return table(
        ("field", "value", "source", "raw page", "JSON path", "mapping", "observed at", "sync run"),
        (
            (
                p.field,
                p.value,
                f"{p.connection}/{p.stream}",
                p.raw_page_id,
                p.json_path,
                p.mapping_version,
                p.observed_at,
                p.sync_run_id,
            )
            for p in trail
        ),
        title=title,
    )
