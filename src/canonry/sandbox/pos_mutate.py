"""Time passing in the fake POS: orders rung up and closed, menu prices changed, items retired.

Kept apart from the state class so the rules read in one place: orders go OPEN -> COMPLETED |
CANCELED and keep the prices they were rung up with; retired catalog items stay in the feed as
tombstones (is_deleted=true) and are never sold again.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from canonry.sandbox.pos_records import close_order, item_record, order_record, utc_text

if TYPE_CHECKING:
    from canonry.sandbox.pos_data import POSSandbox

Changes = dict[str, dict[str, list[str]]]


class POSMutator:
    """Applies one mutate() call's events in a shuffled, seeded order."""

    def __init__(self, sb: POSSandbox, rng: random.Random) -> None:
        self.sb, self.rng = sb, rng
        self.created: set[str] = set()
        self.updated: set[str] = set()
        self.repriced: set[str] = set()
        self.retired: set[str] = set()

    def run(self, counts: dict[str, int]) -> Changes:
        events = [name for name, n in counts.items() for _ in range(n)]
        self.rng.shuffle(events)
        handlers = {
            "orders": self._new_order,
            "state_changes": self._close_one,
            "prices": self._reprice,
            "item_deletes": self._retire_item,
        }
        for name in events:
            handlers[name](self.sb.advance(self.rng))
        return {
            "orders": {
                "created": sorted(self.created),
                "updated": sorted(self.updated - self.created),
            },
            "catalog_items": {
                "updated": sorted(self.repriced - self.retired),
                "deleted": sorted(self.retired),
            },
        }

    def _live_items(self) -> list[int]:
        entries = self.sb.streams["catalog_items"].entries
        return [i for i, rid in enumerate(self.sb.item_ids) if not entries[rid].deleted]

    def _new_order(self, now: int) -> None:
        s = self.sb.streams
        locs = [e.record for e in s["locations"].entries.values()]
        items = [s["catalog_items"].entries[self.sb.item_ids[i]].record for i in self._live_items()]
        idx = len(s["orders"].entries)
        loc = self.rng.choice(locs)
        rec = order_record(self.sb.seed, idx, loc, items, now, scale=self.sb.scale)
        s["orders"].put(rec["id"], rec, now)
        self.created.add(rec["id"])

    def _close_one(self, now: int) -> None:
        orders = self.sb.streams["orders"]
        open_ = sorted(k for k, e in orders.entries.items() if e.record["state"] == "OPEN")
        if not open_:
            return
        rid = self.rng.choice(open_)
        rec = orders.entries[rid].record
        tz = self.sb.streams["locations"].entries[rec["location_id"]].record["timezone"]
        state = "CANCELED" if self.rng.random() < 0.15 else "COMPLETED"
        orders.put(rid, close_order(rec, state, now, tz), now)
        self.updated.add(rid)

    def _reprice(self, now: int) -> None:
        idx = self.rng.choice(self._live_items())
        prices = self.sb.prices[idx]
        k = self.rng.randrange(len(prices))
        prices[k] = max(1, prices[k] * self.rng.randint(90, 125) // 100)
        items, rid = self.sb.streams["catalog_items"], self.sb.item_ids[idx]
        version = items.entries[rid].version + 1
        rec = item_record(self.sb.seed, idx, prices, now, self.sb.currency, version=version)
        items.put(rid, rec, now)
        self.repriced.add(rid)

    def _retire_item(self, now: int) -> None:
        live = self._live_items()
        if len(live) <= 1:  # a restaurant with nothing to sell cannot ring up orders
            return
        items, rid = self.sb.streams["catalog_items"], self.sb.item_ids[self.rng.choice(live)]
        rec = items.entries[rid].record
        tombstone = {**rec, "is_deleted": True, "updated_at": utc_text(now)}
        tombstone["version"] = now // 1000 + items.entries[rid].version + 1
        items.put(rid, tombstone, now, deleted=True)
        self.retired.add(rid)
