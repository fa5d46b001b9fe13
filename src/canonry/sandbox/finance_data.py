"""The fake ERP's state: five streams ordered by (modified_at, id), a clock, idempotent POSTs.

Paging is by OFFSET, evaluated against each stream's order *as of each request*, like real
accounting APIs: if a record changes mid-walk it moves to the end of the order, every later
record shifts one position forward, and a plain offset walk skips one record. A safe sync
therefore walks by keyset instead (`modified_since` + `after_id`: strictly after the last
record read); the tests show both effects.
"""

from __future__ import annotations

import random
import threading
import zlib
from collections import Counter
from typing import Any, Final

import orjson

from canonry.sandbox._feed import Entry, Stream
from canonry.sandbox._gen import MICROS, MUTATION_EPOCH_US, Bits, mix64
from canonry.sandbox.faults import FaultConfig, FaultDraws
from canonry.sandbox.finance_malform import kinds_for, malform
from canonry.sandbox.finance_mutate import Mutator
from canonry.sandbox.finance_payments import IdempotencyStore, PaymentRequest
from canonry.sandbox.finance_records import (
    account_record,
    customer_record,
    invoice_record,
    modified_at,
    payment_record,
    vendor_record,
)

STREAMS: Final = ("vendors", "customers", "invoices", "payments", "accounts")
_START_US: Final = 1_672_531_200 * MICROS  # 2023-01-01T00:00:00Z
_YEAR_S: Final = 365 * 86_400
# Initial invoice statuses, in per-mille: paid, open, draft, void.
_STATUS: Final = (("paid", 550), ("open", 300), ("draft", 80), ("void", 70))
Record = dict[str, Any]


def _slots(seed: int, tag: str, n: int) -> list[int]:
    """Distinct modification times (µs, whole seconds) over 2023, shuffled across indexes."""
    order = list(range(n))
    random.Random(f"{seed}:{tag}").shuffle(order)
    out = [0] * n
    for k, idx in enumerate(order):
        lo, hi = k * _YEAR_S // n, (k + 1) * _YEAR_S // n
        out[idx] = _START_US + (lo + mix64(seed, k, len(tag)) % max(hi - lo, 1)) * MICROS
    return out


def _status(seed: int, idx: int) -> str:
    roll = mix64(seed, idx, 5) % 1000
    for status, weight in _STATUS:
        if roll < weight:
            return status
        roll -= weight
    raise AssertionError("unreachable")  # pragma: no cover


def _age_us(seed: int, invoice_idx: int) -> int:
    """How long before its initial modification an invoice was issued (0-60 days)."""
    return (mix64(seed, invoice_idx, 6) % (60 * 86_400)) * MICROS


class FinanceSandbox:
    """A deterministic fake ERP; finance_app serves it, tests drive it from Python too."""

    def __init__(
        self,
        seed: int = 42,
        *,
        vendors: int = 300,
        customers: int = 500,
        invoices: int = 5000,
        payments: int = 4000,
        accounts: int = 80,
        api_key: str = "fin-demo-key",
        faults: FaultConfig | None = None,
    ) -> None:
        for name, n in (("vendors", vendors), ("customers", customers), ("accounts", accounts)):
            if not 1 <= n <= 99_999:
                raise ValueError(f"{name} must be in [1, 99999], got {n}")
        if not 0 <= invoices <= 999_999 or not 0 <= payments <= 999_999:
            raise ValueError("invoices and payments must be in [0, 999999]")
        if payments and not invoices:
            raise ValueError("payments need invoices to pay; pass invoices >= 1")
        self.seed = seed
        self.api_key = api_key
        self.faults = faults if faults is not None else FaultConfig()
        self.fault_draws = FaultDraws(seed)
        self.counters: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.streams = {name: Stream(name) for name in STREAMS}
        self.idempotency = IdempotencyStore()
        self._lock = threading.RLock()
        self._mutations = 0
        self._build(vendors, customers, invoices, payments, accounts)
        last = max(e.changed_us for s in self.streams.values() for e in s.entries.values())
        self._clock_us = max(last, MUTATION_EPOCH_US)

    def __repr__(self) -> str:
        sizes = " | ".join(f"{n} {len(s)}" for n, s in self.streams.items())
        return f"<FinanceSandbox seed={self.seed} [{sizes}] mutations={self._mutations}>"

    def _build(self, nv: int, nc: int, ni: int, np_: int, na: int) -> None:
        seed, s = self.seed, self.streams
        for idx, us in enumerate(_slots(seed, "acc", na)):
            rec = account_record(idx, us, Bits(b"%d:fa:%d" % (seed, idx)))
            s["accounts"].put(rec["id"], rec, us)
        for idx, us in enumerate(_slots(seed, "ven", nv)):
            s["vendors"].put(*self._vendor(idx, us))
        for idx, us in enumerate(_slots(seed, "cus", nc)):
            s["customers"].put(*self._customer(idx, us))
        by_status: dict[str, list[Record]] = {"paid": [], "open": []}
        for idx, us in enumerate(_slots(seed, "inv", ni)):
            is_sale = mix64(seed, idx, 3) % 1000 < 650
            party = mix64(seed, idx, 4) % (nc if is_sale else nv)
            rec = invoice_record(seed, idx, us - _age_us(seed, idx), us, party, is_sale=is_sale)
            rec["status"] = _status(seed, idx)
            s["invoices"].put(rec["id"], rec, us)
            by_status.get(rec["status"], []).append(rec)
        self._initial_payments(np_, by_status["paid"], by_status["open"])

    def _initial_payments(self, n: int, paid: list[Record], open_: list[Record]) -> None:
        """Paid invoices get one full payment each; the rest are partial payments on open ones.

        Each payment falls between its invoice's issue and its last modification.
        """
        invoices = self.streams["invoices"]
        pool = open_ or paid or [e.record for e in invoices.entries.values()]
        for idx in range(n):
            if idx < len(paid):
                inv, share = paid[idx], 1
            else:
                j = idx - len(paid)
                inv, share = pool[j % len(pool)], 2 + j // len(pool)
            inv_us = invoices.entries[inv["id"]].changed_us
            age = _age_us(self.seed, int(inv["id"][4:]) - 1)
            us = inv_us - (mix64(self.seed, idx, 7) % max(age // MICROS, 1)) * MICROS
            rec = payment_record(self.seed, idx, inv, int(inv["total_minor"]) // share, us)
            self.streams["payments"].put(rec["id"], rec, us)

    def _vendor(self, idx: int, us: int, version: int = 0) -> tuple[str, Record, int]:
        rec = vendor_record(self.seed, idx, us, version)
        return rec["id"], rec, us

    def _customer(self, idx: int, us: int, version: int = 0) -> tuple[str, Record, int]:
        rec = customer_record(self.seed, idx, us, version)
        return rec["id"], rec, us

    # ----------------------------------------------------------------- serving

    def malformed_kind(self, stream: str, rid: str, entry: Entry) -> str | None:
        """The kind this record version is served malformed as, if the knob selects it."""
        kinds = kinds_for(stream)
        if not kinds or entry.deleted:
            return None
        h = mix64(self.seed, zlib.crc32(rid.encode()), entry.version, 99)
        if (h & 0xFFFF) >= int(self.faults.malformed_rate * 0x10000):
            return None
        return kinds[(h >> 16) % len(kinds)]

    def page(
        self,
        stream: str,
        limit: int,
        offset: int,
        since_us: int | None,
        *,
        after_id: str | None = None,
    ) -> tuple[list[bytes], int]:
        """Up to `limit` records (JSON bytes) from `offset` of the filtered order, and the total.

        With `after_id`, the order starts strictly after the keyset (since_us, after_id).
        """
        if stream not in self.streams:
            raise KeyError(stream)
        with self._lock:
            s = self.streams[stream]
            if after_id is not None and since_us is not None:
                start = s.after_key((since_us, after_id))
            else:
                start = s.start(since_us)
            out: list[bytes] = []
            for rid in s.ids(start + offset, start + offset + limit):
                entry = s.entries[rid]
                kind = self.malformed_kind(stream, rid, entry)
                if kind is None:
                    out.append(entry.raw)
                else:
                    self.counters["malformed_served"] += 1
                    out.append(orjson.dumps(malform(stream, entry.record, kind)))
            self.counters["records_served"] += len(out)
            return out, len(s) - start

    def create_payment(self, body: Record, key: str | None) -> tuple[int, Record, bool]:
        """POST /api/payments: (status, body, replayed). Same key + same body replays."""
        with self._lock:
            if key is not None:
                replay = self.idempotency.lookup(key, body)
                if replay is not None:
                    self.counters["idempotent_replays"] += 1
                    return replay[0], replay[1], True
            req = PaymentRequest.parse(body, self.streams["invoices"].entries)
            self._clock_us += MICROS
            payments = self.streams["payments"]
            idx = len(payments.entries)
            inv = self.streams["invoices"].entries[req.invoice_id].record
            rec = payment_record(self.seed, idx, inv, req.amount_minor, self._clock_us, **req.extra)
            payments.put(rec["id"], rec, self._clock_us)
            self.counters["payments_created"] += 1
            if key is not None:
                self.idempotency.store(key, body, 201, rec)
            return 201, rec, False

    # ---------------------------------------------------------------- mutation

    def mutate(
        self,
        vendors: int = 0,
        customers: int = 0,
        invoices: int = 0,
        payments: int = 0,
        deletes: int = 0,
    ) -> dict[str, dict[str, list[str]]]:
        """Let time pass: `n` changes per stream and `deletes` soft deletes, clock forward-only.

        Deterministic from the seed and the number of earlier mutate() calls. Returns, per
        stream, disjoint sorted id lists: created, updated, deleted (the last change wins).
        """
        counts = {"vendors": vendors, "customers": customers, "invoices": invoices}
        counts |= {"payments": payments, "deletes": deletes}
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in counts.values()):
            raise ValueError(f"mutation counts must be integers >= 0, got {counts}")
        with self._lock:
            rng = random.Random(f"{self.seed}:fin-mutation:{self._mutations}")
            self._mutations += 1
            return Mutator(self, rng).run(counts)

    def advance(self, rng: random.Random) -> int:
        """Move the clock forward 1-120 s and return the new now (µs)."""
        self._clock_us += rng.randint(1, 120) * MICROS
        return self._clock_us

    def touch(self, stream: str, rid: str, record: Record, now: int, **changes: Any) -> None:
        """Store a new version of `rid` at `now` with `changes` and a fresh modified_at."""
        s = self.streams[stream]
        version = s.entries[rid].version + 1 if rid in s.entries else 0
        b = Bits(b"%d:%s:%s:%d" % (self.seed, stream.encode(), rid.encode(), version))
        rec = {**record, **changes, "modified_at": modified_at(now, b)}
        s.put(rid, rec, now, deleted=bool(rec.get("is_deleted")))

    # -------------------------------------------------------------- inspection

    def truth(self) -> dict[str, dict[str, Any]]:
        """Per stream: clean live records, soft-deleted ids, malformed ids -> kind."""
        with self._lock:
            out: dict[str, dict[str, Any]] = {}
            for name, s in self.streams.items():
                live = s.live()
                malformed = {
                    rid: kind
                    for rid, e in live.items()
                    if (kind := self.malformed_kind(name, rid, e)) is not None
                }
                out[name] = {
                    "live": {rid: e.record for rid, e in live.items()},
                    "deleted": s.deleted(),
                    "malformed": malformed,
                }
            return out

    def set_faults(self, **knobs: Any) -> FaultConfig:
        """Change fault knobs at runtime (validated, all-or-nothing)."""
        return self.faults.update(**knobs)

    def stats(self) -> dict[str, Any]:
        """Counters for assertions and benchmarks: what was served, injected and created."""
        c = self.counters
        return {
            "requests": dict(self.requests),
            "unauthorized": c["unauthorized"],
            "faults": {k[6:]: v for k, v in c.items() if k.startswith("fault:")},
            "records_served": c["records_served"],
            "malformed_served": c["malformed_served"],
            "payments_created": c["payments_created"],
            "idempotent_replays": c["idempotent_replays"],
            "mutations": self._mutations,
            "records": {name: len(s) for name, s in self.streams.items()},
        }
