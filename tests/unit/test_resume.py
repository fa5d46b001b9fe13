"""What a resumed full refresh may continue from: pure rules, no server."""

from __future__ import annotations

import datetime as dt

from canonry.sdk import (
    CursorPagination,
    KeysetPagination,
    OffsetPagination,
    PageNumberPagination,
    TimeWindowPagination,
)
from canonry.sync.resume import resumable, storable


def test_only_positions_that_do_not_shift_are_resumed() -> None:
    """Tokens, keysets and time windows resume; offsets and page numbers walk again."""
    window = TimeWindowPagination(
        start_param="from", end_param="to", window=dt.timedelta(days=1),
        inner=OffsetPagination(), start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    keyset = KeysetPagination(cursor_field="t", since_param="since", after_param="after")
    resumed = [CursorPagination("next"), keyset, window, OffsetPagination(), PageNumberPagination()]
    assert [resumable(p) for p in resumed] == [True, True, True, False, False]


def test_a_next_request_carrying_a_secret_is_not_stored() -> None:
    """A source echoing a secret into its next link: the checkpoint keeps ``{}`` (walk again
    from page 1) instead of writing the secret to the database; the end stays the end."""
    secret = "k-7f3a9c-secret"
    assert storable({"cursor": "abc"}, (secret,)) == {"cursor": "abc"}
    assert storable({"cursor": "abc", "sig": f"x{secret}y"}, (secret,)) == {}
    assert storable(None, (secret,)) is None
    assert storable({"cursor": "abc"}, ("",)) == {"cursor": "abc"}
