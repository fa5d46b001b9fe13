"""Fault injection: the ways real HRIS APIs misbehave, switched on one knob at a time.

Draws come from a seeded Random so a failing sync test replays the same fault sequence.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import random
import threading
from dataclasses import dataclass
from typing import Any

_RATES = ("error_rate", "rate_limit_rate", "drop_rate", "malformed_rate")
MALFORMED_KINDS = ("invalid_date", "amount_text", "missing_status", "name_string", "dept_int")


@dataclass
class FaultConfig:
    """Runtime-tunable misbehaviour; everything is off by default so tests opt in explicitly."""

    error_rate: float = 0.0  # P(500/502/503) per /v1 request
    rate_limit_rate: float = 0.0  # P(429) per /v1 request
    retry_after: float | None = 1.0  # Retry-After seconds on 429; None omits the header
    retry_after_http_date: bool = False  # send Retry-After as an HTTP-date instead
    latency_ms: float = 0.0  # added to every /v1 request
    drop_rate: float = 0.0  # P(connection aborted mid-body) per /v1 request
    malformed_rate: float = 0.0  # fraction of employee versions served malformed

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Reject nonsense early: a typo'd knob should fail the test that set it, not hide."""
        for name in (*_RATES, "latency_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, got {value!r}")
            if value < 0 or (name in _RATES and value > 1):
                raise ValueError(f"{name} must be in [0, 1] (latency_ms >= 0), got {value!r}")
        ra = self.retry_after
        if ra is not None and (isinstance(ra, bool) or not isinstance(ra, int | float)):
            raise TypeError(f"retry_after must be None or a number, got {ra!r}")
        if ra is not None and ra < 0:
            raise ValueError(f"retry_after must be >= 0, got {ra!r}")
        if not isinstance(self.retry_after_http_date, bool):
            raise TypeError("retry_after_http_date must be a bool")

    def update(self, **knobs: Any) -> FaultConfig:
        """Set knobs in place (all or nothing) and return self."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(knobs) - names
        if unknown:
            raise ValueError(f"unknown fault knobs {sorted(unknown)}; known: {sorted(names)}")
        before = dataclasses.asdict(self)
        for key, value in knobs.items():
            setattr(self, key, value)
        try:
            self.validate()
        except (ValueError, TypeError):
            for key, value in before.items():
                setattr(self, key, value)
            raise
        return self

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Decision:
    """What one /v1 request suffers: an error status (429/5xx) and/or a dropped body."""

    status: int | None
    drop: bool


class FaultDraws:
    """Per-request draws from a seeded stream; always four draws so sequences stay aligned."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()

    def draw(self, cfg: FaultConfig) -> Decision:
        with self._lock:
            u_rl, u_err, u_kind, u_drop = (self._rng.random() for _ in range(4))
        if u_rl < cfg.rate_limit_rate:
            return Decision(429, drop=False)
        if u_err < cfg.error_rate:
            return Decision((500, 502, 503)[int(u_kind * 3)], drop=False)
        return Decision(None, drop=u_drop < cfg.drop_rate)


def retry_after_header(cfg: FaultConfig, now: float) -> str | None:
    """Retry-After as delay-seconds, or an HTTP-date rounded up so it is never in the past.

    Fractional delays are sent as decimals ("0.2"): not RFC-strict, but some real APIs do it,
    and it keeps client retry tests fast.
    """
    if cfg.retry_after is None:
        return None
    if cfg.retry_after_http_date:
        return email.utils.formatdate(math.ceil(now + cfg.retry_after), usegmt=True)
    value = float(cfg.retry_after)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def malform(record: dict[str, Any], kind: int) -> dict[str, Any]:
    """Corrupt one field the way broken HRIS exports do; `kind` indexes MALFORMED_KINDS."""
    rec = dict(record)
    name = MALFORMED_KINDS[kind % len(MALFORMED_KINDS)]
    if name == "invalid_date":
        rec["hire_date"] = f"{str(rec['hire_date'])[:4]}-02-30"
    elif name == "amount_text":
        comp = dict(rec["compensation"])
        comp["amount"] = f"{float(comp['amount']) / 1000:.1f}k".replace(".", ",")
        rec["compensation"] = comp
    elif name == "missing_status":
        del rec["status"]
    elif name == "name_string":
        rec["name"] = f"{rec['name']['last']}, {rec['name']['first']}"
    else:
        rec["department_id"] = int(str(rec["department_id"])[1:])
    return rec
