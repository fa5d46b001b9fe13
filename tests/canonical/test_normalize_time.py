"""Timestamps to UTC: instants preserved, source formats read, orders and DST never guessed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonry.errors import MappingError
from canonry.sdk import normalize as n

NEW_YORK = ZoneInfo("America/New_York")
MILLIS = st.integers(min_value=-(2**41), max_value=2**42)


@given(st.datetimes(timezones=st.timezones()))
def test_aware_datetimes_keep_their_instant(value: dt.datetime) -> None:
    """An aware datetime object or its ISO text becomes the same instant in UTC."""
    for raw in (value, value.isoformat()):
        parsed = n.parse_datetime(raw, field="t")
        assert parsed == value.astimezone(dt.UTC)  # (ambiguous zone times never compare ==)
        assert parsed.tzinfo is dt.UTC


@given(MILLIS, st.sampled_from(["", "+0000", "+0530", "-0800"]))
def test_ms_json_date_round_trips_epoch_millis(millis: int, offset: str) -> None:
    """/Date(ms±hhmm)/ names the UTC instant ms after the epoch; the offset does not move it."""
    parsed = n.parse_datetime(f"/Date({millis}{offset})/", field="t")
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert (parsed - epoch) // dt.timedelta(milliseconds=1) == millis


@given(MILLIS)
def test_epoch_seconds_and_millis_agree(millis: int) -> None:
    """Epoch milliseconds, and the same instant in (fractional) seconds as text, agree."""
    seconds = str(Decimal(millis).scaleb(-3))
    assert n.parse_datetime(millis, field="t", unit="ms") == n.parse_datetime(
        seconds, field="t", unit="s"
    )


def test_epoch_numbers_need_an_explicit_unit() -> None:
    """A bare number is refused: seconds or milliseconds is the mapping author's call."""
    with pytest.raises(MappingError, match="ISO 8601"):
        n.parse_datetime(1518685950, field="t")
    with pytest.raises(MappingError, match="epoch"):
        n.parse_datetime("soon", field="t", unit="s")
    assert n.parse_datetime("1518685950", field="t", unit="s") == dt.datetime(
        2018, 2, 15, 9, 12, 30, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("raw", "order", "want"),
    [("20190304", None, dt.date(2019, 3, 4)), ("04/03/2019", "DMY", dt.date(2019, 3, 4)),
     ("03/04/2019", "MDY", dt.date(2019, 3, 4)), ("4.3.2019", "DMY", dt.date(2019, 3, 4)),
     ("2019/03/04", "YMD", dt.date(2019, 3, 4)), ("2019-03-04", "DMY", dt.date(2019, 3, 4)),
     ("20190304", "MDY", dt.date(2019, 3, 4)),
     ("2019-03-04T23:00:00-05:00", "DMY", dt.date(2019, 3, 4))],
)  # fmt: skip
def test_dates_in_declared_orders(raw: str, order: n.DateOrder | None, want: dt.date) -> None:
    """Compact ISO dates are read as is; slashed dates only in the declared order."""
    assert n.parse_date(raw, field="d", order=order) == want


def test_slashed_dates_are_never_guessed() -> None:
    """04/03/2019 without an order is refused; a month 13 in the declared order too."""
    with pytest.raises(MappingError, match="04/03/2019"):
        n.parse_date("04/03/2019", field="d")
    with pytest.raises(MappingError, match="MDY"):
        n.parse_date("13/04/2019", field="d", order="MDY")
    with pytest.raises(MappingError, match="four-digit year"):
        n.parse_date("04/03/19", field="d", order="DMY")


def test_dst_gap_shifts_forward() -> None:
    """02:30 on New York's spring-forward day did not exist; it is read as 03:30 EDT."""
    parsed = n.parse_datetime("2024-03-10T02:30:00", field="t", naive_tz=NEW_YORK)
    assert parsed == dt.datetime(2024, 3, 10, 7, 30, tzinfo=dt.UTC)
    with pytest.raises(MappingError, match="DST gap"):
        n.localize(dt.datetime(2024, 3, 10, 2, 30), NEW_YORK, field="t", nonexistent="raise")


def test_dst_ambiguous_time_takes_the_earlier_instant() -> None:
    """01:30 on fall-back day happens twice; the default is the first (EDT), 'later' is EST."""
    parsed = n.parse_datetime("2024-11-03T01:30:00", field="t", naive_tz=NEW_YORK)
    assert parsed == dt.datetime(2024, 11, 3, 5, 30, tzinfo=dt.UTC)
    later = n.localize(dt.datetime(2024, 11, 3, 1, 30), NEW_YORK, field="t", ambiguous="later")
    assert later == dt.datetime(2024, 11, 3, 6, 30, tzinfo=dt.UTC)
    with pytest.raises(MappingError, match="happens twice"):
        n.localize(dt.datetime(2024, 11, 3, 1, 30), NEW_YORK, field="t", ambiguous="raise")


@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_localize_is_deterministic_and_matches_wall_clock(naive: dt.datetime) -> None:
    """Outside DST transitions, localize gives the instant whose local wall clock is naive."""
    out = n.localize(naive, NEW_YORK, field="t")
    assert out.tzinfo is dt.UTC
    assert out == n.localize(naive, NEW_YORK, field="t")
    local = out.astimezone(NEW_YORK).replace(tzinfo=None)
    assert local == naive or local - naive == dt.timedelta(hours=1)  # the gap shifts forward
