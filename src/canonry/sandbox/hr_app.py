"""The fake HRIS over HTTP: OAuth2 tokens, cursor-paginated feeds, admin hooks, faults.

Handlers stay thin: state and paging live in HRSandbox, so the same behaviour is reachable from
Python (tests, benchmarks) and over the wire (connectors, the CLI demo).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from canonry.sandbox._http import (
    CountRequests,
    InjectedDrop,
    admin,
    draw_fault,
    inject_latency,
    json_response,
    maybe_drop,
    parse_instant,
)
from canonry.sandbox.hr_data import HRSandbox, Page

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
Pager = Callable[[int, str | None, int | None], Page]
__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "InjectedDrop", "build_app", "parse_instant"]


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


def _hr_error(status: int) -> dict[str, str]:
    return {"error": "rate_limited" if status == 429 else "internal"}


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
            return json_response(401, {"error": "invalid_client"}, www)
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            error = "unsupported_grant_type" if grant else "invalid_request"
            return json_response(400, {"error": error})
        sb.counters["tokens_issued"] += 1
        body = {"access_token": sb.tokens.issue(), "token_type": "Bearer"}
        return json_response(200, {**body, "expires_in": sb.tokens.expires_in})

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
        return json_response(401, body, www)

    async def _guard(self, request: Request) -> tuple[Response | None, bool]:
        """Latency, auth and fault draws shared by every /v1 endpoint: (response, drop)."""
        sb = self.sb
        await inject_latency(sb.faults, sb.counters)
        denied = self._denied(request)
        if denied is not None:
            return denied, False
        return draw_fault(sb.faults, sb.fault_draws, sb.counters, _hr_error)

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
            return json_response(400, {"error": str(exc)})
        meta = b'],"meta":{"next_cursor":%b}}' % orjson.dumps(nxt)
        body = b"".join((b'{"data":[', b",".join(data), meta))
        return maybe_drop(body, drop, self.sb.counters)

    async def employees(self, request: Request) -> Response:
        return await self._feed(request, self.sb.employee_page)

    async def departments(self, request: Request) -> Response:
        return await self._feed(request, self.sb.department_page)

    async def admin(self, request: Request) -> Response:
        sb = self.sb
        views = {"truth": sb.truth, "stats": sb.stats, "faults": sb.faults.as_dict}
        return await admin(request, views, {"mutate": sb.mutate, "faults": self._set_faults})

    def _set_faults(self, **knobs: Any) -> dict[str, Any]:
        return self.sb.set_faults(**knobs).as_dict()

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
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])
