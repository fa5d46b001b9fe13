"""The fake ERP over HTTP: API-key auth, offset pagination, idempotent payment POSTs, admin.

Contract (all JSON):
  GET  /api/{vendors,customers,invoices,payments,accounts}?limit=&offset=&modified_since=
       &after_id= -> {"items": [...], "total": N, "limit": L, "offset": O}; ordered by
       (modified_at, id); `total` counts the filtered list as of this request; limit 1..500
       (default 100). With `after_id` (needs `modified_since`), only records strictly after
       (modified_since, after_id): a keyset position that changes elsewhere cannot shift.
  POST /api/payments  (Idempotency-Key optional) -> 201 payment; replay adds
       `Idempotent-Replayed: true`; key reused with another body -> 422; bad body -> 400.
  Auth: `X-API-Key: <key>` or `?api_key=<key>`; otherwise 401 {"error": "unauthorized", ...}.
  /admin/{truth,stats,faults} (GET), /admin/{mutate,faults} (POST), /health: no key, loopback.
"""

from __future__ import annotations

import hmac
from typing import Any

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
    json_object,
    json_response,
    maybe_drop,
    parse_instant,
)
from canonry.sandbox.finance_data import STREAMS, FinanceSandbox
from canonry.sandbox.finance_payments import IdempotencyConflictError

DEFAULT_LIMIT, MAX_LIMIT = 100, 500


def _error(status: int) -> dict[str, str]:
    return {"error": "rate_limited" if status == 429 else "server_error"}


def _window(limit_s: str | None, offset_s: str | None) -> tuple[int, int]:
    """Strict limit/offset parsing: out-of-range values are the client's bug, not clamped."""
    limit = DEFAULT_LIMIT if limit_s is None else int(limit_s)
    offset = 0 if offset_s is None else int(offset_s)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValueError(f"limit must be 1..{MAX_LIMIT} and offset >= 0, got {limit}, {offset}")
    return limit, offset


def _keyset(since: str | None, after: str | None) -> tuple[int | None, str | None]:
    """The (modified_since µs, after_id) filter; an id alone has no place in the order."""
    since_us = None if since is None else parse_instant(since, "modified_since")
    if after is not None and since_us is None:
        raise ValueError("after_id needs modified_since: the keyset is (modified_at, id)")
    return since_us, after


class _FinanceApp:
    """Route handlers bound to one FinanceSandbox."""

    def __init__(self, sb: FinanceSandbox) -> None:
        self.sb = sb

    def _denied(self, request: Request) -> Response | None:
        given = request.headers.get("x-api-key") or request.query_params.get("api_key") or ""
        if hmac.compare_digest(given.encode(), self.sb.api_key.encode()):
            return None
        self.sb.counters["unauthorized"] += 1
        message = "invalid API key" if given else "missing API key: send X-API-Key"
        return json_response(401, {"error": "unauthorized", "message": message})

    async def _guard(self, request: Request) -> tuple[Response | None, bool]:
        denied = self._denied(request)
        if denied is not None:
            return denied, False
        sb = self.sb
        return await fault_gate(sb.faults, sb.fault_draws, sb.counters, _error)

    async def stream(self, request: Request) -> Response:
        name = request.path_params["stream"]
        if name not in STREAMS:
            return json_response(404, {"error": "not_found", "message": f"no stream {name!r}"})
        early, drop = await self._guard(request)
        if early is not None:
            return early
        q = request.query_params
        try:
            limit, offset = _window(q.get("limit"), q.get("offset"))
            since_us, after = _keyset(q.get("modified_since"), q.get("after_id"))
        except ValueError as exc:
            return json_response(400, {"error": "invalid_request", "message": str(exc)})
        items, total = self.sb.page(name, limit, offset, since_us, after_id=after)
        tail = b'],"total":%d,"limit":%d,"offset":%d}' % (total, limit, offset)
        return maybe_drop(b"".join((b'{"items":[', b",".join(items), tail)), drop, self.sb.counters)

    async def create_payment(self, request: Request) -> Response:
        early, drop = await self._guard(request)
        if early is not None:
            return early
        key = request.headers.get("idempotency-key")
        try:
            body = await json_object(request)
            status, record, replayed = self.sb.create_payment(body, key)
        except IdempotencyConflictError as exc:
            return json_response(422, {"error": "idempotency_key_reused", "message": str(exc)})
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": "invalid_request", "message": str(exc)})
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        # A drop after the payment exists is the case idempotency keys are for.
        return maybe_drop(orjson.dumps(record), drop, self.sb.counters, status_code=status,
                          headers=headers)  # fmt: skip

    async def admin(self, request: Request) -> Response:
        sb = self.sb
        views = {"truth": sb.truth, "stats": sb.stats, "faults": sb.faults.as_dict}
        return await admin(request, views, {"mutate": sb.mutate, "faults": self._set_faults})

    def _set_faults(self, **knobs: Any) -> dict[str, Any]:
        return self.sb.set_faults(**knobs).as_dict()

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def build_finance_app(sb: FinanceSandbox) -> Starlette:
    """The Starlette app serving `sb`; admin routes answer loopback clients only."""
    h = _FinanceApp(sb)
    routes = [
        Route("/api/payments", h.create_payment, methods=["POST"]),
        Route("/api/{stream}", h.stream, methods=["GET"]),
        Route("/admin/{action}", h.admin, methods=["GET", "POST"]),
        Route("/health", h.health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])
