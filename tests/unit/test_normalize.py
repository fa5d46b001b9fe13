"""Normalization helpers: properties that must hold for any input, and clear refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonry.errors import MappingError
from canonry.sdk import normalize as n


@given(st.datetimes(timezones=st.timezones()))
def test_parse_datetime_keeps_the_instant_and_returns_utc(value: dt.datetime) -> None:
    """Any aware ISO timestamp parses to the same instant, expressed in UTC."""
    text = value.isoformat()
    parsed = n.parse_datetime(text, field="t")
    assert parsed == dt.datetime.fromisoformat(text)  # the instant the text names
    assert parsed.utcoffset() == dt.timedelta(0)


@given(st.datetimes())
def test_naive_datetimes_are_read_in_the_given_zone(value: dt.datetime) -> None:
    """A naive timestamp is interpreted in the connection's zone, not silently as local time."""
    tz = dt.timezone(dt.timedelta(hours=2))
    parsed = n.parse_datetime(value.isoformat(), field="t", naive_tz=tz)
    assert parsed == value.replace(tzinfo=tz)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2), st.sampled_from(["USD", "EUR"]))
def test_money_from_string_int_or_float_agree(amount: Decimal, currency: str) -> None:
    """The same amount as a string, a float or minor-unit integer gives the same Decimal."""
    as_text = n.money_amount(str(amount), currency, field="a")
    assert as_text == amount
    assert n.money_amount(float(amount), currency, field="a") == amount
    cents = int(amount * 100)
    assert n.money_amount(cents, currency, field="a", in_minor_units=True) == amount


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("KWD", 3), ("EUR", 2)])
def test_money_is_quantized_to_the_currency_minor_units(currency: str, digits: int) -> None:
    """JPY has no minor unit, KWD three, EUR two."""
    value = n.money_amount("12.3456", currency, field="a")
    assert -value.as_tuple().exponent == digits  # type: ignore[operator]


@pytest.mark.parametrize("bad", ["12,5k", "", "abc", None, True, "NaN", "Infinity"])
def test_unusable_amounts_are_refused_with_the_value(bad: object) -> None:
    """An amount that is not a finite number raises MappingError naming the field."""
    with pytest.raises(MappingError, match="amount"):
        n.money_amount(bad, "USD", field="amount")


def test_unknown_currency_is_refused() -> None:
    """A currency code that is not ISO 4217 is refused, not guessed."""
    with pytest.raises(MappingError, match="XXQ"):
        n.currency_code("XXQ", field="currency")
    assert n.currency_code(" usd ", field="currency") == "USD"


@pytest.mark.parametrize(
    ("raw", "want"),
    [("2019-03-04", dt.date(2019, 3, 4)), ("2019-03-04T09:00:00+02:00", dt.date(2019, 3, 4)),
     ("2019-03-04T07:00:00", dt.date(2019, 3, 4))],
)  # fmt: skip
def test_dates_with_and_without_offsets(raw: str, want: dt.date) -> None:
    """Dates arrive bare, with an offset or naive; the calendar date as written is kept."""
    assert n.parse_date(raw, field="d") == want


def test_impossible_dates_are_refused() -> None:
    """February 30th is a mapping error naming the value."""
    with pytest.raises(MappingError, match="2021-02-30"):
        n.parse_date("2021-02-30", field="hire_date")


@given(st.emails())
def test_emails_are_trimmed_and_lowercased(address: str) -> None:
    """Emails are stored lower-case without surrounding whitespace."""
    assert n.email(f"  {address.upper()} ", field="e") == address.lower().strip()


def test_phones_and_countries() -> None:
    """Phone formatting is stripped to digits with the +; countries are ISO alpha-2."""
    assert n.phone("+1 (415) 555-0134", field="p") == "+14155550134"
    assert n.country_code("pt", field="c") == "PT"
    with pytest.raises(MappingError):
        n.phone("call me", field="p")
    with pytest.raises(MappingError):
        n.country_code("Portugal", field="c")
