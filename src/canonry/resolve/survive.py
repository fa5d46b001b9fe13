"""Survivorship: one value per field from an entity's linked rows, and why it won.

The lineage kept per field is everything needed to explain the choice later without
re-running it: the rule, the winning row, and every competing row's value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from canonry.resolve.cluster import RowKey
from canonry.resolve.rules import EntityRules, Survivorship

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Member:
    """A linked source row: its values and the source's own change time."""

    row: RowKey
    values: dict[str, Any]
    changed_at: dt.datetime | None


def json_value(value: Any) -> Any:
    """Canonical column values as JSON data (Decimal as text keeps its exact digits)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _ranker(priority: Sequence[str]) -> Any:
    rank = {name: i for i, name in enumerate(priority)}
    return lambda m: (rank.get(m.row[0], len(rank)), m.row)


def choose(
    rule: Survivorship, field: str, members: Sequence[Member], priority: Sequence[str]
) -> Member | None:
    """The winning row for ``field`` under ``rule`` (None: no row has a value)."""
    ranked = sorted(members, key=_ranker(priority))
    if rule is Survivorship.SOURCE_PRIORITY:
        return ranked[0] if ranked else None
    present = [m for m in ranked if m.values.get(field) is not None]
    if not present:
        return None
    if rule is Survivorship.MOST_RECENT:
        # sorted() is stable: among equal times, priority order decides.
        return sorted(present, key=lambda m: m.changed_at or _EPOCH, reverse=True)[0]
    return present[0]


def survive(rules: EntityRules, members: Sequence[Member]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, lineage) of the golden record of ``members``, per the entity's rules."""
    data: dict[str, Any] = {}
    lineage: dict[str, Any] = {}
    for lead in rules.lead_fields():
        spec = rules.rule_for(lead)
        winner = choose(spec.rule, lead, members, spec.sources or rules.sources)
        for field in (lead, *spec.together):
            value = None if winner is None else json_value(winner.values.get(field))
            data[field] = value
            lineage[field] = {
                "rule": spec.rule.value if field == lead else f"together:{lead}",
                "winner": None if winner is None else list(winner.row),
                "candidates": [
                    [m.row[0], m.row[1], json_value(m.values.get(field))] for m in members
                ],
            }
    return data, lineage
