"""Deterministic record generation.

A record is a pure function of (seed, index, version, timestamps), so the sandbox never has to
keep a million dicts around: it regenerates (or serves cached bytes) on demand, and two sandboxes
with the same seed and history serve byte-identical data.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from hashlib import blake2b
from typing import Final, TypeVar

from canonry.sandbox import _tables as t

T = TypeVar("T")

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROS: Final = 1_000_000
DAY_US: Final = 86_400 * MICROS
_ONE_US: Final = dt.timedelta(microseconds=1)
MUTATION_EPOCH_US: Final = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC) - EPOCH) // _ONE_US
_LOW: Final = 1 << 64
_OFFSETS: Final[tuple[int | None, ...]] = t.TS_OFFSETS + t.HIRE_OFFSETS
_TZ: Final[dict[int, dt.tzinfo]] = {
    m: dt.timezone(dt.timedelta(minutes=m)) for m in _OFFSETS if m is not None
}
_MASK64: Final = (1 << 64) - 1


def _fold(name: str) -> str:
    """ASCII email-local form of a name ("João" -> "joao", "O'Brien" -> "obrien")."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_.lower() if c.isalnum() or c == "-")


FOLDED: Final = {n: _fold(n) for n in t.FIRST_NAMES + t.LAST_NAMES}


class Bits:
    """A deterministic stream of small choices drawn from a hash of `key` (cheaper than Random)."""

    __slots__ = ("_key", "_n", "_x")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._n = 0
        self._x = self._next()

    def _next(self) -> int:
        self._n += 1
        digest = blake2b(b"%s#%d" % (self._key, self._n), digest_size=64).digest()
        return int.from_bytes(digest, "little")

    def below(self, n: int) -> int:
        """Uniform-enough integer in [0, n)."""
        if self._x < _LOW:
            self._x = self._next()
        self._x, r = divmod(self._x, n)
        return r

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    def weighted(self, seq: Sequence[T], weights: Sequence[int]) -> T:
        r = self.below(sum(weights))
        for item, w in zip(seq, weights, strict=True):
            if r < w:
                return item
            r -= w
        raise AssertionError("unreachable")  # pragma: no cover

    def chance(self, per_mille: int) -> bool:
        return self.below(1000) < per_mille


def mix64(*parts: int) -> int:
    """splitmix64 over the parts: a fast, well-spread hash for per-record coin flips."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
        x ^= x >> 31
    return x


def fmt_ts(us: int, offset_min: int | None) -> str:
    """ISO-8601 with an offset; the same instant is spelled "Z", "+00:00" or as local time."""
    at = EPOCH + dt.timedelta(microseconds=us)
    if offset_min is None:
        return at.isoformat().replace("+00:00", "Z")
    return at.astimezone(_TZ[offset_min]).isoformat()


def us_to_date(us: int) -> dt.date:
    return (EPOCH + dt.timedelta(microseconds=us)).date()


def digits(b: Bits, template: str) -> str:
    out = []
    for c in template:
        if c == "#":
            out.append(str(b.below(10)))
        elif c == "@":
            out.append(chr(65 + b.below(26)))
        else:
            out.append(c)
    return "".join(out)


def phone_text(city: t.City, sub: str, style: int) -> str:
    """A national or international spelling of one number, as people type them into HR forms."""
    cc, area = t.COUNTRY_CODE[city.country], city.area
    if city.country in ("US", "CA"):
        x, y = sub[:3], sub[3:]
        return (f"+1 ({area}) {x}-{y}", f"{area}-{x}-{y}", f"({area}) {x} {y}", f"+1{area}{x}{y}")[
            style
        ]
    h = len(sub) // 2
    if city.country == "PT":
        n = area + sub
        return (f"+351 {n[:3]} {n[3:6]} {n[6:]}", n, f"00351 {n}", f"+351{n}")[style]
    return (
        f"+{cc} {area} {sub[:h]} {sub[h:]}",
        f"0{area} {sub[:h]} {sub[h:]}",
        f"0{area}-{sub[:h]}-{sub[h:]}",
        f"+{cc}{area}{sub}",
    )[style]


def _sub_len(city: t.City) -> int:
    if city.country in ("US", "CA"):
        return 4
    return (9 if city.country == "PT" else 10) - len(city.area)


class Person:
    """Mutable internal state an employee's versions evolve; rendered to JSON at the end."""

    # fmt: off
    __slots__ = (
        "amount_style", "base_usd", "city", "dept", "email_style", "etype", "first", "hire",
        "hire_style", "last", "level", "manager", "period", "phone", "preferred", "role",
        "status", "street", "term", "ts_style",
    )
    # fmt: on

    def __init__(self, b: Bits, idx: int, created_us: int, is_new: bool, departments: int) -> None:
        self.first, self.last = b.pick(t.FIRST_NAMES), b.pick(t.LAST_NAMES)
        self.preferred = b.pick(t.NICKNAMES) if b.chance(80) else None
        self.email_style = b.below(20)
        self.city = b.weighted(t.CITIES, t.CITY_WEIGHTS)
        self.street = self._street(b)
        self.phone = self._new_phone(b)
        self.status = "active"
        created = us_to_date(created_us)
        offset = b.below(45) - 14 if is_new else -b.below(3650)
        self.hire = created + dt.timedelta(days=offset)
        self.hire_style = b.weighted((0, 1, 2), (60, 25, 15)), b.pick(t.HIRE_OFFSETS), b.below(9)
        self.term: dt.date | None = None
        if not is_new:
            roll = b.below(100)
            if roll < 8:
                self.status = "terminated"
                span = (dt.date(2023, 12, 31) - self.hire).days - 30
                self.term = self.hire + dt.timedelta(days=30 + b.below(max(span, 1)))
            elif roll < 12:
                self.status = "on_leave"
        self.dept = b.below(departments)
        self.manager = None if idx == 0 or b.chance(60) else b.below(idx // 8 + 1)
        self.role, self.level = b.pick(t.ROLES), b.weighted(range(6), (18, 30, 26, 14, 8, 4))
        self.etype = b.weighted(t.EMPLOYMENT_TYPES, t.EMPLOYMENT_WEIGHTS)
        self.base_usd = t.LEVEL_BASE_USD[self.level] * (85 + b.below(31)) // 100
        hourly = self.etype in ("part_time", "contractor")
        self.period = "hourly" if hourly else ("monthly" if b.chance(250) else "annual")
        self.amount_style = b.below(3)
        self.ts_style = b.pick(t.TS_OFFSETS)

    def _street(self, b: Bits) -> str:
        street, no = b.pick(t.STREETS[self.city.country]), 1 + b.below(240)
        if self.city.country == "JP":
            return f"{1 + b.below(9)}-{1 + b.below(20)}-{no % 30 + 1} {street}"
        return f"{street} {no}" if self.city.country in t.NUMBER_AFTER else f"{no} {street}"

    def _new_phone(self, b: Bits) -> tuple[str, int] | None:
        if b.chance(80):
            return None
        n = _sub_len(self.city)
        sub = f"{b.below(10**n):0{n}d}"
        if self.city.country in ("US", "CA"):
            sub = "555" + sub
        return sub, b.below(4)

    def update(self, b: Bits, departments: int, idx: int) -> None:
        """One HR change event: 1-3 field groups change, like a real edit in an HRIS UI."""
        for _ in range(1 + b.below(3)):
            kind = b.below(8)
            if kind == 0 and self.level < 5:
                self.level += 1
                self.base_usd = self.base_usd * (105 + b.below(11)) // 100
            elif kind in (0, 1):
                self.base_usd = self.base_usd * (102 + b.below(7)) // 100
            elif kind == 2:
                self.city = b.weighted(t.CITIES, t.CITY_WEIGHTS) if b.chance(200) else self.city
                self.street = self._street(b)
            elif kind == 3:
                self.dept = b.below(departments)
                self.manager = None if idx == 0 else b.below(idx // 8 + 1)
            elif kind == 4 and self.status != "terminated":
                self._status_change(b)
            elif kind == 5:
                self.phone = self._new_phone(b)
            elif kind == 6:
                self.role = b.pick(t.ROLES)
            else:
                self.preferred = None if self.preferred else b.pick(t.NICKNAMES)
        self.ts_style = b.pick(t.TS_OFFSETS)

    def _status_change(self, b: Bits) -> None:
        if self.status == "on_leave":
            self.status = "active"
        elif b.chance(600):
            self.status = "on_leave"
        else:
            self.status = "terminated"
            start = max(us_to_date(MUTATION_EPOCH_US), self.hire + dt.timedelta(days=1))
            self.term = start + dt.timedelta(days=b.below(120))
