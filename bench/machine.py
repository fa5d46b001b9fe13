"""What the figures were measured on: cores, memory, CPU model and software versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe(postgres_version: str) -> dict[str, str]:
    """One line's worth of facts for the report and the docs."""
    return {
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": f"{_memory_gib():.1f} GiB",
        "python": platform.python_version(),
        "postgresql": postgres_version,
        "canonry": _version("canonry"),
        "psycopg": _version("psycopg"),
        "httpx": _version("httpx"),
        "dlt": _version("dlt"),
    }
