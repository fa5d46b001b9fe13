"""The staged page pipeline both syncs and replays run: produce -> prepare -> apply.

Bounded at every stage: at most ``QUEUE_PAGES`` prepared (or preparing) pages wait for the
writer, so a slow database slows the producer instead of filling memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from canonry.store.page import PageWrite
from canonry.sync.pool import PagePreparer
from canonry.sync.worker import PageJob

QUEUE_PAGES = 6
Item = tuple[asyncio.Future[PageWrite], bool]


async def run_pipeline(
    jobs: AsyncIterator[tuple[PageJob, bool]],
    pages: PagePreparer,
    apply: Callable[[PageWrite, bool], Awaitable[None]],
) -> None:
    """Prepare each ``(job, is_last)`` in order and ``apply`` it; errors stop everything."""
    queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=QUEUE_PAGES)

    async def produce() -> None:
        async for job, last in jobs:
            await queue.put((pages.submit(job), last))
        await queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (item := await _next(queue, producer)) is not None:
            prepared, last = item
            await apply(await prepared, last)
        await producer
    finally:
        if not producer.done():
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)


async def _next(queue: asyncio.Queue[Item | None], producer: asyncio.Task[None]) -> Item | None:
    """The next page, or the producer's error as soon as it fails (never a hang)."""
    getter = asyncio.ensure_future(queue.get())
    done, _ = await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    await asyncio.gather(getter, return_exceptions=True)
    producer.result()  # raises the producer's error
    return queue.get_nowait() if not queue.empty() else None
