"""POS access control: OAuth2 with rotating refresh tokens, and a token-bucket rate limit.

Rotation is the trap real POS APIs set: every refresh returns a NEW refresh token and the old one
dies at once, so a client that loses the rotated token is locked out until a human re-authorises.
Reuse of a spent token is only rejected (400 invalid_grant); the live one stays valid (some
providers revoke the whole family on reuse; documented as not done here).
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass

from canonry.sandbox._gen import mix64
from canonry.sandbox.auth import TokenStore


class RotatingRefresh:
    """Client credentials plus the one currently valid refresh token; access tokens expire."""

    def __init__(self, seed: int, client_id: str, client_secret: str, access_ttl_s: float) -> None:
        self.access = TokenStore(client_id, client_secret, access_ttl_s)
        self.initial = f"rt_{mix64(seed, 0x5E):016x}"
        self._valid = {self.initial}
        self._spent: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RotatingRefresh [valid: {len(self._valid)} | spent: {len(self._spent)}]>"

    def rotate(self, refresh_token: str) -> tuple[str, str] | None:
        """(access, new refresh) for a valid refresh token, which is spent; None otherwise."""
        with self._lock:
            if refresh_token not in self._valid:
                return None
            self._valid.discard(refresh_token)
            self._spent.add(refresh_token)
            fresh = f"rt_{secrets.token_urlsafe(24)}"
            self._valid.add(fresh)
        return self.access.issue(), fresh

    def was_spent(self, refresh_token: str) -> bool:
        return refresh_token in self._spent


@dataclass
class TokenBucket:
    """`rate` tokens per second up to `burst`; callers pass `now`, so tests need no sleeping."""

    rate: float
    burst: int
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {self.rate}, {self.burst}")
        if self.tokens < 0:
            self.tokens = float(self.burst)

    def __repr__(self) -> str:
        return f"<TokenBucket [{self.tokens:.2f}/{self.burst} | {self.rate:g}/s]>"

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def headers(self, now: float) -> dict[str, str]:
        """X-RateLimit-* as sent on every /v2 response; Reset = seconds until full again."""
        self._refill(now)
        reset = (self.burst - self.tokens) / self.rate
        return {
            "X-RateLimit-Limit": str(self.burst),
            "X-RateLimit-Remaining": str(math.floor(self.tokens)),
            "X-RateLimit-Reset": f"{math.ceil(reset * 1000) / 1000:g}",
        }

    def wait_s(self, now: float) -> float:
        """Seconds until one token is available (0 if one is)."""
        self._refill(now)
        return max(0.0, (1 - self.tokens) / self.rate)
