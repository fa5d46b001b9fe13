"""How one connection's client behaves: timeouts, concurrency, retries, budget, breaker."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from canonry.http.breaker import BreakerSettings
from canonry.http.ratelimit import RateBudget
from canonry.http.retry import RetryPolicy


@dataclass(frozen=True)
class ClientOptions:
    """Everything tunable about a ``SourceClient``; the defaults suit a polite SaaS API.

    ``timeout_s`` bounds each read (and write/pool wait), ``connect_timeout_s`` the connect,
    ``deadline_s`` a whole attempt, so a body dripping in byte by byte still times out.
    ``connection`` names the connection: clients with the same name share one rate limiter
    and one circuit breaker in this process, so the budget holds across streams and runs.
    """

    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    deadline_s: float = 300.0
    max_in_flight: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: RateBudget | None = None
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    max_body_bytes: int = 64 * 1024 * 1024
    error_body_attempts: int = 3
    connection: str | None = None

    def __post_init__(self) -> None:
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1 (got {self.max_in_flight})")
        if min(self.timeout_s, self.connect_timeout_s, self.deadline_s) <= 0:
            raise ValueError(
                f"timeouts must be positive (got timeout_s={self.timeout_s}, "
                f"connect_timeout_s={self.connect_timeout_s}, deadline_s={self.deadline_s})"
            )


def legacy_options(
    opts: ClientOptions,
    retry: RetryPolicy | None,
    timeout_s: float | None,
    max_connections: int | None,
    max_body_bytes: int | None,
) -> ClientOptions:
    """``opts`` with the pre-``ClientOptions`` keywords applied where given."""
    return replace(
        opts,
        retry=retry or opts.retry,
        timeout_s=timeout_s or opts.timeout_s,
        max_in_flight=max_connections or opts.max_in_flight,
        max_body_bytes=max_body_bytes or opts.max_body_bytes,
    )
