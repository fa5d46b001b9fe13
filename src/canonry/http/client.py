"""One HTTP client per connection: auth, limits, breaker, retries, timeouts, body caps.

A request goes: breaker (fail fast while open) -> rate limiter (wait for a slot) ->
in-flight semaphore -> httpx (auth flow, timeouts) -> classification -> retry loop. Reads are
retried; writes only when they carry an ``Idempotency-Key``, so a retry cannot apply twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx
import orjson

from canonry.errors import SourceError, TransientSourceError
from canonry.http.auth import build_auth
from canonry.http.classify import Received, Retryable, decode
from canonry.http.errors import TransientHTTPError
from canonry.http.oauth import OAuth2Flow
from canonry.http.options import ClientOptions, legacy_options
from canonry.http.redact import redact_params
from canonry.http.retry import WRITE_METHODS, RetryPolicy
from canonry.http.shared import Guards, guards_for
from canonry.http.stats import PlumbingStats
from canonry.http.wire import KEPT_HEADERS, JSONResponse, Request, read_capped
from canonry.sdk.auth import AuthSpec

READ_BYTES = 1 << 20
"""Largest read of a response body. httpcore's default, 64 kB, took a 600 kB page through
the event loop and h11 ten times: reads that take whatever has arrived, up to 1 MiB, cost
0.3-0.4 ms less CPU a page (bench, fetch alone). A class attribute of httpcore's: set here,
for every connection, and only ever raised."""
if getattr(httpcore.AsyncHTTP11Connection, "READ_NUM_BYTES", READ_BYTES) < READ_BYTES:
    httpcore.AsyncHTTP11Connection.READ_NUM_BYTES = READ_BYTES


class SourceClient:
    """Async client for one connection. Use as ``async with SourceClient(...) as c``.

    The legacy keywords (``retry``, ``timeout_s``, ``max_connections``, ``max_body_bytes``)
    override the matching ``options`` fields, so existing callers keep working.
    """

    def __init__(
        self,
        base_url: str,
        auth: AuthSpec,
        *,
        headers: Mapping[str, str] | None = None,
        options: ClientOptions | None = None,
        secrets: tuple[str, ...] = (),
        seed: int | None = None,
        guards: Guards | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float | None = None,
        max_connections: int | None = None,
        max_body_bytes: int | None = None,
    ) -> None:
        opts = legacy_options(
            options or ClientOptions(), retry, timeout_s, max_connections, max_body_bytes
        )
        self.options = opts
        self.stats = PlumbingStats()
        self.guards = guards or guards_for(opts)
        self._static_secrets = tuple(s for s in (*secrets, *auth.secrets()) if s)
        self._rng = random.Random(seed)
        self._in_flight = asyncio.Semaphore(opts.max_in_flight)
        self._auth = build_auth(auth, self.stats)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=self._auth,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(opts.timeout_s, connect=opts.connect_timeout_s),
            limits=httpx.Limits(max_connections=opts.max_in_flight),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        g = self.guards
        return f"<SourceClient {self._client.base_url} {g.breaker!r} {g.limiter!r} {self.stats!r}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get_json(
        self, path: str, params: Mapping[str, str], *, records_path: str | None = None
    ) -> JSONResponse:
        """GET ``path`` and decode it, retrying transient failures within the policy.

        ``records_path`` tells an empty-handed error body (``{"error": ...}``) from data.
        """
        return await self._with_retries(Request("GET", path, params, records_path=records_path))

    async def read_json(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        records_path: str | None = None,
    ) -> JSONResponse:
        """A read that is not a plain GET: a search POST with its query in a JSON body, or a
        GET with per-request headers (``If-Modified-Since``). Retried like any read."""
        sent = dict(headers or {})
        content = None
        if json_body is not None:
            sent["Content-Type"] = "application/json"
            content = orjson.dumps(json_body)
        request = Request(
            method.upper(), path, params, content, sent, retryable=True, records_path=records_path
        )
        return await self._with_retries(request)

    async def send_json(
        self,
        method: str,
        path: str,
        json_body: Any,
        idempotency_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        """Send a write; retried only with an ``idempotency_key`` (see ``idempotency_key()``)."""
        method = method.upper()
        if method not in WRITE_METHODS:
            raise ValueError(f"send_json is for writes ({sorted(WRITE_METHODS)}), got {method!r}")
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = Request(
            method, path, params or {}, orjson.dumps(json_body), headers, bool(idempotency_key)
        )
        return await self._with_retries(request)

    async def _with_retries(self, req: Request) -> JSONResponse:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(req, attempt)
            except Retryable as exc:
                error: SourceError = exc.error
                retry_after = exc.retry_after
            if not req.retryable:
                raise TransientHTTPError(
                    f"{error} — not retried: a {req.method} without an idempotency key may "
                    "already have been applied; pass idempotency_key= to make it retryable",
                    status=getattr(error, "status", None),
                ) from error
            refusal = self.guards.breaker.refusal(time.monotonic(), cause=str(error))
            if refusal is not None:
                raise refusal from error  # never retry into an open breaker
            wait = self.options.retry.delay(
                attempt, retry_after, time.monotonic() - started, self._rng
            )
            if wait is None:
                raise TransientHTTPError(
                    f"{error} — gave up after {attempt} attempts in "
                    f"{time.monotonic() - started:.1f}s; the source is failing, try again later",
                    status=getattr(error, "status", None),
                ) from error
            self.stats.retries += 1
            self.stats.retry_wait_s += wait
            await asyncio.sleep(wait)

    async def _attempt(self, req: Request, attempt: int) -> JSONResponse:
        breaker, limiter = self.guards.breaker, self.guards.limiter
        breaker.before_request(time.monotonic())
        ok: bool | None = None  # None: no verdict on the source (cancelled, local error)
        try:
            wait = limiter.reserve(time.monotonic())
            if wait > 0:
                self.stats.rate_limit_wait_s += wait
                await asyncio.sleep(wait)
            async with self._in_flight:
                got, response = await self._send(req)
            ok, now = True, time.monotonic()
            if limiter.on_response(got.status, response.headers, now, time.time()):
                self.stats.rate_limited += 1
            try:
                payload = decode(
                    got,
                    secrets=self._secrets(),
                    records_path=req.records_path,
                    final_attempt=attempt >= self.options.error_body_attempts,
                    allow_empty=req.method != "GET",
                )
            except Retryable as exc:
                if exc.retry_after is not None:
                    limiter.pause_until(now + exc.retry_after, now)
                ok = not exc.source_failed
                raise
            except SourceError:
                self.stats.permanent_errors += 1  # the source is up; the request is wrong
                raise
            return self._response(req, got, response, payload)
        except Retryable:
            ok = bool(ok)  # a transport failure (no response) counts against the source
            raise
        finally:
            if breaker.record(ok, time.monotonic()):
                self.stats.breaker_opened += 1

    async def _send(self, req: Request) -> tuple[Received, httpx.Response]:
        self.stats.requests += 1
        shown = self._shown(req)
        request = self._client.build_request(
            req.method, req.path, params=req.params, content=req.content, headers=req.headers
        )
        try:
            async with asyncio.timeout(self.options.deadline_s):  # bounds a slow-drip body too
                response = await self._client.send(request, stream=True)
                try:
                    body = await read_capped(response, shown, self.options.max_body_bytes)
                finally:
                    await response.aclose()
        except TimeoutError:
            deadline = self.options.deadline_s
            error = TransientHTTPError(f"{shown} took longer than the {deadline}s deadline")
            raise Retryable(error) from None
        except httpx.TimeoutException as exc:
            error = TransientHTTPError(f"{shown} timed out ({type(exc).__name__})")
            raise Retryable(error) from None
        except httpx.TransportError as exc:
            error = TransientHTTPError(f"{shown} failed: {type(exc).__name__}")
            raise Retryable(error) from None
        except TransientSourceError as exc:  # the token endpoint failed transiently
            raise Retryable(exc) from None
        self.stats.bytes_received += len(body)
        got = Received(
            shown,
            response.status_code,
            response.headers.get("retry-after"),
            body,
            dt.datetime.now(dt.UTC),
        )
        return got, response

    def _response(
        self, req: Request, got: Received, response: httpx.Response, payload: Any
    ) -> JSONResponse:
        return JSONResponse(
            method=req.method,
            url=str(response.request.url.copy_with(query=None)),
            params=redact_params(req.params, self._secrets()),
            status=got.status,
            headers={k: response.headers[k] for k in KEPT_HEADERS if k in response.headers},
            body=got.body,
            document=payload,
            fetched_at=got.fetched_at,
        )

    def _secrets(self) -> tuple[str, ...]:
        """Every secret to mask now, including tokens minted since the client started."""
        if isinstance(self._auth, OAuth2Flow):
            return (*self._static_secrets, *self._auth.live_secrets())
        return self._static_secrets

    def _shown(self, req: Request) -> str:
        safe = redact_params(req.params, self._secrets())
        query = "&".join(f"{k}={v}" for k, v in safe.items())
        return f"{req.method} {req.path}?{query}" if query else f"{req.method} {req.path}"
