"""The sandbox HR source in its own process (its CPU must not share our GIL), on 127.0.0.1.

The parent drives it through a pipe: mutate (then re-warm, so the next sync is timed
against pre-serialised records, not record generation), digest of the ground truth, stop.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

import orjson

from bench.check import Digest, digest, record_row
from bench.isolate import own_peak_rss_mb
from bench.model import CLIENT_ID, CLIENT_SECRET, PAGE_SIZE, SEED
from canonry.sandbox import HRSandbox, SandboxServer

_START_TIMEOUT_S = 600.0


class SandboxProcess:
    """A warmed HRSandbox of ``n`` employees served from a child process."""

    def __init__(self, n: int, seed: int = SEED) -> None:
        self.n = n
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(n, seed, child), name=f"sandbox-{n}")
        self._proc.start()
        child.close()
        if not self._conn.poll(_START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"the sandbox of {n:,} employees did not start in time")
        self.url: str = self._call("url")
        self.rss_mb: float = self._call("rss")

    def __repr__(self) -> str:
        return f"<SandboxProcess n={self.n:,} pid={self._proc.pid} {self.url}>"

    @property
    def pid(self) -> int:
        return self._proc.pid or 0

    def _call(self, command: str, arg: Any = None) -> Any:
        if command != "url":
            self._conn.send((command, arg))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"sandbox {command} failed: {value}")
        return value

    def mutate(self, updates: int) -> int:
        """Update ``updates`` distinct live employees; returns how many were updated."""
        result: int = self._call("mutate", updates)
        return result

    def digest(self) -> Digest:
        """Digest of the records the sandbox serves now (its live ground truth)."""
        count, sha = self._call("digest")
        return Digest(count, sha)

    def stop(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(("stop", None))
            self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=10)
        self._conn.close()


def _serve(n: int, seed: int, conn: Connection) -> None:
    """Child: build, warm and serve the sandbox; answer commands until told to stop."""
    try:
        sb = HRSandbox(seed=seed, employees=n, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        sb.warm()
        server = SandboxServer(sb, host="127.0.0.1", port=0).start()
    except Exception as exc:
        conn.send(("error", repr(exc)))
        return
    conn.send(("ok", server.url))
    try:
        _loop(sb, conn)
    finally:
        server.stop()


def _loop(sb: HRSandbox, conn: Connection) -> None:
    while True:
        command, arg = conn.recv()
        if command == "stop":
            return
        try:
            conn.send(("ok", _answer(sb, command, arg)))
        except Exception as exc:
            conn.send(("error", repr(exc)))


def _answer(sb: HRSandbox, command: str, arg: Any) -> Any:
    if command == "mutate":
        updated = len(sb.mutate(updates=int(arg))["updated"])
        sb.warm()
        return updated
    if command == "digest":
        d = digest(sorted(_live_rows(sb)))
        return d.count, d.sha256
    if command == "rss":
        return own_peak_rss_mb()
    raise ValueError(f"unknown sandbox command {command!r}")


def _live_rows(sb: HRSandbox) -> list[Any]:
    """Every live record as the feed serves it (latest version of each), as check rows."""
    rows = []
    cursor = None
    while True:
        page, cursor = sb.employee_page(PAGE_SIZE, cursor, None)
        rows.extend(record_row(rec) for rec in map(orjson.loads, page) if not rec.get("deleted"))
        if cursor is None:
            return rows
