"""Render the fake ERP's records: vendors, customers, GL accounts, invoices and payments.

Spellings vary by record on purpose, like real accounting exports: amounts are strings in minor
units, dates come as ISO, DD/MM/YYYY or YYYYMMDD (each record names its `date_format`), tax ids
and emails are typed inconsistently, tax rates are "23%" or 0.23.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from canonry.sandbox import _fin_tables as ft
from canonry.sandbox._gen import EPOCH, Bits, fmt_ts

Record = dict[str, Any]
DATE_FORMATS: Final = ("ISO", "DMY", "BASIC")
_TS_STYLES: Final[tuple[int | str | None, ...]] = (None, None, 0, 60, -300, 330, 540, "naive")


def vendor_id(idx: int) -> str:
    return f"VEN-{idx + 1:05d}"


def customer_id(idx: int) -> str:
    return f"CUS-{idx + 1:05d}"


def invoice_id(idx: int) -> str:
    return f"INV-{idx + 1:06d}"


def payment_id(idx: int) -> str:
    return f"PAY-{idx + 1:06d}"


def modified_at(us: int, b: Bits) -> str:
    """ISO datetime with "Z", an offset, or naive (documented as UTC)."""
    style = b.pick(_TS_STYLES)
    if style == "naive":
        return (EPOCH + dt.timedelta(microseconds=us)).replace(tzinfo=None).isoformat()
    return fmt_ts(us, style if isinstance(style, int) else None)


def to_date(us: int) -> dt.date:
    return (EPOCH + dt.timedelta(microseconds=us)).date()


def fmt_date(d: dt.date, fmt: str) -> str:
    if fmt == "DMY":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    return d.strftime("%Y%m%d") if fmt == "BASIC" else d.isoformat()


def _tax_id(b: Bits, country: str) -> str | None:
    n = f"{b.below(10**9):09d}"
    clean = {
        "US": f"{n[:2]}-{n[2:]}",
        "JP": f"T{n}{b.below(10**4):04d}",
        "CH": f"CHE-{n[:3]}.{n[3:6]}.{n[6:]} MWST",
        "KW": None,
    }.get(country, f"{country}{n}")
    if clean is None or country in ("US", "JP", "CH"):
        return clean
    style = b.below(10)  # most are clean; some typed by hand
    if style == 8:
        return f"{country.lower()}{n}"
    return f"{country} {n[:3]} {n[3:6]} {n[6:]}" if style == 9 else clean


def _email(b: Bits, local: str, name: str) -> str:
    domain = "".join(c for c in name.lower() if c.isascii() and c.isalnum())[:18] + ".example"
    email = f"{local}@{domain}"
    style = b.below(6)
    if style == 4:
        return email.upper()
    return f"{local.title()}@{domain.title()}" if style == 5 else email


def party(b: Bits, is_vendor: bool) -> tuple[ft.Country, str]:
    country = b.weighted(ft.COUNTRIES, ft.COUNTRY_WEIGHTS)
    if not is_vendor and b.chance(400):
        return country, b.pick(ft.PEOPLE)
    return country, f"{b.pick(ft.NAME_PARTS)} {b.pick(ft.SECTORS)} {country.suffix}"


def vendor_record(seed: int, idx: int, changed_us: int, version: int = 0) -> Record:
    """A supplier; later versions re-draw contact details, terms and tax-id spelling."""
    country, name = party(Bits(b"%d:fv:%d" % (seed, idx)), is_vendor=True)
    b = Bits(b"%d:fv:%d:%d" % (seed, idx, version))
    return {
        "id": vendor_id(idx),
        "name": name,
        "tax_id": _tax_id(b, country.code),
        "email": _email(b, b.pick(("ap", "billing", "invoices", "finance")), name),
        "country": country.code,
        "currency": country.currency,
        "payment_terms_days": b.pick((0, 15, 30, 30, 45, 60, 90)),
        "is_deleted": False,
        "modified_at": modified_at(changed_us, b),
    }


def customer_record(seed: int, idx: int, changed_us: int, version: int = 0) -> Record:
    """A buyer (company or consumer); credit limits are minor-unit strings."""
    country, name = party(Bits(b"%d:fc:%d" % (seed, idx)), is_vendor=False)
    b = Bits(b"%d:fc:%d:%d" % (seed, idx, version))
    is_person = not name.endswith(country.suffix)
    local = name.split()[0].lower() if is_person else b.pick(("accounts", "purchasing", "ap"))
    limit = (
        (1 + b.below(50)) * 1000 * ft.FX[country.currency] * 10 ** ft.MINOR_DIGITS[country.currency]
    )
    return {
        "id": customer_id(idx),
        "name": name,
        "email": _email(b, local, name),
        "vat_number": None if is_person else _tax_id(b, country.code),
        "country": country.code,
        "currency": country.currency,
        "credit_limit_minor": str(round(limit)),
        "is_deleted": False,
        "modified_at": modified_at(changed_us, b),
    }


def account_record(idx: int, changed_us: int, b: Bits) -> Record:
    """A GL account; past the base chart, accounts are numbered sub-accounts of it."""
    code, name, kind = ft.ACCOUNTS[idx % len(ft.ACCOUNTS)]
    round_ = idx // len(ft.ACCOUNTS)
    if round_:
        code, name = f"{code}-{round_:02d}", f"{name} ({('EU', 'US', 'APAC', 'ME')[round_ % 4]})"
    return {
        "id": f"GL-{idx + 1:04d}",
        "code": code,
        "name": name,
        "type": kind,
        "parent_code": ft.ACCOUNTS[idx % len(ft.ACCOUNTS)][0] if round_ else None,
        "is_active": not b.chance(50),
        "is_deleted": False,
        "modified_at": modified_at(changed_us, b),
    }


def minor(major: float, currency: str) -> int:
    return round(float(major) * ft.FX[currency] * float(10 ** ft.MINOR_DIGITS[currency]))


def _lines(b: Bits, currency: str, rates: tuple[str, ...], codes: tuple[str, ...]) -> list[Record]:
    lines = []
    for no in range(1, 2 + b.below(4)):
        qty = b.pick(("1", "2", "3", "10", "1.5", "0.25", "12.000", "7.5"))
        rate = b.pick(rates)
        spelled: str | float = f"{rate}%" if b.chance(500) else float(Decimal(rate) / 100)
        lines.append(
            {
                "line_no": no,
                "description": b.pick(ft.LINE_ITEMS),
                "quantity": qty,
                "unit_price_minor": str(minor(5 + b.below(2000), currency)),
                "tax_rate": spelled,
                "account_code": b.pick(codes),
            }
        )
    return lines


def line_totals(lines: list[Record]) -> tuple[int, int]:
    """(net, tax) in minor units, each line rounded half-even as most ERPs do."""
    net = tax = 0
    for ln in lines:
        line_net = (Decimal(ln["quantity"]) * int(ln["unit_price_minor"])).to_integral_value(
            ROUND_HALF_EVEN
        )
        rate = ln["tax_rate"]
        r = Decimal(rate[:-1]) / 100 if isinstance(rate, str) else Decimal(str(rate))
        net += int(line_net)
        tax += int((line_net * r).to_integral_value(ROUND_HALF_EVEN))
    return net, tax


def invoice_record(
    seed: int, idx: int, created_us: int, changed_us: int, party_idx: int, *, is_sale: bool
) -> Record:
    """A sales invoice (to a customer) or a purchase invoice (from a vendor), with lines."""
    b = Bits(b"%d:fi:%d" % (seed, idx))
    country, _ = party(Bits(b"%d:%s:%d" % (seed, b"fc" if is_sale else b"fv", party_idx)), True)
    codes = ft.REVENUE_CODES if is_sale else ft.EXPENSE_CODES
    lines = _lines(b, country.currency, country.tax_rates, codes)
    net, tax = line_totals(lines)
    fmt = b.weighted(DATE_FORMATS, (60, 25, 15))
    issued = to_date(created_us)
    return {
        "id": invoice_id(idx),
        "number": f"{'FT' if is_sale else 'PI'} {issued.year}/{idx + 1}",
        "type": "sales" if is_sale else "purchase",
        "customer_id": customer_id(party_idx) if is_sale else None,
        "vendor_id": None if is_sale else vendor_id(party_idx),
        "status": "open",
        "currency": country.currency,
        "date_format": fmt,
        "issue_date": fmt_date(issued, fmt),
        "due_date": fmt_date(issued + dt.timedelta(days=b.pick((15, 30, 60))), fmt),
        "lines": lines,
        "subtotal_minor": str(net),
        "tax_minor": str(tax),
        "total_minor": str(net + tax),
        "is_deleted": False,
        "modified_at": modified_at(changed_us, b),
    }


def payment_record(
    seed: int, idx: int, invoice: Record, amount: int, changed_us: int, **given: Any
) -> Record:
    """A payment against an invoice, in the invoice's currency; `given` overrides (POSTs)."""
    b = Bits(b"%d:fp:%d" % (seed, idx))
    fmt = b.weighted(DATE_FORMATS, (60, 25, 15))
    rec: Record = {
        "id": payment_id(idx),
        "invoice_id": invoice["id"],
        "amount_minor": str(amount),
        "currency": invoice["currency"],
        "date_format": fmt,
        "payment_date": fmt_date(to_date(changed_us), fmt),
        "method": b.pick(ft.METHODS),
        "reference": f"RF{seed % 100:02d}{idx + 1:08d}",
        "is_deleted": False,
        "modified_at": modified_at(changed_us, b),
    }
    rec.update(given)
    return rec
