"""One size of the benchmark: every method full (Canonry's replay right after Canonry's full
load), then incremental after 10 % and 1 % of the records change, Canonry's replay again,
the empty-store reference, and the correctness check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.canonry_steps import canonry_step, replay_available, replay_step
from bench.check import QUERIES, compare, dead_letters, differing_ids, table_digest
from bench.dlt_arrow import arrow_available, dlt_arrow_step
from bench.dlt_steps import NOT_INSTALLED, dlt_step
from bench.isolate import Step, run_isolated
from bench.lean import lean_step
from bench.limit import limit_step
from bench.model import EMPTY_1, FULL, INCR_1, INCR_10, REPLAY, REPLAY_END, Job, Row
from bench.pg import BenchServer
from bench.sandbox import SandboxProcess

STEPS: dict[str, Step] = {
    "canonry": canonry_step,
    "dlt_rest_api": dlt_step,
    "dlt_arrow": dlt_arrow_step,
    "lean": lean_step,
    "limit_copy_upsert": limit_step,
}
CHECKED = {
    "canonry": QUERIES["canonry"],
    "dlt_rest_api": QUERIES["dlt_rest_api"],
    "dlt_arrow": QUERIES["dlt_arrow"],
    "lean": QUERIES["flat"],
    "limit_copy_upsert": QUERIES["flat"],
}
NO_REPLAY = "n/a (replay not implemented)"
INCREMENTS = ((INCR_10, 10), (INCR_1, 100))  # phase, 1/share of the records updated


@dataclass
class Context:
    """What every size shares: the server, scratch space, the secrets key, runs, a logger."""

    server: BenchServer
    workdir: Path
    secret_key: str
    runs: int
    with_dlt: bool
    with_replay: bool
    log: Callable[[str], None]
    workers: int | None = None  # Canonry's mapping processes (None: the CLI's defaults)


@dataclass
class SizeResult:
    n: int
    rows: list[Row] = field(default_factory=list)
    ok: bool = True
    check: str = ""


def plan(
    n: int, *, with_dlt: bool, with_replay: bool = True, dlt_note: str = NOT_INSTALLED
) -> dict[tuple[str, str], Row]:
    """Every row of one size, in report order; rows that cannot run carry their reason."""
    rows: dict[tuple[str, str], Row] = {}
    for family in STEPS:
        phases = [FULL, INCR_10, INCR_1]
        if family == "canonry":
            phases += [EMPTY_1, REPLAY, REPLAY_END]
        for phase in phases:
            note = None
            if family == "dlt_rest_api" and not with_dlt:
                note = dlt_note
            if family == "dlt_arrow" and not (with_dlt and arrow_available()):
                note = dlt_note if not with_dlt else "n/a (pip install pyarrow)"
            if phase in (REPLAY, REPLAY_END):
                note = None if with_replay else "skipped (--no-replay)"
                note = note if replay_available() else NO_REPLAY
            rows[(family, phase)] = Row(family, phase, n, note=note)
    return rows


def run_size(ctx: Context, n: int, dlt_note: str) -> SizeResult:
    rows = plan(n, with_dlt=ctx.with_dlt, with_replay=ctx.with_replay, dlt_note=dlt_note)
    ctx.log(f"[{n:,}] starting the sandbox (warm-up of {n:,} records)")
    sandbox = SandboxProcess(n)
    ctx.log(f"[{n:,}] sandbox ready at {sandbox.url}, RSS {sandbox.rss_mb:,.0f} MB")
    try:
        urls: dict[str, str] = {}
        for run in range(1, ctx.runs + 1):
            urls = {f: ctx.server.fresh_database(f"bench_{f}") for f in STEPS}
            # The replay's target is a ratio to the full sync: measured right after it, as this
            # machine's speed drifts by a third within minutes (and dlt's load takes three).
            replay = {"canonry": rows[("canonry", REPLAY)]}
            _phase(ctx, rows, FULL, urls, sandbox.url, 0, run, then=replay)
            for phase, share in INCREMENTS:
                changed = sandbox.mutate(n // share)
                _phase(ctx, rows, phase, urls, sandbox.url, changed, run)
            end = rows[("canonry", REPLAY_END)]
            _measure(ctx, end, replay_step, urls["canonry"], sandbox.url, 0)
        result = _check(ctx, sandbox, urls, rows)
    finally:
        sandbox.stop()
    _empty_store_reference(ctx, rows[("canonry", EMPTY_1)], n)
    result.rows = list(rows.values())
    return result


def _phase(
    ctx: Context,
    rows: dict[tuple[str, str], Row],
    phase: str,
    urls: dict[str, str],
    sandbox_url: str,
    changed: int,
    run: int,
    then: dict[str, Row] | None = None,
) -> None:
    """Every method's step of ``phase``; ``then``: a family's replay to run right after it."""
    if changed:
        ctx.log(f"[run {run}] sandbox updated {changed:,} records")
    for family, step in STEPS.items():
        _measure(ctx, rows[(family, phase)], step, urls[family], sandbox_url, changed)
        if then and family in then:
            _measure(ctx, then[family], replay_step, urls[family], sandbox_url, 0)


def _measure(
    ctx: Context, row: Row, step: Step, db_url: str, sandbox_url: str, changed: int
) -> None:
    if row.note is not None:
        return
    job = Job(
        row.n, row.phase, db_url, sandbox_url, changed, ctx.secret_key, str(ctx.workdir),
        ctx.workers,
    )  # fmt: skip
    m = run_isolated(step, job)
    row.runs.append(m)
    ctx.log(
        f"[{row.n:,}] {row.method}: {m.records:,} records in {m.seconds:.2f} s"
        f" = {m.records_per_s:,.0f}/s, peak RSS {m.peak_rss_mb:,.0f} MB"
    )


def _empty_store_reference(ctx: Context, row: Row, n: int) -> None:
    """The 1 % target's yardstick: as many records as the 1 % step changed, full-synced by
    Canonry from a sandbox of that size into an empty store."""
    small = SandboxProcess(max(n // 100, 1))
    try:
        for _ in range(ctx.runs):
            url = ctx.server.fresh_database("bench_canonry_empty")
            _measure(ctx, row, canonry_step, url, small.url, 0)
    finally:
        small.stop()


def _check(
    ctx: Context, sandbox: SandboxProcess, urls: dict[str, str], rows: dict[tuple[str, str], Row]
) -> SizeResult:
    n = sandbox.n
    truth = sandbox.digest()
    checked = [f for f in STEPS if rows[(f, FULL)].runs]
    found = {f: table_digest(urls[f], CHECKED[f]) for f in checked}
    problems = compare(truth, found)
    if not problems:
        text = f"check N={n:,}: OK ({', '.join(checked)} all hold {truth})"
        ctx.log(text)
        return SizeResult(n, ok=True, check=text)
    good = [f for f in checked if f not in problems]
    details = [_explain(f, problem, urls, good) for f, problem in problems.items()]
    text = f"check N={n:,}: FAILED against the sandbox ({truth}): " + "; ".join(details)
    ctx.log(text)
    return SizeResult(n, ok=False, check=text)


def _explain(family: str, problem: str, urls: dict[str, str], good: list[str]) -> str:
    """The problem, with the differing ids (against a method that matched) and dead letters."""
    text = f"{family}: {problem}"
    if good:
        ids = differing_ids((urls[family], CHECKED[family]), (urls[good[0]], CHECKED[good[0]]))
        text += f" ({len(ids):,} ids differ from {good[0]}, e.g. {', '.join(ids[:3])})"
    if family == "canonry":
        count, reason = dead_letters(urls[family])
        if count:
            text += f"; canonry dead-lettered {count:,} records (e.g. {reason})"
    return text
