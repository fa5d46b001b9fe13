"""``canonry status``: where the data is, and how each connection and stream stands."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from rich.console import Group, RenderableType

from canonry.cli.context import cli_context
from canonry.cli.output import cell, examples, table
from canonry.errors import NotFoundError
from canonry.sdk.registry import get_connector
from canonry.store import Database
from canonry.store.connections import ConnectionRecord, list_connections
from canonry.store.database import Conn
from canonry.store.deadletters import list_dead_letters
from canonry.store.entities import count_entities
from canonry.store.runs import list_runs
from canonry.store.writer import read_watermark

app = typer.Typer()

# Open dead letters counted per stream; beyond this the depth shows as "N+".
DLQ_COUNT_LIMIT = 100_000


@app.command(epilog=examples("canonry status", "canonry --json status"))
def status(ctx: typer.Context) -> None:
    """Show the database, and per connection: last run, and per stream its watermark,
    stored rows and open dead letters."""
    state = cli_context(ctx)

    async def gather(db: Database) -> dict[str, Any]:
        async with await db.connect() as conn:
            records = await list_connections(conn)
            return {
                "database": state.location(db),
                "connections": [await _connection_status(conn, r) for r in records],
            }

    report = state.run(gather)
    state.output.result(report, lambda: _render(report))


async def _connection_status(conn: Conn, record: ConnectionRecord) -> dict[str, Any]:
    last = await list_runs(conn, record.name, 1)
    dead = await list_dead_letters(conn, connection=record.name, status="open", limit=DLQ_COUNT_LIMIT)
    depth = Counter(d.stream for d in dead)
    try:
        streams = get_connector(record.connector).streams
    except NotFoundError:
        streams = ()
    return {
        "name": record.name,
        "connector": record.connector,
        "connector_installed": bool(streams),
        "last_run": (
            {"id": last[0].id, "mode": last[0].mode, "status": last[0].status,
             "started_at": last[0].started_at, "error": last[0].error}
            if last
            else None
        ),  # fmt: skip
        "streams": [
            {
                "stream": s.name,
                "entity": s.mapping.entity.entity_name,
                "rows": await count_entities(conn, s.mapping.entity, record.name),
                "watermark": await read_watermark(conn, record.id, s.name),
                "open_dead_letters": depth.get(s.name, 0),
                "dead_letters_truncated": len(dead) >= DLQ_COUNT_LIMIT,
            }
            for s in streams
        ],
    }


def _render(report: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [f"[b]database[/b]: {report['database']}"]
    if not report["connections"]:
        parts.append("no connections yet: add one with `canonry connections add`, or run `canonry demo`")
    for c in report["connections"]:
        run = c["last_run"]
        last = (
            f"last run {run['id']} ({run['mode']}) {run['status']} at {cell(run['started_at'])}"
            if run
            else "never synced"
        )
        if not c["connector_installed"]:
            last += f"; connector {c['connector']!r} is not installed"
        rows = [
            (s["stream"], s["entity"], s["rows"], s["watermark"],
             f"{s['open_dead_letters']}+" if s["dead_letters_truncated"] else s["open_dead_letters"])
            for s in c["streams"]
        ]  # fmt: skip
        parts.append(
            table(
                ("stream", "entity", "rows", "watermark", "open DLQ"),
                rows,
                title=f"{c['name']} ({c['connector']}): {last}",
            )
        )
    return Group(*parts)
