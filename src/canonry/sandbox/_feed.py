"""One stream of a fake API: current record per id, ordered by (changed_at, id).

Every change re-keys the record at the (forward-only) clock, so it moves to the end of the
order: a "changed since" feed is append-only in time, tombstones included. Records are kept as
dicts plus their cached JSON bytes; the sandboxes that use this are sized in thousands.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import Any

import orjson

Record = dict[str, Any]


@dataclass
class Entry:
    """The current version of one record and what is needed to serve and judge it."""

    record: Record
    changed_us: int
    version: int = 0
    deleted: bool = False
    raw: bytes = field(default=b"", repr=False)


class Stream:
    """Records of one endpoint, ordered by (changed_us, id) for paging and since-filters."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entries: dict[str, Entry] = {}
        self._keys: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        live = sum(not e.deleted for e in self.entries.values())
        return f"<Stream {self.name} [{live} live | {len(self) - live} deleted]>"

    def put(self, rid: str, record: Record, changed_us: int, *, deleted: bool = False) -> Entry:
        """Insert or replace `rid`, moving it to its new place in the order."""
        old = self.entries.get(rid)
        if old is not None:
            del self._keys[bisect_left(self._keys, (old.changed_us, rid))]
        version = 0 if old is None else old.version + 1
        raw = memoryview(orjson.dumps(record)).tobytes()
        entry = Entry(record, changed_us, version, deleted, raw)
        self.entries[rid] = entry
        insort(self._keys, (changed_us, rid))
        return entry

    def start(self, since_us: int | None, *, inclusive: bool = True) -> int:
        """Position of the first record changed at/after (or strictly after) since_us."""
        if since_us is None:
            return 0
        if inclusive:
            return bisect_left(self._keys, (since_us, ""))
        return bisect_right(self._keys, (since_us, "\U0010ffff"))

    def after_key(self, key: tuple[int, str]) -> int:
        """Position just past `key` (a keyset cursor), whether or not it still exists."""
        return bisect_right(self._keys, key)

    def key_at(self, pos: int) -> tuple[int, str]:
        return self._keys[pos]

    def ids(self, start: int, stop: int) -> list[str]:
        return [rid for _, rid in self._keys[start:stop]]

    def live(self) -> dict[str, Entry]:
        return {k: e for k, e in sorted(self.entries.items()) if not e.deleted}

    def deleted(self) -> list[str]:
        return sorted(k for k, e in self.entries.items() if e.deleted)
