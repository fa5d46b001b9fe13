"""A sync killed with SIGKILL at random instants, then restarted, ends exactly at the truth."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest

from canonry.config import Settings
from canonry.sandbox import HRSandbox
from tests.conftest import register
from tests.truth import assert_store_matches_truth

KILLS = int(os.environ.get("CANONRY_CRASH_KILLS", "4"))


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


def _kill_after(proc: subprocess.Popen[bytes], url: str, pages: int, deadline_s: float) -> bool:
    """SIGKILL ``proc`` once ``pages`` more pages are committed; False if it finished first."""
    start = _pages_committed(url)
    limit = time.monotonic() + deadline_s
    while time.monotonic() < limit:
        if proc.poll() is not None:
            return False
        if _pages_committed(url) - start >= pages:
            time.sleep(random.uniform(0, 0.03))  # land anywhere: fetch, map, write or commit
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
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
