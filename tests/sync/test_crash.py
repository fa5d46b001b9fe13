"""A sync killed with SIGKILL at random instants, then restarted, ends exactly at the truth;
a killed full sync resumes its walk instead of starting it again."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from canonry.config import Settings
from canonry.sandbox import FaultConfig, HRSandbox
from canonry.store import open_database
from canonry.sync import SyncResult, run_sync
from canonry.sync.pipeline import QUEUE_PAGES
from tests.conftest import CLIENT_ID, CLIENT_SECRET, register
from tests.truth import assert_store_matches_truth

KILLS = int(os.environ.get("CANONRY_CRASH_KILLS", "4"))
KILLED_AFTER = 14  # pages committed before the kill: more than the fetcher runs ahead


def _env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    assert settings.secret_key is not None
    return {
        **os.environ,
        "CANONRY_DATABASE_URL": settings.database_url.get_secret_value(),
        "CANONRY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "CANONRY_HOME": str(settings.home),
    }


def _pages_committed(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(sum(pages), 0) FROM canonry.sync_runs").fetchone()
    return int(row[0]) if row else 0


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (its mapping workers and their forkserver)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _still_alive(pids: set[int], within_s: float) -> set[int]:
    """The pids of ``pids`` still running after ``within_s`` seconds."""
    limit = time.monotonic() + within_s
    alive = pids
    while alive and time.monotonic() < limit:
        time.sleep(0.1)
        alive = {p for p in alive if Path(f"/proc/{p}").exists() and not _zombie(p)}
    return alive


def _zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) == "Z"
    except OSError:
        return False


ORPHANS: set[int] = set()  # processes a killed sync left behind (must stay empty)


def _kill_after(proc: subprocess.Popen[bytes], url: str, pages: int, deadline_s: float) -> bool:
    """SIGKILL ``proc`` once ``pages`` more pages are committed; False if it finished first.

    Its worker processes must end on their own within seconds: nobody else will stop them.
    """
    start = _pages_committed(url)
    limit = time.monotonic() + deadline_s
    while time.monotonic() < limit:
        if proc.poll() is not None:
            return False
        if _pages_committed(url) - start >= pages:
            time.sleep(random.uniform(0, 0.03))  # land anywhere: fetch, map, write or commit
            below = _descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            ORPHANS.update(_still_alive(below, within_s=10))
            return True
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("the sync made no progress before the deadline")


@contextmanager
def _changing(sb: HRSandbox, rng: random.Random) -> Iterator[None]:
    """Keep the source changing (hires, updates, departures) while the block runs."""
    stop = threading.Event()

    def churn() -> None:
        while not stop.wait(0.05):
            sb.mutate(
                creates=rng.randint(0, 3), updates=rng.randint(0, 10), deletes=rng.randint(0, 2)
            )

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "worker-processes"])
def test_sigkill_at_random_points_loses_nothing_and_duplicates_nothing(
    settings: Settings,
    hr_sandbox: Callable[..., HRSandbox],
    serve: Callable[[HRSandbox], str],
    workers: int,
) -> None:
    """Repeated SIGKILLs mid-sync while the source keeps changing, then a clean run: the
    store equals the source's ground truth (nothing lost, nothing duplicated)."""
    rng = random.Random(2024 + workers)
    sb = hr_sandbox(employees=4000, latency_ms=3)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    cmd = [sys.executable, "-m", "canonry", "sync", "hr", "--workers", str(workers)]
    kills = 0
    with _changing(sb, rng):
        for _ in range(KILLS):
            full = ["--full"] if rng.random() < 0.5 else []  # long walks, and reconciliation
            proc = subprocess.Popen(
                [*cmd, *full], env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            killed = _kill_after(proc, url, rng.randint(1, 12), deadline_s=60)
            kills += killed
            if not killed:
                assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
    assert kills >= KILLS // 3, "most runs should have been killed mid-sync"
    assert not ORPHANS, f"killed syncs left processes running: {sorted(ORPHANS)}"
    final = subprocess.run(cmd, env=_env(settings), capture_output=True, timeout=120, check=False)
    assert final.returncode == 0, final.stderr.decode()
    assert_store_matches_truth(url, sb, "hr")
    with psycopg.connect(url) as conn:
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM canonry.sync_runs GROUP BY status"
            ).fetchall()
        )
    # A kill that lands after the run recorded its success (while the process exits) is
    # not an interruption; every other kill must have left an interrupted run behind.
    assert kills // 2 <= statuses.get("interrupted", 0) <= kills
    assert statuses.get("running", 0) == 0
    print(f"crash harness ({workers} workers): {kills} SIGKILLs, runs by status {statuses}")


def _run_sync(settings: Settings, **kw: Any) -> SyncResult:
    async def go() -> SyncResult:
        async with open_database(settings) as db:
            return await run_sync(db, "hr", **kw)

    return asyncio.run(go())


def test_a_killed_full_sync_resumes_where_it_died_and_still_reconciles(
    settings: Settings, serve: Callable[[HRSandbox], str]
) -> None:
    """SIGKILL a ``--full`` sync half-way through a stream whose source dropped records
    (no tombstones), restart it: it fetches only the pages it had not committed, and the
    store ends at the ground truth with the dropped records soft-deleted exactly once."""
    sb = HRSandbox(
        seed=9, employees=3000, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        faults=FaultConfig(latency_ms=15), tombstones=False,
    )  # fmt: skip
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    _run_sync(settings)
    gone = set(sb.mutate(deletes=25, updates=40, creates=10)["deleted"])
    sb.requests.clear()

    cmd = [sys.executable, "-m", "canonry", "sync", "hr", "--full", "--workers", "0"]
    proc = subprocess.Popen(
        cmd, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert _kill_after(proc, url, KILLED_AFTER, deadline_s=60), "the full sync ended too soon"
    with psycopg.connect(url) as conn:
        (committed,) = conn.execute(
            "SELECT pages FROM canonry.refresh_checkpoints WHERE stream = 'employees'"
        ).fetchone() or (0,)
    assert committed > QUEUE_PAGES + 2, "too few pages committed for the request count to tell"
    killed_fetched = sb.requests["/v1/employees"]
    shown = subprocess.run(
        [sys.executable, "-m", "canonry", "--json", "status"], env=_env(settings),
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    (hr,) = json.loads(shown.stdout)["connections"]
    unfinished = {s["stream"]: s["unfinished_full_refresh"] for s in hr["streams"]}
    assert unfinished["departments"] is None, "its refresh completed before the kill"
    assert unfinished["employees"]["pages"] == committed

    resumed = _run_sync(settings, full=True)
    employees = resumed.streams["employees"]
    assert employees.resumed_pages == committed
    assert employees.counts.deleted == len(gone)
    assert_store_matches_truth(url, sb, "hr")
    fetched = sb.requests["/v1/employees"]

    sb.requests.clear()  # control: an uninterrupted full walk of the same, unchanged source
    assert _run_sync(settings, full=True).totals.deleted == 0
    walk = sb.requests["/v1/employees"]
    assert employees.pages == walk - committed, "resumed after the last committed page"
    # The kill wastes only the pages fetched ahead of the writer; a restart from page 1
    # would have fetched `committed` more.
    assert walk <= fetched <= walk + QUEUE_PAGES + 2, (killed_fetched, fetched, walk)
    with psycopg.connect(url) as conn:
        logged = conn.execute("SELECT source_id FROM canonry.deletions").fetchall()
        left = conn.execute(
            "SELECT (SELECT count(*) FROM canonry.refresh_checkpoints),"
            " (SELECT count(*) FROM canonry.refresh_seen)"
        ).fetchone()
    assert sorted(r[0] for r in logged) == sorted(gone), "each drop logged once"
    assert left == (0, 0)
    print(
        f"resumed full sync: {committed} pages committed before SIGKILL, {killed_fetched}"
        f" fetched; restart fetched {fetched - killed_fetched}; one walk is {walk} pages"
    )
