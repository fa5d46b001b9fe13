"""The PostgreSQL limit: pre-flattened, pre-typed rows, binary COPY into a temp table and one
INSERT ... ON CONFLICT into the target. Fetching and flattening happen before the timer."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from bench import flat
from bench.feed import Feed
from bench.model import FULL, Job, Measurement
from bench.pg import checkpoint


def limit_step(job: Job) -> Measurement:
    """Full: every record into an empty target; incremental: the changed rows into it."""
    with psycopg.connect(job.db_url) as conn:
        if job.phase == FULL:
            flat.create_table(conn)
        since = None if job.phase == FULL else flat.max_updated_at(conn)
        conn.commit()
        rows = _prepared_rows(job.sandbox_url, since)
        checkpoint(job.db_url)
        started = time.perf_counter()
        with conn.transaction():
            flat.create_stage(conn)
            with conn.cursor() as cur:
                with cur.copy(flat.copy_sql(binary=True)) as copy:
                    copy.set_types(list(flat.TYPES))
                    for row in rows:
                        copy.write_row(row)
                cur.execute(flat.upsert_sql())
        seconds = time.perf_counter() - started
    records = len(rows) if job.phase == FULL else job.changed
    return Measurement(seconds, records, {"rows_written": len(rows)})


def _prepared_rows(url: str, since: str | None) -> list[tuple[Any, ...]]:
    feed = Feed(url)
    try:
        return [flat.typed(flat.flatten(r)) for page in feed.pages(since) for r in page]
    finally:
        feed.close()
