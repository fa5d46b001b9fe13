"""One HTTP client per connection: auth, timeouts, connection limits, retries, body caps."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
import orjson

from canonry.errors import (
    AuthError,
    PermanentSourceError,
    SourceError,
    TransientSourceError,
)
from canonry.http.auth import build_auth
from canonry.http.redact import redact_params
from canonry.http.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from canonry.http.stats import PlumbingStats
from canonry.sdk.auth import AuthSpec

KEPT_HEADERS = (
    "content-type",
    "date",
    "etag",
    "last-modified",
    "link",
    "retry-after",
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


@dataclass(frozen=True)
class JSONResponse:
    """A successful response, read whole and decoded, with what the archive keeps of it."""

    method: str
    url: str
    params: dict[str, str]
    status: int
    headers: dict[str, str]
    body: bytes
    payload: Any
    fetched_at: dt.datetime


class SourceClient:
    """Async client for one connection. Use as ``async with SourceClient(...) as c``."""

    def __init__(
        self,
        base_url: str,
        auth: AuthSpec,
        *,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float = 30.0,
        max_connections: int = 8,
        max_body_bytes: int = 64 * 1024 * 1024,
        secrets: tuple[str, ...] = (),
        seed: int | None = None,
    ) -> None:
        self.stats = PlumbingStats()
        self._retry = retry or RetryPolicy()
        self._max_body = max_body_bytes
        self._secrets = tuple(s for s in (*secrets, *auth.secrets()) if s)
        self._rng = random.Random(seed)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=build_auth(auth, self.stats),
            headers={"Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<SourceClient {self._client.base_url} {self.stats!r}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get_json(self, path: str, params: Mapping[str, str]) -> JSONResponse:
        """GET ``path`` and decode it, retrying transient failures within the policy."""
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                return await self._attempt(path, params)
            except _Retryable as exc:
                error: SourceError = exc.error
                retry_after = exc.retry_after
            wait = self._retry.delay(attempt, retry_after, time.monotonic() - started, self._rng)
            if wait is None:
                raise TransientSourceError(
                    f"{error} — gave up after {attempt} attempts in "
                    f"{time.monotonic() - started:.1f}s; the source is failing, try again later"
                ) from error
            self.stats.retries += 1
            self.stats.retry_wait_s += wait
            await asyncio.sleep(wait)

    async def _attempt(self, path: str, params: Mapping[str, str]) -> JSONResponse:
        self.stats.requests += 1
        shown = self._shown(path, params)
        try:
            async with self._client.stream("GET", path, params=params) as response:
                body = await self._read_capped(response, shown)
        except httpx.TimeoutException as exc:
            raise _Retryable(
                TransientSourceError(f"GET {shown} timed out ({type(exc).__name__})")
            ) from None
        except httpx.TransportError as exc:
            raise _Retryable(
                TransientSourceError(f"GET {shown} failed: {type(exc).__name__}")
            ) from None
        self.stats.bytes_received += len(body)
        fetched_at = dt.datetime.now(dt.UTC)
        status = response.status_code
        if status in RETRYABLE_STATUS:
            ra = parse_retry_after(response.headers.get("retry-after"), fetched_at)
            raise _Retryable(TransientSourceError(f"GET {shown} answered HTTP {status}"), ra)
        if status in (401, 403):
            raise AuthError(
                f"GET {shown} was refused with HTTP {status} even after refreshing credentials; "
                "check the connection's credentials and scopes"
            )
        if status >= 400 or status < 200:
            raise PermanentSourceError(
                f"GET {shown} answered HTTP {status}: {body[:200].decode(errors='replace')!r}"
            )
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Retryable(
                TransientSourceError(f"GET {shown} returned invalid JSON ({exc.msg} at {exc.pos})")
            ) from None
        return JSONResponse(
            method="GET",
            url=str(response.request.url.copy_with(query=None)),
            params=redact_params(params, self._secrets),
            status=status,
            headers={k: response.headers[k] for k in KEPT_HEADERS if k in response.headers},
            body=body,
            payload=payload,
            fetched_at=fetched_at,
        )

    async def _read_capped(self, response: httpx.Response, shown: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_body:
            raise PermanentSourceError(
                f"GET {shown} declared a {int(declared)}-byte body, over the "
                f"{self._max_body}-byte limit; lower the page size"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise PermanentSourceError(
                    f"GET {shown} sent more than {self._max_body} bytes; lower the page size"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _shown(self, path: str, params: Mapping[str, str]) -> str:
        safe = redact_params(params, self._secrets)
        query = "&".join(f"{k}={v}" for k, v in safe.items())
        return f"{path}?{query}" if query else path


class _Retryable(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, error: SourceError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
