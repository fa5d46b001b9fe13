"""Walking a stream's pages: the paginator decides, the client fetches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from canonry.errors import PermanentSourceError
from canonry.http.client import JSONResponse, SourceClient
from canonry.sdk.connector import Stream
from canonry.sdk.pagination import Paginator, Params
from canonry.sdk.paths import get_path


@dataclass(frozen=True)
class FetchedPage:
    """One page as received, with its records located and the next request decided."""

    stream: str
    response: JSONResponse
    records: list[Any]
    next_params: Params | None


async def iter_pages(
    client: SourceClient,
    stream: Stream,
    start_params: Mapping[str, str],
    paginator: Paginator | None = None,
) -> AsyncIterator[FetchedPage]:
    """Every page of ``stream`` from ``start_params`` on, until the paginator says done."""
    pager = paginator or stream.pagination
    params: Params = {**stream.params, **pager.first_params(), **start_params}
    while True:
        response = await client.get_json(stream.path, params)
        records = _records(response, stream)
        next_params = pager.next_params(params, response.payload, response.headers, len(records))
        yield FetchedPage(stream.name, response, records, next_params)
        if next_params is None:
            return
        params = next_params


def _records(response: JSONResponse, stream: Stream) -> list[Any]:
    found = (
        get_path(response.payload, stream.records_path) if stream.records_path else response.payload
    )
    if not isinstance(found, list):
        raise PermanentSourceError(
            f"{response.url}: expected a list of records at {stream.records_path!r}, "
            f"got {type(found).__name__}; the source changed its format or sent an error body"
        )
    return found
