"""Column forms of the normalize helpers: each gives up on a column, or converts it exactly as
its helper does value by value; it never accepts a value its helper refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canonry.sdk import columnar
from canonry.sdk import normalize as n

REFUSED = "refused"


def value_by_value(helper: Callable[..., Any], raw: list[Any]) -> list[Any] | str:
    """The helper on each value as a column's field would call it; None stays None."""
    out = []
    for value in raw:
        if value is None:
            out.append(None)
            continue
        try:
            out.append(helper(value, field="f"))
        except Exception:
            return REFUSED
    return out


def amounts_by_value(raw: list[Any], currencies: list[Any]) -> list[Any] | str:
    """``money_amount`` with its currency, as ``Read.convert_one`` pairs them."""
    out = []
    for value, currency in zip(raw, currencies, strict=True):
        if currency is None and value is None:
            out.append(None)
            continue
        if currency is None:
            return REFUSED
        try:
            out.append(n.money_amount(value, currency, field="f"))
        except Exception:
            return REFUSED
    return out


def assert_gives_up_or_agrees(form_out: list[Any] | None, expected: list[Any] | str) -> None:
    if expected == REFUSED:
        assert form_out is None, f"accepted what its helper refuses: {form_out!r}"
    elif form_out is not None:
        assert repr(form_out) == repr(expected)  # exactly: 1.0 and 1.00 differ


_odd = st.one_of(st.integers(-3, 3), st.booleans(), st.floats(), st.just([1]), st.just({}))
_phones = st.one_of(
    st.from_regex(r"(\+|00)?[0-9 ().\-/]{0,18}", fullmatch=True),
    st.text(alphabet="0123456789+ ()-\u0663\u00b2\u00a0\t", max_size=18),
)
_emails = st.one_of(
    st.emails(),
    st.sampled_from([" Ada@Example.COM ", "a@b.co", "bad", "", "  ", "x@y", "a b@c.d"]),
)
_stamps = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2024-05-01T10:00:00Z", " 2024-05-01T10:00:00+02:00", "2024-05-01",
            "/Date(1518685950940+0000)/", "2024-13-01T00:00:00+00:00", "later",
        ]
    ),
)  # fmt: skip
_dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(
        [
            " 2021-03-04 ", "20210304", "2021-02-30", "2021-03-04T09:00:00+05:30",
            "2021-03-04T09:00", "2021-3-4", "soon", "",
        ]
    ),
)  # fmt: skip
_currencies = st.sampled_from(["EUR", "eur", " usd ", "JPY", "KWD", "CLF", "XXX1", "", " "])
_countries = st.sampled_from(["pt", " PT ", "", "  ", "PRT", "P1", "\u00c5\u00d6", "de"])
_amounts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**40),
    st.sampled_from(["85000.00", " 12.5 ", "1_000", "NaN", "Infinity", "1e400", "12,5", "x"]),
    st.booleans(),
)

CASES = [
    (columnar.email_column, n.email, _emails),
    (columnar.phone_column, n.phone, _phones),
    (columnar.datetime_column, n.parse_datetime, _stamps),
    (columnar.date_column, n.parse_date, _dates),
    (columnar.currency_column, n.currency_code, _currencies),
    (columnar.country_column, n.country_code, _countries),
    (columnar.strict_text_column, n.strict_text, st.text(max_size=6)),
    (columnar.text_column, lambda v, field: n.text(v), st.text(max_size=6)),
]


@pytest.mark.parametrize(
    ("form", "helper", "values"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_a_column_form_gives_up_or_converts_as_its_helper(
    form: Callable[[list[Any]], list[Any] | None],
    helper: Callable[..., Any],
    values: st.SearchStrategy[Any],
) -> None:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(values, st.none()), max_size=12), st.lists(_odd, max_size=1))
    def check(raw: list[Any], odd: list[Any]) -> None:
        column = raw + odd  # sometimes one value of another type: text forms give up
        assert_gives_up_or_agrees(form(column), value_by_value(helper, column))
        for value in column:  # alone, no other value makes the form give up for it
            assert_gives_up_or_agrees(form([value]), value_by_value(helper, [value]))

    check()


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.one_of(_amounts, st.none()), st.one_of(_currencies, st.none()))))
def test_the_amount_form_gives_up_or_converts_as_money_amount(pairs: list[Any]) -> None:
    raw = [amount for amount, _ in pairs]
    codes = [None if c is None else c.strip().upper() or None for _, c in pairs]
    currencies = [c if c in n.CURRENCIES else None for c in codes]  # a converted column
    assert_gives_up_or_agrees(
        columnar.money_column(raw, currencies), amounts_by_value(raw, currencies)
    )
    for pair in zip(raw, currencies, strict=True):  # alone, as above
        one, code = [pair[0]], [pair[1]]
        assert_gives_up_or_agrees(columnar.money_column(one, code), amounts_by_value(one, code))


@pytest.mark.parametrize(
    ("form", "helper", "column"),
    [
        (columnar.email_column, n.email, [" Ada@Example.COM", None, "b@c.io", "  "]),
        (columnar.phone_column, n.phone, ["089 7092 1442", "00351 21735162", None, "+1 (415) 5"]),
        (columnar.datetime_column, n.parse_datetime, ["2022-12-31T19:16:49-05:00", None]),
        (columnar.date_column, n.parse_date, ["2022-08-01T09:00:00-05:00", "2021-03-04", None]),
        (columnar.currency_column, n.currency_code, ["EUR", "usd", None, "EUR"]),
        (columnar.country_column, n.country_code, ["DE", "pt", "", None]),
    ],
)  # fmt: skip
def test_the_column_forms_take_what_sources_usually_send(
    form: Callable[[list[Any]], list[Any] | None], helper: Callable[..., Any], column: list[Any]
) -> None:
    """Not only giving up: a sandbox-like column is converted in its column form."""
    out = form(column)
    assert out is not None
    assert out == value_by_value(helper, column)


def test_the_amount_form_takes_floats_integers_and_numeric_text() -> None:
    raw, currencies = [46.39, 85000, " 70000.00 ", None, 12.5], ["EUR", "JPY", "KWD", None, "USD"]
    out = columnar.money_column(raw, currencies)
    assert out is not None
    assert repr(out) == repr(amounts_by_value(raw, currencies))
    assert [str(a) for a in out if a is not None] == ["46.39", "85000", "70000.000", "12.50"]
