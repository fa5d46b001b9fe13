"""Normalization helpers every mapping uses. Each raises ``MappingError`` naming the value.

Fast paths first: these run once per field per record, millions of times in a sync.
This module is the one connectors import (``from canonry.sdk import normalize as n``);
the larger helpers live in sibling modules and are re-exported here:

- money and currencies: :func:`money_amount`, :func:`money`, :func:`currency_code`,
  :class:`FxTable` (``canonry.sdk.currencies``, ``canonry.sdk.fx``);
- time: :func:`parse_datetime` (ISO 8601, ``/Date(ms)/``, epoch with ``unit=``),
  :func:`parse_date` (ISO, ``YYYYMMDD``, ``order="DMY"``...), :func:`localize` and the
  DST policy (``canonry.sdk.timestamps``);
- pay periods and physical units: :func:`annualize`, :func:`convert_period`,
  :func:`quantity` (``canonry.sdk.units``, pint loaded lazily);
- places: :func:`country`, :func:`phone_e164` (``canonry.sdk.places``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from canonry.canonical.money import Money
from canonry.errors import MappingError
from canonry.sdk.currencies import CURRENCIES, MINOR_UNITS
from canonry.sdk.fx import FxRow, FxTable
from canonry.sdk.places import alpha2_codes, country, phone_e164
from canonry.sdk.timestamps import (
    DateOrder,
    EpochUnit,
    from_epoch,
    from_ms_json_date,
    localize,
    ordered_date,
)
from canonry.sdk.units import PERIODS, annualize, convert_period, periods_per_year, quantity

__all__ = [
    "CURRENCIES",
    "MINOR_UNITS",
    "PERIODS",
    "UTC",
    "DateOrder",
    "EpochUnit",
    "FxRow",
    "FxTable",
    "Money",
    "alpha2_codes",
    "annualize",
    "convert_period",
    "country",
    "country_code",
    "currency_code",
    "email",
    "from_epoch",
    "from_ms_json_date",
    "localize",
    "minor_units",
    "money",
    "money_amount",
    "ordered_date",
    "parse_date",
    "parse_datetime",
    "periods_per_year",
    "phone",
    "phone_e164",
    "quantity",
    "strict_text",
    "text",
]

UTC = dt.UTC

_QUANTS = {n: Decimal(1).scaleb(-n) for n in range(5)}
_ISO_DATE = re.compile(r"^(?:\d{4}-\d\d-\d\d|\d{8}$)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_JUNK = re.compile(r"[\s().\-/]")


def parse_datetime(
    value: Any, *, field: str, naive_tz: dt.tzinfo = UTC, unit: EpochUnit | None = None
) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 text; naive times are read in ``naive_tz``.

    Also reads Microsoft JSON dates (``/Date(1518685950940+0000)/``) and, only when ``unit``
    says ``"s"`` or ``"ms"``, epoch numbers (or numeric strings). Naive times in a DST gap
    shift forward; ambiguous ones take the earlier instant (see :func:`localize`).
    """
    if unit is None and type(value) is str:  # the usual case, ISO 8601 with an offset
        try:
            fast = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if fast.tzinfo is not None:
                return fast.astimezone(UTC)
    if isinstance(value, dt.datetime):
        parsed = value
    elif unit is not None and not isinstance(value, dt.date):
        return from_epoch(value, field=field, unit=unit)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            found = from_ms_json_date(value.strip(), field=field)
            if found is not None:
                return found
            raise MappingError(
                f"{field}: {value!r} is not an ISO 8601 date-time (nor /Date(ms)/)",
                field=field,
                value=value,
            ) from None
    else:
        raise MappingError(
            f"{field}: expected an ISO 8601 string, got {type(value).__name__} {value!r}",
            field=field,
            value=value,
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(UTC)


def parse_date(value: Any, *, field: str, order: DateOrder | None = None) -> dt.date:
    """A calendar date from ``2019-03-04``, ``20190304`` or a date-time (its date as written).

    ``04/03/2019`` is read only with an explicit ``order`` (``"DMY"``, ``"MDY"``, ``"YMD"``);
    ISO dates are still read as ISO when an order is given.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if order is not None and isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        return ordered_date(value.strip(), order, field=field)
    if not isinstance(value, str):
        raise MappingError(
            f"{field}: expected a date string, got {type(value).__name__} {value!r}",
            field=field,
            value=value,
        )
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise MappingError(
            f"{field}: {value!r} is not a valid date (expected YYYY-MM-DD or YYYYMMDD)",
            field=field,
            value=value,
        ) from None


def currency_code(value: Any, *, field: str) -> str:
    """An upper-case ISO 4217 code; unknown codes are refused rather than guessed."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in CURRENCIES:
        raise MappingError(
            f"{field}: {value!r} is not a known ISO 4217 currency code", field=field, value=value
        )
    return code


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (JPY 0, KWD 3, CLF 4, most 2)."""
    return MINOR_UNITS.get(currency, 2)


def money_amount(
    value: Any,
    currency: str,
    *,
    field: str,
    in_minor_units: bool = False,
    decimal_comma: bool = False,
) -> Decimal:
    """A Decimal in major units, quantized to the currency's minor units.

    Accepts strings (``"85000.00"``), ints and floats (floats go through ``repr`` so 0.1
    stays 0.1). ``in_minor_units`` reads integers as cents (or yen, or fils) and refuses
    a fractional part (``"28.72"`` cents is not an amount: it is major units or garbage).
    ``decimal_comma`` reads European text (``"1.234,50"``); it is never guessed.
    """
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{field}: expected an amount, got {value!r}", field=field, value=value)
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif decimal_comma and isinstance(value, str):
            amount = Decimal(value.strip().replace(".", "").replace(",", "."))
        else:
            amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(
            f"{field}: {value!r} is not a number", field=field, value=value
        ) from None
    if not amount.is_finite():
        raise MappingError(f"{field}: {value!r} is not a finite amount", field=field, value=value)
    digits = minor_units(currency)
    if in_minor_units:
        if amount != amount.to_integral_value():
            raise MappingError(
                f"{field}: {value!r} has a fractional part, but the field holds whole minor "
                f"units of {currency} ({10**digits} to the {currency}); the source sent major "
                "units or a broken value. Check the source, or map this field without "
                "in_minor_units if it really holds major units",
                field=field,
                value=value,
            )
        amount = amount.scaleb(-digits)
    return amount.quantize(_QUANTS[digits])


def money(
    amount: Any,
    currency: Any,
    *,
    field: str,
    in_minor_units: bool = False,
    decimal_comma: bool = False,
) -> Money:
    """A :class:`Money` from an amount and an ISO 4217 code (see :func:`money_amount`)."""
    code = currency_code(currency, field=field)
    value = money_amount(
        amount, code, field=field, in_minor_units=in_minor_units, decimal_comma=decimal_comma
    )
    return Money(amount=value, currency=code)


def email(value: Any, *, field: str) -> str | None:
    """A trimmed, lower-cased email, or None when empty; refuses text without ``@``."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if not _EMAIL.match(text):
        raise MappingError(f"{field}: {value!r} is not an email address", field=field, value=value)
    return text


def phone(value: Any, *, field: str, default_region: str | None = None) -> str | None:
    """Digits with a leading ``+`` kept (``+1 (415) 555-0134`` -> ``+14155550134``).

    With ``default_region`` the number is validated and returned in E.164 by
    :func:`phone_e164` (national numbers read in that region). Without it, the historical
    lenient behaviour is kept (junk stripped, 4 to 15 digits) so existing mappings keep
    their output; new mappings should pass a region or call :func:`phone_e164`.
    """
    if default_region is not None:
        return phone_e164(value, field=field, default_region=default_region)
    if value is None:
        return None
    text = _PHONE_JUNK.sub("", str(value))
    if not text:
        return None
    if text.startswith("00"):  # the international call prefix, as "+"
        text = "+" + text[2:]
    body = text[1:] if text.startswith("+") else text
    if not body.isdigit() or not 4 <= len(body) <= 15:
        raise MappingError(f"{field}: {value!r} is not a phone number", field=field, value=value)
    return text


def country_code(value: Any, *, field: str) -> str | None:
    """An upper-case ISO 3166-1 alpha-2 code, or None when absent.

    Only two-letter codes: names and alpha-3 codes are read by :func:`country`.
    """
    if value is None or value == "":
        return None
    code = str(value).strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise MappingError(
            f"{field}: {value!r} is not an ISO 3166-1 alpha-2 country code",
            field=field,
            value=value,
        )
    return code


def text(value: Any) -> str | None:
    """Trimmed text, or None for absent or blank values."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def strict_text(value: Any, *, field: str) -> str | None:
    """Like ``text`` but refuses non-strings: an id that arrives as a number is a format change."""
    if value is None or isinstance(value, str):
        return text(value)
    raise MappingError(
        f"{field}: expected text, got {type(value).__name__} {value!r}", field=field, value=value
    )
