"""Time passing in the fake ERP: new and edited master data, invoice lifecycles, payments.

Kept apart from the state class so the lifecycle rules read in one place: invoices move
draft -> open -> paid | void; deletes are soft (the record stays in the feed, is_deleted=true).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from canonry.sandbox.finance_records import (
    customer_record,
    invoice_record,
    payment_record,
    vendor_record,
)

if TYPE_CHECKING:
    from canonry.sandbox.finance_data import FinanceSandbox

Record = dict[str, Any]
Changes = dict[str, dict[str, list[str]]]
_NEXT_STATUS: Final = {"draft": ("open",), "open": ("paid", "paid", "void"), "paid": ("paid",)}
_DELETABLE: Final = ("vendors", "customers", "invoices", "payments")


class Mutator:
    """Applies one mutate() call's events in a shuffled, seeded order."""

    def __init__(self, sb: FinanceSandbox, rng: random.Random) -> None:
        self.sb, self.rng = sb, rng
        self.seen: dict[str, dict[str, set[str]]] = {
            name: {"created": set(), "updated": set(), "deleted": set()} for name in sb.streams
        }

    def run(self, counts: dict[str, int]) -> Changes:
        events = [name for name, n in counts.items() for _ in range(n)]
        self.rng.shuffle(events)
        for name in events:
            now = self.sb.advance(self.rng)
            handler = {
                "vendors": self._party,
                "customers": self._party,
                "invoices": self._invoice,
                "payments": self._payment,
                "deletes": self._delete,
            }[name]
            handler(name, now)
        return self._result()

    def _result(self) -> Changes:
        out: Changes = {}
        for name, kinds in self.seen.items():
            deleted = kinds["deleted"]
            created = kinds["created"] - deleted
            updated = kinds["updated"] - deleted - created
            out[name] = {"created": sorted(created), "updated": sorted(updated)}
            out[name]["deleted"] = sorted(deleted)
        return out

    def _pick(self, stream: str, pred: Callable[[Record], bool] | None = None) -> str | None:
        """A random live id passing `pred`: rejection sampling first, a full scan if unlucky.

        Sampling keeps a large mutate() call linear instead of scanning every record per event.
        """
        entries = self.sb.streams[stream].entries
        keys = list(entries)
        if not keys:
            return None

        def ok(rid: str) -> bool:
            e = entries[rid]
            return not e.deleted and (pred is None or pred(e.record))

        for _ in range(64):
            rid = self.rng.choice(keys)
            if ok(rid):
                return rid
        live = [rid for rid in keys if ok(rid)]
        return self.rng.choice(live) if live else None

    def _party(self, stream: str, now: int) -> None:
        s, seed = self.sb.streams[stream], self.sb.seed
        render = vendor_record if stream == "vendors" else customer_record
        rid = self._pick(stream)
        if rid is None or self.rng.random() < 0.3:
            rec = render(seed, len(s.entries), now)
            s.put(rec["id"], rec, now)
            self.seen[stream]["created"].add(rec["id"])
            return
        entry = s.entries[rid]
        rec = render(seed, int(rid[4:]) - 1, now, entry.version + 1)
        s.put(rid, rec, now)
        self.seen[stream]["updated"].add(rid)

    def _invoice(self, stream: str, now: int) -> None:
        rid = self._pick(stream, lambda r: r["status"] in _NEXT_STATUS)
        if rid is None or self.rng.random() < 0.4:
            self._new_invoice(now)
            return
        rec = self.sb.streams[stream].entries[rid].record
        status = self.rng.choice(_NEXT_STATUS[rec["status"]])
        self.sb.touch(stream, rid, rec, now, status=status)
        self.seen[stream]["updated"].add(rid)

    def _new_invoice(self, now: int) -> None:
        streams, seed = self.sb.streams, self.sb.seed
        is_sale = self.rng.random() < 0.65
        party_id = self._pick("customers" if is_sale else "vendors")
        if party_id is None:  # every counterparty is deleted: bill the first one anyway
            party_id = "VEN-00001" if not is_sale else "CUS-00001"
        party = int(party_id[4:]) - 1
        idx = len(streams["invoices"].entries)
        rec = invoice_record(seed, idx, now, now, party, is_sale=is_sale)
        rec["status"] = self.rng.choice(("draft", "open", "open"))
        streams["invoices"].put(rec["id"], rec, now)
        self.seen["invoices"]["created"].add(rec["id"])

    def _payment(self, stream: str, now: int) -> None:
        streams = self.sb.streams
        rid = self._pick("invoices", lambda r: r["status"] == "open")
        if rid is None:
            rid = self._pick("invoices", lambda r: r["status"] != "void")
        if rid is None:
            return
        inv = streams["invoices"].entries[rid].record
        idx = len(streams[stream].entries)
        rec = payment_record(self.sb.seed, idx, inv, int(inv["total_minor"]), now)
        streams[stream].put(rec["id"], rec, now)
        self.seen[stream]["created"].add(rec["id"])

    def _delete(self, _: str, now: int) -> None:
        sizes = [len(self.sb.streams[name].entries) for name in _DELETABLE]
        stream = self.rng.choices(_DELETABLE, sizes)[0] if any(sizes) else _DELETABLE[0]
        rid = self._pick(stream)
        if rid is None:
            return
        rec = self.sb.streams[stream].entries[rid].record
        self.sb.touch(stream, rid, rec, now, is_deleted=True)
        self.seen[stream]["deleted"].add(rid)
