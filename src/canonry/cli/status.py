"""``canonry status``: where the data is, and how each connection and stream stands."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Group, RenderableType
from rich.markup import escape

from canonry.cli.context import cli_context
from canonry.cli.output import cell, examples, table
from canonry.errors import NotFoundError
from canonry.resolve import active_rules, pending_rows
from canonry.sdk.registry import get_connector
from canonry.store import Database
from canonry.store.connections import ConnectionRecord, list_connections
from canonry.store.database import Conn
from canonry.store.deadletters import dead_letter_depth
from canonry.store.entities import count_entities
from canonry.store.golden import golden_counts
from canonry.store.refresh import Unfinished, unfinished_refreshes
from canonry.store.runs import list_runs
from canonry.store.writer import list_watermarks

app = typer.Typer(rich_markup_mode="markdown")


@app.command(epilog=examples("canonry status", "canonry --json status"))
def status(ctx: typer.Context) -> None:
    """Show where the data is, and how each connection and stream stands.

    Per connection: its last run; per stream: the watermark, stored rows, open dead letters
    and an unfinished full refresh (which the next `--full` sync resumes).
    """
    state = cli_context(ctx)

    async def gather(db: Database) -> dict[str, Any]:
        async with await db.connect() as conn:
            records = await list_connections(conn)
            return {
                "database": state.location(db),
                "connections": [await _connection_status(conn, r) for r in records],
                "golden": await _golden_status(conn),
            }

    report = state.run(gather)
    state.output.result(report, lambda: _render(report))


async def _connection_status(conn: Conn, record: ConnectionRecord) -> dict[str, Any]:
    last = await list_runs(conn, record.name, 1)
    depth = await dead_letter_depth(conn, connection=record.name)
    watermarks = await list_watermarks(conn, record.id)
    refreshes = await unfinished_refreshes(conn, record.id)
    try:
        streams = get_connector(record.connector).streams
    except NotFoundError:
        streams = ()
    return {
        "name": record.name,
        "connector": record.connector,
        "connector_installed": bool(streams),
        "last_run": (
            {
                "id": last[0].id,
                "mode": last[0].mode,
                "status": last[0].status,
                "started_at": last[0].started_at,
                "error": last[0].error,
            }
            if last
            else None
        ),
        "streams": [
            {
                "stream": s.name,
                "entity": s.mapping.entity.entity_name,
                "rows": await count_entities(conn, s.mapping.entity, record.name),
                "watermark": watermarks.get(s.name),
                "open_dead_letters": depth.get((record.name, s.name), 0),
                "unfinished_full_refresh": _refresh(refreshes.get(s.name)),
            }
            for s in streams
        ],
    }


async def _golden_status(conn: Conn) -> list[dict[str, Any]]:
    """Per ruled entity type: live goldens by number of source rows, rows awaiting resolution."""
    out = []
    for name, rules in (await active_rules(conn)).items():
        counts = await golden_counts(conn, name)
        out.append(
            {
                "entity": name,
                "rules_version": rules.version,
                "goldens": sum(counts.values()),
                "goldens_by_sources": counts,
                "rows_awaiting_resolution": await pending_rows(conn, rules),
            }
        )
    return out


def _refresh(found: Unfinished | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "run_id": found.refresh_run_id,
        "pages": found.pages,
        "walk_complete": found.walk_complete,
        "started_at": found.started_at,
        "updated_at": found.updated_at,
    }


def _refresh_cell(found: dict[str, Any] | None) -> str:
    """What the next ``--full`` sync of the stream will do with its unfinished refresh."""
    if found is None:
        return ""
    if found["walk_complete"]:
        return "walked; --full reconciles"
    return f"{found['pages']} pages; --full resumes"


def _render(report: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [f"[b]database[/b]: {escape(report['database'])}"]
    if not report["connections"]:
        parts.append(
            "no connections yet: add one with `canonry connections add`, or run `canonry demo`"
        )
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
            (
                s["stream"],
                s["entity"],
                s["rows"],
                s["watermark"],
                s["open_dead_letters"],
                _refresh_cell(s["unfinished_full_refresh"]),
            )
            for s in c["streams"]
        ]
        parts += [
            f"\n[b]{escape(c['name'])}[/b] ({escape(c['connector'])}): {escape(last)}",
            table(("stream", "entity", "rows", "watermark", "open DLQ", "full refresh"), rows),
        ]
    if report["golden"]:
        golden = [
            (g["entity"], g["rules_version"], g["goldens"], g["rows_awaiting_resolution"])
            for g in report["golden"]
        ]
        parts += [
            "\n[b]golden records[/b] (`canonry golden run` resolves waiting rows)",
            table(("entity", "rules", "goldens", "rows awaiting resolution"), golden),
        ]
    return Group(*parts)
