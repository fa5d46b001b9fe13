"""Circuit breaker and rate limiter in front of a real failing or throttling server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from canonry.errors import SourceUnavailableError
from canonry.http import (
    BreakerSettings,
    CircuitOpenError,
    RateBudget,
    RetryPolicy,
    SourceClient,
    registry,
)
from canonry.sdk import NoAuth
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
OK = json({"data": [{"id": 1}]})


def test_an_open_breaker_stops_retries_and_the_server_sees_nothing_more(source: Source) -> None:
    """After 3 consecutive 500s the breaker opens: the retry loop stops at once, fail-fast."""
    script, url = source
    script.routes["/items"] = [json({}, 500)]
    options = fast_options(
        retry=RetryPolicy(max_attempts=10, base_delay_s=0.01, max_delay_s=0.02),
        breaker=BreakerSettings(consecutive=3, cooldown_s=60),
    )

    async def go() -> SourceClient:
        async with SourceClient(url, NoAuth(), options=options) as client:
            with pytest.raises(SourceUnavailableError, match="circuit open after 3 consecutive"):
                await client.get_json("/items", {})
            with pytest.raises(CircuitOpenError):
                await client.get_json("/items", {})
            return client

    client = asyncio.run(go())
    assert script.count("/items") == 3
    assert client.stats.breaker_opened == 1
    assert client.stats.retries == 2


def test_the_half_open_probe_closes_the_breaker_when_the_source_recovers(source: Source) -> None:
    """After the cool-down a single probe goes through; its success closes the circuit."""
    script, url = source
    script.routes["/items"] = [json({}, 500), OK]
    options = fast_options(
        retry=RetryPolicy(max_attempts=1),
        breaker=BreakerSettings(consecutive=1, cooldown_s=0.2),
    )

    async def go() -> Any:
        async with SourceClient(url, NoAuth(), options=options) as client:
            with pytest.raises(CircuitOpenError):
                await client.get_json("/items", {})  # the failure that opened it
            with pytest.raises(CircuitOpenError):
                await client.get_json("/items", {})  # fail fast, not sent
            await asyncio.sleep(0.25)
            response = await client.get_json("/items", {})
            return response, client.guards.breaker.state

    response, state = asyncio.run(go())
    assert (response.status, state) == (200, "closed")
    assert script.count("/items") == 2


def test_clients_of_one_connection_share_budget_and_breaker(source: Source) -> None:
    """Two clients named for the same connection share one limiter: 6 requests at 20/s, burst 2."""
    script, url = source
    script.routes["/items"] = [OK]
    registry.forget("shared-test")
    options = fast_options(rate_limit=RateBudget(2, 0.1), connection="shared-test")

    async def go() -> float:
        async with (
            SourceClient(url, NoAuth(), options=options) as a,
            SourceClient(url, NoAuth(), options=options) as b,
        ):
            assert a.guards is b.guards
            started = time.monotonic()
            await asyncio.gather(*(c.get_json("/items", {}) for c in (a, b, a, b, a, b)))
            return time.monotonic() - started

    elapsed = asyncio.run(go())
    assert elapsed >= 0.19  # 2 free, then 4 more at 20/s
    registry.forget("shared-test")


def test_remaining_zero_header_pauses_every_request_until_reset(source: Source) -> None:
    """X-RateLimit-Remaining: 0 with a 1 s reset holds the next request back ~1 s and counts it."""
    script, url = source
    script.routes["/items"] = [
        json({"data": []}, 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}),
        OK,
    ]

    async def go() -> Any:
        async with SourceClient(url, NoAuth(), options=fast_options()) as client:
            await client.get_json("/items", {})
            await client.get_json("/items", {})
            return client.stats

    stats = asyncio.run(go())
    first, second = (h.at for h in script.hits)
    assert second - first >= 0.9
    assert stats.rate_limited == 1
    assert stats.rate_limit_wait_s == pytest.approx(1.0, abs=0.1)
