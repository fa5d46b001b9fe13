"""Run each timed step in a fresh spawned process, so its peak RSS is its own.

ru_maxrss of a process only ever grows: measuring several methods in one process would
report the largest so far, not each method's. A spawned child starts from a clean interpreter
(no inherited heap, no inherited server handles) and reports its own peak at the end. That
peak is VmHWM, the high-water mark of the child's own address space: Linux carries
ru_maxrss across exec, so a child spawned by a 900 MB parent would report >= 900 MB.
A step may start processes of its own (Canonry maps pages in a worker pool); their summed
RSS is sampled while the step runs and reported next to it.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

import psutil

from bench.model import Job, Measurement

Step = Callable[[Job], Measurement]
_SAMPLE_S = 0.1


def run_isolated(step: Step, job: Job) -> Measurement:
    """``step(job)`` in a new process; its Measurement with the peak RSS figures filled in."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(_measured, step, job).result()


def _measured(step: Step, job: Job) -> Measurement:
    with ChildrenRss() as children:
        result = step(job)
    result.peak_rss_mb = own_peak_rss_mb()
    result.peak_children_rss_mb = children.peak_mb
    return result


def own_peak_rss_mb() -> float:
    """Peak RSS of this process since it started (exec), in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


class ChildrenRss:
    """Peak of the summed RSS of this process's descendants, sampled every 100 ms."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def __repr__(self) -> str:
        return f"<ChildrenRss peak={self.peak_mb:.0f} MB>"

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(_SAMPLE_S):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self) -> ChildrenRss:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
