"""Per-connection rate limiting: a token bucket that adapts to what the source says.

Pure computation: every method takes ``now`` (monotonic seconds) and returns how long the
caller must wait; the caller sleeps. One limiter serves every stream and concurrent request
of a connection (see ``canonry.http.shared``), so the budget is the connection's, not a stream's.

Adaptation is AIMD: a 429 halves the rate, each success adds a twentieth of the budget
back, never above the configured budget. ``X-RateLimit-*`` / ``RateLimit-*`` headers that
say nothing is left block every request until the announced reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EPOCH_THRESHOLD = 1_000_000_000  # a reset larger than this is a Unix time, not a delay


@dataclass(frozen=True)
class RateBudget:
    """``requests`` per ``per_seconds``, e.g. ``RateBudget(100, 60)`` for 100 a minute."""

    requests: float
    per_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.requests <= 0 or self.per_seconds <= 0:
            raise ValueError(
                f"a rate budget needs positive requests and per_seconds (got {self.requests} "
                f"per {self.per_seconds}s); use rate_limit=None for no client-side limit"
            )

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


class RateLimiter:
    """Token bucket (``budget`` or unlimited) with AIMD and header-driven pauses."""

    def __init__(
        self,
        budget: RateBudget | None,
        *,
        now: float,
        decrease: float = 0.5,
        min_fraction: float = 0.05,
    ) -> None:
        self.budget = budget
        self.max_rate = budget.rate if budget else None
        self.rate = self.max_rate
        self.capacity = max(1.0, budget.requests) if budget else 1.0
        self.tokens = self.capacity
        self.updated = now
        self.decrease = decrease
        self.min_rate = self.max_rate * min_fraction if self.max_rate else None
        self.waited_s = 0.0
        self.limited = 0

    def __repr__(self) -> str:
        rate = f"{self.rate:.1f}/s" if self.rate else "unlimited"
        return f"<RateLimiter {rate} tokens={self.tokens:.1f} waited={self.waited_s:.1f}s>"

    def reserve(self, now: float) -> float:
        """Take one request slot; the seconds to wait before sending it (0 if none)."""
        self._refill(now)
        start = max(now, self.updated)  # ``updated`` is in the future while paused
        wait = start - now
        if self.rate:
            self.tokens -= 1
            if self.tokens < 0:
                wait += -self.tokens / self.rate
        self.waited_s += wait
        return wait

    def pause_until(self, until: float, now: float) -> None:
        """Nothing may be sent before ``until``: the source said so."""
        self._refill(now)
        if until > self.updated:
            self.updated = until
            self.tokens = min(self.tokens, 0.0)

    def on_response(self, status: int, headers: Mapping[str, str], now: float, wall: float) -> bool:
        """Learn from a response (``wall`` is Unix time for epoch resets); True if limited."""
        limited = status == 429
        if limited and self.rate and self.min_rate:
            self.rate = max(self.min_rate, self.rate * self.decrease)
        elif 200 <= status < 300 and self.rate and self.max_rate:
            self.rate = min(self.max_rate, self.rate + self.max_rate / 20)
        reset = header_reset(headers, wall)
        if reset is not None:
            self.pause_until(now + reset, now)
            limited = True
        if limited:
            self.limited += 1
        return limited

    def _refill(self, now: float) -> None:
        if now > self.updated:
            if self.rate:
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now


def header_reset(headers: Mapping[str, str], wall: float) -> float | None:
    """Seconds until the window resets when the headers say nothing remains, else None."""
    lowered = {k.lower(): v for k, v in headers.items()}
    remaining = lowered.get("x-ratelimit-remaining", lowered.get("ratelimit-remaining"))
    reset = lowered.get("x-ratelimit-reset", lowered.get("ratelimit-reset"))
    if remaining is None and "ratelimit" in lowered:  # draft: RateLimit: "default";r=0;t=10
        fields = dict(p.split("=", 1) for p in lowered["ratelimit"].split(";") if "=" in p)
        remaining, reset = fields.get("r"), fields.get("t")
    try:
        if remaining is None or float(remaining) > 0:
            return None
        value = float(reset) if reset is not None else 1.0
    except ValueError:
        return None
    delay = value - wall if value > EPOCH_THRESHOLD else value
    return max(0.0, delay)
