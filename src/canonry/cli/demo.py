"""``canonry demo``: the two-minute tour, from a fake HR system to provenance-tracked rows."""

from __future__ import annotations

import contextlib
import shlex
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.markup import escape

from canonry.canonical import Employee, GoldenRecord
from canonry.cli.context import CliContext, cli_context
from canonry.cli.golden import render_golden
from canonry.cli.output import Output, examples, table
from canonry.cli.sandbox import invalid_sandbox_options
from canonry.cli.sync import SyncProgress, records_per_s, result_json
from canonry.resolve import EntityRules, set_rules
from canonry.resolve.explain import explain
from canonry.sandbox import DirectorySandbox, FaultConfig, HRSandbox, PayrollSandbox, SandboxServer
from canonry.sdk.registry import get_connector
from canonry.store import Database
from canonry.store.connections import add_connection, delete_connection
from canonry.store.deadletters import dead_letter_depth
from canonry.store.entities import list_entities
from canonry.store.golden import golden_counts, list_goldens
from canonry.sync import SyncResult, run_sync

app = typer.Typer(rich_markup_mode="markdown")

CONNECTION = "demo-hr"
CONNECTOR = "sandbox_hr"
PAYROLL, DIRECTORY = "demo-payroll", "demo-directory"
PAYROLL_KEY, DIRECTORY_TOKEN = "payroll-demo-key", "dir-demo-token"
# How the three systems' employees become one golden record each (docs/resolution.md).
DEMO_RULES: dict[str, Any] = {
    "entity": "employee",
    "sources": [CONNECTION, PAYROLL, DIRECTORY],
    "match": [
        {"name": "email", "fields": {"email": "email"}},
        {"name": "employee_number", "fields": {"employee_number": "digits"}},
    ],
    "default": "non_null_first",
    "fields": {
        "salary_amount": {
            "rule": "source_priority",
            "sources": [PAYROLL, CONNECTION],
            "together": ["salary_currency", "salary_period"],
        },
        "job_title": {"rule": "most_recent"},
        "phone": {"rule": "most_recent"},
    },
}
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
    golden: GoldenRecord | None = None
    goldens_by_sources: dict[int, int] = field(default_factory=dict)


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
    payroll = PayrollSandbox(sandbox, api_key=PAYROLL_KEY)
    directory = DirectorySandbox(sandbox, api_key=DIRECTORY_TOKEN)
    with (
        SandboxServer(sandbox) as server,
        SandboxServer(payroll) as payroll_server,
        SandboxServer(directory) as directory_server,
    ):
        out.note(
            f"[b]0.[/b] a sandbox HR system with {employees:,} employees is serving at {server.url}"
        )
        urls = {PAYROLL: payroll_server.url, DIRECTORY: directory_server.url}
        tour = state.run(lambda db: _tour(db, server.url, sandbox, out, urls))
        next_steps = _next_steps(state, tour, keep_running)
        out.result(_tour_json(tour, next_steps), lambda: _render(tour, next_steps))
        if keep_running:
            _serve_until_interrupted(out, server.url)


async def _tour(
    db: Database, url: str, sandbox: HRSandbox, out: Output, urls: dict[str, str]
) -> Tour:
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
    tour = Tour(url, syncs, changed, sample_id, sum(depth.values()))
    await _enrich(db, out, urls, tour)
    return tour


async def _enrich(db: Database, out: Output, urls: dict[str, str], tour: Tour) -> None:
    """Step 3: payroll and the identity directory know the same people; resolve them."""
    configs = {
        PAYROLL: ("payroll_sandbox", {"base_url": urls[PAYROLL], "api_key": PAYROLL_KEY}),
        DIRECTORY: (
            "directory_sandbox",
            {"base_url": urls[DIRECTORY], "api_token": DIRECTORY_TOKEN},
        ),
    }
    async with await db.connect() as conn:
        for name, (connector, values) in configs.items():
            config = get_connector(connector).config.model_validate(values)
            await delete_connection(conn, name)
            await add_connection(conn, db.secrets, name, connector, config)
        await set_rules(conn, EntityRules.model_validate(DEMO_RULES))
    out.note(
        f"[b]3.[/b] payroll ([b]{PAYROLL}[/b]) and the identity directory ([b]{DIRECTORY}[/b]) "
        "know the same people their own way; syncing both resolves golden employees:"
    )
    for name in (PAYROLL, DIRECTORY):
        tour.syncs.append(await _sync(db, out, full=True, connection=name))
    async with await db.connect() as conn:
        tour.goldens_by_sources = await golden_counts(conn, "employee")
        best = (0, 0)
        for row in await list_goldens(conn, "employee", min_members=3, limit=60):
            # Show the golden whose fields come from most systems, with most disagreement.
            golden = await explain(conn, "employee", row["golden_id"])
            systems = len({f.source.connection for f in golden.fields if f.source})
            rivals = sum(len({repr(c.value) for c in f.competing}) > 1 for f in golden.fields)
            if (systems, rivals) > best:
                best, tour.golden = (systems, rivals), golden


async def _sync(
    db: Database, out: Output, *, full: bool, connection: str = CONNECTION
) -> SyncResult:
    with SyncProgress.shown(out.err, enabled=not out.json) as progress:
        return await run_sync(db, connection, full=full, progress=progress)


def _next_steps(state: CliContext, tour: Tour, keep_running: bool) -> list[str]:
    prefix = "canonry"
    if state.home is not None:
        prefix += f" --home {shlex.quote(str(state.home))}"
    if state.database_url is not None:
        prefix += " --database-url URL"
    steps = []
    if tour.golden is not None:
        steps.append(f"{prefix} golden show employee {tour.golden.golden_id} --provenance")
    if tour.sample_id is not None:
        steps.append(f"{prefix} entities show employee {tour.sample_id} --provenance")
    steps.append(f"{prefix} golden list employee --min-sources 3 --limit 10")
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
        "goldens_by_sources": tour.goldens_by_sources,
        "golden_employee": None if tour.golden is None else tour.golden.model_dump(mode="json"),
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
            f"{s.connection} {s.mode} (run {s.run_id})",
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
        title="what the demo did",
        caption=f"{tour.open_dead_letters} record(s) wait in the dead-letter queue",
    )
    steps = "\n".join(f"  {escape(step)}" for step in next_steps)
    parts: list[RenderableType] = [summary, ""]
    if tour.golden is not None:
        spread = ", ".join(f"{n:,} from {k}" for k, n in sorted(tour.goldens_by_sources.items()))
        parts += [
            f"[b]golden employees[/b] (by number of source rows): {spread}",
            render_golden(tour.golden, provenance=True),
            "",
        ]
    return Group(*parts, "[b]what to try next[/b]", steps)


def _serve_until_interrupted(out: Output, url: str) -> None:
    out.note(f"the sandbox keeps serving at {url}; press Ctrl-C to stop it")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
