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


class _Entities:
    """Union-find over rows whose unions respect the pin and same-source constraints."""

    def __init__(self, rows: Sequence[Candidate], allow_same_source: bool, out: Clusters) -> None:
        self.parent: dict[RowKey, RowKey] = {c.row: c.row for c in rows}
        self.sets = {c.row: _Set([c.row], {c.row[0]}, c.pin) for c in rows}
        self.allow_same_source = allow_same_source
        self.out = out

    def find(self, x: RowKey) -> RowKey:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: RowKey, b: RowKey, reason: str, *, forced: bool) -> bool:
        """Join a's and b's entities unless a constraint forbids it; True: now one entity."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sa, sb = self.sets[ra], self.sets[rb]
        clash = sa.pin is not None and sb.pin is not None and sa.pin != sb.pin
        same_source = not self.allow_same_source and bool(sa.connections & sb.connections)
        if clash or (same_source and not forced):
            self.out.refused += 1
            return False
        if len(sa.rows) < len(sb.rows) or (len(sa.rows) == len(sb.rows) and rb < ra):
            ra, rb, sa, sb = rb, ra, sb, sa
        self.parent[rb] = ra
        sa.rows += sb.rows
        sa.connections |= sb.connections
        sa.pin = sa.pin or sb.pin
        del self.sets[rb]
        for row in (a, b):
            self.out.matched_by.setdefault(row, reason)
        return True

    def join_group(self, group: Sequence[RowKey], reason: str) -> None:
        """Join each row to the first earlier row a constraint allows (a duplicate at one
        source must not stop a third row from joining the other)."""
        for i, row in enumerate(group[1:], 1):
            for earlier in group[:i]:
                if self.union(earlier, row, reason, forced=False):
                    break


def cluster(
    candidates: Iterable[Candidate], rule_order: Sequence[str], *, allow_same_source: bool
) -> Clusters:
    """Group ``candidates`` into entities; ``rule_order`` is the match rules' priority."""
    rows = sorted(candidates, key=lambda c: c.row)
    out = Clusters()
    entities = _Entities(rows, allow_same_source, out)
    by_pin: dict[str, list[RowKey]] = defaultdict(list)
    for c in rows:
        if c.pin is not None:
            by_pin[c.pin].append(c.row)
    for pin in sorted(by_pin):
        first, *rest = by_pin[pin]
        out.matched_by[first] = "crosswalk"
        for row in rest:
            entities.union(first, row, "crosswalk", forced=True)
    for rule in rule_order:
        by_key: dict[str, list[RowKey]] = defaultdict(list)
        for c in rows:
            key = c.keys.get(rule)
            if key is not None and not c.exclusive:
                by_key[key].append(c.row)
        for key in sorted(by_key):
            entities.join_group(by_key[key], f"rule:{rule}")
    out.groups = sorted(sorted(s.rows) for s in entities.sets.values())
    for group in out.groups:
        for row in group:
            out.matched_by.setdefault(row, "unmatched" if len(group) == 1 else "crosswalk")
    return out
