"""The fake POS over HTTP: rotating OAuth2, Link-header pages, a strict visible rate limit.

Contract:
  POST /oauth2/token  grant_type=refresh_token&refresh_token=R&client_id=&client_secret=
       (form or JSON) -> {"access_token", "token_type": "bearer", "expires_in", "refresh_token"}.
       R is spent at once; reuse or unknown -> 400 {"error": "invalid_grant"}; bad client ->
       401 invalid_client; any other grant (client_credentials too) -> 400 unsupported_grant_type.
  GET  /v2/locations, /v2/catalog/items?updated_after=, /v2/orders?location_id=&updated_after=
       (limit 1..200, default 100) -> a bare JSON array, ordered by (updated_at, id);
       filters a feed does not support (updated_after on locations) are ignored, not 400;
       `Link: <absolute next URL>; rel="next"` while more remain. updated_after is exclusive.
  Every /v2 response carries X-RateLimit-Limit/Remaining/Reset (Reset = seconds until the bucket
  is full); above the rate -> 429 with Retry-After (decimal seconds until one request is free).
  /admin/{truth,stats,faults} (GET), /admin/{mutate,faults} (POST), /health: loopback, no token.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from canonry.sandbox._http import (
    CountRequests,
    admin,
    fault_gate,
    json_response,
    maybe_drop,
    parse_instant,
)
from canonry.sandbox.pos_data import POSSandbox

DEFAULT_LIMIT, MAX_LIMIT = 100, 200
_FEEDS = {
    "/v2/locations": "locations",
    "/v2/catalog/items": "catalog_items",
    "/v2/orders": "orders",
}


def _errors(category: str, code: str, detail: str = "") -> dict[str, Any]:
    """Square-style error envelope."""
    return {"errors": [{"category": category, "code": code, "detail": detail}]}


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return _errors("RATE_LIMIT_ERROR", "RATE_LIMITED", "injected")
    return _errors("API_ERROR", "INTERNAL_SERVER_ERROR")


async def _token_params(request: Request) -> dict[str, str]:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        data = orjson.loads(body or b"{}")
        if not isinstance(data, dict):
            raise TypeError("expected a JSON object")
        return {str(k): str(v) for k, v in data.items()}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


class _POSApp:
    """Route handlers bound to one POSSandbox."""

    def __init__(self, sb: POSSandbox) -> None:
        self.sb = sb

    async def token(self, request: Request) -> Response:
        sb = self.sb
        try:
            form = await _token_params(request)
        except (ValueError, TypeError):
            return json_response(400, {"error": "invalid_request"})
        if not sb.auth.access.client_ok(form.get("client_id", ""), form.get("client_secret", "")):
            sb.counters["unauthorized"] += 1
            return json_response(401, {"error": "invalid_client"})
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            return json_response(400, {"error": "unsupported_grant_type" if grant else
                                                "invalid_request"})  # fmt: skip
        given = form.get("refresh_token", "")
        issued = sb.auth.rotate(given)
        if issued is None:
            sb.counters["invalid_grant"] += 1
            why = "refresh token already used" if sb.auth.was_spent(given) else "unknown token"
            return json_response(400, {"error": "invalid_grant", "error_description": why})
        sb.counters["tokens_issued"] += 1
        access, refresh = issued
        return json_response(200, {"access_token": access, "token_type": "bearer",
                                   "expires_in": sb.auth.access.expires_in,
                                   "refresh_token": refresh})  # fmt: skip

    def _denied(self, request: Request) -> Response | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        state = (
            self.sb.auth.access.check(value.strip()) if scheme.lower() == "bearer" else "unknown"
        )
        if state == "ok":
            return None
        self.sb.counters["unauthorized"] += 1
        code = "ACCESS_TOKEN_EXPIRED" if state == "expired" else "UNAUTHORIZED"
        www = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return json_response(401, _errors("AUTHENTICATION_ERROR", code), www)

    async def _guard(self, request: Request) -> tuple[Response | None, bool, dict[str, str]]:
        """Rate limit, then auth, then injected faults: (early response, drop, limit headers)."""
        sb, now = self.sb, time.monotonic()
        allowed = sb.bucket.take(now)
        headers = sb.bucket.headers(now)
        if not allowed:
            sb.counters["rate_limited"] += 1
            wait = f"{max(0.001, round(sb.bucket.wait_s(now) + 0.0005, 3)):g}"
            body = _errors("RATE_LIMIT_ERROR", "RATE_LIMITED", "slow down")
            return json_response(429, body, {**headers, "Retry-After": wait}), False, headers
        early = self._denied(request)
        if early is None:
            early, drop = await fault_gate(sb.faults, sb.fault_draws, sb.counters, _fault_body)
        else:
            drop = False
        if early is not None:
            early.headers.update(headers)
        return early, drop, headers

    async def feed(self, request: Request) -> Response:
        early, drop, headers = await self._guard(request)
        if early is not None:
            return early
        stream, q = _FEEDS[request.url.path], request.query_params
        try:
            limit = int(q.get("limit", DEFAULT_LIMIT))
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError(f"limit must be 1..{MAX_LIMIT}, got {limit}")  # noqa: TRY301
            # Like real POS APIs, filters a feed does not support are silently ignored.
            after = None if stream == "locations" else q.get("updated_after")
            after_us = None if after is None else parse_instant(after, "updated_after")
            location = q.get("location_id") if stream == "orders" else None
            items, nxt = self.sb.page(stream, limit, q.get("cursor"), after_us, location)
        except ValueError as exc:
            error = _errors("INVALID_REQUEST_ERROR", "BAD_REQUEST", str(exc))
            return json_response(400, error, headers)
        if nxt is not None:
            url = request.url.include_query_params(cursor=nxt, limit=limit)
            headers = {**headers, "Link": f'<{url}>; rel="next"'}
        body = b"[" + b",".join(items) + b"]"
        return maybe_drop(body, drop, self.sb.counters, headers=headers)

    async def admin(self, request: Request) -> Response:
        sb = self.sb
        views = {"truth": sb.truth, "stats": sb.stats, "faults": sb.faults.as_dict}
        views |= {"refresh_token": lambda: {"initial_refresh_token": sb.initial_refresh_token}}
        return await admin(request, views, {"mutate": sb.mutate, "faults": self._set_faults})

    def _set_faults(self, **knobs: Any) -> dict[str, Any]:
        return self.sb.set_faults(**knobs).as_dict()

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def build_pos_app(sb: POSSandbox) -> Starlette:
    """The Starlette app serving `sb`; admin routes answer loopback clients only."""
    h = _POSApp(sb)
    routes = [
        Route("/oauth2/token", h.token, methods=["POST"]),
        *(Route(path, h.feed, methods=["GET"]) for path in _FEEDS),
        Route("/admin/{action}", h.admin, methods=["GET", "POST"]),
        Route("/health", h.health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])
