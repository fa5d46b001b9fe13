"""Correctness: every method's final table against the sandbox's ground truth.

A digest is the count of live ids and a sha256 over (id, updated_at as epoch µs, first name,
last name, status) sorted by id: fields every method stores unchanged from the source, so the
canonical store (typed, normalised) and the raw flattened tables are comparable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
CheckRow = tuple[str, int, str, str, str]

# (id, updated_at, first name, last name, status) of each method's table, live rows only.
QUERIES: dict[str, sql.Composable] = {
    "canonry": sql.SQL(
        "SELECT e.source_id, e.source_updated_at, e.first_name, e.last_name, e.status"
        ' FROM canonry.employee e WHERE NOT e.deleted ORDER BY e.source_id COLLATE "C"'
    ),
    "flat": sql.SQL(
        "SELECT id, updated_at, first_name, last_name, status FROM bench.employees"
        ' ORDER BY id COLLATE "C"'
    ),
    "dlt_arrow": sql.SQL(
        "SELECT id, updated_at, first_name, last_name, status"
        ' FROM dlt_arrow.employees ORDER BY id COLLATE "C"'
    ),
    "dlt_rest_api": sql.SQL(
        "SELECT id, updated_at::timestamptz, name__first, name__last, status"
        ' FROM dlt_bench.employees ORDER BY id COLLATE "C"'
    ),
}


@dataclass(frozen=True)
class Digest:
    count: int
    sha256: str

    def __str__(self) -> str:
        return f"{self.count:,} ids, sha256 {self.sha256[:12]}"


def epoch_us(at: dt.datetime) -> int:
    return (at - EPOCH) // _US


def digest(rows: Iterable[CheckRow]) -> Digest:
    """Digest of rows already sorted by id."""
    h = hashlib.sha256()
    count = 0
    for row in rows:
        h.update("\x1f".join(map(str, row)).encode())
        h.update(b"\n")
        count += 1
    return Digest(count, h.hexdigest())


def record_row(record: dict[str, Any]) -> CheckRow:
    """The check row of one source record (as the sandbox serves it)."""
    at = dt.datetime.fromisoformat(record["updated_at"])
    name = record["name"]
    return (record["id"], epoch_us(at), name["first"], name["last"], record["status"])


def _rows(url: str, query: sql.Composable) -> Iterator[CheckRow]:
    with psycopg.connect(url) as conn, conn.cursor(name="bench_check") as cur:
        cur.itersize = 10_000
        cur.execute(query)
        for r in cur:
            yield (r[0], epoch_us(r[1]), r[2], r[3], r[4])


def table_digest(url: str, query: sql.Composable) -> Digest:
    """Digest of one method's table, streamed with a server-side cursor."""
    return digest(_rows(url, query))


def differing_ids(a: tuple[str, sql.Composable], b: tuple[str, sql.Composable]) -> list[str]:
    """Ids whose check rows differ between two tables (url, query), sorted."""
    left = {r[0]: r for r in _rows(*a)}
    right = {r[0]: r for r in _rows(*b)}
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


def dead_letters(url: str) -> tuple[int, str | None]:
    """Canonry's open dead letters: how many, and the first reason."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), min(reason) FROM canonry.dead_letters WHERE status = 'open'"
        ).fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


def compare(truth: Digest, found: dict[str, Digest]) -> dict[str, str]:
    """What differs from the truth, by method; empty when everything matches."""
    problems = {}
    for method, got in found.items():
        if got.count != truth.count:
            problems[method] = f"{got.count:,} live ids, expected {truth.count:,}"
        elif got.sha256 != truth.sha256:
            problems[method] = f"same {got.count:,} ids but the values differ"
    return problems
