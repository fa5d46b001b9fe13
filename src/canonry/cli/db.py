"""``canonry db``: create, upgrade and inspect Canonry's database schema."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Group
from rich.markup import escape

from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.store import Database, migrate

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Create, upgrade and inspect Canonry's database schema.",
    no_args_is_help=True,
)


@app.command(
    epilog=examples(
        "canonry db upgrade", "canonry --database-url postgresql://me@db/canonry db upgrade"
    )
)
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations this database has not had yet.

    Other commands upgrade on first use too; run this to do it explicitly (e.g. in a deploy).
    """
    state = cli_context(ctx)

    async def apply(db: Database) -> dict[str, Any]:
        async with await db.connect(autocommit=True) as conn:
            ran = await migrate.upgrade(conn)
        return {
            "database": state.location(db),
            "applied": [{"version": m.version, "name": m.name} for m in ran],
        }

    result = state.run(apply, upgrade=False)
    applied = result["applied"]
    state.output.result(
        result,
        lambda: escape(
            f"applied {len(applied)} migration(s) to {result['database']}: "
            + ", ".join(f"{m['version']:04d}_{m['name']}" for m in applied)
            if applied
            else f"the database ({result['database']}) is up to date"
        ),
    )


@app.command(epilog=examples("canonry db status", "canonry --json db status"))
def status(ctx: typer.Context) -> None:
    """Show where the database is and which migrations it has (without applying any)."""
    state = cli_context(ctx)

    async def inspect(db: Database) -> dict[str, Any]:
        async with await db.connect(autocommit=True) as conn:
            done = await migrate.applied(conn)
        shipped = {m.version: m.name for m in migrate.available()}
        rows = [
            {
                "version": v,
                "name": shipped.get(v, "(unknown to this Canonry)"),
                "applied": v in done,
            }
            for v in sorted(shipped.keys() | done.keys())
        ]
        pending = [r["version"] for r in rows if not r["applied"]]
        return {"database": state.location(db), "migrations": rows, "pending": pending}

    result = state.run(inspect, upgrade=False)
    pending = result["pending"]
    caption = f"{len(pending)} pending: run `canonry db upgrade`" if pending else "up to date"
    state.output.result(
        result,
        lambda: Group(
            f"[b]database[/b]: {escape(result['database'])}",
            table(
                ("version", "name", "applied"),
                ((r["version"], r["name"], r["applied"]) for r in result["migrations"]),
                caption=caption,
            ),
        ),
    )
