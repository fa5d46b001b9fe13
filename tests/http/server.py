"""A hostile HTTP source on 127.0.0.1 whose every answer the test scripts.

Each route is an async handler the test writes (or a list of canned responses consumed in
order); every request is logged, so tests assert how many reached the server and when.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@dataclass
class Hit:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    at: float


@dataclass
class Script:
    """Routes (path -> handler or canned responses) and the log of what arrived."""

    routes: dict[str, Handler | list[Response]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def count(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        form = {}
        if request.headers.get("content-type", "").startswith("application/x-www-form"):
            form = dict(parse_qsl((await request.body()).decode()))
        self.hits.append(
            Hit(request.method, request.url.path, dict(request.query_params),
                dict(request.headers), form, time.monotonic())
        )  # fmt: skip
        route = self.routes.get(request.url.path)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if route is None:
                response = json({"error": "no such route"}, 404)
            elif isinstance(route, list):
                response = route.pop(0) if len(route) > 1 else route[0]
            else:
                response = await route(request)
        finally:
            self.in_flight -= 1
        await response(scope, receive, send)


class HostileServer:
    """Serves a ``Script`` from a daemon thread; ``url`` is valid inside ``with``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            script, log_level="critical", log_config=None, access_log=False, lifespan="off",
            http="h11", loop="asyncio", timeout_graceful_shutdown=1,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def __enter__(self) -> HostileServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the hostile server did not start"
            time.sleep(0.005)
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
