"""The same workload through dlt: rest_api source, merge on id, incremental on updated_at.

dlt is optional (``pip install -e '.[bench]'``); without it the rows say n/a. Extract,
normalize and load are called one after another (what ``pipeline.run()`` does) so each
phase can be reported; ``seconds`` is their sum. dlt's import is not timed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.model import CLIENT_ID, CLIENT_SECRET, FULL, PAGE_SIZE, Job, Measurement
from bench.pg import checkpoint

PIPELINE = "bench_hr"
DATASET = "dlt_bench"
INITIAL = "1970-01-01T00:00:00Z"
NOT_INSTALLED = "n/a (pip install -e '.[bench]')"


def dlt_available() -> bool:
    return importlib.util.find_spec("dlt") is not None


def latest(values: Any) -> Any:
    """The newest ISO-8601 timestamp *as an instant*.

    The sandbox spells updated_at with varying UTC offsets; dlt's default ``max`` compares
    the strings as text, which orders "…T09:00+09:00" after "…T01:00Z" and so drops records
    at the boundary. This last_value_func keeps the string but compares instants.
    """
    return max(values, key=dt.datetime.fromisoformat)


def dlt_step(job: Job) -> Measurement:
    """Full load (fresh pipeline state) or incremental load (state kept) into PostgreSQL."""
    seconds, extra, info = timed_load(job, PIPELINE, DATASET, lambda dlt: _source(job.sandbox_url))
    loaded = _rows_loaded(job.db_url, info.loads_ids[-1] if info.loads_ids else None)
    extra["loaded"] = loaded
    return Measurement(seconds, loaded if job.phase == FULL else job.changed, extra)


def timed_load(
    job: Job, pipeline_name: str, dataset: str, make_source: Callable[[Any], Any]
) -> tuple[float, dict[str, Any], Any]:
    """One dlt run into the job's database: (seconds, per-phase seconds, load info).

    Extract, normalize and load are called one after another (what ``pipeline.run()``
    does) so each phase is timed; a full load starts from dropped pipeline state.
    ``make_source`` gets the dlt module (imported here, untimed: it is optional).
    """
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    import dlt  # noqa: PLC0415 - optional dependency, imported only when it is installed

    pipelines_dir = Path(job.workdir) / "dlt"
    if job.phase == FULL:
        shutil.rmtree(pipelines_dir / pipeline_name, ignore_errors=True)
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=dlt.destinations.postgres(credentials=_credentials(job.db_url)),
        dataset_name=dataset,
    )
    source = make_source(dlt)
    checkpoint(job.db_url)
    t0 = time.perf_counter()
    pipeline.extract(source)
    t1 = time.perf_counter()
    pipeline.normalize()
    t2 = time.perf_counter()
    info = pipeline.load()
    t3 = time.perf_counter()
    if info.has_failed_jobs:
        raise RuntimeError(f"dlt load had failed jobs: {info}")
    return t3 - t0, {"extract_s": t1 - t0, "normalize_s": t2 - t1, "load_s": t3 - t2}, info


def _source(base_url: str) -> Any:
    from dlt.sources.rest_api import rest_api_source  # noqa: PLC0415 - optional dependency

    auth = {
        "type": "oauth2_client_credentials",
        "access_token_url": f"{base_url}/oauth/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    paginator = {"type": "cursor", "cursor_path": "meta.next_cursor", "cursor_param": "cursor"}
    incremental = {
        "start_param": "updated_since",
        "cursor_path": "updated_at",
        "initial_value": INITIAL,
        "last_value_func": latest,
    }
    return rest_api_source(
        {
            "client": {"base_url": base_url, "auth": auth, "paginator": paginator},
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "employees",
                    "endpoint": {
                        "path": "v1/employees",
                        "data_selector": "data",
                        "params": {"limit": PAGE_SIZE},
                        "incremental": incremental,
                    },
                }
            ],
        }
    )


def _credentials(url: str) -> str:
    """A URL dlt accepts for a libpq URL; a unix-socket directory goes in the query."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    user, password = info.get("user", "postgres"), info.get("password") or ""
    host, port, dbname = info.get("host", "localhost"), info.get("port") or "5432", info["dbname"]
    if str(host).startswith("/"):
        query = urllib.parse.urlencode({"host": host})
        return f"postgresql://{user}:{password}@localhost:{port}/{dbname}?{query}"
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


def _rows_loaded(url: str, load_id: str | None) -> int:
    if load_id is None:
        return 0
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {DATASET}.employees WHERE _dlt_load_id = %s", (load_id,)
        ).fetchone()
    return int(row[0]) if row else 0
