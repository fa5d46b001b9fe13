"""Walking a stream's pages: the paginator decides, the client fetches.

Besides each paginator's own checks, the walk refuses to loop: params already requested,
or the same non-empty page twice in a row, raise ``PermanentSourceError``; so does passing
``max_pages`` (a safety cap, not a budget: raise it for truly huge streams).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from canonry.errors import PermanentSourceError
from canonry.http.client import SourceClient
from canonry.http.shifts import ShiftWatch
from canonry.http.wire import JSONResponse
from canonry.sdk.connector import Stream
from canonry.sdk.pagination import Paginator, Params, Refetch
from canonry.sdk.paths import get_path, is_array
from canonry.sdk.placement import place

MAX_PAGES = 1_000_000


@dataclass(frozen=True)
class FetchedPage:
    """One page as received, its records counted and the next request decided.

    The walk only peeks at the body (``response.document``); ``records`` decodes them.
    """

    stream: str
    response: JSONResponse
    records_path: str
    record_count: int
    next_params: Params | None

    @property
    def records(self) -> list[Any]:
        """The page's records, decoded (they are not, until asked for)."""
        payload = self.response.payload
        found = get_path(payload, self.records_path) if self.records_path else payload
        return found if isinstance(found, list) else []


async def iter_pages(
    client: SourceClient,
    stream: Stream,
    start_params: Mapping[str, str],
    paginator: Paginator | None = None,
    *,
    max_pages: int = MAX_PAGES,
    now: dt.datetime | None = None,
    body: Mapping[str, Any] | None = None,
) -> AsyncIterator[FetchedPage]:
    """Every page of ``stream`` from ``start_params`` on, until the paginator says done.

    ``now`` (default: when the walk starts) bounds time-window paginators, so a sync never
    chases records created while it runs; the next run picks those up. ``body`` is the
    stream's JSON body template for this connection (``Stream.request_body(config)``).
    """
    pager = paginator or stream.pagination
    now = now or dt.datetime.now(dt.UTC)
    params = pager.begin({**stream.params, **pager.first_params(), **start_params}, now)
    seen: set[bytes] = set()
    last_body = b""
    if stream.max_pages is not None:
        max_pages = min(max_pages, stream.max_pages)
    shifts = ShiftWatch(pager, stream.primary_key)
    for _ in range(max_pages):
        seen.add(_key(params))
        response = await _fetch(client, stream, params, body)
        records = _records(response, stream)
        next_params = pager.next_params(
            params, response.document, response.headers, len(records), url=response.url, now=now
        )
        if isinstance(next_params, Refetch):  # the page is superseded by narrower requests
            params = dict(next_params)
            continue
        page_body = response.body if len(records) else b""
        if page_body and page_body == last_body:  # a memcmp, cheaper than hashing each page
            raise _loop(response, "sent the same page twice in a row")
        last_body = page_body
        if shifts.check(response.document, records):
            client.stats.offset_shifts += 1
        yield FetchedPage(stream.name, response, stream.records_path, len(records), next_params)
        if next_params is None:
            return
        if _key(next_params) in seen:
            raise _loop(response, "asked for a page already fetched")
        params = next_params
    raise PermanentSourceError(
        f"stream {stream.name!r} passed the safety cap of {max_pages} pages; the source may be "
        "looping. If the stream really is that large, raise Stream.max_pages or "
        "iter_pages(max_pages=...)"
    )


async def _fetch(
    client: SourceClient, stream: Stream, params: Params, body: Mapping[str, Any] | None
) -> JSONResponse:
    """One page request, its params sent where the stream declares them (query by default).

    The archived params are the logical ones, wherever they travelled, so a page's
    provenance shows the cursor that asked for it even when it went in a header or body.
    """
    if stream.method == "GET" and not stream.placement and body is None:
        return await client.get_json(stream.path, params, records_path=stream.records_path)
    placed = place(params, stream.placement, body)
    response = await client.read_json(
        stream.method,
        stream.path,
        placed.query,
        json_body=placed.body,
        headers=placed.headers,
        records_path=stream.records_path,
    )
    moved = {k: v for k, v in params.items() if k in stream.placement}
    return replace(response, params={**response.params, **moved})


def _key(params: Params) -> bytes:
    """A compact identity of a request's params (16 bytes, however long the cursor)."""
    return hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=16).digest()


def _loop(response: JSONResponse, what: str) -> PermanentSourceError:
    return PermanentSourceError(
        f"{response.url}: the source {what}; pagination would loop forever. "
        "Report it to the source's vendor, or cap the sync"
    )


def _records(response: JSONResponse, stream: Stream) -> Sequence[Any]:
    """The page's records, lazily: a count and ids are all the walk reads of them."""
    doc = response.document
    found = get_path(doc, stream.records_path) if stream.records_path else doc
    if found is None and stream.records_optional:
        return []
    if not is_array(found):
        raise PermanentSourceError(
            f"{response.url}: expected a list of records at {stream.records_path!r}, "
            f"got {type(found).__name__}; the source changed its format or sent an error body"
        )
    return found
