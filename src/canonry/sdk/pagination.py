"""Pagination declarations: pure functions from one response to the next request.

They never do I/O, so they are tested without a server, and they refuse to loop: a
paginator that sees the same token twice raises instead of fetching forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from canonry.errors import PermanentSourceError
from canonry.sdk.paths import get_path

Params = dict[str, str]


class Paginator(Protocol):
    """Turns the response to one page into the params of the next (or None: done)."""

    def first_params(self) -> Params: ...

    def with_page_size(self, size: int) -> Paginator: ...

    def next_params(
        self, params: Params, body: Any, headers: Mapping[str, str], record_count: int
    ) -> Params | None: ...


@dataclass(frozen=True)
class CursorPagination:
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
        self, params: Params, body: Any, headers: Mapping[str, str], record_count: int
    ) -> Params | None:
        token = get_path(body, self.cursor_path)
        if token in (None, ""):
            return None
        token = str(token)
        if params.get(self.cursor_param) == token:
            raise PermanentSourceError(
                f"the source returned the same next cursor {token!r} twice; "
                "it would loop forever. Report it to the source's vendor, or cap the sync."
            )
        return {**params, self.cursor_param: token}
