"""The derived sandboxes over HTTP (payroll, directory, supplier portal), each with its habits.

Payroll: ``X-Payroll-Key`` header, ``?page=&per_page=`` with ``total_pages``, and
``modified_since``. Directory (Okta-style): ``Authorization: SSWS <token>``, a bare JSON
array per page, ``Link: <...>; rel="next"`` with an ``after`` cursor, and
``filter=lastUpdated gt "<ISO>"`` (or, simpler, ``since=<ISO>``). Supplier portal:
``X-Portal-Key``, ``?offset=&limit=`` with ``total``, and ``updated_after``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

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
from canonry.sandbox.people import DirectorySandbox, PayrollSandbox
from canonry.sandbox.suppliers import SupplierPortalSandbox

_MAX_PAGE = 500
_FILTER = re.compile(r'^lastUpdated gt "([^"]+)"$')


def _error(status: int) -> dict[str, str]:
    return {"error": "too_many_requests" if status == 429 else "server_error"}


def _key_ok(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _size(value: str | None, default: int) -> int:
    size = int(value) if value is not None else default
    if not 1 <= size <= _MAX_PAGE:
        raise ValueError(f"page size must be in [1, {_MAX_PAGE}], got {size}")
    return size


def _admin(sb: PayrollSandbox | DirectorySandbox | SupplierPortalSandbox) -> Any:
    async def handler(request: Request) -> Response:
        views = {"truth": sb.truth, "stats": sb.stats, "faults": sb.faults.as_dict}
        return await admin(request, views, {"faults": lambda **k: sb.set_faults(**k).as_dict()})

    return handler


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _key_gate(
    request: Request, sb: PayrollSandbox | SupplierPortalSandbox, header: str
) -> tuple[Response | None, bool]:
    """401 without the API key in ``header``; then latency and a seeded fault draw."""
    if not _key_ok(request.headers.get(header, ""), sb.api_key):
        sb.counters["unauthorized"] += 1
        return json_response(401, {"error": f"invalid or missing {header}"}), False
    return await fault_gate(sb.faults, sb.fault_draws, sb.counters, _error)


def build_payroll_app(sb: PayrollSandbox) -> Starlette:
    async def workers(request: Request) -> Response:
        early, drop = await _key_gate(request, sb, "X-Payroll-Key")
        if early is not None:
            return early
        q = request.query_params
        try:
            page = int(q.get("page", "1"))
            size = _size(q.get("per_page"), 100)
            since = q.get("modified_since")
            rows = sb.feed(None if since is None else parse_instant(since, "modified_since"))
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        if page < 1:
            return json_response(400, {"error": "page starts at 1"})
        chunk = rows[(page - 1) * size : page * size]
        body = {
            "workers": [r.record for r in chunk],
            "page": page,
            "per_page": size,
            "total_pages": max(1, -(-len(rows) // size)),
        }
        sb.counters["records_served"] += len(chunk)
        return maybe_drop(orjson.dumps(body), drop, sb.counters)

    routes = [
        Route("/api/v2/workers", workers, methods=["GET"]),
        Route("/admin/{action}", _admin(sb), methods=["GET", "POST"]),
        Route("/health", _health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])


def _encode_after(changed_us: int, rid: str) -> str:
    return base64.urlsafe_b64encode(f"{changed_us}|{rid}".encode()).decode().rstrip("=")


def _decode_after(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        us, rid = raw.split("|", 1)
        return int(us), rid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"invalid after cursor {cursor!r}") from None


def _since(q: Mapping[str, str]) -> int | None:
    """``since=<ISO>`` or Okta's ``filter=lastUpdated gt "<ISO>"`` (the only filter served)."""
    if "filter" in q:
        m = _FILTER.match(q["filter"])
        if m is None:
            raise ValueError('only filter=lastUpdated gt "<ISO-8601>" is supported')
        return parse_instant(m[1], "filter")
    return None if "since" not in q else parse_instant(q["since"], "since")


def build_directory_app(sb: DirectorySandbox) -> Starlette:
    async def users(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "SSWS" or not _key_ok(token.strip(), sb.api_key):
            sb.counters["unauthorized"] += 1
            body = {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}
            return json_response(401, body)
        early, drop = await fault_gate(sb.faults, sb.fault_draws, sb.counters, _error)
        if early is not None:
            return early
        q = request.query_params
        try:
            size = _size(q.get("limit"), 200)
            rows = sb.feed(_since(q))
            start = 0
            if "after" in q:
                key = _decode_after(q["after"])
                start = next(
                    (i for i, r in enumerate(rows) if (r.changed_us, r.rid) > key), len(rows)
                )
        except ValueError as exc:
            return json_response(400, {"errorCode": "E0000001", "errorSummary": str(exc)})
        chunk = rows[start : start + size]
        headers = {}
        if start + size < len(rows):
            last = chunk[-1]
            params = {**q, "after": _encode_after(last.changed_us, last.rid)}
            headers["Link"] = f'<{request.url.replace(query=urlencode(params))}>; rel="next"'
        sb.counters["records_served"] += len(chunk)
        page = orjson.dumps([r.record for r in chunk])
        return maybe_drop(page, drop, sb.counters, headers=headers)

    routes = [
        Route("/api/v1/users", users, methods=["GET"]),
        Route("/admin/{action}", _admin(sb), methods=["GET", "POST"]),
        Route("/health", _health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])


def build_supplier_app(sb: SupplierPortalSandbox) -> Starlette:
    async def suppliers(request: Request) -> Response:
        early, drop = await _key_gate(request, sb, "X-Portal-Key")
        if early is not None:
            return early
        q = request.query_params
        try:
            offset = int(q.get("offset", "0"))
            size = _size(q.get("limit"), 50)
            since = q.get("updated_after")
            rows = sb.feed(None if since is None else parse_instant(since, "updated_after"))
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        chunk = rows[offset : offset + size]
        body = {"suppliers": [r.record for r in chunk], "total": len(rows)}
        sb.counters["records_served"] += len(chunk)
        return maybe_drop(orjson.dumps(body), drop, sb.counters)

    routes = [
        Route("/api/suppliers", suppliers, methods=["GET"]),
        Route("/admin/{action}", _admin(sb), methods=["GET", "POST"]),
        Route("/health", _health, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(CountRequests, requests=sb.requests)])
