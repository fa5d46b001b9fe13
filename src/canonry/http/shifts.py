"""Noticing when an offset (or page-number) walk's feed changed under it, so a skipped
record is not silent.

Offsets are evaluated against the order as of each request: when a record changes mid-walk
(moves to the end) or the filtered list grows or shrinks, the records after it shift and one
can slide past a page boundary unread. The walk cannot tell *which* record it missed, but it
can tell that the hazard happened: the reported total changed, or a record it already read
came back. Each such walk counts once in ``PlumbingStats.offset_shifts`` (kept with the run's
record); ``KeysetPagination`` avoids the hazard, a ``--full`` sync repairs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canonry.sdk.pagination import OffsetPagination, PageNumberPagination, Paginator
from canonry.sdk.paths import get_path

MAX_KEYS = 1_000_000
"""Record keys remembered per walk (about 60 MB); beyond, only the total is watched."""


class ShiftWatch:
    """Watches one offset walk's totals and record keys; ``shifted`` once the feed moved."""

    def __init__(self, pager: Paginator, primary_key: str) -> None:
        self._total_path = pager.total_path if isinstance(pager, OffsetPagination) else None
        self.active = isinstance(pager, OffsetPagination | PageNumberPagination)
        self._key = primary_key
        self._first_total: Any = None
        self._seen: set[int] = set()  # hashes of ids, not the ids: a third of the memory
        self.shifted = ""

    def __repr__(self) -> str:
        state = f"shifted: {self.shifted}" if self.shifted else f"{len(self._seen)} keys, steady"
        return f"<ShiftWatch {state}>" if self.active else "<ShiftWatch off>"

    def check(self, body: Any, records: Sequence[Any]) -> bool:
        """Note one page; True the first time it shows that the feed shifted mid-walk."""
        if not self.active or self.shifted:
            return False
        total = get_path(body, self._total_path) if self._total_path else None
        if total is not None:
            if self._first_total is None:
                self._first_total = total
            elif total != self._first_total:
                self.shifted = f"the total changed from {self._first_total} to {total}"
        for record in records if len(self._seen) < MAX_KEYS else ():
            key = get_path(record, self._key)
            if key is None:
                continue
            h = hash(str(key))
            if h in self._seen and not self.shifted:
                self.shifted = f"record {key!r} came back after it was read"
            self._seen.add(h)
        return bool(self.shifted)
