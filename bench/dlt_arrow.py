"""dlt's documented fast path: a resource yielding Arrow tables, merge on id.

Our code does what dlt's ``rest_api`` would otherwise do row by row: fetch each page (httpx,
OAuth2 client credentials, cursor pages), flatten and type it (``bench.flat``), and hand
dlt one ``pyarrow.Table`` per page, so dlt's normalize skips per-row Python work. Incremental
on ``updated_at`` as a timestamp column. Needs dlt and pyarrow (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from bench.dlt_steps import timed_load
from bench.flat import NAMES, flatten, typed
from bench.model import CLIENT_ID, CLIENT_SECRET, FULL, PAGE_SIZE, Job, Measurement

PIPELINE = "bench_hr_arrow"
DATASET = "dlt_arrow"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def arrow_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("dlt", "pyarrow"))


def dlt_arrow_step(job: Job) -> Measurement:
    """Full load (fresh pipeline state) or incremental load (state kept) into PostgreSQL."""
    seconds, extra, _ = timed_load(
        job, PIPELINE, DATASET, lambda dlt: _resource(dlt, job.sandbox_url)
    )
    return Measurement(seconds, job.n if job.phase == FULL else job.changed, extra)


def _to_arrow(page: list[dict[str, Any]]) -> Any:
    import pyarrow as pa  # noqa: PLC0415 - optional dependency

    columns = list(zip(*(typed(flatten(r)) for r in page), strict=True))
    arrays = []
    for name, values in zip(NAMES, columns, strict=True):
        if name == "salary_amount":
            arrays.append(pa.array([None if v is None else float(v) for v in values]))
        elif name in ("created_at", "updated_at"):
            arrays.append(pa.array(values, pa.timestamp("us", tz="UTC")))
        else:
            arrays.append(pa.array(values, pa.string()))
    return pa.Table.from_arrays(arrays, names=list(NAMES))


def _resource(dlt: Any, base_url: str) -> Any:
    @dlt.resource(name="employees", primary_key="id", write_disposition="merge")  # type: ignore[misc]
    def employees(
        updated_at: Any = dlt.sources.incremental("updated_at", initial_value=EPOCH),  # noqa: B008 - dlt's API
    ) -> Iterator[Any]:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            token = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(CLIENT_ID, CLIENT_SECRET),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            params = {"limit": str(PAGE_SIZE), "updated_since": updated_at.start_value.isoformat()}
            while True:
                body = orjson.loads(
                    client.get("/v1/employees", params=params, headers=headers).content
                )
                if body["data"]:
                    yield _to_arrow(body["data"])
                cursor = body["meta"]["next_cursor"]
                if not cursor:
                    return
                params["cursor"] = cursor

    return employees()
