"""Currency conversion from a dated table of rates, in Decimal, without guessing."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from canonry.canonical.money import Money
from canonry.errors import MappingError
from canonry.sdk.currencies import MINOR_UNITS

FxRow = tuple[dt.date, str, str, Decimal]
"""``(date, base, quote, rate)``: on ``date``, one ``base`` buys ``rate`` of ``quote``."""


class FxTable:
    """Rates by day; a conversion uses the latest rate on or before the day asked for.

    A pair is found directly (EUR->USD), by inverse (USD->EUR from EUR->USD) or through a
    pivot currency (GBP->JPY via EUR); each leg uses its own latest rate on or before the day.
    """

    def __init__(self, rows: Iterable[FxRow], *, pivots: tuple[str, ...] = ("EUR", "USD")) -> None:
        self.pivots = pivots
        series: dict[tuple[str, str], dict[dt.date, Decimal]] = {}
        for day, base, quote, raw in rows:
            rate = Decimal(raw)
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"rate {base}->{quote} on {day} must be positive, got {raw}")
            series.setdefault((base, quote), {})[day] = rate
        self._days = {pair: sorted(days) for pair, days in series.items()}
        self._rates = {pair: [series[pair][d] for d in self._days[pair]] for pair in series}

    def __repr__(self) -> str:
        return f"<FxTable [{len(self._rates)} pairs, pivots {'/'.join(self.pivots)}]>"

    def _direct(self, base: str, quote: str, on: dt.date) -> Decimal | None:
        days = self._days.get((base, quote))
        if days:
            i = bisect.bisect_right(days, on)
            if i:
                return self._rates[(base, quote)][i - 1]
        return None

    def _one_leg(self, base: str, quote: str, on: dt.date) -> Decimal | None:
        if base == quote:
            return Decimal(1)
        rate = self._direct(base, quote, on)
        if rate is not None:
            return rate
        inverse = self._direct(quote, base, on)
        return None if inverse is None else Decimal(1) / inverse

    def rate(self, base: str, quote: str, on: dt.date, *, field: str = "currency") -> Decimal:
        """How much ``quote`` one ``base`` buys on ``on``; MappingError when no rate is loaded."""
        rate = self._one_leg(base, quote, on)
        if rate is not None:
            return rate
        for pivot in self.pivots:
            first, second = self._one_leg(base, pivot, on), self._one_leg(pivot, quote, on)
            if first is not None and second is not None:
                return first * second
        raise MappingError(
            f"no {base}->{quote} rate on or before {on.isoformat()}; load rates with "
            f"FxTable([(date, base, quote, rate), ...]) (looked directly, inverse and via "
            f"{'/'.join(self.pivots)})",
            field=field,
            value=f"{base}->{quote}@{on.isoformat()}",
        )

    def convert(
        self, money: Money, to_currency: str, on_date: dt.date, *, field: str = "amount"
    ) -> Money:
        """``money`` in ``to_currency`` at the rate of ``on_date``, rounded half-even."""
        amount = money.amount * self.rate(money.currency, to_currency, on_date, field=field)
        quant = Decimal(1).scaleb(-MINOR_UNITS.get(to_currency, 2))
        return Money(amount=amount.quantize(quant, rounding=ROUND_HALF_EVEN), currency=to_currency)
