"""``canonry dlq``: the records a sync could not use, with why and where they came from."""

from __future__ import annotations

import enum
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Group
from rich.syntax import Syntax

from canonry.cli.context import cli_context
from canonry.cli.output import examples, table, to_json
from canonry.store.connections import get_connection
from canonry.store.database import Conn
from canonry.store.deadletters import (
    DeadLetterRecord,
    discard_dead_letters,
    get_dead_letter,
    list_dead_letters,
)
from canonry.sync.retry import retry_dead_letters

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


@app.command("show", epilog=examples("canonry dlq show 42", "canonry --json dlq show 42"))
def show(
    ctx: typer.Context,
    dead_letter_id: Annotated[int, typer.Argument(metavar="ID", help="The dead letter's id.")],
) -> None:
    """Show one dead letter in full: why it failed, where from, and the record as received."""
    state = cli_context(ctx)
    found = state.query(lambda conn: get_dead_letter(conn, dead_letter_id))
    data = asdict(found)
    state.output.result(
        data,
        lambda: Group(
            table(("field", "value"), [(k, v) for k, v in data.items() if k != "record"]),
            Syntax(to_json(found.record) if found.record is not None else "null", "json"),
        ),
    )


@app.command(
    "retry",
    epilog=examples("canonry dlq retry 42 43", "canonry dlq retry --all --connection hr"),
)
def retry(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Dead letters to retry.")
    ] = None,
    *,
    all_open: Annotated[bool, typer.Option("--all", help="Retry every open dead letter.")] = False,
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="With --all: only this connection.")
    ] = None,
) -> None:
    """Re-map dead-lettered records from the archive with today's mappings (after a fix).

    Records that now map are stored and their entries become `resolved`; the others stay
    open with the current reason. Nothing is requested from the source. Exit code 1 when
    some still fail.
    """
    if not ids and not all_open:
        raise typer.BadParameter("name dead letter ids, or pass --all")
    state = cli_context(ctx)
    outcome = state.run(lambda db: retry_dead_letters(db, ids=ids or None, connection=connection))
    state.output.result(
        asdict(outcome),
        lambda: (
            f"resolved {len(outcome.resolved)}: {outcome.resolved or '-'}; "
            f"still failing {len(outcome.still_failing)}: {outcome.still_failing or '-'}"
        ),
    )
    if outcome.still_failing:
        raise typer.Exit(1)


@app.command("discard", epilog=examples("canonry dlq discard 42 43"))
def discard(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Dead letters to discard.")],
) -> None:
    """Mark dead letters as discarded: kept for the record, no longer counted as pending."""
    state = cli_context(ctx)
    count = state.query(lambda conn: discard_dead_letters(conn, ids))
    state.output.result({"discarded": count}, lambda: f"discarded {count} dead letter(s)")
