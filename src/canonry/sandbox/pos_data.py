"""The fake restaurant POS's state: locations, a menu, orders, rotating OAuth, a rate limit.

Feeds are ordered by (updated_at, id) and paged with keyset cursors (the last key served), so a
cursor stays valid while data changes: an order updated mid-walk moves to the end and is seen
again later, never skipped. `updated_after` is exclusive, as its name says.
"""

from __future__ import annotations

import base64
import binascii
import copy
import random
import threading
import time
from collections import Counter
from typing import Any, Final

import orjson

from canonry.sandbox._feed import Entry, Stream
from canonry.sandbox._gen import MICROS, MUTATION_EPOCH_US, mix64
from canonry.sandbox._pos_tables import SITE_WEIGHTS
from canonry.sandbox.faults import FaultConfig, FaultDraws
from canonry.sandbox.pos_auth import RotatingRefresh, TokenBucket
from canonry.sandbox.pos_mutate import POSMutator
from canonry.sandbox.pos_records import (
    close_order,
    initial_prices,
    item_record,
    location_record,
    order_record,
    service_time,
)

STREAMS: Final = ("locations", "catalog_items", "orders")
POS_MALFORMED_KINDS: Final = ("quantity_word", "money_string", "missing_state", "bad_timestamp")
_SCALE: Final = {"USD": 100, "JPY": 1, "EUR": 100, "GBP": 100}  # minor units per 100 cents
_START_US: Final = 1_698_796_800 * MICROS  # 2023-11-01T00:00:00Z: two months of history
_SPAN_S: Final = 61 * 86_400
_SERVICE_S: Final = 12 * 3600  # orders are rung up 11:00-23:00 local time
_BAD_CURSOR: Final = "invalid cursor {!r}: follow the Link rel=next URL as given"
Record = dict[str, Any]
Page = tuple[list[bytes], str | None]


class POSSandbox:
    """A deterministic fake POS; pos_app serves it, tests drive it from Python too."""

    def __init__(
        self,
        seed: int = 42,
        *,
        locations: int = 4,
        catalog_items: int = 45,
        orders: int = 5000,
        currency: str = "USD",
        client_id: str = "pos-demo-app",
        client_secret: str = "pos-demo-secret",  # noqa: S107 - documented demo secret
        access_token_ttl_s: float = 900.0,
        rate_limit_per_s: float = 10.0,
        rate_limit_burst: int = 10,
        faults: FaultConfig | None = None,
    ) -> None:
        if not 1 <= locations <= 60 or not 1 <= catalog_items <= 9999 or orders < 0:
            raise ValueError("need 1..60 locations, 1..9999 catalog_items and orders >= 0")
        if currency not in _SCALE:
            raise ValueError(f"currency must be one of {sorted(_SCALE)}, got {currency!r}")
        self.seed, self.currency, self.scale = seed, currency, _SCALE[currency]
        self.auth = RotatingRefresh(seed, client_id, client_secret, access_token_ttl_s)
        self.bucket = TokenBucket(rate_limit_per_s, rate_limit_burst, updated=time.monotonic())
        self.faults = faults if faults is not None else FaultConfig()
        self.fault_draws = FaultDraws(seed)
        self.counters: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.streams = {name: Stream(name) for name in STREAMS}
        self.prices: list[list[int]] = []  # current menu, per catalog item index
        self.item_ids: list[str] = []
        self._lock = threading.RLock()
        self._mutations = 0
        self._build(locations, catalog_items, orders)
        last = max(e.changed_us for s in self.streams.values() for e in s.entries.values())
        self._clock_us = max(last, MUTATION_EPOCH_US)

    @property
    def initial_refresh_token(self) -> str:
        """The refresh token an operator would paste in after authorising the app."""
        return self.auth.initial

    def __repr__(self) -> str:
        sizes = " | ".join(f"{n} {len(s)}" for n, s in self.streams.items())
        return f"<POSSandbox seed={self.seed} [{sizes}] {self.bucket!r}>"

    def _build(self, n_loc: int, n_items: int, n_orders: int) -> None:
        seed, s = self.seed, self.streams
        for idx in range(n_loc):
            opened = _START_US - (idx + 1) * 30 * 86_400 * MICROS
            rec = location_record(seed, idx, opened, self.currency)
            s["locations"].put(rec["id"], rec, _START_US - (n_loc - idx) * MICROS)
        for idx in range(n_items):
            self.prices.append(initial_prices(seed, idx, self.scale))
            us = _START_US - (mix64(seed, idx, 0x1) % (300 * 86_400)) * MICROS
            rec = item_record(seed, idx, self.prices[idx], us, self.currency)
            self.item_ids.append(rec["id"])
            s["catalog_items"].put(rec["id"], rec, us)
        locs = [e.record for e in s["locations"].entries.values()]
        weights = [SITE_WEIGHTS[i % len(SITE_WEIGHTS)] for i in range(n_loc)]
        rng = random.Random(f"{seed}:pos-orders")
        items = [e.record for e in s["catalog_items"].entries.values()]
        end_us = _START_US + _SPAN_S * MICROS
        for idx in range(n_orders):
            loc = rng.choices(locs, weights)[0]
            day = idx * _SPAN_S // 86_400 // max(n_orders, 1)
            created = service_time(day, rng.randrange(_SERVICE_S), loc["timezone"])
            rec = order_record(seed, idx, loc, items, created, scale=self.scale)
            done = created + rng.randint(15 * 60, 100 * 60) * MICROS
            if done < end_us - 86_400 * MICROS or rng.random() < 0.3:
                state = "CANCELED" if rng.random() < 0.05 else "COMPLETED"
                rec = close_order(rec, state, done, loc["timezone"])
            s["orders"].put(rec["id"], rec, done if rec["closed_at"] else created)

    # ----------------------------------------------------------------- serving

    def malformed_kind(self, rid: str, entry: Entry) -> str | None:
        """Orders only: the kind this version is served malformed as, if the knob selects it."""
        h = mix64(self.seed, int.from_bytes(rid.encode()[:8], "little"), entry.version, 99)
        if (h & 0xFFFF) >= int(self.faults.malformed_rate * 0x10000):
            return None
        return POS_MALFORMED_KINDS[(h >> 16) % len(POS_MALFORMED_KINDS)]

    def _served(self, stream: str, rid: str, entry: Entry) -> bytes:
        kind = self.malformed_kind(rid, entry) if stream == "orders" else None
        if kind is None:
            return entry.raw
        self.counters["malformed_served"] += 1
        return orjson.dumps(_malform(entry.record, kind))

    def page(
        self,
        stream: str,
        limit: int,
        cursor: str | None,
        after_us: int | None,
        location_id: str | None = None,
    ) -> Page:
        """Up to `limit` records after the cursor (or after `after_us`) and the next cursor."""
        with self._lock:
            s = self.streams[stream]
            pos = s.start(after_us, inclusive=False)
            if cursor is not None:
                pos = max(pos, s.after_key(self._decode(cursor)))
            out: list[bytes] = []
            last: tuple[int, str] | None = None
            while pos < len(s):
                key = s.key_at(pos)
                entry = s.entries[key[1]]
                if location_id is None or entry.record.get("location_id") == location_id:
                    if len(out) == limit:  # a next page exists: end this one at `last`
                        self.counters["records_served"] += len(out)
                        return out, self._encode(last or key)
                    out.append(self._served(stream, key[1], entry))
                last, pos = key, pos + 1
            self.counters["records_served"] += len(out)
            return out, None

    def _encode(self, key: tuple[int, str]) -> str:
        check = mix64(self.seed, key[0], len(key[1])) & 0xFFFFFF
        raw = f"{key[0]}:{key[1]}:{check:06x}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            us_s, rid, _check = raw.split(":")
            key = (int(us_s), rid)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValueError(
                f"invalid cursor {cursor!r}: pass back the Link rel=next URL"
            ) from None
        if self._encode(key) != cursor:
            raise ValueError(f"invalid cursor {cursor!r}: pass back the Link rel=next URL")
        return key

    # ---------------------------------------------------------------- mutation

    def mutate(
        self, orders: int = 0, state_changes: int = 0, price_changes: int = 0, item_deletes: int = 0
    ) -> dict[str, dict[str, list[str]]]:
        """Let time pass: new OPEN orders, OPEN -> COMPLETED/CANCELED, menu price changes, and
        catalog items soft-deleted (tombstones with is_deleted=true; the last item never is).

        Deterministic from the seed and the number of earlier calls; the clock only moves
        forward. Returns {"orders": {"created", "updated"}, "catalog_items": {"updated",
        "deleted"}} with disjoint sorted id lists.
        """
        counts = {"orders": orders, "state_changes": state_changes, "prices": price_changes}
        counts["item_deletes"] = item_deletes
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in counts.values()):
            raise ValueError(f"mutation counts must be integers >= 0, got {counts}")
        with self._lock:
            rng = random.Random(f"{self.seed}:pos-mutation:{self._mutations}")
            self._mutations += 1
            return POSMutator(self, rng).run(counts)

    def advance(self, rng: random.Random) -> int:
        """Move the clock forward 1-90 s and return the new now (µs)."""
        self._clock_us += rng.randint(1, 90) * MICROS
        return self._clock_us

    # -------------------------------------------------------------- inspection

    def truth(self) -> dict[str, dict[str, Any]]:
        """Per stream: clean live records, soft-deleted ids, malformed order ids -> kind."""
        with self._lock:
            out: dict[str, dict[str, Any]] = {}
            for name, s in self.streams.items():
                live = s.live()
                bad = {}
                if name == "orders":
                    bad = {r: k for r, e in live.items() if (k := self.malformed_kind(r, e))}
                out[name] = {
                    "live": {rid: e.record for rid, e in live.items()},
                    "deleted": s.deleted(),
                    "malformed": bad,
                }
            return out

    def set_faults(self, **knobs: Any) -> FaultConfig:
        """Change fault knobs at runtime (validated, all-or-nothing)."""
        return self.faults.update(**knobs)

    def stats(self) -> dict[str, Any]:
        """Counters for assertions: tokens, rate limiting, faults, records served."""
        c = self.counters
        keys = ("tokens_issued", "invalid_grant", "unauthorized", "rate_limited")
        return {
            "requests": dict(self.requests),
            **{k: c[k] for k in keys},
            "faults": {k[6:]: v for k, v in c.items() if k.startswith("fault:")},
            "records_served": c["records_served"],
            "malformed_served": c["malformed_served"],
            "mutations": self._mutations,
            "records": {name: len(s) for name, s in self.streams.items()},
        }


def _malform(order: Record, kind: str) -> Record:
    """A corrupted copy of an order, the way broken POS exports look."""
    rec = copy.deepcopy(order)
    if kind == "quantity_word":
        rec["line_items"][0]["quantity"] = "two"
    elif kind == "money_string":
        amount = rec["total_money"]["amount"]
        rec["total_money"]["amount"] = f"{amount / 100:.2f}"
    elif kind == "missing_state":
        del rec["state"]
    else:
        rec["created_at"] = rec["created_at"][:5] + "13-32" + rec["created_at"][10:]
    return rec
