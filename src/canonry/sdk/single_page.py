"""Endpoints that answer everything at once (Xero's chart of accounts, Square's locations).

Kept apart from ``pagination`` so vendor additions do not churn the shared module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from canonry.sdk.pagination import Params


@dataclass(frozen=True)
class SinglePage:
    """One request, one page: the stream is done after the first response.

    Declaring it (instead of a page-number strategy that stops on a short page) matters on
    large accounts: an endpoint that ignores ``page`` would send its whole list again for
    page 2, and the walk would refuse that as a loop.
    """

    page_size: int = 0

    def with_page_size(self, size: int) -> SinglePage:
        return self

    def first_params(self) -> Params:
        return {}

    def begin(self, params: Params, now: dt.datetime) -> Params:
        return params

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
        return None
