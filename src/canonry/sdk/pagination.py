"""Pagination declarations: pure functions from one response to the next request.

They never do I/O, so they are tested without a server, and they refuse to loop: a
paginator that sees the same token, URL or offset twice raises instead of fetching forever
(``iter_pages`` adds a guard against longer cycles and a page cap).

``next_params`` gets the request's params, the body, the kept response headers
(lower-case names), the number of records found, the request URL (without query) and the
sync's ``now``; it returns the next request's params, or None when the stream is done.
The body is a read-only JSON document (``simdjson.Object`` during a sync: the page is only
peeked at, not decoded); read it with ``get_path`` or index it like a dict, but do not
test it with ``isinstance(body, dict)``. Tests may pass plain dicts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Protocol, Self
from urllib.parse import parse_qsl, urljoin, urlsplit

from canonry.errors import PermanentSourceError
from canonry.sdk.paths import get_path, is_array

Params = dict[str, str]


class Refetch(dict[str, str]):
    """Next params that *replace* the page just fetched: drop it and fetch these instead."""


class Paginator(Protocol):
    """Turns the response to one page into the params of the next (or None: done)."""

    def first_params(self) -> Params: ...

    def with_page_size(self, size: int) -> Paginator: ...

    def begin(self, params: Params, now: dt.datetime) -> Params: ...

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None: ...


class _Start:
    """Most strategies start from the merged first params unchanged."""

    def begin(self, params: Params, now: dt.datetime) -> Params:
        return params


def _loop(what: str, value: object) -> PermanentSourceError:
    return PermanentSourceError(
        f"the source returned the same {what} {value!r} twice; it would loop forever. "
        "Report it to the source's vendor, or cap the sync."
    )


@dataclass(frozen=True)
class CursorPagination(_Start):
    """Next-page token found in the body (``meta.next_cursor``), sent back as a query param."""

    cursor_path: str
    cursor_param: str = "cursor"
    limit_param: str | None = "limit"
    page_size: int = 100

    def with_page_size(self, size: int) -> CursorPagination:
        return replace(self, page_size=size)

    def first_params(self) -> Params:
        return {self.limit_param: str(self.page_size)} if self.limit_param else {}

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        token = get_path(body, self.cursor_path)
        if token in (None, ""):
            return None
        token = str(token)
        if params.get(self.cursor_param) == token:
            raise _loop("next cursor", token)
        return {**params, self.cursor_param: token}


@dataclass(frozen=True)
class OffsetPagination(_Start):
    """``?limit=&offset=``; stops on an empty page, at ``total``, or (without one) a short page."""

    limit_param: str = "limit"
    offset_param: str = "offset"
    page_size: int = 100
    total_path: str | None = None

    def with_page_size(self, size: int) -> OffsetPagination:
        return replace(self, page_size=size)

    def first_params(self) -> Params:
        return {self.limit_param: str(self.page_size), self.offset_param: "0"}

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        offset = int(params.get(self.offset_param, "0")) + record_count
        total = get_path(body, self.total_path) if self.total_path else None
        if record_count == 0 or (total is not None and offset >= int(total)):
            return None
        if total is None and record_count < self.page_size:
            return None
        return {**params, self.offset_param: str(offset)}


@dataclass(frozen=True)
class PageNumberPagination(_Start):
    """``?page=N``; stops on an empty page, the last page (``total_pages``), or a short page."""

    page_param: str = "page"
    size_param: str | None = "per_page"
    page_size: int = 100
    start: int = 1
    total_pages_path: str | None = None

    def with_page_size(self, size: int) -> PageNumberPagination:
        return replace(self, page_size=size)

    def first_params(self) -> Params:
        first = {self.page_param: str(self.start)}
        return {**first, self.size_param: str(self.page_size)} if self.size_param else first

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        page = int(params.get(self.page_param, str(self.start)))
        total = get_path(body, self.total_pages_path) if self.total_pages_path else None
        if record_count == 0 or (total is not None and page - self.start + 1 >= int(total)):
            return None
        if total is None and record_count < self.page_size:
            return None
        return {**params, self.page_param: str(page + 1)}


@dataclass(frozen=True, kw_only=True)  # keyword-only: subclasses keep their positional field
class _FollowsURL(_Start):
    """Pagination that follows a next-page URL; subclasses say where the URL is found."""

    size_param: str | None = None
    page_size: int = 100

    def with_page_size(self, size: int) -> Self:
        return replace(self, page_size=size)

    def first_params(self) -> Params:
        return {self.size_param: str(self.page_size)} if self.size_param else {}

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        target = self._target(body, headers)
        return None if not target else follow(url, params, target)

    def _target(self, body: Any, headers: Mapping[str, str]) -> str | None:
        raise TypeError(f"{type(self).__name__} must say where its next URL is")


@dataclass(frozen=True)
class LinkHeaderPagination(_FollowsURL):
    """RFC 8288 ``Link: <...>; rel="next"``; the link's query string becomes the next params."""

    rel: str = "next"

    def _target(self, body: Any, headers: Mapping[str, str]) -> str | None:
        return link_target(headers.get("link", ""), self.rel)


@dataclass(frozen=True)
class NextUrlPagination(_FollowsURL):
    """The next page's URL in the body (``next``, ``links.next``...), followed like a link."""

    next_url_path: str = "next"

    def _target(self, body: Any, headers: Mapping[str, str]) -> str | None:
        target = get_path(body, self.next_url_path)
        return None if target in (None, "") else str(target)


def owned_params(pager: Paginator) -> set[str]:
    """The query params a paginator manages (its ``*_param`` fields), reset between windows."""
    if not is_dataclass(pager):
        return set()
    values = (getattr(pager, f.name) for f in fields(pager) if f.name.endswith("_param"))
    return {v for v in values if isinstance(v, str)}


# Following next-page URLs: a next URL becomes the params of the next request, so the
# stream keeps its declared path; a link elsewhere is refused, a link back is a loop.

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")


def link_target(header: str, rel: str) -> str | None:
    """The URL of the first RFC 8288 link whose ``rel`` includes ``rel``."""
    for target, attrs in _LINK.findall(header):
        for attr in attrs.split(";"):
            name, _, value = attr.strip().partition("=")
            if name.strip().lower() == "rel" and rel in value.strip().strip('"').split():
                return str(target)
    return None


def follow(url: str, params: dict[str, str], target: str) -> dict[str, str]:
    """The params of ``target`` (relative to ``url``); refuses other hosts/paths and loops."""
    here, there = urlsplit(url), urlsplit(urljoin(url, target))
    if (here.scheme, here.netloc, here.path) != (there.scheme, there.netloc, there.path):
        raise PermanentSourceError(
            f"the next-page link points to {there.scheme}://{there.netloc}{there.path}, not to "
            f"the stream's {here.scheme}://{here.netloc}{here.path}; refusing to follow it. "
            "Check the stream's path and base_url against the source's documentation"
        )
    nxt = dict(parse_qsl(there.query, keep_blank_values=True))
    if nxt == params:
        raise PermanentSourceError(
            f"the next-page link repeats the page just fetched ({there.path}); it would loop "
            "forever. Report it to the source's vendor, or cap the sync."
        )
    return nxt


def _when(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimeWindowPagination:
    """For APIs that only filter by date: walk ``[start, end)`` windows from ``start`` to now.

    Inside a window, ``inner`` pages. When a window reaches the API's ``result_cap`` (the
    window total at ``count_path``, else one response's record count), the page is dropped
    and the window halved (``Refetch``) until it fits; later windows grow back by doubling.
    A resumed sync passes ``start_param`` (its watermark) and the walk starts there.
    """

    start_param: str
    end_param: str
    window: dt.timedelta
    inner: Paginator
    start: dt.datetime
    result_cap: int | None = None
    count_path: str | None = None
    min_window: dt.timedelta = dt.timedelta(seconds=1)

    def with_page_size(self, size: int) -> TimeWindowPagination:
        return replace(self, inner=self.inner.with_page_size(size))

    def first_params(self) -> Params:
        return self.inner.first_params()

    def begin(self, params: Params, now: dt.datetime) -> Params:
        given = params.get(self.start_param)
        start = _when(given) if given else self.start
        return self._window(params, start, min(start + self.window, max(now, start)))

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        now = now or dt.datetime.now(dt.UTC)
        start, end = _when(params[self.start_param]), _when(params[self.end_param])
        count = get_path(body, self.count_path) if self.count_path else record_count
        if self.result_cap is not None and count is not None and int(count) >= self.result_cap:
            return Refetch(self._narrowed(params, start, end))
        inner = self.inner.next_params(params, body, headers, record_count, url=url, now=now)
        if inner is not None:
            return inner
        if end >= now:
            return None
        width = min(self.window, (end - start) * 2)
        return self._window(params, end, min(end + width, now))

    def _narrowed(self, params: Params, start: dt.datetime, end: dt.datetime) -> Params:
        half = (end - start) / 2
        if half < self.min_window:
            raise PermanentSourceError(
                f"the window {start.isoformat()}..{end.isoformat()} still reaches the source's "
                f"cap of {self.result_cap} results at the smallest width ({self.min_window}); "
                "records would be lost. Lower min_window, or add a filter to the stream"
            )
        return self._window(params, start, start + half)

    def _window(self, params: Params, start: dt.datetime, end: dt.datetime) -> Params:
        owned = owned_params(self.inner)
        base = {k: v for k, v in params.items() if k not in owned}
        return {
            **base,
            **self.inner.first_params(),
            self.start_param: start.isoformat(),
            self.end_param: end.isoformat(),
        }


@dataclass(frozen=True)
class KeysetPagination(_Start):
    """Each next page asks for what follows the last record read: ``(cursor, key) > last``.

    For feeds ordered by (change time, id) that filter on both: ``since_param`` gets the last
    record's ``cursor_field`` (verbatim, in the source's own spelling) and ``after_param`` its
    ``key_field``. The position is a record, not a count, so a record that changes mid-walk
    (and moves to the end of the order) cannot shift an unread one past the page boundary,
    as it does with offsets. Stops on an empty or short page.
    """

    cursor_field: str
    since_param: str
    after_param: str
    key_field: str = "id"
    records_path: str = "data"
    limit_param: str | None = "limit"
    page_size: int = 100

    def with_page_size(self, size: int) -> KeysetPagination:
        return replace(self, page_size=size)

    def first_params(self) -> Params:
        return {self.limit_param: str(self.page_size)} if self.limit_param else {}

    def next_params(
        self,
        params: Params,
        body: Any,
        headers: Mapping[str, str],
        record_count: int,
        *,
        url: str = "",
        now: dt.datetime | None = None,
    ) -> Params | None:
        if record_count == 0 or (self.limit_param and record_count < self.page_size):
            return None
        records = get_path(body, self.records_path) if self.records_path else body
        last = records[-1] if is_array(records) and len(records) else None
        cursor, key = get_path(last, self.cursor_field), get_path(last, self.key_field)
        if cursor in (None, "") or key in (None, ""):
            raise PermanentSourceError(
                f"the last record of the page has no {self.cursor_field!r} or "
                f"{self.key_field!r} to continue after (got {cursor!r}, {key!r}); check the "
                "stream's KeysetPagination fields against the source's records"
            )
        position = {self.since_param: str(cursor), self.after_param: str(key)}
        if all(params.get(k) == v for k, v in position.items()):
            raise _loop("keyset position", (cursor, key))
        return {**params, **position}
