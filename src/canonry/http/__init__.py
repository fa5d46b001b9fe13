"""The HTTP stage: the only package that talks to sources (and imports httpx)."""

from canonry.http.breaker import BreakerSettings, CircuitBreaker
from canonry.http.client import SourceClient
from canonry.http.errors import (
    CircuitOpenError,
    HTTPAuthError,
    PermanentHTTPError,
    TransientHTTPError,
)
from canonry.http.fetch import MAX_PAGES, FetchedPage, iter_pages
from canonry.http.options import ClientOptions
from canonry.http.ratelimit import RateBudget, RateLimiter
from canonry.http.retry import RetryPolicy, idempotency_key
from canonry.http.shared import GuardRegistry, Guards, registry
from canonry.http.stats import PlumbingStats
from canonry.http.wire import JSONResponse

__all__ = [
    "MAX_PAGES",
    "BreakerSettings",
    "CircuitBreaker",
    "CircuitOpenError",
    "ClientOptions",
    "FetchedPage",
    "GuardRegistry",
    "Guards",
    "HTTPAuthError",
    "JSONResponse",
    "PermanentHTTPError",
    "PlumbingStats",
    "RateBudget",
    "RateLimiter",
    "RetryPolicy",
    "SourceClient",
    "TransientHTTPError",
    "idempotency_key",
    "iter_pages",
    "registry",
]
