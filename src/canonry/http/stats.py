"""Counters the plumbing keeps for each sync run, stored with the run's record."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class PlumbingStats:
    """What it took to get the data: requests, retries, waits, refreshes, breaker trips."""

    requests: int = 0
    retries: int = 0
    retry_wait_s: float = 0.0
    token_refreshes: int = 0
    auth_retries: int = 0
    bytes_received: int = 0
    rate_limit_wait_s: float = 0.0
    rate_limited: int = 0
    breaker_opened: int = 0
    permanent_errors: int = 0
    offset_shifts: int = 0
    """Offset walks whose feed shifted mid-walk (a record may have been skipped)."""

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def __repr__(self) -> str:
        return (
            f"<PlumbingStats requests={self.requests} retries={self.retries} "
            f"waited={self.retry_wait_s:.2f}s refreshes={self.token_refreshes} "
            f"rate_limited={self.rate_limited} throttled={self.rate_limit_wait_s:.2f}s "
            f"breaker_opened={self.breaker_opened} permanent={self.permanent_errors}>"
        )
