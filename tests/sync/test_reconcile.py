"""Deletes without tombstones (full-refresh reconciliation) and the lookback window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from canonry.config import Settings
from canonry.errors import ConfigError
from canonry.sandbox import FaultConfig, HRSandbox
from canonry.store import open_database
from canonry.sync import StreamProgress, SyncResult, replay, run_sync
from tests.conftest import CLIENT_ID, CLIENT_SECRET, log_events, register
from tests.truth import assert_store_matches_truth


def sync(settings: Settings, **kw: Any) -> SyncResult:
    async def go() -> SyncResult:
        async with open_database(settings) as db:
            return await run_sync(db, "hr", **kw)

    return asyncio.run(go())


def _without_tombstones(*, seed: int, employees: int) -> HRSandbox:
    """A source that never says what it deleted: only a full refresh can notice."""
    return HRSandbox(
        seed=seed,
        employees=employees,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        faults=FaultConfig(),
        tombstones=False,
    )


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def test_full_refresh_soft_deletes_records_that_vanished(
    settings: Settings, serve: Callable[[HRSandbox], str]
) -> None:
    """A source without tombstones: only a complete full sync notices deletions, and logs why."""
    sb = _without_tombstones(seed=3, employees=1500)
    asyncio.run(register(settings, "hr", serve(sb), page_size=200))
    sync(settings)
    gone = sb.mutate(deletes=30, updates=20)["deleted"]
    assert sync(settings).totals.deleted == 0  # an incremental sync cannot see them go
    full = sync(settings, full=True)
    assert full.streams["employees"].counts.deleted == 30
    assert_store_matches_truth(_url(settings), sb, "hr")
    with psycopg.connect(_url(settings)) as conn:
        logged = conn.execute(
            "SELECT source_id, reason, sync_run_id FROM canonry.deletions ORDER BY source_id"
        ).fetchall()
        leftover = conn.execute("SELECT count(*) FROM canonry.refresh_seen").fetchone()
    assert [r[0] for r in logged] == sorted(gone)
    assert {r[1] for r in logged} == {"absent_from_full_refresh"}
    assert {r[2] for r in logged} == {full.run_id}
    assert leftover == (0,)
    assert sync(settings, full=True).totals.deleted == 0  # nothing more to reconcile


def test_lookback_rereads_before_the_watermark(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """With a lookback window, an incremental sync re-reads recent records (changing nothing)."""
    sb = hr_sandbox(employees=600)
    url = serve(sb)
    asyncio.run(register(settings, "hr", url))
    sync(settings)
    assert sync(settings).totals.fetched <= 2  # no lookback: only the watermark's records
    asyncio.run(register(settings, "hr", url, lookback_s=3 * 365 * 86400.0))
    again = sync(settings).totals
    assert again.fetched == 600 + 40
    assert (again.inserted, again.updated) == (0, 0)


@pytest.mark.parametrize("restart", [False, True], ids=["resume", "restart"])
def test_a_full_sync_stopped_after_its_walk_only_reconciles_when_run_again(
    settings: Settings, serve: Callable[[HRSandbox], str], restart: bool
) -> None:
    """Stopped between a stream's last page and its reconciliation, a full sync run again
    fetches nothing more of that stream and deletes what the finished walk did not see;
    ``restart`` drops that refresh and walks again, with the same end state."""
    sb = _without_tombstones(seed=4, employees=600)
    asyncio.run(register(settings, "hr", serve(sb), page_size=200))
    sync(settings)
    gone = sb.mutate(deletes=5)["deleted"]

    def stop_after_the_walk(p: StreamProgress) -> None:
        if p.stream == "employees" and p.pages == 3 and not p.done:  # 595 records: 3 pages
            raise ConfigError("stopped by the test before reconciling")

    with pytest.raises(ConfigError, match="stopped by the test"):
        sync(settings, full=True, progress=stop_after_the_walk)
    assert sync(settings).totals.deleted == 0, "an incremental run leaves the refresh alone"
    sb.requests.clear()
    again = sync(settings, full=True, restart=restart)
    employees = again.streams["employees"]
    assert sb.requests["/v1/employees"] == (3 if restart else 0)
    assert (employees.resumed_pages, employees.pages) == ((0, 3) if restart else (3, 0))
    assert employees.counts.deleted == len(gone)
    assert_store_matches_truth(_url(settings), sb, "hr")
    with psycopg.connect(_url(settings)) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM canonry.refresh_checkpoints),"
            " (SELECT count(*) FROM canonry.refresh_seen)"
        ).fetchone()
    assert left == (0, 0)
    with pytest.raises(ConfigError, match="use it with --full"):
        sync(settings, restart=True)


def test_a_first_full_sync_has_nothing_to_compare(
    settings: Settings, serve: Callable[[HRSandbox], str]
) -> None:
    """Every row of a first full sync was written by it: no anti-join; a later refresh
    of rows it did not write compares them all, and deletes what vanished."""
    sb = _without_tombstones(seed=5, employees=500)
    asyncio.run(register(settings, "hr", serve(sb), page_size=200))
    with log_events() as logs:
        first = sync(settings, full=True)
    skipped = {e["stream"] for e in logs if e["event"] == "reconcile.skipped"}
    assert skipped == {"departments", "employees"}
    assert first.totals.deleted == 0
    gone = sb.mutate(deletes=7)["deleted"]
    with log_events() as logs:
        again = sync(settings, full=True)
    assert not [e for e in logs if e["event"] == "reconcile.skipped"]
    assert again.streams["employees"].counts.deleted == len(gone)
    assert_store_matches_truth(_url(settings), sb, "hr")


def test_rows_another_run_wrote_during_a_refresh_are_still_compared(
    settings: Settings, serve: Callable[[HRSandbox], str]
) -> None:
    """A refresh begun on an empty store, stopped after one page; an incremental run writes
    the rest; records vanish; the resumed refresh must delete those it did not see."""
    sb = _without_tombstones(seed=6, employees=600)
    asyncio.run(register(settings, "hr", serve(sb), page_size=200))

    def stop_after_one_page(p: StreamProgress) -> None:
        if p.stream == "employees" and p.pages == 1 and not p.done:
            raise ConfigError("stopped by the test after one page")

    with pytest.raises(ConfigError, match="stopped by the test"):
        sync(settings, full=True, progress=stop_after_one_page)
    with psycopg.connect(_url(settings)) as conn:
        seen_first = {r[0] for r in conn.execute("SELECT source_id FROM canonry.employee")}
    assert len(seen_first) == 200
    assert sync(settings).totals.inserted == 400  # the rest, written by another run
    gone = set(sb.mutate(deletes=60)["deleted"])
    unseen = gone - seen_first  # seen before the stop, the others count as present
    assert unseen
    with log_events() as logs:
        resumed = sync(settings, full=True)
    assert not [e for e in logs if e["event"] == "reconcile.skipped" and e["stream"] == "employees"]
    assert resumed.streams["employees"].counts.deleted == len(unseen)
    with psycopg.connect(_url(settings)) as conn:
        deleted = {
            r[0] for r in conn.execute("SELECT source_id FROM canonry.employee WHERE deleted")
        }
    assert deleted == unseen


def test_a_replay_after_a_refresh_deleted_rows_rebuilds_the_same_table(
    settings: Settings, serve: Callable[[HRSandbox], str]
) -> None:
    """Rows a refresh soft-deleted have changed since their last write: replaying in place
    must compare them by value (not skip them as stored), like a rebuild re-inserts them."""
    sb = _without_tombstones(seed=8, employees=400)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    sync(settings)
    sb.mutate(deletes=12)
    assert sync(settings, full=True).streams["employees"].counts.deleted == 12

    def play(**kw: Any) -> dict[str, str]:
        async def go() -> dict[str, str]:
            async with open_database(settings) as db:
                return (await replay(db, "hr", checksum=True, **kw)).checksums

        return asyncio.run(go())

    assert play() == play(rebuild=True)
