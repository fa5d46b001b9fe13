"""Params sent where a stream declares them: a POST search body, a header, an OData filter."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response

from canonry.connectors.sandbox_hr import connector
from canonry.errors import PermanentSourceError
from canonry.http import SourceClient, iter_pages
from canonry.sdk import (
    CursorPagination,
    InBody,
    InHeader,
    InQuery,
    NoAuth,
    OffsetPagination,
    SinglePage,
    Stream,
)
from canonry.sdk.placement import place
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
ITEMS = [{"id": i} for i in range(7)]


def walk(url: str, stream: Stream, start: dict[str, str], body: Any = None) -> list[Any]:
    async def go() -> list[Any]:
        async with SourceClient(url, NoAuth(), options=fast_options()) as client:
            return [p async for p in iter_pages(client, stream, start, body=body)]

    return asyncio.run(go())


def _stream(**kw: Any) -> Stream:
    return replace(connector.streams[0], path="/search", **kw)


def test_place_splits_params_and_never_touches_the_template() -> None:
    """Query by default; headers, nested body paths and integers where declared."""
    template = {"query": {"sort": "ASC"}}
    placed = place(
        {"cursor": "c1", "limit": "50", "since": "2024-01-01", "q": "x"},
        {"cursor": InBody("cursor"), "limit": InBody("limit", integer=True),
         "since": InHeader("If-Modified-Since"), "q": InQuery("$filter", "name eq '{}'")},
        template,
    )  # fmt: skip
    assert placed.query == {"$filter": "name eq 'x'"}
    assert placed.headers == {"If-Modified-Since": "2024-01-01"}
    assert placed.body == {"query": {"sort": "ASC"}, "cursor": "c1", "limit": 50}
    assert template == {"query": {"sort": "ASC"}}
    with pytest.raises(ValueError, match="not an integer"):
        place({"limit": "ten"}, {"limit": InBody("limit", integer=True)})


def test_post_search_walks_the_cursor_in_the_body(source: Source) -> None:
    """A Square-style search: every page is a POST whose JSON body carries cursor and limit,
    the body template travels on every page, and the archived params show the cursor."""
    script, url = source
    bodies: list[dict[str, Any]] = []

    async def handler(request: Request) -> Response:
        body = orjson.loads(await request.body())
        bodies.append(body)
        start = int(body.get("cursor") or 0)
        nxt = start + body["limit"]
        page = {"items": ITEMS[start:nxt]}
        return json({**page, "cursor": str(nxt)} if nxt < len(ITEMS) else page)

    script.routes["/search"] = handler
    stream = _stream(
        method="POST",
        records_path="items",
        pagination=CursorPagination(cursor_path="cursor", page_size=3),
        placement={"cursor": InBody("cursor"), "limit": InBody("limit", integer=True),
                   "since": InBody("query.filter.updated_at.start_at")},
    )  # fmt: skip
    pages = walk(url, stream, {"since": "2024-05-01T00:00:00+00:00"}, {"location_ids": ["L1"]})
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert {h.method for h in script.hits} == {"POST"}
    assert all(h.query == {} for h in script.hits)
    assert [b.get("cursor") for b in bodies] == [None, "3", "6"]
    assert all(b["location_ids"] == ["L1"] and b["limit"] == 3 for b in bodies)
    assert bodies[0]["query"] == {
        "filter": {"updated_at": {"start_at": "2024-05-01T00:00:00+00:00"}}
    }
    assert pages[1].response.params["cursor"] == "3"


def test_a_repeated_body_cursor_is_refused(source: Source) -> None:
    """A mock that answers the same cursor forever (Prism does) stops the walk with an error."""
    script, url = source
    script.routes["/search"] = [json({"items": [{"id": i}], "cursor": "123"}) for i in range(5)]
    stream = _stream(
        method="POST",
        records_path="items",
        pagination=CursorPagination(cursor_path="cursor", page_size=1),
        placement={"cursor": InBody("cursor"), "limit": InBody("limit", integer=True)},
    )
    with pytest.raises(PermanentSourceError, match="same next cursor"):
        walk(url, stream, {}, {})


def test_header_cursor_and_single_page(source: Source) -> None:
    """``If-Modified-Since`` carries the watermark; a single-page stream asks exactly once."""
    script, url = source
    script.routes["/search"] = [json({"data": ITEMS})]
    stream = _stream(pagination=SinglePage(), placement={"since": InHeader("If-Modified-Since")})
    pages = walk(url, stream, {"since": "2024-05-01T00:00:00+00:00"})
    assert [len(p.records) for p in pages] == [7]
    assert script.hits[0].headers["if-modified-since"] == "2024-05-01T00:00:00+00:00"
    assert "since" not in script.hits[0].query
    assert script.count("/search") == 1


def test_odata_filter_template_in_the_query(source: Source) -> None:
    """The watermark becomes an OData ``$filter``; ``$top``/``$skip`` page the result."""
    script, url = source

    async def handler(request: Request) -> Response:
        top, skip = int(request.query_params["$top"]), int(request.query_params["$skip"])
        return json({"d": {"results": ITEMS[skip : skip + top]}})

    script.routes["/search"] = handler
    stream = _stream(
        records_path="d.results",
        pagination=OffsetPagination(limit_param="$top", offset_param="$skip", page_size=5),
        placement={"since": InQuery("$filter", "lastModifiedDateTime ge datetimeoffset'{}'")},
    )
    pages = walk(url, stream, {"since": "2024-05-01T00:00:00Z"})
    assert [len(p.records) for p in pages] == [5, 2]
    assert {h.query["$filter"] for h in script.hits} == {
        "lastModifiedDateTime ge datetimeoffset'2024-05-01T00:00:00Z'"
    }


def test_a_stream_declares_its_own_page_cap(source: Source) -> None:
    """Fresh cursors forever (a mock that counts up) stop at the stream's ``max_pages``."""
    script, url = source

    async def handler(request: Request) -> Response:
        n = int(request.query_params.get("cursor") or 0)
        return json({"data": [{"id": n}], "next": str(n + 1)})

    script.routes["/search"] = handler
    stream = _stream(pagination=CursorPagination(cursor_path="next", page_size=1), max_pages=4)
    with pytest.raises(PermanentSourceError, match="safety cap of 4 pages"):
        walk(url, stream, {})
    assert script.count("/search") == 4
