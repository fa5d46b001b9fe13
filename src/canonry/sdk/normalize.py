"""Normalization helpers every mapping uses. Each raises ``MappingError`` naming the value.

Fast paths first: these run once per field per record, millions of times in a sync.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from canonry.errors import MappingError

UTC = dt.UTC

# ISO 4217 minor units that differ from 2; everything else known uses 2.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
_KNOWN_CURRENCIES = frozenset(
    (
        "AED ARS AUD BHD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR IQD ISK "
        "JOD JPY KRW KWD LYD MXN MYR NGN NOK NZD OMR PEN PHP PKR PLN QAR RON SAR SEK SGD THB TND "
        "TRY TWD UAH USD VND ZAR"
    ).split()
)
_QUANTS = {n: Decimal(1).scaleb(-n) for n in range(4)}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_JUNK = re.compile(r"[\s().\-/]")


def parse_datetime(value: Any, *, field: str, naive_tz: dt.tzinfo = UTC) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 text; naive times are read in ``naive_tz``."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise MappingError(
                f"{field}: {value!r} is not an ISO 8601 date-time", field=field, value=value
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


def parse_date(value: Any, *, field: str) -> dt.date:
    """A calendar date from ``2019-03-04`` or a date-time (its date as written, offset kept)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
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
            f"{field}: {value!r} is not a valid date (expected YYYY-MM-DD)",
            field=field,
            value=value,
        ) from None


def currency_code(value: Any, *, field: str) -> str:
    """An upper-case ISO 4217 code; unknown codes are refused rather than guessed."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in _KNOWN_CURRENCIES:
        raise MappingError(
            f"{field}: {value!r} is not a known ISO 4217 currency code", field=field, value=value
        )
    return code


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (JPY 0, KWD 3, most 2)."""
    return _MINOR_UNITS.get(currency, 2)


def money_amount(value: Any, currency: str, *, field: str, in_minor_units: bool = False) -> Decimal:
    """A Decimal in major units, quantized to the currency's minor units.

    Accepts strings (``"85000.00"``), ints and floats (floats go through ``repr`` so 0.1
    stays 0.1). ``in_minor_units`` reads integers as cents (or yen, or fils).
    """
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{field}: expected an amount, got {value!r}", field=field, value=value)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(
            f"{field}: {value!r} is not a number", field=field, value=value
        ) from None
    if not amount.is_finite():
        raise MappingError(f"{field}: {value!r} is not a finite amount", field=field, value=value)
    digits = minor_units(currency)
    if in_minor_units:
        amount = amount.scaleb(-digits)
    return amount.quantize(_QUANTS[digits])


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


def phone(value: Any, *, field: str) -> str | None:
    """Digits with a leading ``+`` kept (``+1 (415) 555-0134`` -> ``+14155550134``)."""
    if value is None:
        return None
    text = _PHONE_JUNK.sub("", str(value))
    if not text:
        return None
    body = text[1:] if text.startswith("+") else text
    if not body.isdigit() or not 4 <= len(body) <= 15:
        raise MappingError(f"{field}: {value!r} is not a phone number", field=field, value=value)
    return text


def country_code(value: Any, *, field: str) -> str | None:
    """An upper-case ISO 3166-1 alpha-2 code, or None when absent."""
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
