"""Canonry's own sync, full and incremental, through the public engine (run_sync).

Every page is archived (zstd), every record mapped to a typed canonical Employee with
provenance, and each page committed with its watermark: the whole product path.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.model import CLIENT_ID, CLIENT_SECRET, EMPTY_1, FULL, PAGE_SIZE, Job, Measurement
from bench.pg import checkpoint
from canonry.config import default_mapping_workers, load_settings
from canonry.connectors.sandbox_hr import SandboxHRConfig
from canonry.observability import configure_logging
from canonry.store import Database, open_database
from canonry.store.connections import add_connection
from canonry.sync import run_sync

CONNECTION = "bench-hr"


def canonry_step(job: Job) -> Measurement:
    """Full sync (register first) or incremental sync of the sandbox connection."""
    return asyncio.run(_sync(job))


def replay_available() -> bool:
    """Whether ``canonry.sync.replay`` exists yet (the bench measures it once it does)."""
    return hasattr(importlib.import_module("canonry.sync"), "replay")


def replay_step(job: Job) -> Measurement:
    """Replay the connection's archive into the store: no source traffic at all."""
    return asyncio.run(_replay(job))


def _settings(job: Job) -> Any:
    return load_settings(
        home=Path(job.workdir) / "canonry-home",
        database_url=job.db_url,
        secret_key=job.secret_key,
    )


async def _register(db: Database, job: Job) -> None:
    config = SandboxHRConfig(
        base_url=job.sandbox_url,
        client_id=CLIENT_ID,
        client_secret=SecretStr(CLIENT_SECRET),
        page_size=PAGE_SIZE,
    )
    async with await db.connect(autocommit=True) as conn:
        await add_connection(conn, db.secrets, CONNECTION, "sandbox_hr", config, replace=True)


async def _sync(job: Job) -> Measurement:
    configure_logging("WARNING")
    full = job.phase in (FULL, EMPTY_1)
    async with open_database(_settings(job)) as db:
        if full:
            await _register(db, job)
        checkpoint(job.db_url)
        started = time.perf_counter()
        workers = default_mapping_workers() if job.workers is None else job.workers
        result = await run_sync(db, CONNECTION, full=full, workers=workers)
        seconds = time.perf_counter() - started
    counts = result.streams["employees"].counts
    extra = {k: getattr(counts, k) for k in ("fetched", "inserted", "updated", "unchanged")}
    extra["pages"] = result.streams["employees"].pages
    return Measurement(seconds, counts.fetched if full else job.changed, extra)


async def _replay(job: Job) -> Measurement:
    configure_logging("WARNING")
    replay = importlib.import_module("canonry.sync").replay
    async with open_database(_settings(job)) as db:
        checkpoint(job.db_url)
        started = time.perf_counter()
        workers = default_mapping_workers(replay=True) if job.workers is None else job.workers
        result = await replay(db, CONNECTION, workers=workers)
        seconds = time.perf_counter() - started
        records = _replayed(result) or await _archived_records(db)
    return Measurement(seconds, records, {"status": getattr(result, "status", None)})


def _replayed(result: Any) -> int:
    """Employee records the replay reports having read (its result's per-stream counts)."""
    stream = getattr(result, "streams", {}).get("employees")
    fetched = getattr(getattr(stream, "counts", None), "fetched", None)
    return fetched if isinstance(fetched, int) else 0


async def _archived_records(db: Database) -> int:
    async with await db.connect() as conn:
        cur = await conn.execute(
            "SELECT coalesce(sum(record_count), 0) FROM canonry.raw_pages WHERE stream = %s",
            ("employees",),
        )
        row = await cur.fetchone()
    return int(row[0]) if row else 0
