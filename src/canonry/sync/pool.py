"""Where pages are prepared: inline for small streams, in worker processes for large ones.

A sync of a few pages should not pay for starting processes; a sync of thousands should
not map on the event loop's core. So pages are prepared inline until a run has seen
``after_pages`` of them; then a process pool (forkserver, with the worker preloaded) starts
in the background, and pages go to it once every worker is up. Until then, and if the stream
ends first, pages keep being prepared inline: nobody waits for processes to start.

The forkserver itself starts earlier, at the second page: it spends about 0.3 s importing
the worker's modules, which then overlaps the first pages instead of delaying the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import multiprocessing
import multiprocessing.forkserver
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Self

from canonry.store.page import PageWrite
from canonry.sync.worker import PageJob, prepare, start_worker, warm

POOL_AFTER_PAGES = 8
FORKSERVER_AFTER_PAGES = 1
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged process


class PagePreparer:
    """Prepares pages in order-preserving futures; owns the worker pool, if any."""

    def __init__(self, workers: int, *, after_pages: int = POOL_AFTER_PAGES) -> None:
        self._workers = workers
        self._after = after_pages
        self._seen = 0
        self._pool: ProcessPoolExecutor | None = None
        self._context: multiprocessing.context.ForkServerContext | None = None
        self._warming: list[Future[None]] = []
        self._used = False

    def __repr__(self) -> str:
        where = f"{self._workers} processes" if self._pool else "inline"
        return f"<PagePreparer {where}, {self._seen} pages>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            # A pool that never got a page is still starting: don't wait for it.
            self._pool.shutdown(wait=self._used, cancel_futures=True)
            self._pool = None

    def submit(self, job: PageJob) -> asyncio.Future[PageWrite]:
        """A future of the prepared page, prepared inline or by a worker."""
        self._seen += 1
        loop = asyncio.get_running_loop()
        pool = self._ready_pool()
        if pool is None:
            done: asyncio.Future[PageWrite] = loop.create_future()
            try:
                done.set_result(prepare(job))
            except Exception as exc:  # noqa: BLE001 - delivered to the awaiting writer
                done.set_exception(exc)
            return done
        self._used = True
        return asyncio.wrap_future(pool.submit(prepare, job), loop=loop)

    def _ready_pool(self) -> ProcessPoolExecutor | None:
        """The pool once all its workers are up; starts it when the stream proves large."""
        if self._pool is None and self._workers > 0:
            if self._context is None and self._seen > min(FORKSERVER_AFTER_PAGES, self._after):
                self._context = _start_forkserver()
            if self._context is None or self._seen <= self._after:
                return None
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=self._context, initializer=start_worker
            )
            _widen_pipes(self._pool)
            self._warming = [self._pool.submit(warm) for _ in range(self._workers)]
        if self._pool is not None and all(f.done() for f in self._warming):
            return self._pool
        return None


def _start_forkserver() -> multiprocessing.context.ForkServerContext:
    """The forkserver context, its server started (it does not wait for the imports).

    Once per preparer is enough: the executor checks the server again when it spawns.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["canonry.sync.worker"])
    multiprocessing.forkserver.ensure_running()
    return context


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """Let a page cross to its worker and back in one pipe write each way, where possible.

    A page's body (600 kB in the benchmark) and its prepared write (400 kB) went through
    64 kB pipe buffers, so each crossing woke the other side about ten times: 1 ms of CPU
    per page, 2% of a sync. The executor's pipes are private attributes: if they move,
    or the platform has no F_SETPIPE_SZ, the pool keeps the default size.
    """
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    calls = getattr(getattr(pool, "_call_queue", None), "_writer", None)
    results = getattr(getattr(pool, "_result_queue", None), "_reader", None)
    if setsize is None or calls is None or results is None:
        return
    for end in (calls, results):
        with contextlib.suppress(OSError):
            fcntl.fcntl(end.fileno(), setsize, PIPE_BYTES)
