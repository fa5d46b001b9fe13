"""Turning one response body into a ready-to-apply page write: the CPU-heavy part of a sync.

Runs in worker processes (or inline for small syncs), so it takes and returns plain,
picklable data: the body as bytes in, a binary COPY payload and a few lists out.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import multiprocessing.process
import os
import threading
import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from canonry.archive import ArchivedPage, CorruptArchiveError, archive_body, restore_body
from canonry.errors import PermanentSourceError
from canonry.mapping import DeadLetter, MappedRecords, map_body, map_records
from canonry.sdk import registry
from canonry.sdk.connector import Stream
from canonry.sdk.mapping import MappingContext
from canonry.sdk.paths import get_path
from canonry.sdk.registry import get_connector
from canonry.store.copyfmt import encode_rows
from canonry.store.page import PageWrite

WORKER_NICENESS = 10


@dataclass(frozen=True)
class PageJob:
    """One page to prepare: a fresh response (to archive) or an archived one (to replay)."""

    connector: str
    stream: str
    connection: str
    timezone: str
    body: bytes
    fetched_at: dt.datetime
    request: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] | None = None
    raw_page_id: int | None = None
    content_hash: bytes | None = None
    update_times: bool = True  # the writer may compare this page: send each row's time


@cache
def _stream(connector: str, stream: str, generation: int) -> Stream:
    return get_connector(connector).stream(stream)


@cache
def _context(connection: str, timezone: str) -> MappingContext:
    return MappingContext(connection=connection, timezone=zoneinfo.ZoneInfo(timezone))


def warm() -> None:
    """Nothing: run once per worker so the pool's processes exist before pages are sent."""


def start_worker() -> None:
    """Set up one mapping process: a lower CPU priority, and an end with its sync.

    The priority yields the CPU to the writer: mapping has a queue of pages in front of it,
    while each page's write (the sync process and its PostgreSQL backend) is one serial
    chain. And a worker must not outlive a sync killed with SIGKILL: it would wait on its
    task queue forever (it holds both ends of that pipe), and keep the forkserver alive.
    """
    os.nice(WORKER_NICENESS)
    # A page allocates some 10,000 containers, none in a cycle: collecting every 700 (the
    # default) rescans live pages for nothing, and every full collection the imports.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns once the sync process is gone, however it ended
    os._exit(1)


def prepare(job: PageJob) -> PageWrite:
    """Decode, map and encode one page; replayed pages are restored from the archive first."""
    stream = _stream(job.connector, job.stream, registry.generation())
    body = job.body
    if job.raw_page_id is not None:
        try:
            body = restore_body(job.raw_page_id, job.body, job.content_hash)
        except CorruptArchiveError as exc:
            return _unreadable(job, stream, None, exc.reason, "archive")
    typed = map_body(stream, body)  # a page that maps cleanly, decoded into structs
    if typed is not None:
        count, mapped = typed
        return _write(job, mapped, _archive(job, body, count), count)
    try:  # the one full decode of the page: the fetcher only peeked at it
        records = _records(stream, orjson.loads(body))
    except (orjson.JSONDecodeError, PermanentSourceError) as exc:
        archived = _archive(job, body, 0)
        return _unreadable(job, stream, archived, f"page body is unusable: {exc}", "parse")
    mapped = map_records(stream, records, _context(job.connection, job.timezone))
    return _write(job, mapped, _archive(job, body, len(records)), len(records))


def _archive(job: PageJob, body: bytes, record_count: int) -> ArchivedPage | None:
    """The archive entry of a fresh page; None for a replayed one (archived already)."""
    if job.raw_page_id is not None:
        return None
    assert job.request is not None
    return archive_body(
        job.stream, job.request, job.status, job.headers or {}, body, job.fetched_at, record_count
    )


def _records(stream: Stream, payload: Any) -> list[Any]:
    found = get_path(payload, stream.records_path) if stream.records_path else payload
    if found is None and stream.records_optional:
        return []
    if not isinstance(found, list):
        raise PermanentSourceError(f"no list of records at {stream.records_path!r}")
    return found


def _write(
    job: PageJob, mapped: MappedRecords, archived: ArchivedPage | None, fetched: int
) -> PageWrite:
    rows = _latest_per_key(mapped.rows)
    return PageWrite(
        stream=job.stream,
        archived=archived,
        raw_page_id=job.raw_page_id,
        observed_at=job.fetched_at,
        fetched=fetched,
        rows=encode_rows(mapped.entity, rows, update_times=job.update_times) if rows else None,
        tombstones=mapped.tombstones,
        dead=mapped.dead,
        max_cursor=mapped.max_cursor,
    )


def _unreadable(
    job: PageJob, stream: Stream, archived: ArchivedPage | None, reason: str, stage: str
) -> PageWrite:
    """A page whose body cannot be read at all becomes one dead letter; the sync goes on."""
    dead = DeadLetter(None, None, stage, reason, None, None, None)
    mapped = MappedRecords(entity=stream.mapping.entity, dead=[dead])
    return _write(job, mapped, archived, 0)


def _latest_per_key(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One row per source id (the last one in the page): a page may repeat a record."""
    if len({r[0] for r in rows}) == len(rows):
        return rows
    return list({r[0]: r for r in rows}.values())
