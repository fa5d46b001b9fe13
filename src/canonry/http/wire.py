"""What goes over the wire: a request to make, a response to keep, a body read with a cap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx
import orjson

from canonry.http.errors import PermanentHTTPError

KEPT_HEADERS = (
    "content-type", "date", "etag", "last-modified", "link", "retry-after", "x-request-id",
    "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
    "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
)  # fmt: skip


@dataclass(frozen=True)
class JSONResponse:
    """A successful response, read whole and validated, with what the archive keeps of it.

    ``document`` is the body as a lazy simdjson document: cheap to read a cursor or a count
    from. ``payload`` is the body decoded to plain Python, built on first use only.
    """

    method: str
    url: str
    params: dict[str, str]
    status: int
    headers: dict[str, str]
    body: bytes
    document: Any
    fetched_at: dt.datetime

    @cached_property
    def payload(self) -> Any:
        """The body as dicts and lists (None for an empty body)."""
        return orjson.loads(self.body) if self.body.strip() else None


@dataclass(frozen=True)
class Request:
    """One logical request; ``retryable`` is False for writes without an idempotency key."""

    method: str
    path: str
    params: Mapping[str, str]
    content: bytes | None = None
    headers: Mapping[str, str] | None = None
    retryable: bool = True
    records_path: str | None = None


async def read_capped(response: httpx.Response, shown: str, limit: int) -> bytes:
    """The whole body, refused past ``limit`` bytes (declared or actually sent)."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_big(shown, f"declared a {int(declared)}-byte body", limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_big(shown, f"sent more than {limit} bytes", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(shown: str, what: str, limit: int) -> PermanentHTTPError:
    return PermanentHTTPError(
        f"{shown} {what}, over the {limit}-byte limit; lower the page size or raise "
        "ClientOptions.max_body_bytes",
        status=0,
    )
