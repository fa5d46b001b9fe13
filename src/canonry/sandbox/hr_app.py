"""The fake HRIS over HTTP: OAuth2 tokens, cursor-paginated feeds, admin hooks, faults.

Handlers stay thin: state and paging live in HRSandbox, so the same behaviour is reachable from
Python (tests, benchmarks) and over the wire (connectors, the CLI demo).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from canonry.sandbox._gen import EPOCH
from canonry.sandbox.faults import retry_after_header
from canonry.sandbox.hr_data import HRSandbox, Page

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# "…T10:00:00 05:30": a '+' offset that arrived unencoded in a query string became a space.
_SPACE_OFFSET = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s(\d{2}(?::?\d{2})?)$")
Pager = Callable[[int, str | None, int | None], Page]


class InjectedDrop(Exception):  # noqa: N818 - names the event, it is not an error of ours
    """Raised after a partial body so the server aborts the connection (drop_rate fault)."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging our deliberate connection drops as application errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_DROP_FILTER = _QuietDrops()
logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)


class _DroppedResponse(Response):
    """Sends headers (with the full Content-Length) and half the body, then aborts."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        half = bytes(self.body[: len(self.body) // 2])
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise InjectedDrop("connection dropped by fault injection")


class _CountRequests:
    """Per-path request counters for stats(); pure ASGI so it sees every request."""

    def __init__(self, app: ASGIApp, sb: HRSandbox) -> None:
        self.app, self.sb = app, sb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.sb.requests[scope["path"]] += 1
        await self.app(scope, receive, send)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def parse_instant(value: str) -> int:
    """ISO-8601 to epoch µs; naive means UTC (as this API documents), space-for-'+' tolerated."""
    text = value.strip()
    m = _SPACE_OFFSET.match(text)
    if m:
        text = f"{m[1]}+{m[2]}"
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid updated_since {value!r}: expected ISO-8601") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def _client_credentials(request: Request, form: dict[str, list[str]]) -> tuple[str, str]:
    """HTTP Basic (RFC 6749 2.3.1, form-encoded parts) wins over form fields."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            cid, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return unquote_plus(cid), unquote_plus(secret)
    return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]


async def _json_object(request: Request) -> dict[str, Any]:
    payload = orjson.loads(await request.body() or b"{}")
    if not isinstance(payload, dict):
        raise TypeError("expected a JSON object")
    return payload


class _HRApp:
    """Route handlers bound to one sandbox."""

    def __init__(self, sb: HRSandbox) -> None:
        self.sb = sb

    async def token(self, request: Request) -> Response:
        sb = self.sb
        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        if not sb.tokens.client_ok(*_client_credentials(request, form)):
            sb.counters["unauthorized"] += 1
            www = {"WWW-Authenticate": 'Basic realm="canonry-sandbox"'}
            return _json(401, {"error": "invalid_client"}, www)
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            error = "unsupported_grant_type" if grant else "invalid_request"
            return _json(400, {"error": error})
        sb.counters["tokens_issued"] += 1
        body = {"access_token": sb.tokens.issue(), "token_type": "Bearer"}
        return _json(200, {**body, "expires_in": sb.tokens.expires_in})

    def _denied(self, request: Request) -> Response | None:
        """401 unless the bearer token is known and fresh."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        state = self.sb.tokens.check(value.strip()) if scheme.lower() == "bearer" else "unknown"
        if state == "ok":
            return None
        self.sb.counters["unauthorized"] += 1
        www = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        body = {"error": "invalid_token"}
        if state == "expired":
            body["error_description"] = "token expired"
        return _json(401, body, www)

    async def _guard(self, request: Request) -> tuple[Response | None, bool]:
        """Latency, auth and fault draws shared by every /v1 endpoint: (response, drop)."""
        sb, cfg = self.sb, self.sb.faults
        if cfg.latency_ms > 0:
            sb.counters["fault:latency"] += 1
            await asyncio.sleep(cfg.latency_ms / 1000)
        denied = self._denied(request)
        if denied is not None:
            return denied, False
        decision = sb.fault_draws.draw(cfg)
        if decision.status == 429:
            sb.counters["fault:rate_limit"] += 1
            retry = retry_after_header(cfg, time.time())
            headers = {"Retry-After": retry} if retry else None
            return _json(429, {"error": "rate_limited"}, headers), False
        if decision.status is not None:
            sb.counters[f"fault:http_{decision.status}"] += 1
            return _json(decision.status, {"error": "internal"}), False
        return None, decision.drop

    async def _feed(self, request: Request, pager: Pager) -> Response:
        early, drop = await self._guard(request)
        if early is not None:
            return early
        q = request.query_params
        try:
            limit = max(1, min(MAX_LIMIT, int(q.get("limit", DEFAULT_LIMIT))))
            since = q.get("updated_since")
            since_us = None if since is None else parse_instant(since)
            data, nxt = pager(limit, q.get("cursor"), since_us)
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
        meta = b'],"meta":{"next_cursor":%b}}' % orjson.dumps(nxt)
        body = b"".join((b'{"data":[', b",".join(data), meta))
        if drop:
            self.sb.counters["fault:drop"] += 1
            return _DroppedResponse(body, media_type="application/json")
        return Response(body, media_type="application/json")

    async def employees(self, request: Request) -> Response:
        return await self._feed(request, self.sb.employee_page)

    async def departments(self, request: Request) -> Response:
        return await self._feed(request, self.sb.department_page)

    async def admin(self, request: Request) -> Response:
        sb = self.sb
        if (request.client.host if request.client else "") not in _LOOPBACK:
            return _json(403, {"error": "admin endpoints are loopback-only"})
        action = request.path_params["action"]
        if request.method == "GET":
            views = {"truth": sb.truth, "stats": sb.stats, "faults": sb.faults.as_dict}
            view = views.get(action)
            return _json(200, view()) if view else _json(404, {"error": "not found"})
        if action not in ("mutate", "faults"):
            return _json(404, {"error": "not found"})
        try:
            knobs = await _json_object(request)
            result = sb.mutate(**knobs) if action == "mutate" else sb.set_faults(**knobs).as_dict()
        except (ValueError, TypeError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, result)

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def build_app(sb: HRSandbox) -> Starlette:
    """The Starlette app serving `sb`; admin routes answer loopback clients only."""
    h = _HRApp(sb)
    routes = [
        Route("/oauth/token", h.token, methods=["POST"]),
        Route("/v1/employees", h.employees, methods=["GET"]),
        Route("/v1/departments", h.departments, methods=["GET"]),
        Route("/admin/{action}", h.admin, methods=["GET", "POST"]),
        Route("/health", h.health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_CountRequests, sb=sb)])
