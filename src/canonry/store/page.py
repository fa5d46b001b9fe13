"""One page, prepared for the store: what a mapping worker hands the writer.

Kept apart from ``writer`` so worker processes import it without psycopg's connection code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from canonry.archive import ArchivedPage
from canonry.mapping import DeadLetter, Tombstone


@dataclass(frozen=True)
class PageWrite:
    """Everything one page contributes to the store, ready to apply in one transaction.

    ``archived`` is the raw page to store with it; a replayed page has ``raw_page_id``
    instead (it is in the archive already). ``copy_payload`` is a binary COPY stream of
    staging rows (see ``copyfmt``), built where the mapping ran.
    """

    stream: str
    archived: ArchivedPage | None
    raw_page_id: int | None
    observed_at: dt.datetime
    fetched: int
    copy_payload: bytes | None
    row_ids: list[str]
    tombstones: list[Tombstone]
    dead: list[DeadLetter]
    max_cursor: dt.datetime | None
