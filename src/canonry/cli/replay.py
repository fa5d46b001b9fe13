"""``canonry replay``: rebuild canonical rows from the raw archive, without the source."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType

from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.cli.sync import COUNTS, SyncProgress
from canonry.store import Database
from canonry.sync import ReplayResult, replay

app = typer.Typer(rich_markup_mode="markdown")


@app.command(
    "replay",
    epilog=examples(
        "canonry replay --connection hr --dry-run",
        "canonry replay --connection hr",
        "canonry replay --connection hr --stream employees --since 2026-11-01",
        "canonry replay --connection hr --rebuild --checksum",
    ),
)
def replay_command(
    ctx: typer.Context,
    *,
    connection: Annotated[
        str, typer.Option("--connection", "-c", help="The connection to replay.")
    ],
    streams: Annotated[
        list[str] | None,
        typer.Option("--stream", "-s", metavar="STREAM", help="Only this stream; repeat for more."),
    ] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", help="Only pages fetched at or after this time (UTC if naive)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Delete the streams' rows first and rebuild them all."),
    ] = False,
    checksum: Annotated[
        bool,
        typer.Option("--checksum", help="Print a digest of each entity table (reads every row)."),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Processes that map pages (0: in this process). Default: config, else CPUs.",
        ),
    ] = None,
) -> None:
    """Re-map archived responses with today's mappings: no request reaches the source.

    Use it after changing a mapping: rows and their provenance (mapping version) are
    updated. `--dry-run` replays inside a transaction that is rolled back and reports the
    entities and fields that would change. Pages are replayed in the order they were stored,
    so the same archive and mapping always give the same tables (`--checksum` shows it).
    """
    state = cli_context(ctx)
    out = state.output
    when = since.replace(tzinfo=dt.UTC) if since and since.tzinfo is None else since

    async def go(db: Database) -> ReplayResult:
        with SyncProgress.shown(out.err, enabled=not out.json) as progress:
            return await replay(
                db, connection, streams=streams or None, since=when, dry_run=dry_run,
                rebuild=rebuild, checksum=checksum, progress=progress,
                workers=state.settings.workers_for(replay=True) if workers is None else workers,
            )  # fmt: skip

    result = state.run(go)
    out.result(_json(result), lambda: _render(result))


def _json(result: ReplayResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "connection": result.connection,
        "dry_run": result.dry_run,
        "status": result.status,
        "seconds": round(result.seconds, 3),
        "streams": {n: {"pages": s.pages, **asdict(s.counts)} for n, s in result.streams.items()},
        "changes": {n: asdict(d) for n, d in result.changes.items()},
        "checksums": result.checksums,
    }


def _render(result: ReplayResult) -> RenderableType:
    verb = "would change" if result.dry_run else "changed"
    parts: list[RenderableType] = [
        table(
            ("stream", "pages", *(k.replace("_", "-") for k in COUNTS)),
            [
                (n, s.pages, *(getattr(s.counts, k) for k in COUNTS))
                for n, s in result.streams.items()
            ],
            title=f"run {result.run_id}: replay of {result.connection}"
            + (" (dry run, nothing written)" if result.dry_run else ""),
            caption=f"{result.seconds:,.1f} s, no request to the source",
        )
    ]
    for name, d in result.changes.items():
        fields = ", ".join(f"{f} ({n})" for f, n in sorted(d.fields.items())) or "none"
        parts.append(
            f"[b]{name}[/b] {verb}: +{d.added} added, -{d.removed} removed, ~{d.changed} "
            f"changed; fields: {fields}" + (f"; e.g. {', '.join(d.sample[:5])}" if d.sample else "")
        )
    for name, digest in result.checksums.items():
        parts.append(f"checksum {name}: {digest}")
    return Group(*parts)
