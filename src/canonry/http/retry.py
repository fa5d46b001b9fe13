"""Retry policy: exponential backoff with full jitter, honouring ``Retry-After``.

Pure computation (time is passed in), so it is tested without sleeping.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import random
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: bounded both by attempts and by total time."""

    max_attempts: int = 6
    base_delay_s: float = 0.2
    max_delay_s: float = 30.0
    max_elapsed_s: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay before retry number ``attempt`` (1-based)."""
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return rng.uniform(0, cap)

    def delay(
        self, attempt: int, retry_after: float | None, elapsed_s: float, rng: random.Random
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when the budget is spent."""
        if attempt >= self.max_attempts:
            return None
        wait = retry_after if retry_after is not None else self.backoff(attempt, rng)
        if elapsed_s + wait > self.max_elapsed_s:
            return None
        return wait


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP-date; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def idempotency_key(*parts: object) -> str:
    """A key stable for one logical write (same parts, same key), for ``Idempotency-Key``."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]
