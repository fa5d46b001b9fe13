"""Render generated people and departments into the JSON shapes the fake HRIS serves.

The spelling varies by record on purpose (dates, amounts, emails, phones): real HRIS exports
are inconsistent, and the mapping layer under test must normalise them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from canonry.sandbox import _tables as t
from canonry.sandbox._gen import (
    DAY_US,
    EPOCH,
    FOLDED,
    MICROS,
    Bits,
    Person,
    digits,
    fmt_ts,
    mix64,
    phone_text,
)

Record = dict[str, Any]


def employee_id(idx: int) -> str:
    """Stable public id for the employee at internal index `idx` (0-based)."""
    return f"E{idx + 1:07d}"


def department_id(idx: int) -> str:
    return f"D{idx + 1:03d}"


def employee_record(
    seed: int,
    idx: int,
    version: int,
    created_us: int,
    updated_us: int,
    *,
    is_new: bool,
    departments: int,
) -> Record:
    """The clean record of one employee version; versions replay deterministic update events."""
    p = Person(Bits(b"%d:e:%d" % (seed, idx)), idx, created_us, is_new, departments)
    for k in range(1, version + 1):
        p.update(Bits(b"%d:e:%d:%d" % (seed, idx, k)), departments, idx)
    number = f"{idx + 1:06d}"
    local = f"{FOLDED[p.first]}.{FOLDED[p.last]}{idx + 1}"
    email = f"{local}@example.com"
    if p.email_style in (16, 17):
        email = f"{local.title()}@Example.com"
    elif p.email_style == 18:
        email = f" {email} "
    elif p.email_style == 19:
        email = email.upper()
    return {
        "id": employee_id(idx),
        "employee_number": number,
        "name": {"first": p.first, "last": p.last, "preferred": p.preferred},
        "work_email": email,
        "phone": None if p.phone is None else phone_text(p.city, p.phone[0], p.phone[1]),
        "status": p.status,
        "hire_date": _hire_date(p),
        "termination_date": None if p.term is None else p.term.isoformat(),
        "department_id": department_id(p.dept),
        "manager_id": None if p.manager is None else employee_id(p.manager),
        "job": {
            "title": f"{t.LEVEL_PREFIX[p.level]}{p.role}",
            "level": t.LEVELS[p.level],
            "employment_type": p.etype,
        },
        "address": _address(seed, idx, p),
        "compensation": _compensation(p),
        "created_at": fmt_ts(created_us, t.TS_OFFSETS[idx % len(t.TS_OFFSETS)]),
        "updated_at": fmt_ts(updated_us, p.ts_style),
    }


def _hire_date(p: Person) -> str:
    style, offset, hour = p.hire_style
    if style == 0:
        return p.hire.isoformat()
    if style == 1:
        sign = "+" if offset >= 0 else "-"
        hh, mm = divmod(abs(offset), 60)
        return f"{p.hire.isoformat()}T09:00:00{sign}{hh:02d}:{mm:02d}"
    return f"{p.hire.isoformat()}T{6 + hour:02d}:00:00"  # naive = UTC per the API docs


def _address(seed: int, idx: int, p: Person) -> Record:
    # The postal code follows the street, so it is drawn from the street text, not the stream.
    pb = Bits(b"%d:p:%d:%s" % (seed, idx, p.street.encode()))
    return {
        "line1": p.street,
        "city": p.city.name,
        "region": p.city.region,
        "postal_code": digits(pb, p.city.postal),
        "country": p.city.country,
    }


def _compensation(p: Person) -> Record:
    currency = t.CURRENCY[p.city.country]
    annual = p.base_usd * t.FX[currency]
    if p.etype == "intern":
        annual *= 0.5
    amount: float
    if p.period == "hourly":
        amount = round(annual / 2080, 2)
    elif p.period == "monthly":
        amount = round(annual / 12, 2)
    else:
        amount = float(round(annual / 500) * 500)
    if currency == "JPY":
        amount = float(round(amount))
    value: str | int | float
    if p.amount_style == 0:
        value = f"{amount:.0f}" if currency == "JPY" else f"{amount:.2f}"
    elif p.amount_style == 1 and amount.is_integer():
        value = int(amount)
    else:
        value = amount
    return {"amount": value, "currency": currency, "period": p.period}


def tombstone(idx: int, updated_us: int) -> Record:
    """What a deleted employee looks like in the feed: only id, deleted flag and time."""
    style = t.TS_OFFSETS[mix64(idx, updated_us) % len(t.TS_OFFSETS)]
    return {"id": employee_id(idx), "deleted": True, "updated_at": fmt_ts(updated_us, style)}


def department_record(seed: int, idx: int, departments: int, updated_us: int) -> Record:
    """One org unit; names repeat with a city suffix once the vocabulary runs out."""
    b = Bits(b"%d:d:%d" % (seed, idx))
    names = t.DEPARTMENT_NAMES
    base = names[idx % len(names)]
    round_ = idx // len(names)
    name = base if round_ == 0 else f"{base} {t.CITIES[(idx + round_) % len(t.CITIES)].name}"
    code = base.replace(" ", "")[:3].upper() + ("" if round_ == 0 else f"-{round_ + 1}")
    parent = None if idx == 0 or b.chance(150) else department_id(b.below(idx))
    return {
        "id": department_id(idx),
        "name": name,
        "code": code,
        "parent_id": parent,
        "cost_center": f"CC-{1000 + b.below(9000)}",
        "updated_at": fmt_ts(updated_us, b.pick(t.TS_OFFSETS)),
    }


def department_times(seed: int, departments: int) -> list[int]:
    """Deterministic updated_at (µs) per department, spread over 2023."""
    start = (dt.datetime(2023, 1, 1, tzinfo=dt.UTC) - EPOCH) // dt.timedelta(microseconds=1)
    year_s = 365 * DAY_US // MICROS
    return [start + (mix64(seed, 7, i) % year_s) * MICROS for i in range(departments)]
