"""Run one sync of one connection: each stream fetched, mapped and stored page by page.

Fetching runs ahead of storing through a bounded queue, so a slow database slows the
fetcher instead of filling memory. Each page is committed with its watermark: a crash at
any instant loses nothing, and the next run resumes from the last committed page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from canonry.errors import CanonryError, ConfigError
from canonry.http import (
    BreakerSettings,
    ClientOptions,
    FetchedPage,
    RateBudget,
    SourceClient,
)
from canonry.observability import register_secret
from canonry.resolve import ResolutionResult, active_rules, resolve
from canonry.sdk.auth import OAuth2RefreshToken, RotateHook
from canonry.sdk.connector import ConnectionConfig, Connector, Stream
from canonry.sdk.pagination import Params
from canonry.sdk.registry import get_connector
from canonry.store import Database
from canonry.store.connections import (
    ConnectionRecord,
    get_connection,
    load_config,
    update_secret,
)
from canonry.store.database import Conn
from canonry.store.page import PageWrite
from canonry.store.reconcile import forget_stale, reconcile
from canonry.store.refresh import (
    Refresh,
    RefreshStep,
    begin_refresh,
    drop_refresh,
    end_refresh,
)
from canonry.store.runs import finish_run, start_run
from canonry.store.writer import (
    PageCounts,
    PageWriter,
    read_watermark,
    register_mapping,
)
from canonry.sync.pipeline import run_pipeline
from canonry.sync.pool import PagePreparer
from canonry.sync.resume import resumable, storable, walk
from canonry.sync.worker import PageJob

log = structlog.get_logger("canonry.sync")


@dataclass
class StreamProgress:
    """Running totals of one stream, passed to the progress callback after each page."""

    stream: str
    pages: int = 0
    counts: PageCounts = field(default_factory=PageCounts)
    done: bool = False
    resumed_pages: int = 0
    """Pages an earlier, killed run of this full refresh committed (0: not resumed)."""


@dataclass
class SyncResult:
    """What a sync did, for the CLI's summary and for scripts (``--json``)."""

    run_id: int
    connection: str
    mode: str
    status: str
    seconds: float
    streams: dict[str, StreamProgress]
    stats: dict[str, Any]
    error: str | None = None
    resolved: list[ResolutionResult] = field(default_factory=list)

    @property
    def totals(self) -> PageCounts:
        total = PageCounts()
        for s in self.streams.values():
            total.add(s.counts)
        return total


Progress = Callable[[StreamProgress], None]


async def run_sync(
    db: Database,
    connection: str,
    *,
    full: bool = False,
    streams: list[str] | None = None,
    progress: Progress | None = None,
    workers: int = 0,
    restart: bool = False,
) -> SyncResult:
    """Sync ``connection`` (all streams, or those named); full ignores the watermarks.

    A full sync resumes an unfinished full refresh of a stream; with ``restart`` it drops
    it and walks from the first page.

    ``workers`` > 0 maps pages in that many processes once a stream proves large.
    """
    if restart and not full:
        raise ConfigError("--restart starts full refreshes over; use it with --full")
    started = time.monotonic()
    async with await db.connect(autocommit=True) as lock_conn, await db.connect() as conn:
        mode = "full" if full else "incremental"
        record, connector, config, selected, run_id = await open_run(
            db, lock_conn, connection, streams, mode
        )
        await forget_stale(lock_conn, record.id)
        result = SyncResult(run_id, connection, mode, "running", 0.0, {}, {})
        structlog.contextvars.bind_contextvars(connection=connection, sync_run_id=run_id)
        rotate = _persist_rotation(db, lock_conn, record.id, config)
        # Guards (rate limit, breaker) are shared per connection *of this database*.
        client = _client(connector, config, f"{connection}@{db.key}", rotate)
        run = _Run(
            conn, connector, config, client, record.id, run_id, full, connection,
            PagePreparer(workers), restart,
        )  # fmt: skip
        try:
            async with run.client, run.pages:
                for stream in selected:
                    state = result.streams[stream.name] = StreamProgress(stream.name)
                    await _sync_stream(run, stream, state, progress)
            result.resolved = await resolve_touched(conn, selected)
            result.status = "succeeded"
        except CanonryError as exc:
            result.status, result.error = "failed", str(exc)
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            result.status, result.error = "interrupted", "the sync was interrupted"
            raise
        finally:
            result.stats = run.client.stats.as_dict()
            result.seconds = time.monotonic() - started
            await finish_run(
                lock_conn,
                run_id,
                record.id,
                status=result.status,
                error=result.error,
                stats=result.stats,
            )
            structlog.contextvars.unbind_contextvars("connection", "sync_run_id")
    return result


async def resolve_touched(conn: Conn, streams: list[Stream]) -> list[ResolutionResult]:
    """Bring the goldens of the synced entity types up to date (those with rules only)."""
    ruled = await active_rules(conn)
    touched = sorted({s.mapping.entity.entity_name for s in streams} & set(ruled))
    results = [await resolve(conn, name) for name in touched]
    await conn.commit()
    return results


@dataclass(frozen=True)
class _Run:
    """What every stream of one run shares."""

    conn: Conn
    connector: Connector[Any]
    config: ConnectionConfig
    client: SourceClient
    connection_id: int
    run_id: int
    full: bool
    name: str
    pages: PagePreparer
    restart: bool = False


async def open_run(
    db: Database, lock_conn: Conn, connection: str, streams: list[str] | None, mode: str
) -> tuple[ConnectionRecord, Connector[Any], ConnectionConfig, list[Stream], int]:
    """Load a connection, its connector, config and selected streams; start its run.

    The run holds ``lock_conn``'s advisory lock: syncs and replays of one connection never
    overlap.
    """
    record = await get_connection(lock_conn, connection)
    connector = get_connector(record.connector)
    config = await load_config(lock_conn, db.secrets, record, connector.config)
    try:
        selected = [connector.stream(n) for n in streams] if streams else list(connector.streams)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None
    run_id = await start_run(lock_conn, record.id, mode, [s.name for s in selected])
    return record, connector, config, selected, run_id


def _client(
    connector: Connector[Any], config: ConnectionConfig, connection: str, rotate: RotateHook
) -> SourceClient:
    """The connection's client: its auth, its budget and breaker (shared in the process)."""
    secrets = _secret_values(config)
    for secret in secrets:
        register_secret(secret)
    auth = connector.auth(config)
    if isinstance(auth, OAuth2RefreshToken):
        auth = replace(auth, on_rotate=rotate)
    options = ClientOptions(
        connection=connection,
        max_in_flight=connector.max_in_flight,
        rate_limit=RateBudget(*connector.rate_limit) if connector.rate_limit else None,
        breaker=BreakerSettings.declared(connector.breaker),
    )
    headers = connector.headers_for(config)  # static ones plus any from the config
    return SourceClient(config.base_url, auth, headers=headers, secrets=secrets, options=options)


def _secret_values(config: ConnectionConfig) -> tuple[str, ...]:
    values = (getattr(config, name) for name in config.secret_fields())
    return tuple(v.get_secret_value() for v in values if v is not None)


def _persist_rotation(db: Database, lock_conn: Conn, record_id: int, config: Any) -> RotateHook:
    """Store a rotated refresh token at once (autocommit): the old one no longer works."""
    fields = config.secret_fields()

    async def persist(new_token: str) -> None:
        register_secret(new_token)
        refresh_field = next((f for f in fields if "refresh" in f), None)
        if refresh_field is None:
            raise ConfigError(
                f"the source rotated its refresh token but {type(config).__name__} has no "
                "secret field named like '*refresh*' to keep it in"
            )
        await update_secret(lock_conn, db.secrets, record_id, refresh_field, new_token)

    return persist


async def _start_params(run: _Run, stream: Stream) -> dict[str, str]:
    """Register the stream's mapping and find where to start: after the watermark."""
    await register_mapping(
        run.conn,
        version=run.connector.mapping_version(stream),
        connector=run.connector.name,
        stream=stream.name,
        entity=stream.mapping.entity.entity_name,
        records_path=stream.records_path,
        field_paths=dict(stream.mapping.paths),
    )
    start: dict[str, str] = {}
    if stream.incremental and stream.cursor_param and not run.full:
        watermark = await read_watermark(run.conn, run.connection_id, stream.name)
        if watermark is not None:  # late records land within the lookback window
            since = watermark - dt.timedelta(seconds=run.config.lookback_s)
            start[stream.cursor_param] = since.isoformat()
    await run.conn.commit()
    return start


async def _sync_stream(
    run: _Run, stream: Stream, state: StreamProgress, progress: Progress | None
) -> None:
    start = await _start_params(run, stream)
    refresh = await _begin_refresh(run, stream, state)
    writer = PageWriter(
        run.conn,
        connection_id=run.connection_id,
        run_id=run.run_id,
        stream=stream.name,
        entity=stream.mapping.entity,
        mapping_version=run.connector.mapping_version(stream),
    )
    await writer.prepare()
    pager = stream.pagination
    if run.config.page_size:
        pager = pager.with_page_size(run.config.page_size)
    resume = refresh.next_params if refresh and resumable(pager) else None
    log.info("stream.start", stream=stream.name, start=start, resume=resume)
    pending: dt.datetime | None = None
    nexts: deque[Params | None] = deque()  # each queued page's next request, in order

    async def jobs() -> AsyncIterator[tuple[PageJob, bool]]:
        if refresh is not None and refresh.complete:
            return  # killed after its walk, before reconciling: only that is left
        body = stream.request_body(run.config)
        async for page in walk(run.client, stream, start, pager, resume, body=body):
            nexts.append(page.next_params)
            # While the writer inserts (a first sync), pages need no update times: it
            # compares only after it met stored rows, and then works without them.
            job = _job(run, stream, page, update_times=not writer.inserting)
            yield job, page.next_params is None

    async def apply(page: PageWrite, last: bool) -> None:
        nonlocal pending
        if stream.cursor_ordered:
            watermark = page.max_cursor
        else:  # unordered feed: the watermark moves only once the stream is complete
            pending = max(filter(None, (pending, page.max_cursor)), default=None)
            watermark = pending if last else None
        nxt = storable(nexts.popleft(), _secret_values(run.config))
        step = None if refresh is None else RefreshStep(refresh.refresh_run_id, _seen(page), nxt)
        state.counts.add(await writer.write(page, watermark, step))
        state.pages += 1
        if progress:
            progress(state)

    shifts = run.client.stats.offset_shifts
    await run_pipeline(jobs(), run.pages, apply)
    if run.client.stats.offset_shifts > shifts:
        log.warning(
            "stream.offset_shift", stream=stream.name,
            hint="the feed changed under an offset walk; a record may have been skipped. "
            "Use KeysetPagination for this stream, or run a --full sync",
        )  # fmt: skip
    if refresh is not None:  # the walk completed: whatever it did not see is gone at the source
        state.counts.deleted += await reconcile(
            run.conn, stream.mapping.entity, connection_id=run.connection_id,
            run_id=run.run_id, connector=run.connector.name, stream=stream.name,
            seen_run_id=refresh.refresh_run_id,
        )  # fmt: skip
        await end_refresh(run.conn, run.connection_id, stream.name)
        await run.conn.commit()
    state.done = True
    if progress:
        progress(state)
    log.info("stream.done", stream=stream.name, pages=state.pages, **vars(state.counts))


async def _begin_refresh(run: _Run, stream: Stream, state: StreamProgress) -> Refresh | None:
    """A full sync's refresh of ``stream``: resumed where a killed run left it, or new."""
    if not run.full:
        return None
    if run.restart:
        await drop_refresh(run.conn, run.connection_id, stream.name)
    refresh = await begin_refresh(run.conn, run.connection_id, stream.name, run.run_id)
    await run.conn.commit()
    if refresh.resumed:
        state.resumed_pages = refresh.pages
        log.info(
            "stream.resume", stream=stream.name, pages=refresh.pages, run=refresh.refresh_run_id
        )
    return refresh


def _seen(page: PageWrite) -> list[str]:
    """Every id a page shows to exist at the source, stored, deleted or dead-lettered."""
    seen = [*page.row_ids, *(t.source_id for t in page.tombstones)]
    return seen + [d.source_id for d in page.dead if d.source_id is not None]


def _job(run: _Run, stream: Stream, page: FetchedPage, *, update_times: bool) -> PageJob:
    r = page.response
    return PageJob(
        connector=run.connector.name,
        stream=stream.name,
        connection=run.name,
        timezone=run.config.timezone,
        body=r.body,
        fetched_at=r.fetched_at,
        request={"method": r.method, "url": r.url, "params": r.params},
        status=r.status,
        headers=r.headers,
        update_times=update_times,
    )
