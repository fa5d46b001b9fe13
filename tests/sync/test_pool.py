"""The mapping pool: workers prepare exactly what inline preparation does, through wide pipes."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import sys
from collections.abc import Callable

import pytest

from canonry.sandbox import HRSandbox
from canonry.store.page import PageWrite
from canonry.sync.pool import PIPE_BYTES, PagePreparer
from canonry.sync.worker import PageJob


def _job(sb: HRSandbox, cursor: str | None) -> tuple[PageJob, str | None]:
    data, nxt = sb.employee_page(500, cursor, None)
    body = b'{"data":[%b],"meta":{"next_cursor":null}}' % b",".join(data)
    job = PageJob(
        connector="sandbox_hr", stream="employees", connection="hr", timezone="UTC",
        body=body, fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        request={"path": "/v1/employees", "params": {}}, headers={},
    )  # fmt: skip
    return job, nxt


def _prepare_all(jobs: list[PageJob], workers: int) -> tuple[list[PageWrite], list[int]]:
    async def go() -> tuple[list[PageWrite], list[int]]:
        async with PagePreparer(workers, after_pages=0) as pages:
            first = await pages.submit(jobs[0])  # starts the pool; prepared inline meanwhile
            while workers and pages._ready_pool() is None:
                await asyncio.sleep(0.05)
            sizes = []
            if pages._pool is not None:
                pipes = (pages._pool._call_queue._writer, pages._pool._result_queue._reader)  # type: ignore[attr-defined]
                sizes = [fcntl.fcntl(p.fileno(), fcntl.F_GETPIPE_SZ) for p in pipes]
            rest = [await pages.submit(j) for j in jobs[1:]]
            return [first, *rest], sizes

    return asyncio.run(go())


def test_workers_prepare_what_inline_preparation_does(
    hr_sandbox: Callable[..., HRSandbox],
) -> None:
    """Same COPY payloads, ids, archive entries and watermarks, page for page."""
    sb = hr_sandbox(employees=2000)
    jobs, cursor = [], None
    for _ in range(4):
        job, cursor = _job(sb, cursor)
        jobs.append(job)
    inline, _ = _prepare_all(jobs, workers=0)
    pooled, _ = _prepare_all(jobs, workers=1)
    assert [p.row_ids for p in pooled] == [p.row_ids for p in inline]
    assert len({i for p in pooled for i in p.row_ids}) == 2000
    assert pooled == inline


@pytest.mark.skipif(sys.platform != "linux", reason="F_SETPIPE_SZ is Linux's")
def test_a_page_crosses_to_its_worker_in_one_pipe_write(
    hr_sandbox: Callable[..., HRSandbox],
) -> None:
    """The pool's pipes hold a whole page (600 kB in the benchmark), not 64 kB of it."""
    sb = hr_sandbox(employees=1000)
    jobs = [_job(sb, None)[0] for _ in range(2)]
    _, sizes = _prepare_all(jobs, workers=1)
    assert sizes == [PIPE_BYTES, PIPE_BYTES]
