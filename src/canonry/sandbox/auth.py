"""OAuth2 client-credentials tokens, as most HRIS APIs hand them out.

Tokens are opaque random strings with a server-side issue time, so expiry (token_ttl_s) is
observable and a client's refresh-on-401 path can be exercised with a short TTL.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Literal

TokenState = Literal["ok", "unknown", "expired"]
_PRUNE_AT = 10_000


class TokenStore:
    """Checks client credentials, issues tokens and judges bearer tokens."""

    def __init__(self, client_id: str, client_secret: str, ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"token_ttl_s must be > 0, got {ttl_s!r}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.ttl_s = ttl_s
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            if len(self._issued) >= _PRUNE_AT:
                # Keep recently expired tokens so clients still get "token expired", not "unknown".
                horizon = now - 2 * self.ttl_s - 60
                self._issued = {k: v for k, v in self._issued.items() if v > horizon}
            self._issued[token] = now
        return token

    @property
    def expires_in(self) -> int:
        """Whole seconds advertised to clients (at least 1, so sub-second TTLs still work)."""
        return max(1, int(self.ttl_s))

    def check(self, token: str) -> TokenState:
        issued = self._issued.get(token)
        if issued is None:
            return "unknown"
        return "expired" if time.monotonic() - issued > self.ttl_s else "ok"
