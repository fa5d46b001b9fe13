"""Medians over runs, ratios to the reference methods, and the one table (rich) or JSON."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.model import EMPTY_1, FULL, INCR_1, INCR_10, REPLAY, REPLAY_END, Row

REFERENCES = {"dlt": "dlt_rest_api", "lean": "lean", "limit": "limit_copy_upsert"}
# Which phase of a reference a row is compared with; rows of other phases get no ratio.
_COMPARED = {FULL: FULL, INCR_10: INCR_10, INCR_1: INCR_1, REPLAY: FULL, REPLAY_END: FULL}


@dataclass(frozen=True)
class Summary:
    """One row after its runs are reduced to medians."""

    row: Row
    records: int
    seconds: float
    seconds_min: float
    seconds_max: float
    peak_rss_mb: float
    peak_children_rss_mb: float

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def summarize(row: Row) -> Summary | None:
    if not row.runs:
        return None
    secs = [m.seconds for m in row.runs]
    return Summary(
        row=row,
        records=row.runs[-1].records,
        seconds=statistics.median(secs),
        seconds_min=min(secs),
        seconds_max=max(secs),
        peak_rss_mb=statistics.median(m.peak_rss_mb for m in row.runs),
        peak_children_rss_mb=statistics.median(m.peak_children_rss_mb for m in row.runs),
    )


def ratios(rows: list[Row]) -> dict[tuple[str, str, int], dict[str, float | None]]:
    """Per row: its records/s divided by each reference's records/s in the same phase."""
    done = {(r.family, r.phase, r.n): summarize(r) for r in rows}
    out: dict[tuple[str, str, int], dict[str, float | None]] = {}
    for key, mine in done.items():
        _, phase, n = key
        out[key] = {}
        for label, ref_family in REFERENCES.items():
            ref = done.get((ref_family, _COMPARED.get(phase, ""), n))
            if mine is None or ref is None or ref.records_per_s <= 0:
                out[key][label] = None
            else:
                out[key][label] = mine.records_per_s / ref.records_per_s
    return out


def empty_store_ratio(rows: list[Row], n: int) -> tuple[float, float, int] | None:
    """Canonry's 1 % incremental seconds, the empty-store seconds for as many records, and
    that record count (the target: incremental <= 1.5x the empty-store time)."""
    found = {r.phase: summarize(r) for r in rows if r.family == "canonry" and r.n == n}
    incr, empty = found.get(INCR_1), found.get(EMPTY_1)
    if incr is None or empty is None:
        return None
    return incr.seconds, empty.seconds, incr.records


def empty_store_line(rows: list[Row]) -> str | None:
    if not rows or (got := empty_store_ratio(rows, rows[0].n)) is None:
        return None
    incr, empty, records = got
    return (
        f"canonry incremental 1% at N={rows[0].n:,}: {incr:.2f} s for {records:,} changed"
        f" records; the same number into an empty store: {empty:.2f} s -> {incr / empty:.2f}x"
        " (target <= 1.5x)"
    )


def arrow_line(rows: list[Row]) -> str | None:
    """Canonry's full sync against dlt fed with Arrow tables (the target: at least 2x)."""
    full = {r.family: summarize(r) for r in rows if r.phase == FULL and r.runs}
    mine, arrow = full.get("canonry"), full.get("dlt_arrow")
    if mine is None or arrow is None or arrow.records_per_s <= 0:
        return None
    ratio = mine.records_per_s / arrow.records_per_s
    return (
        f"canonry full sync at N={rows[0].n:,}: {mine.records_per_s:,.0f} records/s; dlt fed"
        f" with Arrow tables: {arrow.records_per_s:,.0f}/s -> {ratio:.2f}x (target >= 2x)"
    )


def replay_ratios(rows: list[Row], n: int) -> list[float]:
    """Each round's replay rate ÷ the same round's full-sync rate (measured just before)."""
    found = {r.phase: r for r in rows if r.family == "canonry" and r.n == n}
    full, replay = found.get(FULL), found.get(REPLAY)
    if full is None or replay is None:
        return []
    pairs = zip(full.runs, replay.runs, strict=False)
    return [r.records_per_s / f.records_per_s for f, r in pairs if f.records_per_s > 0]


def replay_line(rows: list[Row]) -> str | None:
    """The replay against the full sync, round by round (the target: at least 1.5x)."""
    if not rows or not (each := replay_ratios(rows, rows[0].n)):
        return None
    rounds = ", ".join(f"{x:.2f}" for x in each)
    return (
        f"canonry replay at N={rows[0].n:,} ÷ the full sync just before it:"
        f" {statistics.median(each):.2f}x, by round {rounds} (target >= 1.5x)"
    )


def as_dicts(rows: list[Row], checks: dict[int, str]) -> list[dict[str, Any]]:
    """The rows as JSON objects (medians; n/a rows carry a note and null figures)."""
    table = ratios(rows)
    out = []
    for row in rows:
        s = summarize(row)
        r = table[(row.family, row.phase, row.n)]
        versus = empty_store_ratio(rows, row.n) if row.method == "canonry_incr_1pct" else None
        by_round = replay_ratios(rows, row.n) if row.method == "canonry_replay" else []
        out.append(
            {
                "method": row.method,
                "family": row.family,
                "phase": row.phase,
                "n": row.n,
                "runs": len(row.runs),
                "records": s.records if s else None,
                "seconds": s.seconds if s else None,
                "seconds_min": s.seconds_min if s else None,
                "seconds_max": s.seconds_max if s else None,
                "records_per_s": s.records_per_s if s else None,
                "ratio_dlt": r["dlt"],
                "ratio_lean": r["lean"],
                "ratio_limit": r["limit"],
                "peak_rss_mb": s.peak_rss_mb if s else None,
                "peak_children_rss_mb": s.peak_children_rss_mb if s else None,
                "vs_empty_store": versus[0] / versus[1] if versus else None,
                "vs_full_sync_by_round": by_round or None,
                "note": row.note,
                "check": checks.get(row.n),
                "extra": row.runs[-1].extra if row.runs else {},
            }
        )
    return out


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _rss(s: Summary) -> str:
    """Peak RSS of the step's process, plus its worker processes' summed peak if it had any."""
    text = f"{s.peak_rss_mb:,.0f}"
    if s.peak_children_rss_mb >= 1:
        text += f" (+{s.peak_children_rss_mb:,.0f} workers)"
    return text


def render(rows: list[Row], console: Console) -> None:
    """The table: one line per method and size, medians over runs."""
    t = Table(title="Canonry sync benchmark (medians; ratios = records/s ÷ the reference's)")
    for name in ("method", "N", "records", "seconds", "records/s"):
        t.add_column(name, justify="left" if name == "method" else "right")
    for name in ("÷ dlt", "÷ lean", "÷ limit", "peak RSS MB"):
        t.add_column(name, justify="right")
    table = ratios(rows)
    for row in rows:
        s = summarize(row)
        if s is None:
            t.add_row(row.method, f"{row.n:,}", "", Text(row.note or "n/a"), *[""] * 5)
            continue
        r = table[(row.family, row.phase, row.n)]
        spread = f" ({s.seconds_min:.2f}-{s.seconds_max:.2f})" if len(row.runs) > 1 else ""
        t.add_row(
            row.method,
            f"{row.n:,}",
            f"{s.records:,}",
            f"{s.seconds:.2f}{spread}",
            f"{s.records_per_s:,.0f}",
            _num(r["dlt"], ".2f"),
            _num(r["lean"], ".2f"),
            _num(r["limit"], ".2f"),
            _rss(s),
        )
    console.print(t)
