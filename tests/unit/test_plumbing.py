"""Retry timing, pagination safety and redaction: pure logic, tested without sleeping."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonry.errors import PermanentSourceError
from canonry.http.redact import redact_params
from canonry.http.retry import RetryPolicy, parse_retry_after
from canonry.observability.logging import redact_secrets, register_secret
from canonry.sdk import CursorPagination


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_full_jitter_within_the_cap(attempt: int, seed: int) -> None:
    """Each backoff lies in [0, min(max_delay, base * 2^(attempt-1))]."""
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=5.0)
    delay = policy.backoff(attempt, random.Random(seed))
    assert 0 <= delay <= min(5.0, 0.1 * 2 ** (attempt - 1))


def test_retry_after_wins_and_budgets_bound_the_retries() -> None:
    """Retry-After is obeyed; attempts and total time both end the retrying."""
    policy = RetryPolicy(max_attempts=3, max_elapsed_s=10)
    rng = random.Random(1)
    assert policy.delay(1, 4.0, elapsed_s=0, rng=rng) == 4.0
    assert policy.delay(3, None, elapsed_s=0, rng=rng) is None
    assert policy.delay(1, 11.0, elapsed_s=0, rng=rng) is None


def test_retry_after_parses_seconds_and_http_dates() -> None:
    """Both Retry-After forms: delta-seconds and an HTTP-date."""
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None


def test_cursor_pagination_follows_and_stops() -> None:
    """The next cursor is sent back; a null cursor ends the stream."""
    pager = CursorPagination(cursor_path="meta.next_cursor", page_size=10)
    first = pager.first_params()
    nxt = pager.next_params(first, {"meta": {"next_cursor": "abc"}}, {}, 10)
    assert nxt == {"limit": "10", "cursor": "abc"}
    assert pager.next_params(nxt, {"meta": {"next_cursor": None}}, {}, 3) is None


def test_a_repeated_cursor_raises_instead_of_looping() -> None:
    """A source that returns the same cursor again would loop forever: it is refused."""
    pager = CursorPagination(cursor_path="next")
    with pytest.raises(PermanentSourceError, match="twice"):
        pager.next_params({"cursor": "same"}, {"next": "same"}, {}, 100)


def test_params_with_secrets_are_redacted() -> None:
    """Credential-named params and known secret values never reach the archive or errors."""
    params = {"api_key": "k1", "cursor": "c", "q": "has-s3cret-inside", "page_token": "p"}
    assert redact_params(params, ("s3cret",)) == {
        "api_key": "***", "cursor": "c", "q": "***", "page_token": "p",
    }  # fmt: skip


def test_log_lines_never_carry_registered_secrets() -> None:
    """The logging processor masks secret-named keys and registered values anywhere."""
    register_secret("very-secret-value")
    event = {
        "event": "failed with very-secret-value",
        "client_secret": "x",
        "nested": {"token": "t"},
    }
    out = redact_secrets(None, "info", event)
    assert "very-secret-value" not in str(out)
    assert out["client_secret"] == "***"
    assert out["nested"] == {"token": "***"}
