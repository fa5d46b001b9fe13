"""Rate limiter, breaker, pagination strategies and windows: pure logic with explicit time."""

from __future__ import annotations

import datetime as dt

import pytest

from canonry.errors import PermanentSourceError
from canonry.http import (
    BreakerSettings,
    CircuitBreaker,
    CircuitOpenError,
    RateBudget,
    RateLimiter,
    idempotency_key,
)
from canonry.http.ratelimit import header_reset
from canonry.sdk import (
    CursorPagination,
    LinkHeaderPagination,
    NextUrlPagination,
    OffsetPagination,
    PageNumberPagination,
    Refetch,
    TimeWindowPagination,
)

URL = "https://api.example.com/v1/items"


def test_token_bucket_spends_the_burst_then_spaces_requests() -> None:
    """A 4/s budget with a burst of 4 lets 4 through at once, then one every 0.25 s."""
    limiter = RateLimiter(RateBudget(4, 1), now=0.0)
    assert [limiter.reserve(0.0) for _ in range(4)] == [0.0] * 4
    assert limiter.reserve(0.0) == pytest.approx(0.25)
    assert limiter.reserve(0.0) == pytest.approx(0.5)
    assert limiter.reserve(10.0) == 0.0  # refilled (capped at the burst) after a pause
    assert repr(limiter) == "<RateLimiter 4.0/s tokens=3.0 waited=0.8s>"


def test_aimd_halves_on_429_and_recovers_additively_to_the_budget() -> None:
    """A 429 halves the rate; each success adds budget/20, never above the budget."""
    limiter = RateLimiter(RateBudget(10, 1), now=0.0)
    assert limiter.on_response(429, {}, 0.0, 0.0) is True
    assert limiter.rate == 5.0
    limiter.on_response(429, {}, 0.0, 0.0)
    assert limiter.rate == 2.5
    for _ in range(5):
        limiter.on_response(200, {}, 0.0, 0.0)
    assert limiter.rate == pytest.approx(5.0)
    for _ in range(100):
        limiter.on_response(200, {}, 0.0, 0.0)
    assert limiter.rate == 10.0
    assert limiter.limited == 2


def test_remaining_zero_pauses_until_the_announced_reset() -> None:
    """``X-RateLimit-Remaining: 0`` blocks every request until the reset (delay or epoch)."""
    limiter = RateLimiter(None, now=100.0)
    limiter.on_response(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}, 100.0, 0)
    assert limiter.reserve(100.0) == 7.0
    assert limiter.reserve(103.0) == 4.0
    assert limiter.reserve(108.0) == 0.0
    wall = 1_800_000_000.0
    assert header_reset({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(wall + 30)}, wall)
    assert header_reset({"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, wall) == 12.0
    assert header_reset({"RateLimit": '"default";r=0;t=9'}, wall) == 9.0
    assert header_reset({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "9"}, wall) is None


def test_breaker_opens_after_consecutive_failures_and_fails_fast() -> None:
    """Five failures in a row open the circuit; requests then fail fast until the cool-down."""
    breaker = CircuitBreaker(BreakerSettings(consecutive=5, cooldown_s=30))
    for _ in range(4):
        breaker.before_request(0.0)
        assert breaker.record(False, 0.0) is False
    breaker.before_request(0.0)
    assert breaker.record(False, 1.0) is True
    assert repr(breaker) == "<CircuitBreaker open until +30.0s failures=5>"
    noon = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    expected = r"after 5 consecutive failures; retrying at 12:00:29"
    with pytest.raises(CircuitOpenError, match=expected):
        breaker.before_request(2.0, noon)


def test_breaker_opens_on_error_rate_over_the_window() -> None:
    """Half of the last 10+ requests failing opens it even without a failure streak."""
    breaker = CircuitBreaker(BreakerSettings(consecutive=99, window=20, min_requests=10))
    opened = [breaker.record(i % 2 == 0, float(i)) for i in range(10)]
    assert opened == [False] * 9 + [True]
    assert breaker.state == "open"


def test_half_open_lets_one_probe_and_failure_doubles_the_cooldown() -> None:
    """After the cool-down one probe passes; its failure re-opens for longer, success closes."""
    breaker = CircuitBreaker(BreakerSettings(consecutive=1, cooldown_s=10))
    breaker.record(False, 0.0)
    breaker.before_request(10.0)  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_request(10.0)  # only one at a time
    assert breaker.record(False, 10.5) is True
    assert breaker.open_until == 30.5
    assert breaker.refusal(20.0) is not None
    breaker.before_request(31.0)
    breaker.record(True, 31.5)
    assert breaker.state == "closed"
    assert breaker.cooldown_s == 10


def test_offset_and_page_number_stop_on_total_or_short_page() -> None:
    """Offset stops at the total or a short page; page numbers at the last page or a short one."""
    off = OffsetPagination(page_size=10, total_path="total")
    second = off.next_params(off.first_params(), {"total": 25}, {}, 10)
    assert second == {"limit": "10", "offset": "10"}
    assert off.next_params({"offset": "20"}, {"total": 25}, {}, 5) is None
    assert OffsetPagination(page_size=10).next_params({"offset": "0"}, {}, {}, 7) is None
    pages = PageNumberPagination(page_size=10, total_pages_path="meta.pages")
    assert pages.next_params({"page": "1"}, {"meta": {"pages": 2}}, {}, 10) == {"page": "2"}
    assert pages.next_params({"page": "2"}, {"meta": {"pages": 2}}, {}, 10) is None
    assert PageNumberPagination(page_size=10).next_params({"page": "4"}, {}, {}, 0) is None


def test_link_and_next_url_become_params_and_refuse_other_hosts_and_repeats() -> None:
    """A next link's query string becomes the params; another host or the same page raises."""
    link = LinkHeaderPagination()
    header = f'<{URL}?page=2&per=5>; rel="next", <{URL}?page=9>; rel="last"'
    assert link.next_params({}, None, {"link": header}, 5, url=URL) == {"page": "2", "per": "5"}
    assert link.next_params({}, None, {"link": f'<{URL}?page=9>; rel="last"'}, 5, url=URL) is None
    with pytest.raises(PermanentSourceError, match="refusing to follow"):
        link.next_params({}, None, {"link": '<https://evil.example/x>; rel="next"'}, 5, url=URL)
    nxt = NextUrlPagination(next_url_path="links.next")
    assert nxt.next_params({}, {"links": {"next": "?after=k"}}, {}, 5, url=URL) == {"after": "k"}
    with pytest.raises(PermanentSourceError, match="loop"):
        nxt.next_params({"after": "k"}, {"links": {"next": "?after=k"}}, {}, 5, url=URL)


def test_time_windows_narrow_when_capped_and_walk_to_now() -> None:
    """A capped window is halved and re-fetched (Refetch); later windows grow back to now."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    now = t0 + dt.timedelta(days=3)
    inner = CursorPagination(cursor_path="next", page_size=50)
    pager = TimeWindowPagination("since", "until", dt.timedelta(days=2), inner, t0, result_cap=50)
    first = pager.begin({"q": "x", **pager.first_params()}, now)
    assert first["until"] == (t0 + dt.timedelta(days=2)).isoformat()
    capped = pager.next_params(first, {}, {}, 50, now=now)
    assert isinstance(capped, Refetch)
    assert capped["until"] == (t0 + dt.timedelta(days=1)).isoformat()
    done_half = pager.next_params(capped, {"next": None}, {}, 20, now=now)
    assert done_half is not None
    assert (done_half["since"], done_half["until"]) == (capped["until"], now.isoformat())
    assert pager.next_params(done_half, {"next": None}, {}, 3, now=now) is None
    tiny = TimeWindowPagination("s", "u", dt.timedelta(seconds=1), inner, t0, result_cap=50)
    with pytest.raises(PermanentSourceError, match="smallest width"):
        tiny.next_params(tiny.begin({}, now), {}, {}, 50, now=now)


def test_idempotency_keys_are_stable_per_operation() -> None:
    """The same parts give the same 32-hex key; different parts a different one."""
    key = idempotency_key("create", "employee", 42)
    assert key == idempotency_key("create", "employee", 42)
    assert len(key) == 32
    assert key != idempotency_key("create", "employee", 43)
