"""``canonry demo``: the two-minute tour, from a fake HR system to provenance-tracked rows."""

from __future__ import annotations

import contextlib
import shlex
import time
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.markup import escape

from canonry.canonical import Employee
from canonry.cli.context import CliContext, cli_context
from canonry.cli.output import Output, examples, table
from canonry.cli.sandbox import invalid_sandbox_options
from canonry.cli.sync import SyncProgress, records_per_s, result_json
from canonry.sandbox import FaultConfig, HRSandbox, SandboxServer
from canonry.sdk.registry import get_connector
from canonry.store import Database
from canonry.store.connections import add_connection, delete_connection
from canonry.store.deadletters import dead_letter_depth
from canonry.store.entities import list_entities
from canonry.sync import SyncResult, run_sync

app = typer.Typer(rich_markup_mode="markdown")

CONNECTION = "demo-hr"
CONNECTOR = "sandbox_hr"
CLIENT_ID = "canonry-demo"
CLIENT_SECRET = "s3cret-demo"  # noqa: S105 - the sandbox's documented demo secret
MALFORMED_RATE = 0.002  # a few broken records, so the dead-letter queue has something to show
MUTATION = {"creates": 50, "updates": 300, "deletes": 20}


@dataclass
class Tour:
    """What the demo did, for its summary."""

    url: str
    syncs: list[SyncResult]
    changed: dict[str, int]
    sample_id: str | None
    open_dead_letters: int


@app.command(
    epilog=examples(
        "canonry demo",
        "canonry demo --employees 2000 --seed 7",
        "canonry demo --keep-running",
        "canonry --json demo --employees 2000",
    )
)
def demo(
    ctx: typer.Context,
    *,
    employees: Annotated[
        int, typer.Option(min=0, help="How many employees the sandbox has.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox data: same seed, same data.")] = 42,
    keep_running: Annotated[
        bool,
        typer.Option("--keep-running", help="Keep the sandbox serving afterwards, until Ctrl-C."),
    ] = False,
) -> None:
    """Run the tour: a sandbox HR system, a full sync, changes at the source, an incremental sync.

    Everything runs locally: the sandbox on 127.0.0.1, the data in the embedded PostgreSQL
    (or --database-url). The connection it registers, `demo-hr`, is replaced on each run.
    """
    state = cli_context(ctx)
    out = state.output
    with invalid_sandbox_options():
        sandbox = HRSandbox(
            seed=seed,
            employees=employees,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            faults=FaultConfig(malformed_rate=MALFORMED_RATE),
        )
    with SandboxServer(sandbox) as server:
        out.note(
            f"[b]0.[/b] a sandbox HR system with {employees:,} employees is serving at {server.url}"
        )
        tour = state.run(lambda db: _tour(db, server.url, sandbox, out))
        next_steps = _next_steps(state, tour, keep_running)
        out.result(_tour_json(tour, next_steps), lambda: _render(tour, next_steps))
        if keep_running:
            _serve_until_interrupted(out, server.url)


async def _tour(db: Database, url: str, sandbox: HRSandbox, out: Output) -> Tour:
    config = get_connector(CONNECTOR).config.model_validate(
        {"base_url": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    async with await db.connect() as conn:
        # A new sandbox starts its clock afresh: old watermarks would hide its changes.
        await delete_connection(conn, CONNECTION)
        await add_connection(conn, db.secrets, CONNECTION, CONNECTOR, config)
    out.note(f"[b]1.[/b] registered connection [b]{CONNECTION}[/b]; full sync:")
    syncs = [await _sync(db, out, full=True)]
    changed = {kind: len(ids) for kind, ids in sandbox.mutate(**MUTATION).items()}
    out.note(
        f"[b]2.[/b] the source changed ({changed['created']} hires, {changed['updated']} updates, "
        f"{changed['deleted']} departures); incremental sync:"
    )
    syncs.append(await _sync(db, out, full=False))
    async with await db.connect() as conn:
        sample = await list_entities(conn, Employee, connection=CONNECTION, limit=1)
        depth = await dead_letter_depth(conn, connection=CONNECTION)
    sample_id = str(sample[0]["source_id"]) if sample else None
    return Tour(url, syncs, changed, sample_id, sum(depth.values()))


async def _sync(db: Database, out: Output, *, full: bool) -> SyncResult:
    with SyncProgress.shown(out.err, enabled=not out.json) as progress:
        return await run_sync(db, CONNECTION, full=full, progress=progress)


def _next_steps(state: CliContext, tour: Tour, keep_running: bool) -> list[str]:
    prefix = "canonry"
    if state.home is not None:
        prefix += f" --home {shlex.quote(str(state.home))}"
    if state.database_url is not None:
        prefix += " --database-url URL"
    steps = []
    if tour.sample_id is not None:
        steps.append(f"{prefix} entities show employee {tour.sample_id} --provenance")
    steps += [
        f"{prefix} entities list employee --connection {CONNECTION} --limit 10",
        f"{prefix} dlq list --connection {CONNECTION}",
        f"{prefix} runs --connection {CONNECTION}",
        f"{prefix} status",
    ]
    if keep_running:
        steps.append(f"{prefix} sync {CONNECTION}   # the sandbox is still serving")
    else:
        steps.append(
            f"{prefix} demo --keep-running   # then `{prefix} sync {CONNECTION}` elsewhere"
        )
    return steps


def _tour_json(tour: Tour, next_steps: list[str]) -> dict[str, Any]:
    return {
        "connection": CONNECTION,
        "sandbox_url": tour.url,
        "changed_at_source": tour.changed,
        "syncs": [result_json(s) for s in tour.syncs],
        "open_dead_letters": tour.open_dead_letters,
        "sample_employee": tour.sample_id,
        "next": next_steps,
    }


def _render(tour: Tour, next_steps: list[str]) -> RenderableType:
    columns = (
        "sync",
        "fetched",
        "inserted",
        "updated",
        "unchanged",
        "deleted",
        "dead-lettered",
        "seconds",
        "records/s",
    )
    rows = [
        (
            f"{s.mode} (run {s.run_id})",
            s.totals.fetched,
            s.totals.inserted,
            s.totals.updated,
            s.totals.unchanged,
            s.totals.deleted,
            s.totals.dead_lettered,
            s.seconds,
            round(records_per_s(s)),
        )
        for s in tour.syncs
    ]
    summary = table(
        columns,
        rows,
        title=f"what the demo did to {CONNECTION}",
        caption=f"{tour.open_dead_letters} record(s) wait in the dead-letter queue",
    )
    steps = "\n".join(f"  {escape(step)}" for step in next_steps)
    return Group(summary, "", "[b]what to try next[/b]", steps)


def _serve_until_interrupted(out: Output, url: str) -> None:
    out.note(f"the sandbox keeps serving at {url}; press Ctrl-C to stop it")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
