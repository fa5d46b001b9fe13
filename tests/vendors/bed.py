"""The vendor test bed: Stoplight Prism serves a vendor's own spec, a scripted proxy of ours
sits in front of it.

Prism answers every request with the vendor's example payload (and, with ``--errors``,
refuses requests the spec forbids: a missing tenant header, a malformed search body, no
credentials). What a spec cannot express, the proxy adds: page sequences that end (Prism
repeats one page and one cursor forever), 429 with ``Retry-After``, 5xx, slow answers, and
the OAuth2 token endpoint. It records every call, so tests can assert what was sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HERE = Path(__file__).parent
SPECS = HERE / "specs"
PRISM = HERE / "node_modules" / ".bin" / "prism"
_REL = HERE.relative_to(HERE.parents[1])
INSTALL = f"npm ci --prefix {_REL} --cache {_REL}/.npm-cache"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_prism() -> Path:
    """Prism from the project-local npm folder, installed from the lock file if missing."""
    if PRISM.exists():
        return PRISM
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"Stoplight Prism is not installed ({PRISM}) and npm is not on PATH; install "
            f"Node.js 18+ and run `{INSTALL}` from the repository root"
        )
    subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], check=True)
    if not PRISM.exists():
        raise RuntimeError(f"`{INSTALL}` ran but {PRISM} is still missing")
    return PRISM


def prism_copy(spec: dict[str, Any], out: Path) -> Path:
    """The spec as Prism gets it: response schemas emptied, examples kept.

    Prism re-validates every answer against its schema, which on Xero's invoice schema
    takes a second per request; our own check (openapi-core over every archived page,
    against the untouched spec) is the response contract, so Prism need not repeat it. It
    still validates every *request* (params, headers, credentials, bodies) with --errors.
    """
    copy = json.loads(json.dumps(spec))
    for item in copy.get("paths", {}).values():
        for op in item.values():
            for answer in (op.get("responses") or {}).values() if isinstance(op, dict) else ():
                for media in (answer.get("content") or {}).values():
                    schema = _resolved(copy, media.get("schema") or {})
                    if "example" in schema and not {"example", "examples"} & set(media):
                        media["example"] = schema["example"]  # Square keeps them on schemas
                    media["schema"] = {}
    out.write_text(json.dumps(copy))
    return out


def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


class Prism:
    """``prism mock --errors`` on a spec, on a free loopback port; started without waiting."""

    def __init__(self, spec: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self._proc = subprocess.Popen(
            [str(ensure_prism()), "mock", "--errors", "-h", "127.0.0.1", "-p", str(self.port),
             str(spec)],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        self._logpath = log

    def wait(self, timeout_s: float = 90.0) -> str:
        """The URL once Prism accepts connections; its log in the error if it never does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                time.sleep(0.1)
        tail = self._logpath.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Prism did not start on {self.url} (exit {self._proc.poll()}):\n{tail}")

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of (or before) forwarding one call."""

    status: int | None = None
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass(frozen=True)
class Call:
    """One request as the proxy received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


Pager = Callable[[Call, Any], Any]
"""Turns Prism's (always identical) answer into the page the call asked for."""


@dataclass
class Script:
    """What the proxy adds: per-path page scripts, faults by (path, nth call), a token URL."""

    pagers: dict[str, Pager] = field(default_factory=dict)
    faults: dict[tuple[str, int], Fault] = field(default_factory=dict)
    token_path: str = "/oauth/token"


class Proxy:
    """The scripted layer in front of Prism, on 127.0.0.1, served from a daemon thread."""

    def __init__(self, upstream: str, script: Script) -> None:
        self.upstream = upstream
        self.script = script
        self.calls: list[Call] = []
        self.faults_sent: Counter[int] = Counter()
        self.tokens_issued = 0
        self.answered = 0
        """Data calls answered 200 by Prism (each one is a page the sync should archive)."""
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        app = Starlette(routes=[
            Route(script.token_path, self._token, methods=["POST"]),
            Route("/{path:path}", self._forward, methods=["GET", "POST"]),
        ])  # fmt: skip
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False,
                                lifespan="off", http="h11", loop="asyncio")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def __enter__(self) -> Proxy:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the scripted proxy did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def data_calls(self, path: str) -> list[Call]:
        """The calls made to ``path`` (faulted ones included)."""
        return [c for c in self.calls if c.path == path]

    async def _token(self, request: Request) -> Response:
        """A refresh-token grant that rotates the refresh token, as Xero's does."""
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("grant_type") not in ("refresh_token", "client_credentials"):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        with self._lock:
            self.tokens_issued += 1
            n = self.tokens_issued
        return JSONResponse({
            "access_token": f"bed-access-{n}", "token_type": "Bearer", "expires_in": 1800,
            "refresh_token": f"bed-refresh-{n}",
        })  # fmt: skip

    async def _forward(self, request: Request) -> Response:
        raw = await request.body()
        call = Call(
            request.method,
            "/" + request.path_params["path"],
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            json.loads(raw) if raw else None,
        )
        with self._lock:
            self.calls.append(call)
            self._seen[call.path] += 1
            nth = self._seen[call.path]
        fault = self.script.faults.get((call.path, nth))
        if fault is not None:
            self.faults_sent[fault.status or 0] += 1
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.status is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return JSONResponse({"fault": fault.status}, fault.status, headers=headers)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "accept-encoding", "connection")
        }
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
            params = list(request.query_params.multi_items())
            got = await client.request(
                request.method, call.path, params=params, content=raw, headers=headers
            )
        if got.status_code == 200:
            with self._lock:
                self.answered += 1
        pager = self.script.pagers.get(call.path)
        if got.status_code != 200 or pager is None:
            return Response(
                got.content, got.status_code, media_type=got.headers.get("content-type")
            )
        return JSONResponse(pager(call, got.json()))
