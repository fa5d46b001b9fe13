"""One page, prepared for the store: what a mapping worker hands the writer.

Kept apart from ``writer`` so worker processes import it without psycopg's connection code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from canonry.archive import ArchivedPage
from canonry.mapping import DeadLetter, Tombstone
from canonry.store.copyfmt import StagedRows


@dataclass(frozen=True)
class PageWrite:
    """Everything one page contributes to the store, ready to apply in one transaction.

    ``archived`` is the raw page to store with it; a replayed page has ``raw_page_id``
    instead (it is in the archive already). ``rows`` are the staging rows as a binary COPY
    stream (see ``copyfmt``), built where the mapping ran.
    """

    stream: str
    archived: ArchivedPage | None
    raw_page_id: int | None
    observed_at: dt.datetime
    fetched: int
    rows: StagedRows | None
    tombstones: list[Tombstone]
    dead: list[DeadLetter]
    max_cursor: dt.datetime | None

    @property
    def row_ids(self) -> list[str]:
        """Source ids of the page's rows (not its tombstones), one each."""
        return [] if self.rows is None else self.rows.ids
