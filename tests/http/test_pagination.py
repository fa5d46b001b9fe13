"""Every pagination strategy walked against a real server, including loops and capped windows."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from canonry.connectors.sandbox_hr import connector
from canonry.errors import PermanentSourceError
from canonry.http import SourceClient, iter_pages
from canonry.sdk import (
    LinkHeaderPagination,
    NextUrlPagination,
    NoAuth,
    OffsetPagination,
    PageNumberPagination,
    Paginator,
    TimeWindowPagination,
)
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
ITEMS = [{"id": i} for i in range(23)]


def walk(url: str, pager: Paginator, max_pages: int = 1000, **kw: Any) -> list[list[Any]]:
    """The records of every page of ``/items`` walked with ``pager``."""
    stream = replace(connector.streams[0], path="/items", pagination=pager)

    async def go() -> list[list[Any]]:
        async with SourceClient(url, NoAuth(), options=fast_options()) as client:
            pages = iter_pages(client, stream, {}, max_pages=max_pages, **kw)
            return [page.records async for page in pages]

    return asyncio.run(go())


def test_offset_pagination_walks_to_the_total(source: Source) -> None:
    """limit/offset pages are requested until offset reaches the reported total."""
    script, url = source

    async def handler(request: Request) -> Response:
        limit, offset = int(request.query_params["limit"]), int(request.query_params["offset"])
        return json({"data": ITEMS[offset : offset + limit], "total": len(ITEMS)})

    script.routes["/items"] = handler
    pages = walk(url, OffsetPagination(page_size=10, total_path="total"))
    assert [len(p) for p in pages] == [10, 10, 3]


def test_page_number_pagination_stops_at_the_last_page(source: Source) -> None:
    """page=N is followed until the reported page count, even when the last page is full."""
    script, url = source

    async def handler(request: Request) -> Response:
        page = int(request.query_params["page"])
        return json({"data": ITEMS[(page - 1) * 5 : page * 5], "pages": 3})

    script.routes["/items"] = handler
    pages = walk(url, PageNumberPagination(page_size=5, total_pages_path="pages"))
    assert [len(p) for p in pages] == [5, 5, 5]


def test_link_header_and_next_url_pagination_follow_the_links(source: Source) -> None:
    """The Link header's rel=next and a body's next URL both drive the walk to the end."""
    script, url = source

    async def linked(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        headers = {"Link": f'<{url}/items?after={after + 10}>; rel="next"'} if after < 20 else {}
        return json({"data": ITEMS[after : after + 10]}, headers=headers)

    async def bodied(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        nxt = f"/items?after={after + 10}" if after < 20 else None
        return json({"data": ITEMS[after : after + 10], "links": {"next": nxt}})

    script.routes["/items"] = linked
    assert [len(p) for p in walk(url, LinkHeaderPagination())] == [10, 10, 3]
    script.routes["/items"] = bodied
    assert [len(p) for p in walk(url, NextUrlPagination("links.next"))] == [10, 10, 3]


def test_a_repeated_page_raises_instead_of_looping(source: Source) -> None:
    """A server that ignores the offset and resends page one is stopped on the second copy."""
    script, url = source
    script.routes["/items"] = [json({"data": ITEMS[:10]})]
    with pytest.raises(PermanentSourceError, match="same page twice"):
        walk(url, OffsetPagination(page_size=10))
    assert script.count("/items") == 2


def test_a_cycle_of_links_raises_and_max_pages_caps_the_walk(source: Source) -> None:
    """Links that cycle back are refused; a walk past max_pages stops with a clear error."""
    script, url = source

    async def cycle(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        return json({"data": [{"id": after}], "next": f"/items?after={(after + 1) % 3}"})

    script.routes["/items"] = cycle
    with pytest.raises(PermanentSourceError, match="already fetched"):
        walk(url, NextUrlPagination())
    with pytest.raises(PermanentSourceError, match="safety cap of 2 pages"):
        walk(url, NextUrlPagination(), max_pages=2)


def test_time_windows_narrow_when_the_source_caps_results(source: Source) -> None:
    """Windows holding more than the cap are halved until they fit; every record arrives."""
    script, url = source
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stamps = [t0 + dt.timedelta(hours=h) for h in range(0, 96, 2)]  # 48 records over 4 days
    cap = 10

    async def capped(request: Request) -> Response:
        since = dt.datetime.fromisoformat(request.query_params["since"])
        until = dt.datetime.fromisoformat(request.query_params["until"])
        found = [{"id": s.isoformat()} for s in stamps if since <= s < until]
        return json({"data": found[:cap]})

    script.routes["/items"] = capped
    inner = OffsetPagination(page_size=1000)
    pager = TimeWindowPagination("since", "until", dt.timedelta(days=2), inner, t0, cap)
    pages = walk(url, pager, now=t0 + dt.timedelta(days=4))
    ids = [r["id"] for page in pages for r in page]
    assert sorted(ids) == [s.isoformat() for s in stamps]
    assert len(ids) == len(set(ids))
    assert all(len(p) < cap for p in pages)
