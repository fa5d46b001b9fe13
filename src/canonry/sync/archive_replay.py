"""Replay: rebuild canonical rows from the raw archive with today's mappings, no network.

Archived pages are re-mapped in the order they were stored, through the same pipeline as a
sync, so the same archive and mapping version always give the same tables. Provenance keeps
pointing at the original raw pages, with the new mapping version. A dry run does it all
inside a transaction that is rolled back, and reports what would have changed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from canonry.errors import CanonryError
from canonry.resolve import ResolutionResult
from canonry.sdk.connector import Connector, Stream
from canonry.store import Database
from canonry.store.archive import iter_archived
from canonry.store.compare import EntityDiff, delete_stream_rows, diff, snapshot
from canonry.store.compare import checksum as table_checksum
from canonry.store.database import Conn
from canonry.store.page import PageWrite
from canonry.store.runs import finish_run
from canonry.store.writer import PageWriter, register_mapping
from canonry.sync.engine import Progress, StreamProgress, open_run, resolve_touched
from canonry.sync.pipeline import run_pipeline
from canonry.sync.pool import PagePreparer
from canonry.sync.worker import PageJob

log = structlog.get_logger("canonry.replay")


@dataclass
class ReplayResult:
    """What a replay did (or, dry, would do), per stream and per entity table."""

    run_id: int
    connection: str
    dry_run: bool
    status: str
    seconds: float
    streams: dict[str, StreamProgress] = field(default_factory=dict)
    changes: dict[str, EntityDiff] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    resolved: list[ResolutionResult] = field(default_factory=list)


@dataclass(frozen=True)
class _Replay:
    conn: Conn
    read_conn: Conn
    connector: Connector[Any]
    connection_id: int
    connection: str
    timezone: str
    run_id: int
    pages: PagePreparer
    since: dt.datetime | None
    page_ids: list[int] | None
    rebuild: bool
    dry_run: bool
    checksum: bool


async def replay(
    db: Database,
    connection: str,
    *,
    streams: list[str] | None = None,
    since: dt.datetime | None = None,
    dry_run: bool = False,
    rebuild: bool = False,
    page_ids: list[int] | None = None,
    workers: int = 0,
    checksum: bool = False,
    progress: Progress | None = None,
) -> ReplayResult:
    """Re-map archived pages of ``connection`` into the canonical store (or a dry run).

    ``checksum`` adds a digest of each entity table to the result, to show that the same
    archive and mappings give the same tables: it reads every row (2 s at 1M rows).
    """
    started = time.monotonic()
    async with await db.connect(autocommit=True) as lock_conn, await db.connect() as conn:
        record, connector, config, selected, run_id = await open_run(
            db, lock_conn, connection, streams, "replay"
        )
        result = ReplayResult(run_id, connection, dry_run, "running", 0.0)
        ctx = _Replay(
            conn, lock_conn, connector, record.id, connection, config.timezone, run_id,
            PagePreparer(workers), since, page_ids, rebuild, dry_run, checksum,
        )  # fmt: skip
        try:
            async with ctx.pages:
                for stream in selected:
                    state = result.streams[stream.name] = StreamProgress(stream.name)
                    await _replay_stream(ctx, stream, state, progress, result)
            if not dry_run:
                result.resolved = await resolve_touched(conn, selected)
            result.status = "succeeded"
        except CanonryError as exc:
            result.status, result.error = "failed", str(exc)
            raise
        finally:
            result.seconds = time.monotonic() - started
            await finish_run(
                lock_conn, run_id, record.id, status=result.status, error=result.error,
                stats={"dry_run": dry_run, "rebuild": rebuild},
            )  # fmt: skip
    return result


async def _replay_stream(
    ctx: _Replay,
    stream: Stream,
    state: StreamProgress,
    progress: Progress | None,
    result: ReplayResult,
) -> None:
    entity = stream.mapping.entity
    version = ctx.connector.mapping_version(stream)
    await register_mapping(
        ctx.conn, version=version, connector=ctx.connector.name, stream=stream.name,
        entity=entity.entity_name, records_path=stream.records_path,
        field_paths=dict(stream.mapping.paths),
    )  # fmt: skip
    writer = PageWriter(
        ctx.conn, connection_id=ctx.connection_id, run_id=ctx.run_id, stream=stream.name,
        entity=entity, mapping_version=version, replay=True,
    )  # fmt: skip
    await writer.prepare()  # commits: the registration stays even if a dry run rolls back
    async with ctx.conn.transaction(force_rollback=ctx.dry_run):
        before = await snapshot(ctx.conn, entity, ctx.connection_id) if ctx.dry_run else None
        if ctx.rebuild:
            await delete_stream_rows(
                ctx.conn, entity, ctx.connection_id, ctx.connector.name, stream.name
            )

        async def apply(page: PageWrite, last: bool) -> None:
            state.counts.add(await writer.write(page, None))
            state.pages += 1
            if progress:
                progress(state)

        await run_pipeline(_jobs(ctx, stream), ctx.pages, apply)
        await writer.finish()
        if before is not None:
            result.changes[entity.entity_name] = await diff(
                ctx.conn, entity, before, ctx.connection_id
            )
        if ctx.checksum:
            result.checksums[entity.entity_name] = await table_checksum(
                ctx.conn, entity, ctx.connection_id
            )
    state.done = True
    if progress:
        progress(state)
    log.info("replay.stream.done", stream=stream.name, pages=state.pages, dry_run=ctx.dry_run)


async def _jobs(ctx: _Replay, stream: Stream) -> AsyncIterator[tuple[PageJob, bool]]:
    async for page in iter_archived(
        ctx.read_conn, ctx.connection_id, stream.name, since=ctx.since, page_ids=ctx.page_ids
    ):
        job = PageJob(
            connector=ctx.connector.name,
            stream=stream.name,
            connection=ctx.connection,
            timezone=ctx.timezone,
            body=page.body,
            fetched_at=page.fetched_at,
            raw_page_id=page.id,
            content_hash=page.content_hash,
        )
        yield job, False
