"""Where a resumed full refresh continues its walk, and what to do if the source refuses.

A stored next request is only a safe place to continue if the position it names does not
move while the sync is down: a cursor token, a next URL, a keyset or a time window do not;
an offset or a page number do (every change before them shifts the rest), so those walks
start again from the first page, still keeping the ids the refresh already saw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import structlog

from canonry.errors import PermanentSourceError
from canonry.http import FetchedPage, SourceClient, iter_pages
from canonry.sdk.connector import Stream
from canonry.sdk.pagination import OffsetPagination, PageNumberPagination, Paginator, Params

log = structlog.get_logger("canonry.sync")


def resumable(pager: Paginator) -> bool:
    """Whether a walk with ``pager`` may continue from a stored next request after a pause."""
    return not isinstance(pager, OffsetPagination | PageNumberPagination)


def storable(params: Params | None, secrets: tuple[str, ...]) -> Params | None:
    """The next request as a checkpoint may keep it in the database, in clear.

    One that carries a secret (a source echoing a key into its next link) is kept as ``{}``:
    a resumed walk then starts again from the first page, keeping the seen ids.
    """
    if params is not None and any(s and s in v for v in params.values() for s in secrets):
        return {}
    return params


async def walk(
    client: SourceClient,
    stream: Stream,
    start: Mapping[str, str],
    pager: Paginator,
    resume: Params | None,
    *,
    body: Mapping[str, Any] | None = None,
) -> AsyncIterator[FetchedPage]:
    """The stream's pages from ``resume`` (a stored next request) if given, else from ``start``.

    A source that refuses the stored request (an expired cursor: a permanent error before any
    page) gets the walk from the start instead of failing every future run the same way.
    """
    if resume is not None:
        pages = iter_pages(client, stream, resume, pager, body=body)
        try:
            first = await anext(pages)
        except PermanentSourceError as exc:
            log.warning("stream.resume_refused", stream=stream.name, error=str(exc))
        else:
            yield first
            async for page in pages:
                yield page
            return
    async for page in iter_pages(client, stream, start, pager, body=body):
        yield page
