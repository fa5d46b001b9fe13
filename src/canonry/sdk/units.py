"""Pay periods and physical quantities: conversions in Decimal, refusals naming the units.

``pint`` is imported on first use (it is slow to import) into one module-level registry
that reads numbers as Decimal, so ``2.5 lb`` is exactly ``1.133980925 kg``.
"""

from __future__ import annotations

import re
import warnings
from decimal import Context, Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from canonry.errors import MappingError

if TYPE_CHECKING:
    import pint

PERIODS = ("hourly", "daily", "weekly", "biweekly", "semimonthly", "monthly", "annual")
"""Pay periods :func:`annualize` and :func:`convert_period` know, shortest first."""

_FIXED_PER_YEAR = {"semimonthly": Decimal(24), "monthly": Decimal(12), "annual": Decimal(1)}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)\s*$")


def periods_per_year(
    period: str,
    *,
    hours_per_week: Decimal | int = 40,
    days_per_week: Decimal | int = 5,
    weeks_per_year: Decimal | int = 52,
    field: str = "period",
) -> Decimal:
    """How many ``period`` s a year has under the configured working time."""
    weeks = Decimal(weeks_per_year)
    per_year = {
        "hourly": Decimal(hours_per_week) * weeks,
        "daily": Decimal(days_per_week) * weeks,
        "weekly": weeks,
        "biweekly": weeks / 2,
    }.get(period) or _FIXED_PER_YEAR.get(period)
    if per_year is None:
        raise MappingError(
            f"{field}: {period!r} is not a pay period (expected one of {', '.join(PERIODS)})",
            field=field,
            value=period,
        )
    return per_year


def annualize(
    amount: Decimal,
    period: str,
    *,
    hours_per_week: Decimal | int = 40,
    days_per_week: Decimal | int = 5,
    weeks_per_year: Decimal | int = 52,
    field: str = "period",
) -> Decimal:
    """``amount`` paid per ``period``, as a yearly amount (not rounded: quantize as money)."""
    return amount * periods_per_year(
        period,
        hours_per_week=hours_per_week,
        days_per_week=days_per_week,
        weeks_per_year=weeks_per_year,
        field=field,
    )


def convert_period(
    amount: Decimal,
    from_period: str,
    to_period: str,
    *,
    hours_per_week: Decimal | int = 40,
    days_per_week: Decimal | int = 5,
    weeks_per_year: Decimal | int = 52,
    field: str = "period",
) -> Decimal:
    """``amount`` per ``from_period`` expressed per ``to_period`` (hourly -> monthly ...)."""
    hours = {"hours_per_week": hours_per_week, "days_per_week": days_per_week}
    yearly = periods_per_year(from_period, weeks_per_year=weeks_per_year, field=field, **hours)
    per_target = periods_per_year(to_period, weeks_per_year=weeks_per_year, field=field, **hours)
    if from_period == to_period:
        return amount
    return amount * yearly / per_target


@cache
def _registry() -> pint.UnitRegistry[Decimal]:
    with warnings.catch_warnings():  # pint may warn about its optional dependencies on import
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import pint  # noqa: PLC0415 - deliberately lazy: pint takes ~0.3 s to import

        return pint.UnitRegistry(non_int_type=Decimal)


@lru_cache(maxsize=1024)
def _affine(unit: str, to: str) -> tuple[Decimal, Decimal]:
    """``(offset, slope)`` with ``value in to == offset + slope * value in unit``."""
    import pint  # noqa: PLC0415 - already imported by _registry

    ureg = _registry()
    try:
        zero = ureg.Quantity(Decimal(0), unit).to(to).magnitude
        one = ureg.Quantity(Decimal(1), unit).to(to).magnitude
    except pint.DimensionalityError:
        raise ValueError(f"unit mismatch: {unit!r} cannot be converted to {to!r}") from None
    except (pint.UndefinedUnitError, AttributeError, TypeError, ValueError):
        raise ValueError(f"unknown unit {unit!r} or {to!r}") from None
    # 24 significant digits drop pint's Decimal noise (273.15 * 9 / 5 ...) and stay exact
    # for every defined factor (0.45359237 kg per lb).
    rounded = Context(prec=24)
    return (
        rounded.plus(Decimal(zero)).normalize(),
        rounded.plus(Decimal(one) - Decimal(zero)).normalize(),
    )


def quantity(value: Any, unit: str | None, *, to: str, field: str) -> Decimal:
    """``value`` in ``unit`` (or ``"500 ml"`` text with ``unit=None``) converted to ``to``."""
    text = str(value).strip() if isinstance(value, str | int | Decimal) else None
    if isinstance(value, float):
        text = repr(value)
    if unit is None and text is not None:
        match = _QUANTITY.match(text)
        text, unit = (match[1], match[2]) if match else (None, None)
    if text is None or unit is None or isinstance(value, bool):
        raise MappingError(
            f"{field}: expected a number with a unit (like '500 ml'), got {value!r}",
            field=field,
            value=value,
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise MappingError(f"{field}: {value!r} is not a finite number", field=field, value=value)
    try:
        offset, slope = _affine(unit.strip(), to)
    except ValueError as exc:
        raise MappingError(f"{field}: {exc}", field=field, value=value) from None
    return offset + slope * number
