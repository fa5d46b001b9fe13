"""A payroll system and an identity directory that know the HRIS's people their own way.

Both derive every record from the HR sandbox's current state, so the three systems overlap
like real ones: different ids, spellings, units and opinions about the same person, each
changing when the person changes in HR. A few records are deliberately hard: payroll rows
with neither an employee number nor a work email (only a manual crosswalk can link them),
and directory accounts of outside contractors that reuse an employee's number (a rule
would merge them with the wrong person). ``truth()`` says who is who.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from bisect import bisect_left
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import orjson

from canonry.sandbox import _fin_tables as ft
from canonry.sandbox import _tables as t
from canonry.sandbox._gen import EPOCH, FOLDED, MICROS, mix64
from canonry.sandbox.faults import FaultConfig, FaultDraws
from canonry.sandbox.hr_data import HRSandbox
from canonry.sandbox.records import employee_id

Record = dict[str, Any]
_STATUS_CODES = {"active": "A", "on_leave": "L", "terminated": "T"}
_DIRECTORY_STATUS = {"active": "ACTIVE", "on_leave": "SUSPENDED", "terminated": "DEPROVISIONED"}
_RAISE = 1.04  # payroll knows about raises before HR does


@dataclass(frozen=True)
class Row:
    """One derived record: its id, change time (µs) and body."""

    rid: str
    changed_us: int
    record: Record


def _hr_record(hr: HRSandbox, idx: int) -> Record | None:
    """The HR record of employee ``idx`` as HR serves it (None: deleted)."""
    if hr._deleted[idx]:
        return None
    record: Record = orjson.loads(hr._clean_bytes(idx))
    return record


def _updated_us(hr: HRSandbox, idx: int) -> int:
    return int(hr._updated[idx])


def iso_time(us: int) -> str:
    """Epoch µs as ISO-8601 UTC with a Z, to the second."""
    at = EPOCH + dt.timedelta(microseconds=us)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _annual(comp: Record) -> float:
    amount = float(comp["amount"])
    return {"hourly": amount * 2080, "weekly": amount * 52, "monthly": amount * 12}.get(
        comp["period"], amount
    )


class Derived(ABC):
    """A system whose records derive from another sandbox's: API key, faults, counters, and
    a snapshot of the upstream state per request (taken under the upstream's lock)."""

    def __init__(
        self, seed: int, lock: AbstractContextManager[Any], api_key: str, faults: FaultConfig | None
    ) -> None:
        self.seed = seed
        self.api_key = api_key
        self.faults = faults if faults is not None else FaultConfig()
        self.fault_draws = FaultDraws(seed + 7)
        self.counters: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._upstream_lock = lock
        self._snapshot: tuple[object, list[Row]] = (None, [])

    @abstractmethod
    def rows(self) -> list[Row]:
        """Every current record, derived from the upstream's state."""

    @abstractmethod
    def upstream_state(self) -> object:
        """A value that changes whenever the upstream's data does (keys the snapshot cache)."""

    def feed(self, since_us: int | None) -> list[Row]:
        """Records changed at/after ``since_us``, in (change time, id) order."""
        with self._upstream_lock:
            state = self.upstream_state()
            if self._snapshot[0] != state:
                rows = sorted(self.rows(), key=lambda r: (r.changed_us, r.rid))
                self._snapshot = (state, rows)
            rows = self._snapshot[1]
        if since_us is None:
            return rows
        return rows[bisect_left(rows, since_us, key=lambda r: r.changed_us) :]

    def stats(self) -> dict[str, Any]:
        return {"counters": dict(self.counters), "requests": dict(self.requests)}

    def set_faults(self, **knobs: Any) -> FaultConfig:
        return self.faults.update(**knobs)


class PayrollSandbox(Derived):
    """Payroll: ``PR-`` ids, integer employee numbers, "LAST, First" names, annual salary
    in minor units (with raises HR has not heard of), status codes, DD/MM/YYYY dates."""

    def __init__(
        self, hr: HRSandbox, *, api_key: str = "payroll-demo-key", faults: FaultConfig | None = None
    ) -> None:
        super().__init__(hr.seed, hr._lock, api_key, faults)
        self.hr = hr

    def upstream_state(self) -> object:
        return (self.hr._mutations, self.hr.employee_count)

    def payroll_id(self, idx: int) -> str:
        return f"PR-{(idx * 7919 + 104_729) % 10_000_000:07d}"

    def _kind(self, idx: int) -> str:
        """covered | absent | no_number | personal_email | unlinkable (deterministic)."""
        if mix64(self.seed, idx, 501) % 1000 < 60:
            return "absent"
        b = mix64(self.seed, idx, 502) % 1000
        if b < 10:
            return "unlinkable"
        if b < 30:
            return "no_number"
        return "personal_email" if b < 60 else "covered"

    def rows(self) -> list[Row]:
        out = []
        for idx in range(self.hr.employee_count):
            kind = self._kind(idx)
            hr = _hr_record(self.hr, idx)
            if kind == "absent" or hr is None or hr["job"]["employment_type"] == "contractor":
                continue
            changed = _updated_us(self.hr, idx) + (mix64(self.seed, idx, 503) % 3600) * MICROS
            out.append(Row(self.payroll_id(idx), changed, self._record(idx, hr, kind, changed)))
        return out

    def _record(self, idx: int, hr: Record, kind: str, changed_us: int) -> Record:
        first, last = hr["name"]["first"], hr["name"]["last"]
        email = (hr["work_email"] or "").strip() or None
        if kind in ("personal_email", "unlinkable"):
            email = f"{FOLDED[first]}{FOLDED[last][:1]}{idx % 97}@mail.example.net"
        comp = hr["compensation"]
        annual = _annual(comp) * (_RAISE if mix64(self.seed, idx, 504) % 5 == 0 else 1)
        minor = 10 ** ft.MINOR_DIGITS.get(comp["currency"], 2)
        hire = dt.date.fromisoformat(hr["hire_date"][:10])
        term = hr["termination_date"]
        return {
            "worker_id": self.payroll_id(idx),
            "emp_no": None if kind in ("no_number", "unlinkable") else int(hr["employee_number"]),
            "full_name": f"{last.upper()}, {first}",
            "email": email,
            "annual_salary_minor": round(annual * minor),
            "currency": comp["currency"],
            "status_code": _STATUS_CODES[hr["status"]],
            "start_date": hire.strftime("%d/%m/%Y"),
            "end_date": None if term is None else dt.date.fromisoformat(term).strftime("%d/%m/%Y"),
            "last_modified": iso_time(changed_us).replace("T", " ").removesuffix("Z"),  # naive UTC
        }

    def truth(self) -> dict[str, Any]:
        """Who each payroll record is, and which ones no rule can link."""
        persons, unlinkable = {}, []
        index = {self.payroll_id(i): i for i in range(self.hr.employee_count)}
        for row in self.feed(None):
            idx = index[row.rid]
            persons[row.rid] = employee_id(idx)
            if self._kind(idx) == "unlinkable":
                unlinkable.append(row.rid)
        return {"persons": persons, "unlinkable": sorted(unlinkable)}


class DirectorySandbox(Derived):
    """An identity directory (Okta-like): ``00u`` ids, ``profile`` objects, lower-case logins,
    employee numbers on most accounts, job titles that change here first, and a few outside
    contractors whose accounts carry an employee's number."""

    def __init__(
        self, hr: HRSandbox, *, api_key: str = "dir-demo-token", faults: FaultConfig | None = None
    ) -> None:
        super().__init__(hr.seed, hr._lock, api_key, faults)
        self.hr = hr

    def upstream_state(self) -> object:
        return (self.hr._mutations, self.hr.employee_count)

    def user_id(self, idx: int, *, contractor: bool = False) -> str:
        return f"00{'x' if contractor else 'u'}{mix64(self.seed, idx, 602, contractor):016x}"

    def _draw(self, idx: int, salt: int) -> int:
        return int(mix64(self.seed, idx, salt) % 1000)

    def rows(self) -> list[Row]:
        out = []
        for idx in range(self.hr.employee_count):
            hr = _hr_record(self.hr, idx)
            if hr is None:
                continue
            base = _updated_us(self.hr, idx) + (mix64(self.seed, idx, 605) % 7200) * MICROS
            if self._draw(idx, 601) >= 30:
                promoted = self._draw(idx, 606) < 100
                changed = base + (30 * 86_400 * MICROS if promoted else 0)
                out.append(Row(self.user_id(idx), changed, self._user(idx, hr, changed, promoted)))
            elif self._draw(idx, 604) < 300:
                rid = self.user_id(idx, contractor=True)
                out.append(Row(rid, base, self._contractor(idx, hr, base)))
        return out

    def _user(self, idx: int, hr: Record, changed_us: int, promoted: bool) -> Record:
        name = hr["name"]
        email = (hr["work_email"] or "").strip().lower()
        no_number = self._draw(idx, 607) >= 750
        if self._draw(idx, 603) < 20:  # an alias login: only the number can link it
            email = f"{FOLDED[name['first']][:1]}{FOLDED[name['last']]}{idx + 1}@example.com"
        title = hr["job"]["title"]
        phone = hr["phone"] if self._draw(idx, 608) < 600 else None
        return self._envelope(
            self.user_id(idx),
            _DIRECTORY_STATUS[hr["status"]],
            changed_us,
            {
                "login": email,
                "email": email,
                "firstName": name["first"],
                "lastName": name["last"],
                "displayName": f"{name['preferred'] or name['first']} {name['last']}",
                "title": f"Lead {title}" if promoted else title,
                "mobilePhone": phone,
                "employeeNumber": None if no_number else hr["employee_number"],
            },
        )

    def _contractor(self, idx: int, hr: Record, changed_us: int) -> Record:
        first = t.FIRST_NAMES[mix64(self.seed, idx, 609) % len(t.FIRST_NAMES)]
        last = t.LAST_NAMES[mix64(self.seed, idx, 610) % len(t.LAST_NAMES)]
        email = f"{FOLDED[first]}.{FOLDED[last]}@partner.example.org"
        return self._envelope(
            self.user_id(idx, contractor=True),
            "ACTIVE",
            changed_us,
            {
                "login": email,
                "email": email,
                "firstName": first,
                "lastName": last,
                "displayName": f"{first} {last}",
                "title": "External Consultant",
                "mobilePhone": None,
                "employeeNumber": hr["employee_number"],  # reused: the source's own mistake
            },
        )

    @staticmethod
    def _envelope(uid: str, status: str, changed_us: int, profile: Record) -> Record:
        return {
            "id": uid,
            "status": status,
            "created": iso_time(changed_us - 400 * 86_400 * MICROS),
            "lastUpdated": iso_time(changed_us),
            "profile": profile,
            "_links": {"self": {"href": f"/api/v1/users/{uid}"}},
        }

    def truth(self) -> dict[str, Any]:
        """Who each account is: employees by HR id, contractors as themselves."""
        persons, contractors, unlinkable = {}, [], []
        index = {self.user_id(i): i for i in range(self.hr.employee_count)}
        for row in self.feed(None):
            if row.rid.startswith("00x"):
                persons[row.rid] = row.rid
                contractors.append(row.rid)
                continue
            idx = index[row.rid]
            persons[row.rid] = employee_id(idx)
            if self._draw(idx, 603) < 20 and self._draw(idx, 607) >= 750:
                unlinkable.append(row.rid)
        return {
            "persons": persons,
            "contractors": sorted(contractors),
            "unlinkable": sorted(unlinkable),
        }
