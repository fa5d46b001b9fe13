"""``canonry dlq``: the records a sync could not use, with why and where they came from."""

from __future__ import annotations

import enum
from dataclasses import asdict
from typing import Annotated

import typer

from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.store.connections import get_connection
from canonry.store.database import Conn
from canonry.store.deadletters import DeadLetterRecord, list_dead_letters

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Inspect the dead-letter queue: records a sync could not use.",
    no_args_is_help=True,
)


class Status(enum.StrEnum):
    """Dead-letter states; ``all`` selects every state."""

    open = "open"
    resolved = "resolved"
    superseded = "superseded"
    discarded = "discarded"
    all = "all"


@app.command(
    "list",
    epilog=examples(
        "canonry dlq list",
        "canonry dlq list --connection hr --status all",
        "canonry --json dlq list --limit 1000",
    ),
)
def list_(
    ctx: typer.Context,
    *,
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="Only this connection's records.")
    ] = None,
    status: Annotated[
        Status, typer.Option("--status", help="Which records: open (still failing) by default.")
    ] = Status.open,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many, oldest first.")
    ] = 100,
) -> None:
    """List dead-lettered records: the stage and field that failed, the reason, the raw page.

    A record is `open` until a later sync stores a good version of it (`superseded`).
    """
    state = cli_context(ctx)

    async def fetch(conn: Conn) -> list[DeadLetterRecord]:
        if connection is not None:
            await get_connection(conn, connection)  # an unknown name is an error, not an empty list
        wanted = None if status is Status.all else status.value
        return await list_dead_letters(conn, connection=connection, status=wanted, limit=limit)

    found = state.query(fetch)
    state.output.result(
        [asdict(d) for d in found],
        lambda: table(
            (
                "id",
                "connection",
                "stream",
                "source id",
                "stage",
                "field",
                "reason",
                "raw page",
                "created",
            ),
            (
                (
                    d.id,
                    d.connection,
                    d.stream,
                    d.source_id,
                    d.stage,
                    d.field,
                    d.reason,
                    d.raw_page_id,
                    d.created_at,
                )
                for d in found
            ),
            caption=f"{len(found)} {status.value} record(s)"
            + (" (limit reached)" if len(found) == limit else ""),
        ),
    )
