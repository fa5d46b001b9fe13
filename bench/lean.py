"""A lean pipeline: fetch thread (httpx + orjson) -> flatten -> COPY -> one upsert.

No archive, no mapping, no provenance, no per-page commits: the least a hand-written loader
does. The full load and each incremental load are one transaction each.
"""

from __future__ import annotations

import time

import psycopg

from bench import flat
from bench.feed import Feed, prefetch
from bench.model import FULL, Job, Measurement
from bench.pg import checkpoint


def lean_step(job: Job) -> Measurement:
    """Full load into an empty table, or from max(updated_at) into the populated one."""
    with psycopg.connect(job.db_url) as conn:
        if job.phase == FULL:
            flat.create_table(conn)
        since = None if job.phase == FULL else flat.max_updated_at(conn)
        conn.commit()
        checkpoint(job.db_url)
        feed = Feed(job.sandbox_url)
        started = time.perf_counter()
        try:
            fetched = _load(conn, feed, since)
        finally:
            feed.close()
        seconds = time.perf_counter() - started
    records = fetched if job.phase == FULL else job.changed
    return Measurement(seconds, records, {"fetched": fetched})


def _load(conn: psycopg.Connection[tuple[object, ...]], feed: Feed, since: str | None) -> int:
    fetched = 0
    with conn.transaction():
        flat.create_stage(conn)
        with conn.cursor() as cur:
            with cur.copy(flat.copy_sql(binary=False)) as copy:
                for page in prefetch(feed.pages(since)):
                    for record in page:
                        copy.write_row(flat.flatten(record))
                    fetched += len(page)
            cur.execute(flat.upsert_sql())
    return fetched
