"""How broken ERP exports look: the malformed-record kinds of the finance sandbox.

Each kind is a real-world failure a mapping layer must catch rather than load: a European
decimal comma in a minor-unit amount, a currency code that does not exist, a calendar date that
cannot exist, and a quantity typed as a word.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from canonry.sandbox import _fin_tables as ft

Record = dict[str, Any]
# Payments have no lines, so they draw from the first three kinds only.
FINANCE_MALFORMED_KINDS: Final = (
    "amount_comma",
    "unknown_currency",
    "impossible_date",
    "quantity_word",
)
_AMOUNT_FIELD: Final = {"invoices": "total_minor", "payments": "amount_minor"}
_DATE_FIELD: Final = {"invoices": "issue_date", "payments": "payment_date"}


def kinds_for(stream: str) -> tuple[str, ...]:
    """The kinds that can hit a record of `stream` (none for master data)."""
    if stream == "invoices":
        return FINANCE_MALFORMED_KINDS
    return FINANCE_MALFORMED_KINDS[:3] if stream == "payments" else ()


def _impossible_date(fmt: str, year: str) -> str:
    if fmt == "DMY":
        return f"31/02/{year}"
    return f"{year}0231" if fmt == "BASIC" else f"{year}-02-31"


def malform(stream: str, record: Record, kind: str) -> Record:
    """A corrupted copy of `record`; the original (the truth) is left untouched."""
    rec = copy.deepcopy(record)
    if kind == "amount_comma":
        field = _AMOUNT_FIELD[stream]
        digits = ft.MINOR_DIGITS.get(rec["currency"], 2)
        major = int(rec[field]) / 10**digits
        rec[field] = f"{major:.2f}".replace(".", ",")
    elif kind == "unknown_currency":
        rec["currency"] = "XXX"
    elif kind == "impossible_date":
        field = _DATE_FIELD[stream]
        text, fmt = rec[field], rec["date_format"]
        year = text[-4:] if fmt == "DMY" else text[:4]
        rec[field] = _impossible_date(fmt, year)
    else:
        rec["lines"][0]["quantity"] = "two"
    return rec
