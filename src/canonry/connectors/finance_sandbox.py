"""Connector for Canonry's sandbox ERP (``canonry sandbox serve finance``).

Declarations and mapping only: the API key, keyset pages, retries, archiving and watermarks
are the framework's. Money arrives as minor-unit strings, dates in the format each record
names (``date_format``: ISO, DMY or BASIC), tax rates as ``"23%"`` or ``0.23``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import SecretStr

from canonry.sdk import (
    ApiKey,
    ConnectionConfig,
    Connector,
    Customer,
    GLAccount,
    Invoice,
    InvoiceDirection,
    InvoiceLine,
    KeysetPagination,
    Mapping,
    MappingContext,
    MappingError,
    Payment,
    PaymentMethod,
    Record,
    Stream,
    Vendor,
    maps,
)
from canonry.sdk import normalize as n

_ORDERS: dict[str, n.DateOrder | None] = {"ISO": None, "BASIC": None, "DMY": "DMY"}
_METHODS = {
    "bank_transfer": PaymentMethod.BANK_TRANSFER,
    "sepa_credit": PaymentMethod.BANK_TRANSFER,
    "card": PaymentMethod.CARD,
    "cheque": PaymentMethod.CHECK,
    "direct_debit": PaymentMethod.DIRECT_DEBIT,
}
_DIRECTIONS = {"sales": InvoiceDirection.RECEIVABLE, "purchase": InvoiceDirection.PAYABLE}


class FinanceSandboxConfig(ConnectionConfig):
    """Where the sandbox ERP runs and the API key it issued."""

    api_key: SecretStr


def _date(r: Record, name: str) -> dt.date:
    """A date field read in the record's own declared ``date_format``."""
    fmt = r.get("date_format")
    if fmt not in _ORDERS:
        raise MappingError(
            f"date_format: {fmt!r} is not one of {sorted(_ORDERS)}", field="date_format", value=fmt
        )
    return n.parse_date(r[name], field=name, order=_ORDERS[fmt])


def _decimal(value: Any, *, field: str) -> Decimal:
    """A plain decimal number (a quantity); words and blanks are refused."""
    try:
        out = Decimal(str(value).strip()) if not isinstance(value, bool) else None
    except InvalidOperation:
        out = None
    if out is None or not out.is_finite():
        raise MappingError(f"{field}: {value!r} is not a number", field=field, value=value)
    return out


def _tax_rate(value: Any, *, field: str) -> Decimal | None:
    """``"23%"`` or ``0.23`` as the fraction 0.23."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        return _decimal(value.strip()[:-1], field=field) / 100
    return _decimal(repr(value) if isinstance(value, float) else value, field=field)


def _tax_id(value: Any) -> str | None:
    """Upper case, spaces and punctuation dropped: ``pt 123 456 789`` -> ``PT123456789``."""
    text = n.text(value)
    if text is None:
        return None
    return "".join(c for c in text.upper() if c.isalnum()) or None


def _minor(r: Record, name: str, currency: str) -> Decimal:
    return n.money_amount(r[name], currency, field=name, in_minor_units=True)


def _party(r: Record, tax_field: str) -> dict[str, Any]:
    return {
        "source_id": str(r["id"]),
        "source_updated_at": n.parse_datetime(r["modified_at"], field="modified_at"),
        "name": r.get("name"),
        "tax_id": _tax_id(r.get(tax_field)),
        "email": n.email(r.get("email"), field="email"),
        "country": n.country_code(r.get("country"), field="country"),
        "currency": n.currency_code(r["currency"], field="currency") if r.get("currency") else None,
    }


_PARTY_PATHS = {
    "name": "name",
    "email": "email",
    "phone": "",
    "country": "country",
    "currency": "currency",
    "status": "",
}


@maps(Vendor, version=1, paths={**_PARTY_PATHS, "tax_id": "tax_id"})
def vendor(r: Record, ctx: MappingContext) -> Vendor:
    """ERP supplier: tax id and email normalized; no phone in this source."""
    return Vendor(**_party(r, "tax_id"))


@maps(Customer, version=1, paths={**_PARTY_PATHS, "tax_id": "vat_number"})
def customer(r: Record, ctx: MappingContext) -> Customer:
    """ERP customer: VAT number as tax id (None for consumers), email normalized."""
    return Customer(**_party(r, "vat_number"))


def _line(ln: Record, currency: str) -> InvoiceLine:
    qty = _decimal(ln.get("quantity"), field="lines.quantity")
    unit_minor = _decimal(ln.get("unit_price_minor"), field="lines.unit_price_minor")
    net_minor = (qty * unit_minor).to_integral_value(ROUND_HALF_EVEN)
    return InvoiceLine(
        line_no=ln["line_no"],
        description=n.text(ln.get("description")),
        quantity=qty,
        unit_price=n.money_amount(
            unit_minor, currency, field="lines.unit_price_minor", in_minor_units=True
        ),
        tax_rate=_tax_rate(ln.get("tax_rate"), field="lines.tax_rate"),
        account_code=n.text(ln.get("account_code")),
        line_total=n.money_amount(net_minor, currency, field="lines", in_minor_units=True),
    )


@maps(
    Invoice,
    version=1,
    paths={
        "number": "number",
        "direction": "type",
        "status": "status",
        "vendor_source_id": "vendor_id",
        "customer_source_id": "customer_id",
        "issue_date": "issue_date",
        "due_date": "due_date",
        "currency": "currency",
        "subtotal": "subtotal_minor",
        "tax": "tax_minor",
        "total": "total_minor",
        "amount_due": "",
        "lines": "lines",
    },
)
def invoice(r: Record, ctx: MappingContext) -> Invoice:
    """Sales (receivable) or purchase (payable) invoice; minor units and dates normalized."""
    currency = n.currency_code(r.get("currency"), field="currency")
    direction = _DIRECTIONS.get(r.get("type", ""))
    if direction is None:
        raise MappingError(f"type: {r.get('type')!r} is not sales or purchase", field="type")
    lines = sorted((_line(ln, currency) for ln in r.get("lines") or []), key=lambda x: x.line_no)
    return Invoice(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["modified_at"], field="modified_at"),
        number=n.text(r.get("number")),
        direction=direction,
        status=r.get("status"),
        vendor_source_id=n.text(r.get("vendor_id")),
        customer_source_id=n.text(r.get("customer_id")),
        issue_date=_date(r, "issue_date"),
        due_date=_date(r, "due_date") if r.get("due_date") else None,
        currency=currency,
        subtotal=_minor(r, "subtotal_minor", currency),
        tax=_minor(r, "tax_minor", currency),
        total=_minor(r, "total_minor", currency),
        lines=lines,
    )


@maps(
    Payment,
    version=1,
    paths={
        "invoice_source_id": "invoice_id",
        "amount": "amount_minor",
        "currency": "currency",
        "paid_at": "payment_date",
        "method": "method",
        "reference": "reference",
    },
)
def payment(r: Record, ctx: MappingContext) -> Payment:
    """Payment against an invoice; the payment date is read as midnight UTC."""
    currency = n.currency_code(r.get("currency"), field="currency")
    paid = _date(r, "payment_date")
    return Payment(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["modified_at"], field="modified_at"),
        invoice_source_id=n.text(r.get("invoice_id")),
        amount=_minor(r, "amount_minor", currency),
        currency=currency,
        paid_at=dt.datetime(paid.year, paid.month, paid.day, tzinfo=dt.UTC),
        method=_METHODS.get(r.get("method", ""), PaymentMethod.OTHER) if r.get("method") else None,
        reference=n.text(r.get("reference")),
    )


@maps(
    GLAccount,
    version=1,
    paths={"code": "code", "name": "name", "type": "type", "currency": "", "active": "is_active"},
)
def account(r: Record, ctx: MappingContext) -> GLAccount:
    """Chart-of-accounts entry; this source keeps accounts multi-currency (currency None)."""
    return GLAccount(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["modified_at"], field="modified_at"),
        code=r.get("code"),
        name=r.get("name"),
        type=r.get("type"),
        active=bool(r.get("is_active", True)),
    )


def _auth(cfg: FinanceSandboxConfig) -> ApiKey:
    return ApiKey(cfg.api_key.get_secret_value(), header="X-API-Key")


# Each page continues after the last record read, (modified_at, id), not at an offset that
# shifts when records change mid-walk.
_KEYSET = KeysetPagination(
    cursor_field="modified_at",
    since_param="modified_since",
    after_param="after_id",
    records_path="items",
    page_size=500,
)


def _stream(name: str, mapping: Mapping[Any]) -> Stream:
    return Stream(
        name=name,
        path=f"/api/{name}",
        mapping=mapping,
        pagination=_KEYSET,
        records_path="items",
        cursor_field="modified_at",
        cursor_param="modified_since",
        deleted_field="is_deleted",
    )


connector: Connector[FinanceSandboxConfig] = Connector(
    name="finance_sandbox",
    title="Canonry sandbox ERP (finance)",
    config=FinanceSandboxConfig,
    auth=_auth,
    streams=(
        _stream("accounts", account),
        _stream("vendors", vendor),
        _stream("customers", customer),
        _stream("invoices", invoice),
        _stream("payments", payment),
    ),
)
