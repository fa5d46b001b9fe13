"""HTTP plumbing every sandbox app shares: JSON responses, dropped bodies, faults, admin.

Each fake system keeps its own auth and paging (that is what makes it realistic), but the ways
a server misbehaves and the loopback admin hooks are the same everywhere, so they live here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from canonry.sandbox._gen import EPOCH
from canonry.sandbox.faults import FaultConfig, FaultDraws, retry_after_header

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# "…T10:00:00 05:30": a '+' offset that arrived unencoded in a query string became a space.
_SPACE_OFFSET = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s(\d{2}(?::?\d{2})?)$")


class InjectedDrop(Exception):  # noqa: N818 - names the event, it is not an error of ours
    """Raised after a partial body so the server aborts the connection (drop_rate fault)."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging our deliberate connection drops as application errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_DROP_FILTER = _QuietDrops()
logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)


class DroppedResponse(Response):
    """Sends headers (with the full Content-Length) and half the body, then aborts."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        half = bytes(self.body[: len(self.body) // 2])
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise InjectedDrop("connection dropped by fault injection")


class CountRequests:
    """Per-path request counters for stats(); pure ASGI so it sees every request."""

    def __init__(self, app: ASGIApp, requests: Counter[str]) -> None:
        self.app, self.requests = app, requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests[scope["path"]] += 1
        await self.app(scope, receive, send)


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def parse_instant(value: str, name: str = "updated_since") -> int:
    """ISO-8601 to epoch µs; naive means UTC (as the APIs document), space-for-'+' tolerated."""
    text = value.strip()
    m = _SPACE_OFFSET.match(text)
    if m:
        text = f"{m[1]}+{m[2]}"
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid {name} {value!r}: expected ISO-8601") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return (at - EPOCH) // dt.timedelta(microseconds=1)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (empty body = {}); TypeError/ValueError otherwise."""
    payload = orjson.loads(await request.body() or b"{}")
    if not isinstance(payload, dict):
        raise TypeError("expected a JSON object")
    return payload


async def inject_latency(cfg: FaultConfig, counters: Counter[str]) -> None:
    """The latency_ms fault: every guarded request waits this long first."""
    if cfg.latency_ms > 0:
        counters["fault:latency"] += 1
        await asyncio.sleep(cfg.latency_ms / 1000)


def draw_fault(
    cfg: FaultConfig,
    draws: FaultDraws,
    counters: Counter[str],
    error_body: Callable[[int], Any],
) -> tuple[Response | None, bool]:
    """One seeded draw: (an injected 429/5xx response or None, drop the body?)."""
    decision = draws.draw(cfg)
    if decision.status == 429:
        counters["fault:rate_limit"] += 1
        retry = retry_after_header(cfg, time.time())
        headers = {"Retry-After": retry} if retry else None
        return json_response(429, error_body(429), headers), False
    if decision.status is not None:
        counters[f"fault:http_{decision.status}"] += 1
        return json_response(decision.status, error_body(decision.status)), False
    return None, decision.drop


async def fault_gate(
    cfg: FaultConfig,
    draws: FaultDraws,
    counters: Counter[str],
    error_body: Callable[[int], Any],
) -> tuple[Response | None, bool]:
    """Latency, then one seeded draw, for APIs that authenticate before misbehaving."""
    await inject_latency(cfg, counters)
    return draw_fault(cfg, draws, counters, error_body)


def maybe_drop(body: bytes, drop: bool, counters: Counter[str], **kw: Any) -> Response:
    """The normal response, or (drop fault) half of it followed by an aborted connection."""
    if drop:
        counters["fault:drop"] += 1
        return DroppedResponse(body, media_type="application/json", **kw)
    return Response(body, media_type="application/json", **kw)


Views = Mapping[str, Callable[[], Any]]
Actions = Mapping[str, Callable[..., Any]]


async def admin(request: Request, views: Views, actions: Actions) -> Response:
    """Loopback-only GET views (truth, stats, faults) and POST actions (mutate, faults)."""
    if (request.client.host if request.client else "") not in LOOPBACK:
        return json_response(403, {"error": "admin endpoints are loopback-only"})
    name = request.path_params["action"]
    if request.method == "GET":
        view = views.get(name)
        return json_response(200, view()) if view else json_response(404, {"error": "not found"})
    action = actions.get(name)
    if action is None:
        return json_response(404, {"error": "not found"})
    try:
        result = action(**(await json_object(request)))
    except (ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})
    return json_response(200, result)
