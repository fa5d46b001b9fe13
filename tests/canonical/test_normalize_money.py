"""Money, currencies and FX conversion: round trips, consistency and clear refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonry.canonical.money import Money
from canonry.errors import MappingError
from canonry.sdk import normalize as n

CURRENCIES = sorted(n.CURRENCIES)


@given(st.sampled_from(CURRENCIES), st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip_for_every_currency(currency: str, minor: int) -> None:
    """Any integer in minor units becomes major units and scales back to the same integer."""
    major = n.money_amount(minor, currency, field="a", in_minor_units=True)
    assert -major.as_tuple().exponent == n.minor_units(currency)  # type: ignore[operator]
    assert int(major.scaleb(n.minor_units(currency))) == minor
    assert n.money_amount(str(major), currency, field="a") == major


@given(
    st.sampled_from(CURRENCIES),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9),
                max_value=10**9),
    st.sampled_from([str, float]),
)  # fmt: skip
def test_minor_units_with_a_fraction_are_refused(
    currency: str, amount: Decimal, spell: type[str] | type[float]
) -> None:
    """A minor-unit amount is a whole number of minor units ("28.72" cents is not one):
    a fractional one is refused naming field and value, a whole one ("2872.00") is read."""
    value = spell(amount)
    if amount == amount.to_integral_value():
        got = n.money_amount(value, currency, field="amount_minor", in_minor_units=True)
        assert got.scaleb(n.minor_units(currency)) == amount
        return
    with pytest.raises(MappingError, match="fractional part") as err:
        n.money_amount(value, currency, field="amount_minor", in_minor_units=True)
    assert (err.value.field, err.value.value) == ("amount_minor", value)
    assert repr(value) in str(err.value), "the message names the value"


def test_minor_units_example_28_72() -> None:
    """The reported case: "28.72" in a minor-unit field was read as 0.2872 EUR."""
    with pytest.raises(MappingError, match=r"'28\.72' has a fractional part"):
        n.money_amount("28.72", "EUR", field="amount_minor", in_minor_units=True)
    assert n.money_amount("2872", "EUR", field="a", in_minor_units=True) == Decimal("28.72")


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("TND", 3), ("CLF", 4), ("UYW", 4),
     ("EUR", 2), ("MGA", 2), ("XCG", 2)],
)  # fmt: skip
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    """Minor units come from the ISO 4217 table, including the 0, 3 and 4 digit currencies."""
    assert n.minor_units(currency) == digits
    assert n.currency_code(currency.lower(), field="c") == currency


@pytest.mark.parametrize("code", ["XAU", "XDR", "XXX", "EURO", "", "usd1"])
def test_non_money_and_malformed_codes_are_refused(code: str) -> None:
    """Metals, test codes and malformed codes are not currencies a record can be priced in."""
    with pytest.raises(MappingError, match="ISO 4217"):
        n.currency_code(code, field="currency")


def test_money_builds_a_quantized_value() -> None:
    """money() checks the code and quantizes the amount: 1234.5 JPY is 1234 yen (half-even)."""
    assert n.money("1234.5", "jpy", field="p") == Money(amount=Decimal(1234), currency="JPY")
    assert n.money(12345, "KWD", field="p", in_minor_units=True).amount == Decimal("12.345")


def test_decimal_comma_only_when_asked() -> None:
    """European '1.234,50' is read only with decimal_comma=True, and refused otherwise."""
    assert n.money_amount("1.234,50", "EUR", field="a", decimal_comma=True) == Decimal("1234.50")
    with pytest.raises(MappingError, match="not a number"):
        n.money_amount("1.234,50", "EUR", field="a")


DAY = dt.date(2024, 3, 5)
RATES = n.FxTable(
    [
        (dt.date(2024, 3, 1), "EUR", "USD", Decimal("1.0850")),
        (dt.date(2024, 3, 4), "EUR", "USD", Decimal("1.0900")),
        (dt.date(2024, 3, 6), "EUR", "USD", Decimal("2")),
        (dt.date(2024, 3, 1), "EUR", "JPY", Decimal("162.50")),
        (dt.date(2024, 3, 1), "GBP", "EUR", Decimal("1.1700")),
    ]
)


def test_fx_uses_the_latest_rate_on_or_before_the_day() -> None:
    """A conversion on the 5th uses the 4th's rate, not the 1st's nor the 6th's."""
    out = RATES.convert(Money(amount=Decimal("100.00"), currency="EUR"), "USD", DAY)
    assert out == Money(amount=Decimal("109.00"), currency="USD")


def test_fx_crosses_through_a_pivot_and_quantizes_to_target_units() -> None:
    """GBP->JPY goes through EUR and lands on whole yen."""
    out = RATES.convert(Money(amount=Decimal("10.00"), currency="GBP"), "JPY", DAY)
    assert out == Money(amount=Decimal("1901"), currency="JPY")  # 10 * 1.17 * 162.5 = 1901.25


def test_missing_rate_says_what_to_load() -> None:
    """No rate before the day is a MappingError naming the pair, the day and the fix."""
    with pytest.raises(MappingError, match=r"no EUR->CHF rate on or before 2024-03-05; load"):
        RATES.convert(Money(amount=Decimal(1), currency="EUR"), "CHF", DAY)
    with pytest.raises(MappingError, match="no EUR->USD rate on or before 2024-02-01"):
        RATES.rate("EUR", "USD", dt.date(2024, 2, 1))


@given(
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2),
)
def test_fx_inverse_is_consistent(rate: Decimal, amount: Decimal) -> None:
    """Converting back through the inverse rate returns the amount within rounding."""
    table = n.FxTable([(DAY, "USD", "EUR", rate)])
    assert table.rate("USD", "EUR", DAY) * table.rate("EUR", "USD", DAY) == pytest.approx(1)
    there = table.convert(Money(amount=amount, currency="EUR"), "USD", DAY)
    back = table.convert(there, "EUR", DAY)
    assert abs(back.amount - amount) <= Decimal("0.005") * rate + Decimal("0.005")


def test_half_even_rounding() -> None:
    """Exact halves round to the even cent (ROUND_HALF_EVEN), not always up."""
    table = n.FxTable([(DAY, "EUR", "USD", Decimal("0.5"))])
    assert table.convert(Money(amount=Decimal("0.05"), currency="EUR"), "USD", DAY).amount == (
        Decimal("0.02")
    )
    assert table.convert(Money(amount=Decimal("0.07"), currency="EUR"), "USD", DAY).amount == (
        Decimal("0.04")
    )


def test_currency_table_matches_iso_4217_as_pycountry_ships_it() -> None:
    """Every ISO 4217 code with minor units is known; only N.A. codes and withdrawn ones differ."""
    import pycountry  # noqa: PLC0415 - only this test needs it

    iso = {c.alpha_3 for c in pycountry.currencies}
    not_money = {"XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU",
                 "XTS", "XUA", "XXX"}  # fmt: skip
    withdrawn = {"ANG", "BGN", "CUC", "HRK", "SLL", "ZWL"}
    assert n.CURRENCIES - withdrawn == iso - not_money
