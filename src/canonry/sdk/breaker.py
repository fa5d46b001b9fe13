"""A connector's circuit-breaker declaration: when to stop calling a failing source.

Sources differ: a flaky free API fails one request in ten and should not trip anything,
while an ERP that answers three 503s in a row is down and should be left alone for minutes.
The connector says which; ``canonry.http`` applies it to every client of the connection.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BreakerPolicy:
    """Open after ``consecutive_failures`` in a row, or when at least ``error_rate`` of the
    last ``window`` requests failed (once ``min_requests`` were seen); stay open
    ``cooldown_s``, doubling after each failed probe up to ``max_cooldown_s``."""

    consecutive_failures: int = 5
    error_rate: float = 0.5
    window: int = 20
    min_requests: int = 10
    cooldown_s: float = 30.0
    max_cooldown_s: float = 600.0

    def __post_init__(self) -> None:
        if self.consecutive_failures < 1 or self.window < 1:
            raise ValueError(
                f"BreakerPolicy: consecutive_failures and window must be at least 1 (got "
                f"{self.consecutive_failures}, {self.window})"
            )
        if not 0 < self.error_rate <= 1:
            raise ValueError(
                f"BreakerPolicy: error_rate is a fraction in (0, 1] (got {self.error_rate!r}); "
                "write 0.25 for 25%, or 1 to open on the window's failures only when all failed"
            )
        if not 1 <= self.min_requests <= self.window:
            raise ValueError(
                f"BreakerPolicy: min_requests must be in 1..window ({self.window}), got "
                f"{self.min_requests}: the error rate is judged over at most `window` requests"
            )
        if not 0 < self.cooldown_s <= self.max_cooldown_s:
            raise ValueError(
                f"BreakerPolicy: need 0 < cooldown_s <= max_cooldown_s (got {self.cooldown_s}, "
                f"{self.max_cooldown_s})"
            )
