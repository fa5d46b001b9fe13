"""Pages of departments as a mapping worker would hand them to the writer (replayed: raw page 1)."""

from __future__ import annotations

import datetime as dt

from canonry.canonical import Department
from canonry.mapping import Tombstone, entity_columns
from canonry.store.copyfmt import encode_rows
from canonry.store.page import PageWrite


def department_page(
    names: dict[str, str],
    updated_at: dt.datetime,
    tombstones: list[Tombstone] | None = None,
    *,
    update_times: bool = True,
    **times: dt.datetime,
) -> PageWrite:
    """Departments ``{source_id: name}`` changed at ``updated_at`` (or at ``times[source_id]``),
    shipped with their update times unless ``update_times=False`` (as while inserting)."""
    columns = entity_columns(Department)
    rows = []
    for index, (source_id, name) in enumerate(names.items()):
        at = times.get(source_id, updated_at)
        entity = Department(source_id=source_id, name=name, source_updated_at=at)
        rows.append((*(entity.__dict__[c] for c in columns), index))
    staged = encode_rows(Department, rows, update_times=update_times) if rows else None
    return PageWrite(
        "departments", None, 1, updated_at, len(rows), staged, tombstones or [], [], None
    )
