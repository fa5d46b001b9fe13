"""Fixtures for the HTTP plumbing tests: a scripted hostile server and fast client options."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from canonry.http import BreakerSettings, ClientOptions, RetryPolicy
from tests.http.server import HostileServer, Script

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05, max_elapsed_s=5)
LENIENT_BREAKER = BreakerSettings(consecutive=1000, min_requests=1000, window=1000)


def fast_options(**overrides: object) -> ClientOptions:
    """Options with millisecond backoff and a breaker that stays out of the way."""
    values: dict[str, object] = {
        "retry": FAST_RETRY, "timeout_s": 2.0, "breaker": LENIENT_BREAKER, **overrides,
    }  # fmt: skip
    return ClientOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def source() -> Iterator[tuple[Script, str]]:
    """A running hostile server: the test fills ``script.routes``; yields (script, url)."""
    script = Script()
    with HostileServer(script) as server:
        yield script, server.url
