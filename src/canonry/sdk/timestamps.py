"""Timestamps and dates in the formats real APIs send, to UTC, never guessing an order.

DST policy for naive local times (read in the connection's zone), deterministic:

- a *nonexistent* time (in the spring-forward gap, e.g. 02:30 on the day clocks jump
  from 02:00 to 03:00) is shifted forward by the gap: 02:30 becomes 03:30 local time.
  This is PEP 495's ``fold=0`` reading (the offset before the transition).
- an *ambiguous* time (repeated in the fall-back hour) is read as the earlier instant
  (``fold=0``, still on summer time).

:func:`localize` offers ``"raise"`` for either case where a source must not be guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from canonry.errors import MappingError

UTC = dt.UTC
EpochUnit = Literal["s", "ms"]
DateOrder = Literal["DMY", "MDY", "YMD"]

_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_SPLIT_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def localize(
    naive: dt.datetime,
    tz: dt.tzinfo,
    *,
    field: str,
    nonexistent: Literal["shift_forward", "raise"] = "shift_forward",
    ambiguous: Literal["earlier", "later", "raise"] = "earlier",
) -> dt.datetime:
    """The UTC instant of wall-clock ``naive`` in ``tz``, by the module's DST policy."""
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    round_trip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:  # in the gap: this wall-clock time never happened
        if nonexistent == "raise":
            raise MappingError(
                f"{field}: {naive.isoformat()} does not exist in {tz} (DST gap); "
                "send an offset or use nonexistent='shift_forward'",
                field=field,
                value=naive.isoformat(),
            )
        return early.astimezone(UTC)
    if ambiguous == "raise":
        raise MappingError(
            f"{field}: {naive.isoformat()} happens twice in {tz} (DST fall-back); "
            "send an offset or choose ambiguous='earlier'|'later'",
            field=field,
            value=naive.isoformat(),
        )
    return (early if ambiguous == "earlier" else late).astimezone(UTC)


def from_epoch(value: Any, *, field: str, unit: EpochUnit) -> dt.datetime:
    """A UTC datetime from epoch seconds or milliseconds (int, Decimal or numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise MappingError(
            f"{field}: expected epoch {unit} as a number, got {type(value).__name__} {value!r}",
            field=field,
            value=value,
        )
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise MappingError(
            f"{field}: {value!r} is not an epoch time in {unit}", field=field, value=value
        )
    millis = number if unit == "ms" else number * 1000
    try:
        return _EPOCH + dt.timedelta(milliseconds=float(millis))
    except OverflowError:
        raise MappingError(
            f"{field}: epoch {value!r} {unit} is out of the supported range",
            field=field,
            value=value,
        ) from None


def from_ms_json_date(text: str, *, field: str) -> dt.datetime | None:
    """``/Date(1518685950940+0000)/`` (Xero, SAP OData) as UTC, or None if not that form.

    The number is milliseconds since the epoch in UTC; the optional offset only says how
    the source displayed it, so the instant does not depend on it.
    """
    match = _MS_DATE.match(text)
    if match is None:
        return None
    return from_epoch(int(match[1]), field=field, unit="ms")


def ordered_date(text: str, order: DateOrder, *, field: str) -> dt.date:
    """``04/03/2019`` read in the declared ``order`` (DMY, MDY or YMD); never guessed."""
    match = _SPLIT_DATE.match(text)
    if match is None:
        raise MappingError(
            f"{field}: {text!r} is not a date in {order} order (like 04/03/2019)",
            field=field,
            value=text,
        )
    parts = dict(zip(order, (int(match[1]), int(match[2]), int(match[3])), strict=True))
    if parts["Y"] < 1000:
        raise MappingError(
            f"{field}: {text!r} needs a four-digit year ({order} order)", field=field, value=text
        )
    try:
        return dt.date(parts["Y"], parts["M"], parts["D"])
    except ValueError:
        raise MappingError(
            f"{field}: {text!r} is not a valid date in {order} order", field=field, value=text
        ) from None
