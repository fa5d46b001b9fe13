"""Where Canonry's full sync spends its time, stage by stage.

    python -m bench.profile --n 200000
    py-spy record -r 200 -f raw -o /tmp/canonry.txt -- python -m bench.profile --n 200000
    python -m bench.stacks /tmp/canonry.txt

The sync runs in this process (the sandbox in its own), with timers wrapped around the
engine's stage functions from outside (src/ is untouched). Decoding, mapping, archiving and
encoding are plain functions on the event loop's thread: their times are exact and add up.
Writing and waiting for pages are coroutines that overlap each other. CPU seconds of this
process, of the PostgreSQL server and of the sandbox during the step say who was busy.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import psycopg
from cryptography.fernet import Fernet

from bench.canonry_steps import canonry_step, replay_step
from bench.model import FULL, Job
from bench.pg import BenchServer
from bench.sandbox import SandboxProcess
from canonry.config import default_mapping_workers

TIMES: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
# (stage, module, attribute, kind, what). Sync stages run on the event loop's thread without
# interleaving, so their times are exact and exclusive; async ones overlap the other task.
PATCHES = (
    ("peek", "canonry.http.client", "decode", "sync",
     "validate + index each body with simdjson (cursor, count)"),
    ("typed", "canonry.sync.worker", "map_body", "sync",
     "validate + decode into structs + map, pages that map cleanly (inline)"),
    ("decode", "canonry.sync.worker", "orjson", "module",
     "orjson.loads of each body the typed path declines (inline)"),
    ("map", "canonry.sync.worker", "map_records", "sync", "those records -> Employee rows"),
    ("archive", "canonry.sync.worker", "archive_body", "sync", "zstd compress + sha256"),
    ("encode", "canonry.sync.worker", "encode_rows", "sync", "rows -> COPY payload + digests"),
    ("write", "canonry.store.writer", "PageWriter.write", "async",
     "raw page + COPY + upsert + watermark + commit (overlaps fetching)"),
    ("  raw", "canonry.store.writer", "PageWriter._insert_raw", "async",
     "of write: the raw page's insert [wall]"),
    ("  upsert", "canonry.store.writer", "PageWriter._upsert_rows", "async",
     "of write: COPY into the stage + INSERT ... ON CONFLICT [wall]"),
    ("  refresh", "canonry.store.writer", "record_step", "async",
     "of write: seen ids + checkpoint [wall]"),
    ("  count", "canonry.store.writer", "PageWriter._count", "async",
     "of write: run counters + watermark [wall]"),
    ("reconcile", "canonry.sync.engine", "reconcile", "async",
     "unseen rows -> deleted, at the walk's end (nothing overlaps it) [wall]"),
    ("wait", "canonry.sync.pipeline", "_next", "async",
     "writer waits for the next queued page (overlaps writing)"),
    ("  worker", "canonry.sync.pool", "PagePreparer.submit", "future",
     "of the rest: writer waits for a page its worker still prepares [wall]"),
)  # fmt: skip
SYNC_STAGES = ("peek", "typed", "decode", "map", "archive", "encode")


def _timed_sync(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[name] += time.perf_counter() - t0
            CALLS[name] += 1

    return wrapper


def _timed_async(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            TIMES[name] += time.perf_counter() - t0
            CALLS[name] += 1

    return wrapper


class _TimedAwait:
    """Stands in for a prepared page's future: times how long its awaiter waits for it."""

    def __init__(self, name: str, future: Any) -> None:
        self._name, self._future = name, future

    def __await__(self) -> Any:
        t0 = time.perf_counter()
        try:
            return (yield from self._future.__await__())
        finally:
            TIMES[self._name] += time.perf_counter() - t0
            CALLS[self._name] += 1


def _timed_future(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _TimedAwait(name, fn(*args, **kwargs))

    return wrapper


class _TimedModule:
    """Stands in for a module (orjson) inside one importer only; ``loads`` is timed."""

    def __init__(self, module: Any, stage: str) -> None:
        self._module = module
        self.loads = _timed_sync(stage, module.loads)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def install_timers() -> list[str]:
    """Wrap the engine's stage functions where they are looked up; returns what is missing
    (the engine changes: a renamed function is reported, not fatal)."""
    missing = []
    for stage, module_name, attr, kind, _ in PATCHES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        original = getattr(owner, name, None)
        if original is None:
            missing.append(f"{module_name}.{attr}")
            continue
        wrap = {
            "sync": _timed_sync, "async": _timed_async, "future": _timed_future,
            "module": _TimedModule,
        }[kind]  # fmt: skip
        setattr(owner, name, wrap(original, stage) if kind == "module" else wrap(stage, original))
    return missing


def _cpu(proc: psutil.Process) -> float | None:
    try:
        t = proc.cpu_times()
    except psutil.Error:
        return None
    return t.user + t.system


class _CPUSampler(threading.Thread):
    """CPU seconds of each process group during the step, sampled by pid every 50 ms.

    Per pid, not per parent: backends and mapping workers come and go during a step, and a
    parent's ``children_*`` times only count children it has reaped. A process that ends
    between two samples loses at most its last 50 ms. The process tree is read again every
    0.5 s only: walking it every 50 ms cost 3.5% of the machine's CPU in a 1M profile.
    """

    REFRESH_EVERY = 10  # samples

    def __init__(self, sandbox: int, postmaster: int) -> None:
        super().__init__(daemon=True)
        self._sandbox, self._postmaster = sandbox, postmaster
        self._base: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._known: list[tuple[str, psutil.Process]] = []
        self._done = threading.Event()
        self._sample(baseline=True)

    def _groups(self) -> list[tuple[str, psutil.Process]]:
        me = psutil.Process()
        out = [("client (this process)", me)]
        for proc in me.children(recursive=True):
            if proc.pid == self._sandbox:
                out.append(("sandbox", proc))
            else:
                out.append(("mapping workers", proc))  # and the forkserver that starts them
        with contextlib.suppress(psutil.Error):
            pm = psutil.Process(self._postmaster)
            out += [("postgresql (all)", p) for p in (pm, *pm.children())]
        return out

    def _sample(self, *, baseline: bool = False, refresh: bool = True) -> None:
        if refresh or not self._known:
            self._known = self._groups()
        for group, proc in self._known:
            seconds = _cpu(proc)
            if seconds is None:
                continue
            if baseline:
                self._base[proc.pid] = seconds
            self._last[proc.pid] = (group, seconds)

    def run(self) -> None:
        ticks = 0
        while not self._done.wait(0.05):
            ticks += 1
            self._sample(refresh=ticks % self.REFRESH_EVERY == 0)

    def totals(self) -> dict[str, float]:
        self._done.set()
        self.join()
        self._sample()
        out = dict.fromkeys(
            ("client (this process)", "postgresql (all)", "sandbox", "mapping workers"), 0.0
        )
        for pid, (group, seconds) in self._last.items():
            out[group] += seconds - self._base.get(pid, 0.0)
        return out


def _wal_lsn(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def _wal_since(url: str, lsn: str) -> int:
    """Bytes of WAL the server wrote since ``lsn`` (every database, background included)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (lsn,)).fetchone()
    assert row is not None
    return int(row[0])


def report(
    wall: float, cpu: dict[str, float], missing: list[str], workers: int = 0,
    what: str = "full sync (run_sync", wal_bytes: int | None = None,
) -> None:  # fmt: skip
    print(f"\nCanonry {what}, workers={workers}), wall {wall:.2f} s")
    print(f"{'stage':<8} {'seconds':>8} {'share':>6} {'calls':>7}  what")
    for stage, _, _, kind, what in PATCHES:
        share = TIMES[stage] / wall if wall else 0.0
        mark = "" if kind != "async" or "[wall]" in what else " [wall, overlapping]"
        print(f"{stage:<8} {TIMES[stage]:8.2f} {share:6.1%} {CALLS[stage]:7d}  {what}{mark}")
    rest = wall - sum(TIMES[s] for s in SYNC_STAGES)
    print(f"{'rest':<8} {rest:8.2f} {rest / wall:6.1%}          wall minus the exclusive stages:")
    print(" " * 33 + "HTTP, psycopg, event loop, waiting on PostgreSQL/sandbox")
    for name in missing:
        print(f"(not timed: {name} no longer exists)")
    print("\nCPU seconds during the step (2 cores shared by all of them):")
    for who, seconds in cpu.items():
        print(f"  {who:<22} {seconds:7.2f} s  ({seconds / wall:5.1%} of one core)")
    total = sum(cpu.values())
    print(f"  {'all':<22} {total:7.2f} s  ({total / wall:5.1%} of one core)")
    if wal_bytes is not None:
        print(f"\nWAL written during the step: {wal_bytes / 2**20:,.1f} MB")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--n", type=int, default=200_000, help="records in the sandbox")
    p.add_argument(
        "--workers", type=int, default=None,
        help="Canonry's mapping processes (default: as the CLI's: CPUs - 1, CPUs to replay)",
    )  # fmt: skip
    p.add_argument(
        "--replay", action="store_true",
        help="profile a replay of the archive instead (after an untimed full sync)",
    )  # fmt: skip
    args = p.parse_args(argv)
    if args.workers is None:
        args.workers = default_mapping_workers(replay=args.replay)
    home = Path(tempfile.mkdtemp(prefix="canonry-profile-"))
    server = BenchServer(home)
    sandbox = SandboxProcess(args.n)
    try:
        url = server.fresh_database("bench_profile")
        job = Job(
            args.n, FULL, url, sandbox.url, 0, Fernet.generate_key().decode(), str(home),
            args.workers,
        )  # fmt: skip
        if args.replay:
            canonry_step(job)  # the archive to replay, not profiled
        missing = install_timers()
        wal_at = _wal_lsn(url)
        sampler = _CPUSampler(sandbox.pid, server.pid)
        sampler.start()
        result = replay_step(job) if args.replay else canonry_step(job)
        cpu = sampler.totals()
        what = "replay" if args.replay else "full sync (run_sync"
        report(result.seconds, cpu, missing, args.workers, what, _wal_since(url, wal_at))
    finally:
        sandbox.stop()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
