"""Per-connection circuit breaker: stop hammering a source that is down.

Opens after ``consecutive`` failures in a row, or when at least ``error_rate`` of the last
``window`` requests failed (once ``min_requests`` were seen). While open, requests fail fast
with ``CircuitOpenError``; after the cool-down one probe goes through (half-open): success
closes the circuit, failure re-opens it with a longer cool-down.

Pure computation: every method takes ``now`` (monotonic seconds); nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass

from canonry.http.errors import CircuitOpenError
from canonry.sdk.breaker import BreakerPolicy


@dataclass(frozen=True)
class BreakerSettings:
    """When to open, and for how long."""

    consecutive: int = 5
    window: int = 20
    min_requests: int = 10
    error_rate: float = 0.5
    cooldown_s: float = 30.0
    max_cooldown_s: float = 600.0
    cooldown_factor: float = 2.0

    @classmethod
    def declared(cls, policy: BreakerPolicy) -> BreakerSettings:
        """The settings a connector's ``BreakerPolicy`` declares."""
        return cls(
            consecutive=policy.consecutive_failures,
            window=policy.window,
            min_requests=policy.min_requests,
            error_rate=policy.error_rate,
            cooldown_s=policy.cooldown_s,
            max_cooldown_s=policy.max_cooldown_s,
        )


class CircuitBreaker:
    """Closed -> open -> half-open (one probe) -> closed or open again."""

    def __init__(self, settings: BreakerSettings | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self.state = "closed"
        self.failures = 0
        self.opened = 0
        self.open_until = 0.0
        self.cooldown_s = self.settings.cooldown_s
        self.reason = ""
        self._recent: deque[bool] = deque(maxlen=self.settings.window)
        self._probing = False

    def __repr__(self) -> str:
        if self.state == "open":
            return f"<CircuitBreaker open until +{self.cooldown_s:.1f}s failures={self.failures}>"
        return f"<CircuitBreaker {self.state} failures={self.failures}>"

    def before_request(self, now: float, wall: dt.datetime | None = None) -> None:
        """Let a request through, or raise ``CircuitOpenError`` (one probe when half-open)."""
        if self.state == "open" and now >= self.open_until:
            self.state = "half-open"
        if self.state == "half-open" and not self._probing:
            self._probing = True
            return
        if self.state != "closed":
            raise self._error(now, wall)

    def refusal(
        self, now: float, wall: dt.datetime | None = None, cause: str = ""
    ) -> CircuitOpenError | None:
        """The error a request would get right now, without claiming the half-open probe."""
        if self.state == "open" and now < self.open_until:
            return self._error(now, wall, cause)
        return None

    def record(self, ok: bool | None, now: float) -> bool:
        """The outcome of a request let through (None: abandoned); True if this opened it."""
        if self.state == "half-open" and self._probing:
            return self._probe_result(ok, now)
        if ok is None or self.state != "closed":
            return False
        self._recent.append(ok)
        self.failures = 0 if ok else self.failures + 1
        failed = self._recent.count(False)
        if self.failures >= self.settings.consecutive:
            return self._open(now, f"{self.failures} consecutive failures")
        if (
            len(self._recent) >= self.settings.min_requests
            and failed / len(self._recent) >= self.settings.error_rate
        ):
            return self._open(now, f"{failed} failures in the last {len(self._recent)} requests")
        return False

    def _probe_result(self, ok: bool | None, now: float) -> bool:
        self._probing = False
        if ok is None:
            return False
        if ok:
            self._close()
            return False
        self.cooldown_s = min(
            self.settings.max_cooldown_s, self.cooldown_s * self.settings.cooldown_factor
        )
        return self._open(now, f"the probe after {self.failures} failures failed")

    def _open(self, now: float, reason: str) -> bool:
        self.state, self.reason = "open", reason
        self.open_until = now + self.cooldown_s
        self.opened += 1
        return True

    def _close(self) -> None:
        self.state, self.failures = "closed", 0
        self.cooldown_s = self.settings.cooldown_s
        self._recent.clear()

    def _error(self, now: float, wall: dt.datetime | None, cause: str = "") -> CircuitOpenError:
        left = max(0.0, self.open_until - now)
        at = (wall or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=left)
        last = f" (last: {cause})" if cause else ""
        return CircuitOpenError(
            f"source unavailable: circuit open after {self.reason}{last}; retrying at "
            f"{at:%H:%M:%S} UTC. The sync stopped at its last committed checkpoint; "
            "run it again later",
            retry_at=self.open_until,
        )
