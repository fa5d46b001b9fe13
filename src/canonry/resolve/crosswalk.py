"""Manual crosswalk overrides: what a data steward knows that no match rule can.

``link`` says rows are one entity (even with nothing in common); ``split`` says a row is an
entity of its own, whatever the rules think. Both take effect at the next resolution, which
re-resolves only the entities those rows touch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from canonry.errors import ConfigError, NotFoundError
from canonry.store import golden as store
from canonry.store.connections import get_connection
from canonry.store.database import Conn

SourceRef = tuple[str, str]  # (connection name, source id)


def parse_ref(text: str) -> SourceRef:
    """``connection:source_id`` (the source id may itself contain colons)."""
    connection, sep, source_id = text.partition(":")
    if not sep or not connection or not source_id:
        raise ConfigError(f"{text!r} is not CONNECTION:SOURCE_ID (e.g. hr:E0000042)")
    return connection, source_id


async def _row(conn: Conn, ref: SourceRef) -> tuple[int, str]:
    record = await get_connection(conn, ref[0])
    return record.id, ref[1]


async def link(conn: Conn, entity: str, refs: Sequence[SourceRef], note: str | None = None) -> str:
    """Pin ``refs`` to one label (reusing one they already carry); returns the label."""
    if len(refs) < 2:
        raise ConfigError("link needs at least two rows, e.g. hr:E0000042 payroll:PR-0001234")
    rows = [await _row(conn, ref) for ref in refs]
    pins = await store.pins_of(conn, entity, rows)
    labels = sorted({pin for pin, exclusive in pins.values() if not exclusive})
    if len(labels) > 1:
        raise ConfigError(
            f"these rows are already pinned to different entities ({', '.join(labels)}); "
            "unpin one side first with `canonry golden unpin`"
        )
    label = labels[0] if labels else f"link:{uuid.uuid4().hex[:12]}"
    for row in rows:
        await store.set_pin(conn, entity, row, label, note=note)
    return label


async def split(conn: Conn, entity: str, ref: SourceRef, note: str | None = None) -> str:
    """Make ``ref`` an entity of its own: no rule will match it with anything."""
    row = await _row(conn, ref)
    label = f"split:{ref[0]}:{ref[1]}"
    await store.set_pin(conn, entity, row, label, exclusive=True, note=note)
    return label


async def unpin(conn: Conn, entity: str, ref: SourceRef) -> str:
    """Remove a row's override; the rules alone decide again."""
    label = await store.remove_pin(conn, entity, await _row(conn, ref))
    if label is None:
        raise NotFoundError(f"{ref[0]}:{ref[1]} has no crosswalk override for {entity}")
    return label
