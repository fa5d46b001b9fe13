"""Column forms of the ``normalize`` helpers: a page's worth of one field in a few
comprehensions, with no Python call per value.

A call per value (keyword ``field=``, its checks for rare input) cost more than the
conversion itself: 0.2-0.9 µs of a 24-field employee's 9 µs of mapping. Each form here
handles the input a source usually sends (text and nulls, float amounts) exactly as its
helper does, and returns None for a column holding anything else, or anything its helper
would refuse: the engine then converts that column value by value, which accepts or names
the failure. So a form may only ever give up, never decide differently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime

from canonry.sdk.currencies import CURRENCIES, MINOR_UNITS
from canonry.sdk.normalize import (
    _EMAIL,
    _PHONE_JUNK,
    _QUANTS,
    country_code,
    currency_code,
    email,
    money_amount,
    parse_date,
    parse_datetime,
    phone,
    strict_text,
    text,
)

Column = list[Any]
_NONE = type(None)
_TEXT_OR_NONE = frozenset((str, _NONE))
_AMOUNT_OR_NONE = frozenset((float, int, str, _NONE))
_UTC = dt.UTC
# A phone number as ``phone`` returns it: ASCII digits after one optional "+". Its own
# check is wider (any Unicode digit): those go value by value.
_PLAIN_PHONE = re.compile(r"\+?[0-9]{4,15}")


def _texts(raw: Column) -> bool:
    return _TEXT_OR_NONE.issuperset(map(type, raw))


def text_column(raw: Column) -> Column | None:
    """``text``: strings stripped inline; anything else through ``text`` itself."""
    return [(v.strip() or None) if type(v) is str else None if v is None else text(v) for v in raw]


def strict_text_column(raw: Column) -> Column | None:
    """``strict_text`` of text and nulls (it refuses anything else)."""
    return text_column(raw) if _texts(raw) else None


def email_column(raw: Column) -> Column | None:
    """``email`` of text and nulls, every address well formed."""
    if not _texts(raw):
        return None
    out = [None if v is None else v.strip().lower() or None for v in raw]
    return out if all(map(_EMAIL.match, filter(None, out))) else None


def phone_column(raw: Column) -> Column | None:
    """``phone`` (no region) of text and nulls, every number plain digits once cleaned."""
    if not _texts(raw):
        return None
    junk = _PHONE_JUNK.sub
    cleaned = [None if v is None else junk("", v) or None for v in raw]
    out = ["+" + t[2:] if t is not None and t[:2] == "00" else t for t in cleaned]
    return out if all(map(_PLAIN_PHONE.fullmatch, filter(None, out))) else None


def datetime_column(raw: Column) -> Column | None:
    """``parse_datetime`` of ISO 8601 text that carries its offset, and nulls."""
    if not _texts(raw):
        return None
    iso = dt.datetime.fromisoformat
    try:
        parsed = [None if v is None else iso(v) for v in raw]
    except ValueError:  # stripped, /Date(ms)/, or refused: by parse_datetime
        return None
    if any(p is not None and p.tzinfo is None for p in parsed):
        return None  # naive: read in the mapping's zone, by parse_datetime
    return [None if p is None else p.astimezone(_UTC) for p in parsed]


def date_column(raw: Column) -> Column | None:
    """``parse_date`` (no order) of ISO dates or date-times as text, and nulls."""
    if not _texts(raw):
        return None
    day, stamp = dt.date.fromisoformat, dt.datetime.fromisoformat
    try:
        return [
            None if v is None else day(t) if len(t := v.strip()) == 10 else stamp(t).date()
            for v in raw
        ]
    except ValueError:
        return None


def currency_column(raw: Column) -> Column | None:
    """``currency_code`` of known codes and nulls, each distinct value converted once."""
    if not _texts(raw):
        return None
    codes = {v: v.strip().upper() for v in set(raw) if v is not None}
    if not CURRENCIES.issuperset(codes.values()):
        return None
    return [None if v is None else codes[v] for v in raw]


def country_column(raw: Column) -> Column | None:
    """``country_code`` of two-letter codes, blanks and nulls, each distinct value once."""
    if not _texts(raw):
        return None
    codes = {v: v.strip().upper() for v in set(raw) if v}
    if not all(len(c) == 2 and c.isalpha() for c in codes.values()):
        return None
    return [codes[v] if v else None for v in raw]


def money_column(raw: Column, currencies: Column) -> Column | None:
    """``money_amount`` of numbers and numeric text, each with its converted currency (both
    null, or both present: an amount without its currency is refused, and so is a currency
    without an amount)."""
    if not _AMOUNT_OR_NONE.issuperset(map(type, raw)):
        return None  # bools (not amounts), and anything else money_amount refuses
    if any((v is None) is not (c is None) for v, c in zip(raw, currencies, strict=True)):
        return None
    try:
        amounts = [
            None if v is None
            else Decimal(repr(v)) if type(v) is float
            else Decimal(v.strip()) if type(v) is str
            else Decimal(v)
            for v in raw
        ]  # fmt: skip
        if not all(a.is_finite() for a in amounts if a is not None):
            return None  # inf and nan: not an amount
        quants, units = _QUANTS, MINOR_UNITS
        return [
            None if a is None else a.quantize(quants[units.get(c, 2)])
            for a, c in zip(amounts, currencies, strict=True)
        ]
    except ArithmeticError:  # not a number, or more digits than a Decimal holds
        return None


WHOLE_COLUMN: dict[Callable[..., Any], Callable[[Column], Column | None]] = {
    text: text_column,
    strict_text: strict_text_column,
    email: email_column,
    phone: phone_column,
    parse_datetime: datetime_column,
    parse_date: date_column,
    currency_code: currency_column,
    country_code: country_column,
}
"""Column forms of helpers that take one value (and ``field=``)."""

WHOLE_COLUMN_USING: dict[Callable[..., Any], Callable[[Column, Column], Column | None]] = {
    money_amount: money_column,
}
"""Column forms of helpers that take a second, already converted field (``using=``)."""

UNCHANGED_BY: dict[Callable[..., Any], tuple[Any, ...]] = {
    text: (str,),
    strict_text: (str,),
    email: (str,),
    phone: (str,),
    parse_datetime: (dt.datetime, AwareDatetime),
    parse_date: (dt.date,),
    money_amount: (Decimal,),
}
"""Helpers whose every result is None or a value that a field of one of these types (with no
constraints of its own) takes unchanged: a stripped, non-empty ``str``; an aware
``datetime``; a ``date``; a finite ``Decimal``."""
