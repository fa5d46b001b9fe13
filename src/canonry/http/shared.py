"""Per-connection state shared by every client of a connection in this process.

A connection's rate budget and its breaker belong to the connection, not to one stream or
one client: two streams synced concurrently must not each spend the whole budget, and a
source that is down is down for all of them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from canonry.http.breaker import BreakerSettings, CircuitBreaker
from canonry.http.options import ClientOptions
from canonry.http.ratelimit import RateBudget, RateLimiter


@dataclass(frozen=True)
class Guards:
    """The limiter and breaker one connection's requests go through."""

    limiter: RateLimiter
    breaker: CircuitBreaker


class GuardRegistry:
    """One ``Guards`` per connection name, created with the first caller's settings."""

    def __init__(self) -> None:
        self._guards: dict[str, Guards] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<GuardRegistry connections={sorted(self._guards)}>"

    def get(
        self, connection: str, budget: RateBudget | None, breaker: BreakerSettings, now: float
    ) -> Guards:
        """The connection's guards, created on first use; a changed breaker declaration
        (a connector upgraded in a long-lived process) gets a fresh breaker."""
        with self._lock:
            found = self._guards.get(connection)
            if found is None:
                found = Guards(RateLimiter(budget, now=now), CircuitBreaker(breaker))
                self._guards[connection] = found
            elif found.breaker.settings != breaker:
                found = Guards(found.limiter, CircuitBreaker(breaker))
                self._guards[connection] = found
            return found

    def forget(self, connection: str) -> None:
        """Drop a connection's guards (its settings changed, or a test starts afresh)."""
        with self._lock:
            self._guards.pop(connection, None)


registry = GuardRegistry()
"""The process-wide registry ``SourceClient`` uses when ``ClientOptions.connection`` is set."""


def guards_for(opts: ClientOptions) -> Guards:
    """Shared guards for a named connection, else a private pair for this client."""
    now = time.monotonic()
    if opts.connection:
        return registry.get(opts.connection, opts.rate_limit, opts.breaker, now)
    return Guards(RateLimiter(opts.rate_limit, now=now), CircuitBreaker(opts.breaker))
