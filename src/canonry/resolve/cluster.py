"""Deterministic entity resolution: constrained union-find over match keys and pins.

Crosswalk pins are applied first, then each match rule in priority order; an edge is refused
when it would put two different pins, or (unless allowed) two rows of one connection, in one
entity. Inputs are processed in sorted order, so the same rows always give the same entities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

RowKey = tuple[str, str]  # (connection, source_id)


@dataclass(frozen=True)
class Candidate:
    """One live source row as the resolver sees it."""

    row: RowKey
    keys: dict[str, str]  # rule name -> match key
    pin: str | None = None
    exclusive: bool = False


@dataclass
class _Set:
    rows: list[RowKey]
    connections: set[str]
    pin: str | None


@dataclass
class Clusters:
    """The entities found: groups of rows, and why each row joined its group."""

    groups: list[list[RowKey]] = field(default_factory=list)
    matched_by: dict[RowKey, str] = field(default_factory=dict)
    refused: int = 0  # edges a constraint refused (conflicting pins, same-source)


def cluster(
    candidates: Iterable[Candidate], rule_order: Sequence[str], *, allow_same_source: bool
) -> Clusters:
    """Group ``candidates`` into entities; ``rule_order`` is the match rules' priority."""
    rows = sorted(candidates, key=lambda c: c.row)
    parent: dict[RowKey, RowKey] = {c.row: c.row for c in rows}
    sets = {c.row: _Set([c.row], {c.row[0]}, c.pin) for c in rows}
    out = Clusters()

    def find(x: RowKey) -> RowKey:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: RowKey, b: RowKey, reason: str, *, forced: bool) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        sa, sb = sets[ra], sets[rb]
        clash = sa.pin is not None and sb.pin is not None and sa.pin != sb.pin
        same_source = not allow_same_source and bool(sa.connections & sb.connections)
        if clash or (same_source and not forced):
            out.refused += 1
            return
        if len(sa.rows) < len(sb.rows) or (len(sa.rows) == len(sb.rows) and rb < ra):
            ra, rb, sa, sb = rb, ra, sb, sa
        parent[rb] = ra
        sa.rows += sb.rows
        sa.connections |= sb.connections
        sa.pin = sa.pin or sb.pin
        del sets[rb]
        for row in (a, b):
            out.matched_by.setdefault(row, reason)

    by_pin: dict[str, list[RowKey]] = defaultdict(list)
    for c in rows:
        if c.pin is not None:
            by_pin[c.pin].append(c.row)
    for pin in sorted(by_pin):
        first, *rest = by_pin[pin]
        out.matched_by[first] = "crosswalk"
        for row in rest:
            union(first, row, "crosswalk", forced=True)
    for rule in rule_order:
        by_key: dict[str, list[RowKey]] = defaultdict(list)
        for c in rows:
            key = c.keys.get(rule)
            if key is not None and not c.exclusive:
                by_key[key].append(c.row)
        for key in sorted(by_key):
            first, *rest = by_key[key]
            for row in rest:
                union(first, row, f"rule:{rule}", forced=False)
    out.groups = sorted(sorted(s.rows) for s in sets.values())
    for group in out.groups:
        for row in group:
            out.matched_by.setdefault(row, "unmatched" if len(group) == 1 else "crosswalk")
    return out
