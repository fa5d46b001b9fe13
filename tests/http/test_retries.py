"""Retries, timeouts, classification and writes against a real hostile server on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from collections.abc import Coroutine
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from canonry.errors import PermanentSourceError, TransientSourceError
from canonry.http import (
    ClientOptions,
    PermanentHTTPError,
    RetryPolicy,
    SourceClient,
    TransientHTTPError,
    idempotency_key,
)
from canonry.sdk import NoAuth
from tests.http.conftest import fast_options
from tests.http.server import Script, json

Source = tuple[Script, str]
OK = json({"data": [{"id": 1}]})


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def get(url: str, options: ClientOptions | None = None, path: str = "/items") -> Any:
    async with SourceClient(url, NoAuth(), options=options or fast_options()) as client:
        response = await client.get_json(path, {}, records_path="data")
        return response, client.stats


def test_a_5xx_burst_is_retried_until_it_passes(source: Source) -> None:
    """Three 5xx answers are retried and the fourth (success) is returned; counts add up."""
    script, url = source
    script.routes["/items"] = [json({}, 500), json({}, 502), json({}, 503), OK]
    response, stats = run(get(url))
    assert response.payload == {"data": [{"id": 1}]}
    assert (script.count("/items"), stats.requests, stats.retries) == (4, 4, 3)


def test_retry_after_seconds_and_http_date_are_honoured(source: Source) -> None:
    """A 429 with Retry-After (seconds, then an HTTP-date) waits that long before retrying."""
    script, url = source
    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1), True)
    script.routes["/items"] = [
        json({}, 429, {"Retry-After": "1"}),
        json({}, 429, {"Retry-After": later}),
        OK,
    ]
    _, stats = run(get(url))
    first, second, third = (h.at for h in script.hits)
    assert second - first >= 0.95
    assert third - second >= 0.0
    assert stats.retry_wait_s >= 1.0
    assert stats.rate_limited == 2


def test_a_429_storm_without_retry_after_gives_up_classified(source: Source) -> None:
    """Endless 429s end in a TransientHTTPError after the attempt budget, never a hang."""
    script, url = source
    script.routes["/items"] = [json({"msg": "slow down"}, 429)]
    with pytest.raises(TransientHTTPError, match="gave up after 4 attempts") as info:
        run(get(url))
    assert info.value.status == 429
    assert script.count("/items") == 4


def test_a_response_slower_than_the_read_timeout_is_retried(source: Source) -> None:
    """A handler slower than the read timeout is a retryable timeout; the next try succeeds."""
    script, url = source
    calls = 0

    async def slow_once(request: Request) -> Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.6)
        return OK

    script.routes["/items"] = slow_once
    response, stats = run(get(url, fast_options(timeout_s=0.2)))
    assert response.status == 200
    assert stats.retries == 1


def test_a_body_dripping_in_slowly_hits_the_attempt_deadline(source: Source) -> None:
    """Bytes trickling in within the read timeout still end at the deadline, then classified."""
    script, url = source

    async def drip() -> Any:
        for _ in range(40):
            await asyncio.sleep(0.05)
            yield b" "

    async def slow_body(request: Request) -> Response:
        return StreamingResponse(drip(), media_type="application/json")

    script.routes["/items"] = slow_body
    options = fast_options(timeout_s=1.0, deadline_s=0.3, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(TransientHTTPError, match="deadline") as info:
        run(get(url, options))
    assert "gave up after 2 attempts" in str(info.value)
    assert script.count("/items") == 2


def test_a_connection_dropped_mid_body_is_retried(source: Source) -> None:
    """A body cut short (Content-Length promised more) is a transport error, retried."""
    script, url = source
    calls = 0

    class Truncated(Response):
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})
            raise ConnectionResetError("dropped on purpose")

    async def drop_once(request: Request) -> Response:
        nonlocal calls
        calls += 1
        return Truncated() if calls == 1 else OK

    script.routes["/items"] = drop_once
    response, stats = run(get(url))
    assert response.payload["data"] == [{"id": 1}]
    assert stats.retries == 1


def test_invalid_json_is_retried_then_reported(source: Source) -> None:
    """Garbage where JSON was promised is retried, then reported as a transient failure."""
    script, url = source
    script.routes["/items"] = [Response(b"{not json", 200, media_type="application/json")]
    with pytest.raises(TransientSourceError, match="invalid JSON"):
        run(get(url))
    assert script.count("/items") == 4


def test_a_200_with_an_error_body_is_retried_then_permanent(source: Source) -> None:
    """HTTP 200 carrying {"error": ...} and no records is retried a few times, then permanent."""
    script, url = source
    script.routes["/items"] = [json({"error": "backend busy", "data": []})]
    with pytest.raises(PermanentHTTPError, match="error body") as info:
        run(get(url))
    assert info.value.status == 200
    assert "backend busy" in info.value.response_excerpt
    assert script.count("/items") == 3


def test_a_4xx_is_permanent_with_status_and_body_excerpt(source: Source) -> None:
    """A 404 is not retried; the error keeps the status and the first 2 KB of the body."""
    script, url = source
    script.routes["/items"] = [json({"detail": "no such tenant " + "x" * 5000}, 404)]

    async def go() -> SourceClient:
        async with SourceClient(url, NoAuth(), options=fast_options()) as client:
            with pytest.raises(PermanentSourceError) as info:
                await client.get_json("/items", {})
            caught.append(info.value)
            return client

    caught: list[Exception] = []
    assert run(go()).stats.permanent_errors == 1
    error = caught[0]
    assert isinstance(error, PermanentHTTPError)
    assert (error.status, len(error.response_excerpt)) == (404, 2048)
    assert "no such tenant" in error.response_excerpt
    assert script.count("/items") == 1


def test_writes_retry_only_with_an_idempotency_key(source: Source) -> None:
    """A POST without a key is not retried; with one it is, and the key is sent each time."""
    script, url = source
    script.routes["/orders"] = [json({}, 503), json({"id": 7}, 201)]
    key = idempotency_key("order", 7)

    async def post(with_key: bool) -> Any:
        async with SourceClient(url, NoAuth(), options=fast_options()) as client:
            return await client.send_json(
                "POST", "/orders", {"n": 7}, idempotency_key=key if with_key else None
            )

    with pytest.raises(TransientHTTPError, match="not retried"):
        run(post(with_key=False))
    assert script.count("/orders") == 1
    script.routes["/orders"] = [json({}, 503), json({"id": 7}, 201)]
    assert run(post(with_key=True)).payload == {"id": 7}
    keyed = [h for h in script.hits if h.path == "/orders"][1:]
    assert [h.headers.get("idempotency-key") for h in keyed] == [key, key]


def test_in_flight_requests_are_capped_per_client(source: Source) -> None:
    """With max_in_flight=2, the server never sees more than two requests at once."""
    script, url = source

    async def slowish(request: Request) -> Response:
        await asyncio.sleep(0.05)
        return OK

    script.routes["/items"] = slowish

    async def many() -> None:
        async with SourceClient(url, NoAuth(), options=fast_options(max_in_flight=2)) as c:
            await asyncio.gather(*(c.get_json("/items", {"i": str(i)}) for i in range(8)))

    run(many())
    assert script.max_in_flight == 2
    assert script.count("/items") == 8
