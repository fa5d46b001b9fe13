"""HTTP-specific members of Canonry's exception tree: each keeps what diagnosis needs.

    TransientSourceError ── TransientHTTPError   status (None for a transport failure)
    AuthError ──────────── HTTPAuthError         status, response_excerpt
    PermanentSourceError ─ PermanentHTTPError    status, response_excerpt
    SourceUnavailableError ─ CircuitOpenError    retry_at (monotonic); also transient

The sync engine still decides from the base class; the attributes are for people.
"""

from __future__ import annotations

from canonry.errors import (
    AuthError,
    PermanentSourceError,
    SourceUnavailableError,
    TransientSourceError,
)

EXCERPT_BYTES = 2048


def excerpt(body: bytes, secrets: tuple[str, ...]) -> str:
    """The first 2 KB of a response body as text, with known secret values masked."""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class TransientHTTPError(TransientSourceError):
    """A failure worth retrying; ``status`` is None when no response arrived."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HTTPAuthError(AuthError):
    """Credentials refused (401/403) even after one refresh."""

    retryable = False

    def __init__(self, message: str, *, status: int, response_excerpt: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.response_excerpt = response_excerpt


class PermanentHTTPError(PermanentSourceError):
    """A response retrying will not fix; the body's first 2 KB are kept for diagnosis."""

    retryable = False

    def __init__(self, message: str, *, status: int, response_excerpt: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.response_excerpt = response_excerpt


class CircuitOpenError(SourceUnavailableError, TransientSourceError):
    """The connection's breaker is open: fail fast, stop at the last checkpoint, retry later.

    Also a ``TransientSourceError``: the run fails now, but a later run is expected to work.
    """

    retryable = False

    def __init__(self, message: str, *, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at
