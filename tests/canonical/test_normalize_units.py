"""Pay periods and physical units: conversions invert exactly enough, mismatches are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canonry.errors import MappingError
from canonry.sdk import normalize as n

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**7), places=2)
PERIODS = st.sampled_from(n.PERIODS)


def close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= abs(b) * Decimal("1e-20") + Decimal("1e-20")


@pytest.mark.parametrize(
    ("amount", "period", "annual"),
    [("50", "hourly", "104000"), ("400", "daily", "104000"), ("2000", "weekly", "104000"),
     ("4000", "biweekly", "104000"), ("4000", "semimonthly", "96000"),
     ("8000", "monthly", "96000"), ("96000", "annual", "96000")],
)  # fmt: skip
def test_annualize_each_period(amount: str, period: str, annual: str) -> None:
    """40 h/week, 5 days/week, 52 weeks/year, 24 half-months, 12 months."""
    assert n.annualize(Decimal(amount), period) == Decimal(annual)


def test_working_time_is_configurable() -> None:
    """A 35-hour week over 48 weeks gives 1680 paid hours a year."""
    assert n.annualize(Decimal(10), "hourly", hours_per_week=35, weeks_per_year=48) == 16800


@given(AMOUNTS, PERIODS, PERIODS, st.integers(min_value=1, max_value=80))
def test_convert_period_round_trips(amount: Decimal, a: str, b: str, hours: int) -> None:
    """Converting a to b and back returns the amount, and agrees with annualize."""
    there = n.convert_period(amount, a, b, hours_per_week=hours)
    assert close(n.convert_period(there, b, a, hours_per_week=hours), amount)
    assert close(
        n.annualize(there, b, hours_per_week=hours), n.annualize(amount, a, hours_per_week=hours)
    )


def test_unknown_period_is_refused() -> None:
    """'fortnightly' is not guessed to be biweekly: the mapping must say so."""
    with pytest.raises(MappingError, match="'fortnightly' is not a pay period"):
        n.annualize(Decimal(1), "fortnightly")


@pytest.mark.parametrize(
    ("value", "unit", "to", "want"),
    [("2.5", "lb", "kg", "1.133980925"), ("500 ml", None, "L", "0.5"),
     (12, "oz", "g", "340.1942775"), ("100 degC", None, "degF", "212"),
     ("1 mi", None, "km", "1.609344")],
)  # fmt: skip
def test_quantities_convert_exactly(value: object, unit: str | None, to: str, want: str) -> None:
    """Defined conversion factors are applied in Decimal, with no float noise."""
    assert n.quantity(value, unit, to=to, field="q") == Decimal(want)


@settings(deadline=None)  # the first example loads pint / pycountry tables
@given(
    st.decimals(min_value=Decimal(-(10**6)), max_value=Decimal(10**6), places=3),
    st.sampled_from([("lb", "kg"), ("ml", "L"), ("ft", "m"), ("degC", "degF"), ("gal", "L")]),
)
def test_quantity_conversions_invert(value: Decimal, units: tuple[str, str]) -> None:
    """Converting there and back returns the value (to 1e-15)."""
    src, dst = units
    there = n.quantity(value, src, to=dst, field="q")
    back = n.quantity(there, dst, to=src, field="q")
    assert abs(back - value) < Decimal("1e-15")


@pytest.mark.parametrize(
    ("value", "unit", "to", "message"),
    [("1", "kg", "L", "unit mismatch: 'kg' cannot be converted to 'L'"),
     ("1", "parsec_per_fortnight_xx", "m", "unknown unit"),
     ("heavy", None, "kg", "number with a unit"),
     ("NaN", "kg", "g", "finite"), (True, "kg", "g", "number with a unit")],
)  # fmt: skip
def test_quantity_refusals(value: object, unit: str | None, to: str, message: str) -> None:
    """Mismatched or unknown units and non-numbers raise MappingError saying which."""
    with pytest.raises(MappingError, match=message):
        n.quantity(value, unit, to=to, field="weight")
