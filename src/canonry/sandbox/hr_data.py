"""The fake HRIS's state: compact arrays plus an append-only change log, not a million dicts.

Per employee we keep only version, timestamps and a deleted flag; records are regenerated from
(seed, id, version) on demand and their JSON bytes cached, so a page is a join of bytes. The log
of (updated_at, index) entries is what clients page through: a change appends an entry and
leaves the old one stale, which keeps cursors (log positions) stable while data changes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import random
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from typing import Any

import orjson

from canonry.sandbox._gen import EPOCH, MICROS, MUTATION_EPOCH_US, mix64
from canonry.sandbox.auth import TokenStore
from canonry.sandbox.faults import FaultConfig, FaultDraws, malform
from canonry.sandbox.records import (
    department_record,
    department_times,
    employee_id,
    employee_record,
    tombstone,
)

_YEAR_S = 365 * 86_400
_START_US = (dt.datetime(2023, 1, 1, tzinfo=dt.UTC) - EPOCH) // dt.timedelta(microseconds=1)
_MAX_EMPLOYEES = 9_999_999  # ids are E + 7 digits
_WARM_CHUNK = 20_000
Page = tuple[list[bytes], str | None]


class HRSandbox:
    """A deterministic fake HRIS; the HTTP app (hr_app) is a thin layer over these methods."""

    def __init__(
        self,
        seed: int = 42,
        employees: int = 10_000,
        *,
        departments: int = 40,
        client_id: str = "canonry-demo",
        client_secret: str = "s3cret-demo",  # noqa: S107 - a fake source's documented demo secret
        token_ttl_s: float = 3600.0,
        faults: FaultConfig | None = None,
        tombstones: bool = True,
    ) -> None:
        if not 0 <= employees <= _MAX_EMPLOYEES:
            raise ValueError(f"employees must be in [0, {_MAX_EMPLOYEES}], got {employees}")
        if not 1 <= departments <= 999:
            raise ValueError(f"departments must be in [1, 999], got {departments}")
        self.seed = seed
        self.tombstones = tombstones  # False: deleted employees just vanish from the feed
        self.departments = departments
        self.faults = faults if faults is not None else FaultConfig()
        self.tokens = TokenStore(client_id, client_secret, token_ttl_s)
        self.fault_draws = FaultDraws(seed)
        self.counters: Counter[str] = Counter()  # written by the app; read by stats()
        self.requests: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._n_initial = employees
        self._mutations = 0
        self._init_employees(employees)
        self._dept_order = sorted(
            (ts, i) for i, ts in enumerate(department_times(seed, departments))
        )
        self._dept_bytes = {
            i: memoryview(orjson.dumps(department_record(seed, i, departments, ts))).tobytes()
            for ts, i in self._dept_order
        }

    def _init_employees(self, n: int) -> None:
        order = list(range(n))
        random.Random(f"{self.seed}:order").shuffle(order)
        self._updated = array("q", bytes(8 * n))
        self._created = array("q", bytes(8 * n))
        self._log_ts = array("q", bytes(8 * n))
        self._log_idx = array("I", order)
        seed, updated, created, log_ts = self.seed, self._updated, self._created, self._log_ts
        for k, idx in enumerate(order):
            # Slot k of n spans [lo, hi) seconds of 2023: strictly increasing, never tied.
            lo, hi = k * _YEAR_S // n, (k + 1) * _YEAR_S // n
            ts = _START_US + (lo + mix64(seed, k) % (hi - lo)) * MICROS
            updated[idx] = log_ts[k] = ts
            created[idx] = ts - (mix64(seed, idx, 1) % (400 * 86_400)) * MICROS
        self._version = array("I", bytes(4 * n))
        self._deleted = bytearray(n)
        self._mal = array("H", (mix64(seed, i, 0, 99) & 0xFFFF for i in range(n)))
        self._cache: list[bytes | None] = [None] * n
        self._live = n
        last = log_ts[n - 1] if n else 0
        self._clock_us = max(last, MUTATION_EPOCH_US)

    # ----------------------------------------------------------------- records

    @property
    def employee_count(self) -> int:
        """Ids ever issued (live + deleted)."""
        return len(self._version)

    def _clean_bytes(self, idx: int) -> bytes:
        b = self._cache[idx]
        if b is None:
            if self._deleted[idx]:
                rec = tombstone(idx, self._updated[idx])
            else:
                rec = employee_record(
                    self.seed,
                    idx,
                    self._version[idx],
                    self._created[idx],
                    self._updated[idx],
                    is_new=idx >= self._n_initial,
                    departments=self.departments,
                )
            # orjson over-allocates its output buffer; an exact copy keeps 1M cached rows small.
            b = self._cache[idx] = memoryview(orjson.dumps(rec)).tobytes()
        return b

    def _mal_threshold(self) -> int:
        return int(self.faults.malformed_rate * 0x10000)

    def _malformed_bytes(self, idx: int) -> bytes:
        kind = mix64(self.seed, idx, self._version[idx], 98)
        return orjson.dumps(malform(orjson.loads(self._clean_bytes(idx)), kind))

    def warm(self) -> None:
        """Pre-serialise every record so benchmarks time serving, not generation."""
        for start in range(0, self.employee_count, _WARM_CHUNK):
            with self._lock:
                for idx in range(start, min(start + _WARM_CHUNK, self.employee_count)):
                    self._clean_bytes(idx)

    # ------------------------------------------------------------------ paging

    def _encode_cursor(self, kind: str, pos: int) -> str:
        raw = f"{kind}.{pos}.{self._encode_check(kind, pos)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_cursor(self, kind: str, cursor: str, end: int) -> int:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            k, pos_s, check = raw.split(".")
            pos = int(pos_s)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValueError("invalid cursor") from None
        if k != kind or not 0 <= pos <= end or check != self._encode_check(kind, pos):
            raise ValueError("invalid cursor")
        return pos

    def _encode_check(self, kind: str, pos: int) -> str:
        return f"{mix64(self.seed, ord(kind), pos) & 0xFFFFFF:06x}"

    def employee_page(self, limit: int, cursor: str | None, since_us: int | None) -> Page:
        """Up to `limit` records (JSON bytes) in log order and the cursor of the next page."""
        with self._lock:
            ts, li, upd, end = self._log_ts, self._log_idx, self._updated, len(self._log_ts)
            if cursor is not None:
                pos = self._decode_cursor("e", cursor, end)
            else:
                pos = 0 if since_us is None else bisect_left(ts, since_us)
            cache, mal, deleted = self._cache, self._mal, self._deleted
            out: list[bytes] = []
            thr, bad = self._mal_threshold(), 0
            while pos < end and len(out) < limit:
                idx = li[pos]
                if upd[idx] == ts[pos] and (self.tombstones or not deleted[idx]):
                    # (else a newer entry for idx exists later in the log, or it vanished)
                    b = cache[idx] or self._clean_bytes(idx)
                    if mal[idx] < thr and not deleted[idx]:
                        b, bad = self._malformed_bytes(idx), bad + 1
                    out.append(b)
                pos += 1
            while pos < end and upd[li[pos]] != ts[pos]:
                pos += 1
            self.counters["records_served"] += len(out)
            self.counters["malformed_served"] += bad
            return out, (None if pos >= end else self._encode_cursor("e", pos))

    def department_page(self, limit: int, cursor: str | None, since_us: int | None) -> Page:
        order, end = self._dept_order, len(self._dept_order)
        if cursor is not None:
            pos = self._decode_cursor("d", cursor, end)
        else:
            pos = 0 if since_us is None else bisect_left(order, (since_us, -1))
        stop = min(end, pos + limit)
        out = [self._dept_bytes[i] for _, i in order[pos:stop]]
        self.counters["records_served"] += len(out)
        return out, (None if stop >= end else self._encode_cursor("d", stop))

    # --------------------------------------------------------------- mutation

    def mutate(self, creates: int = 0, updates: int = 0, deletes: int = 0) -> dict[str, list[str]]:
        """Let time pass: create, update and delete employees with a forward-only clock.

        Deterministic from the seed and the number of earlier mutate() calls. Updated and deleted
        ids are distinct live employees (counts are capped at what is alive).
        """
        if min(creates, updates, deletes) < 0:
            raise ValueError("creates, updates and deletes must be >= 0")
        with self._lock:
            rng = random.Random(f"{self.seed}:mutation:{self._mutations}")
            self._mutations += 1
            updates = min(updates, self._live)
            deletes = min(deletes, self._live - updates)
            chosen = self._pick_live(rng, updates + deletes)
            events = [("c", -1)] * creates
            events += [("u", i) for i in chosen[:updates]] + [("d", i) for i in chosen[updates:]]
            rng.shuffle(events)
            result: dict[str, list[str]] = {"created": [], "updated": [], "deleted": []}
            for op, picked in events:
                self._clock_us += rng.randint(1, 120) * MICROS
                now = self._clock_us
                if op == "c":
                    result["created"].append(employee_id(self._append_employee(now)))
                    continue
                idx = picked
                if op == "u":
                    self._version[idx] += 1
                    self._mal[idx] = mix64(self.seed, idx, self._version[idx], 99) & 0xFFFF
                    result["updated"].append(employee_id(idx))
                else:
                    self._deleted[idx] = 1
                    self._live -= 1
                    result["deleted"].append(employee_id(idx))
                self._updated[idx] = now
                self._cache[idx] = None
                self._log_ts.append(now)
                self._log_idx.append(idx)
            return {k: sorted(v) for k, v in result.items()}

    def _pick_live(self, rng: random.Random, k: int) -> list[int]:
        n = self.employee_count
        if k * 4 > self._live:
            return rng.sample([i for i in range(n) if not self._deleted[i]], k)
        picked: dict[int, None] = {}
        while len(picked) < k:
            i = rng.randrange(n)
            if not self._deleted[i]:
                picked[i] = None
        return list(picked)

    def _append_employee(self, now: int) -> int:
        idx = self.employee_count
        if idx >= _MAX_EMPLOYEES:
            raise ValueError("employee id space exhausted")
        for arr, value in ((self._updated, now), (self._created, now), (self._log_ts, now)):
            arr.append(value)
        self._log_idx.append(idx)
        self._version.append(0)
        self._deleted.append(0)
        self._mal.append(mix64(self.seed, idx, 0, 99) & 0xFFFF)
        self._cache.append(None)
        self._live += 1
        return idx

    # ------------------------------------------------------------ inspection

    def truth(self) -> dict[str, Any]:
        """Ground truth: clean live records (malformed ones too), tombstoned ids, malformed ids."""
        with self._lock:
            thr = self._mal_threshold()
            employees: dict[str, Any] = {}
            deleted, malformed = [], []
            for idx in range(self.employee_count):
                eid = employee_id(idx)
                if self._deleted[idx]:
                    deleted.append(eid)
                    continue
                employees[eid] = orjson.loads(self._clean_bytes(idx))
                if self._mal[idx] < thr:
                    malformed.append(eid)
            departments = {
                f"D{i + 1:03d}": orjson.loads(b) for i, b in sorted(self._dept_bytes.items())
            }
            return {
                "employees": employees,
                "deleted": deleted,
                "malformed": malformed,
                "departments": departments,
            }

    def set_faults(self, **knobs: Any) -> FaultConfig:
        """Change fault knobs at runtime (validated, all-or-nothing)."""
        return self.faults.update(**knobs)

    def stats(self) -> dict[str, Any]:
        """Counters for assertions and benchmarks: what the server did and what it injected."""
        c = self.counters
        return {
            "requests": dict(self.requests),
            "tokens_issued": c["tokens_issued"],
            "unauthorized": c["unauthorized"],
            "faults": {k[6:]: v for k, v in c.items() if k.startswith("fault:")},
            "records_served": c["records_served"],
            "malformed_served": c["malformed_served"],
            "mutations": self._mutations,
            "employees": {"ids": self.employee_count, "live": self._live},
        }
