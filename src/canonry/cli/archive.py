"""``canonry archive``: the raw archive's size, retention, and where its bodies are stored."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, TypeVar

import typer
from rich.console import RenderableType

from canonry.cli.context import CliContext, cli_context
from canonry.cli.output import examples, table
from canonry.errors import ConfigError
from canonry.store import Database
from canonry.store.archive import ArchiveStats, archive_stats
from canonry.store.blobs import blob_stores, using
from canonry.store.connections import get_connection
from canonry.store.relocate import MoveResult, move_bodies
from canonry.store.retention import PruneResult, list_policies, policy_days, prune, set_policy

app = typer.Typer(
    rich_markup_mode="markdown",
    help="The raw archive: size, retention, and where response bodies are stored.",
    no_args_is_help=True,
)
policy = typer.Typer(
    rich_markup_mode="markdown", help="Per-connection retention.", no_args_is_help=True
)
app.add_typer(policy, name="policy")

T = TypeVar("T")
ConnectionOpt = Annotated[str, typer.Option("--connection", "-c", help="The connection.")]


class Backend(enum.StrEnum):
    """Where bodies can be stored."""

    db = "db"
    fs = "fs"
    s3 = "s3"


def _run_with_stores(state: CliContext, fn: Callable[[Database], Awaitable[T]]) -> T:
    """``state.run(fn)`` with the blob stores of this invocation's settings."""
    with using(state.settings):
        return state.run(fn)


@app.command("stats", epilog=examples("canonry archive stats", "canonry archive stats -c hr"))
def stats(
    ctx: typer.Context,
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="Only this connection.")
    ] = None,
) -> None:
    """Show pages kept, distinct bodies (identical pages are stored once) and bytes per backend."""
    state = cli_context(ctx)

    async def go(db: Database) -> ArchiveStats:
        async with await db.connect() as conn:
            cid = (await get_connection(conn, connection)).id if connection else None
            return await archive_stats(conn, cid)

    found: ArchiveStats = state.run(go)
    state.output.result(
        asdict(found),
        lambda: table(
            ("pages", "bodies", "body bytes", *(f"stored in {k}" for k in found.stored_bytes)),
            [(found.pages, found.bodies, found.body_bytes, *found.stored_bytes.values())],
        ),
    )


@app.command(
    "prune",
    epilog=examples(
        "canonry archive prune -c hr --keep-days 90 --dry-run", "canonry archive prune -c hr"
    ),
)
def prune_command(
    ctx: typer.Context,
    *,
    connection: ConnectionOpt,
    keep_days: Annotated[
        int | None,
        typer.Option("--keep-days", min=1, help="Keep this many days. Default: the policy."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete raw pages older than N days, except those provenance or open dead letters use.

    Bodies no page refers to any more are deleted too (from PostgreSQL, the directory or
    the bucket). Prints pages and bodies deleted and bytes freed.
    """
    state = cli_context(ctx)

    async def go(db: Database) -> PruneResult:
        async with await db.connect(autocommit=True) as conn:
            record = await get_connection(conn, connection)
            days = keep_days or await policy_days(conn, record.id)
            if days is None:
                raise ConfigError(
                    f"connection {connection!r} has no retention policy; pass --keep-days or "
                    "set one with `canonry archive policy set`"
                )
            return await prune(
                conn, blob_stores(), connection=connection, connection_id=record.id,
                keep_days=days, dry_run=dry_run,
            )  # fmt: skip

    result = _run_with_stores(state, go)
    verb = "would delete" if dry_run else "deleted"
    state.output.result(
        asdict(result),
        lambda: (
            f"{connection}: {verb} {result.pages_deleted} page(s) older than "
            f"{result.keep_days} day(s) and {result.bodies_deleted} body(ies), "
            f"{result.bytes_freed:,} bytes; kept {result.pages_kept_referenced} old page(s) "
            "still used by provenance or open dead letters"
        ),
    )


@policy.command("set", epilog=examples("canonry archive policy set -c hr --keep-days 90"))
def policy_set(
    ctx: typer.Context,
    *,
    connection: ConnectionOpt,
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", min=1, help="Days to keep raw pages.")
    ] = None,
    keep_all: Annotated[bool, typer.Option("--keep-all", help="Keep every page.")] = False,
) -> None:
    """Set how long a connection's raw pages are kept (`canonry archive prune` applies it)."""
    if (keep_days is None) == (not keep_all):
        raise typer.BadParameter("pass exactly one of --keep-days N and --keep-all")
    state = cli_context(ctx)

    async def go(db: Database) -> None:
        async with await db.connect() as conn:
            record = await get_connection(conn, connection)
            await set_policy(conn, record.id, keep_days)
            await conn.commit()

    state.run(go)
    state.output.result(
        {"connection": connection, "keep_days": keep_days},
        lambda: (
            f"{connection}: keep raw pages " + (f"{keep_days} day(s)" if keep_days else "forever")
        ),
    )


@policy.command("show", epilog=examples("canonry archive policy show"))
def policy_show(ctx: typer.Context) -> None:
    """Show each connection's retention."""
    state = cli_context(ctx)

    async def go(db: Database) -> list[tuple[str, int | None]]:
        async with await db.connect() as conn:
            return await list_policies(conn)

    found: list[tuple[str, int | None]] = state.run(go)
    state.output.result(
        [{"connection": n, "keep_days": d} for n, d in found],
        lambda: table(("connection", "keep days"), [(n, d or "forever") for n, d in found]),
    )


@app.command(
    "move",
    epilog=examples("canonry archive move --to fs", "canonry archive move --to s3 -c hr"),
)
def move(
    ctx: typer.Context,
    *,
    to: Annotated[Backend, typer.Option("--to", help="The backend to move bodies to.")],
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="Only this connection's bodies.")
    ] = None,
) -> None:
    """Move stored bodies to another backend; the index stays in PostgreSQL.

    `fs` uses `archive_path`; `s3` uses `s3_endpoint_url`, `s3_bucket` and the S3 keys from
    the settings. Reads (replay, provenance) work wherever a body is. Set `archive_backend`
    too, so new bodies go there as well.
    """
    state = cli_context(ctx)

    async def go(db: Database) -> MoveResult:
        async with await db.connect(autocommit=True) as conn:
            cid = (await get_connection(conn, connection)).id if connection else None
            return await move_bodies(conn, blob_stores(), to=to.value, connection_id=cid)

    result = _run_with_stores(state, go)
    state.output.result(asdict(result), lambda: _render_move(result))


def _render_move(result: MoveResult) -> RenderableType:
    text = f"moved {result.moved} body(ies), {result.bytes_moved:,} bytes, to {result.to}"
    if result.location:
        text += f" ({result.location})"
    if result.missing:
        text += f"; {len(result.missing)} missing blob(s) left in place: {result.missing[:5]}"
    return text
