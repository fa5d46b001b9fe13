"""``canonry sync`` (run one sync, with live progress) and ``canonry runs`` (their history)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from canonry.cli.context import cli_context
from canonry.cli.output import examples, table
from canonry.store import Database
from canonry.store.connections import get_connection
from canonry.store.database import Conn
from canonry.store.runs import RunRecord, list_runs
from canonry.sync import StreamProgress, SyncResult, run_sync
from canonry.sync.engine import Progress as ProgressCallback

app = typer.Typer(rich_markup_mode="markdown")

COUNTS = ("fetched", "inserted", "updated", "unchanged", "deleted", "dead_lettered")


class SyncProgress:
    """Live progress of one sync on stderr: one line per stream, updated after every page."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("[b]{task.description:<12}[/]"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, tuple[TaskID, float]] = {}

    def __call__(self, state: StreamProgress) -> None:
        if state.stream not in self._tasks:
            task = self._progress.add_task(state.stream, total=None, detail="")
            self._tasks[state.stream] = (task, time.monotonic())
        task, started = self._tasks[state.stream]
        c = state.counts
        rate = c.fetched / max(time.monotonic() - started, 1e-6)
        detail = (
            f"{state.pages:>4} pages  {c.fetched:>8,} fetched  [green]+{c.inserted:,}[/] "
            f"[yellow]~{c.updated:,}[/] ={c.unchanged:,} [red]-{c.deleted:,}[/] "
            f"[magenta]!{c.dead_lettered:,}[/]  {rate:>8,.0f} rec/s"
        )
        if state.done:
            self._progress.update(task, detail=detail, total=1, completed=1)
        else:
            self._progress.update(task, detail=detail)

    @classmethod
    @contextlib.contextmanager
    def shown(cls, console: Console, enabled: bool) -> Iterator[ProgressCallback | None]:
        """A progress callback that draws while the block runs, or None when disabled."""
        if not enabled:
            yield None
            return
        bar = cls(console)
        with bar._progress:
            yield bar


def result_json(result: SyncResult) -> dict[str, Any]:
    """A sync's outcome for scripts: counts per stream and in total, rate, plumbing stats."""
    totals = result.totals
    return {
        "run_id": result.run_id,
        "connection": result.connection,
        "mode": result.mode,
        "status": result.status,
        "seconds": round(result.seconds, 3),
        "records_per_s": round(records_per_s(result), 1),
        "totals": asdict(totals),
        "streams": {
            name: {"pages": s.pages, "resumed_pages": s.resumed_pages, **asdict(s.counts)}
            for name, s in result.streams.items()
        },
        "stats": result.stats,
        "error": result.error,
        "resolved": [r.as_dict() for r in result.resolved],
    }


def records_per_s(result: SyncResult) -> float:
    return result.totals.fetched / result.seconds if result.seconds > 0 else 0.0


def _summary(result: SyncResult) -> Table:
    rows = [
        (name, s.pages, *(getattr(s.counts, k) for k in COUNTS))
        for name, s in result.streams.items()
    ]
    pages = sum(s.pages for s in result.streams.values())
    rows.append(("total", pages, *(getattr(result.totals, k) for k in COUNTS)))
    stats = result.stats
    return table(
        ("stream", "pages", *(k.replace("_", "-") for k in COUNTS)),
        rows,
        title=f"run {result.run_id}: {result.mode} sync of {result.connection} {result.status}",
        caption=f"{result.seconds:,.1f} s, {records_per_s(result):,.0f} records/s; "
        f"{stats.get('requests', 0)} requests, {stats.get('retries', 0)} retries"
        + _shift_note(stats)
        + "".join(
            f"; golden {r.entity}: {r.created} new, {r.changed} changed, {r.retired} retired"
            for r in result.resolved
        ),
    )


def _shift_note(stats: dict[str, Any]) -> str:
    shifts = stats.get("offset_shifts", 0)
    if not shifts:
        return ""
    return f"; {shifts} offset walk(s) shifted mid-walk: records may be skipped, run --full"


@app.command(
    epilog=examples(
        "canonry sync hr",
        "canonry sync hr --full",
        "canonry sync hr --full --restart",
        "canonry sync hr --stream employees",
        "canonry --json sync hr",
    )
)
def sync(
    ctx: typer.Context,
    *,
    connection: Annotated[
        str, typer.Argument(metavar="CONNECTION", help="The connection to sync.")
    ],
    full: Annotated[
        bool, typer.Option("--full", help="Fetch everything, ignoring the stored watermarks.")
    ] = False,
    streams: Annotated[
        list[str] | None,
        typer.Option("--stream", metavar="STREAM", help="Sync only this stream; repeat for more."),
    ] = None,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="With --full: drop an unfinished full refresh and walk from the first page.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Processes that map pages (0: in this process). Default: config, else CPUs - 1.",
        ),
    ] = None,
) -> None:
    """Sync one connection: fetch what changed, map it, store it with provenance.

    Incremental by default: each stream resumes from its watermark. Records that cannot be
    used go to the dead-letter queue (`canonry dlq list`) and the sync goes on. A `--full`
    sync killed mid-way is resumed by the next `--full` (or started over with `--restart`).
    """
    state = cli_context(ctx)
    out = state.output

    async def go(db: Database) -> SyncResult:
        with SyncProgress.shown(out.err, enabled=not out.json) as progress:
            return await run_sync(
                db, connection, full=full, streams=streams or None, progress=progress,
                workers=state.settings.workers_for() if workers is None else workers,
                restart=restart,
            )  # fmt: skip

    result = state.run(go)
    out.result(result_json(result), lambda: _summary(result))


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {**asdict(run), "seconds": run.seconds}


@app.command(
    epilog=examples("canonry runs", "canonry runs --connection hr --limit 5", "canonry --json runs")
)
def runs(
    ctx: typer.Context,
    *,
    connection: Annotated[
        str | None, typer.Option("--connection", "-c", help="Only this connection's runs.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many runs, newest first.")
    ] = 20,
) -> None:
    """List recent sync runs, newest first, with what each one did."""
    state = cli_context(ctx)

    async def fetch(conn: Conn) -> list[RunRecord]:
        if connection is not None:
            await get_connection(conn, connection)  # an unknown name is an error, not an empty list
        return await list_runs(conn, connection, limit)

    found = state.query(fetch)
    columns = ("id", "connection", "mode", "status", "started", "seconds", *COUNTS, "error")
    state.output.result(
        [_run_json(r) for r in found],
        lambda: table(
            [c.replace("_", "-") for c in columns],
            (
                (
                    r.id,
                    r.connection,
                    r.mode,
                    r.status,
                    r.started_at,
                    r.seconds,
                    *(getattr(r, k) for k in COUNTS),
                    r.error,
                )
                for r in found
            ),
            caption=None if found else "no runs yet: start one with `canonry sync CONNECTION`",
        ),
    )
