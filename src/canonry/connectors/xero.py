"""Xero Accounting API (``api.xero.com/api.xro/2.0``): contacts, invoices, payments, accounts.

Declarations and mapping only. What Xero does differently, and where the SDK handles it:
OAuth2 with rotating refresh tokens (``OAuth2RefreshToken``; the engine persists each new
one), the organisation chosen by an ``xero-tenant-id`` header (``config_headers``), 100
records per ``page`` (``PageNumberPagination``), changes since a time in the
``If-Modified-Since`` header (``InHeader``), and MS-JSON dates ``/Date(1539993600000+0000)/``
(``normalize.parse_datetime``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from canonry.sdk import (
    ConnectionConfig,
    Connector,
    Customer,
    GLAccount,
    InHeader,
    Invoice,
    InvoiceDirection,
    InvoiceLine,
    Mapping,
    MappingContext,
    MappingError,
    OAuth2RefreshToken,
    PageNumberPagination,
    Paginator,
    Payment,
    Record,
    SinglePage,
    Stream,
    Vendor,
    get_path,
    maps,
)
from canonry.sdk import normalize as n

_SINCE = "modified_since"
"""The logical cursor param; Xero reads it from the ``If-Modified-Since`` header."""


class XeroConfig(ConnectionConfig):
    """A Xero organisation (tenant) and the OAuth2 app authorised to read it.

    ``refresh_token`` comes from the app's authorization-code consent; Xero rotates it on
    every refresh and Canonry stores each new one encrypted.
    """

    base_url: str = "https://api.xero.com/api.xro/2.0"
    token_url: str = "https://identity.xero.com/connect/token"  # noqa: S105 - a URL
    tenant_id: str
    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr


def _auth(cfg: XeroConfig) -> OAuth2RefreshToken:
    return OAuth2RefreshToken(
        token_url=cfg.token_url,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret.get_secret_value(),
        refresh_token=cfg.refresh_token.get_secret_value(),
    )


def _tenant(cfg: XeroConfig) -> dict[str, str]:
    return {"xero-tenant-id": cfg.tenant_id}


def _changed(r: Record) -> dt.datetime:
    return n.parse_datetime(r.get("UpdatedDateUTC"), field="UpdatedDateUTC")


def _day(r: Record, name: str) -> dt.date | None:
    """A Xero date (``/Date(ms+0000)/`` at midnight UTC) as a calendar date."""
    value = r.get(name)
    return None if value in (None, "") else n.parse_datetime(value, field=name).date()


def _money(value: Any, currency: str, field: str) -> Decimal:
    return n.money_amount(value, currency, field=field)


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _tax_id(value: Any) -> str | None:
    """Upper case, spaces and punctuation dropped (``12-345-678`` -> ``12345678``)."""
    cleaned = _NOT_ALNUM.sub("", n.text(value) or "").upper()
    return cleaned or None


def _phone(r: Record) -> str | None:
    """The ``DEFAULT`` phone as country code + area code + number (digits kept, no region)."""
    for p in r.get("Phones") or []:
        if p.get("PhoneType") == "DEFAULT" and n.text(p.get("PhoneNumber")):
            parts = (p.get("PhoneCountryCode"), p.get("PhoneAreaCode"), p.get("PhoneNumber"))
            country = n.text(parts[0])
            number = "".join(n.text(x) or "" for x in parts[1:])
            return n.phone(f"+{country}{number}" if country else number, field="Phones")
    return None


def _country(r: Record) -> str | None:
    """The first address with a country (``"United States"`` or ``"US"``) as ISO alpha-2."""
    for a in r.get("Addresses") or []:
        if n.text(a.get("Country")):
            return n.country(a["Country"], field="Addresses.Country")
    return None


_PARTY_PATHS = {
    "name": "Name",
    "tax_id": "TaxNumber",
    "email": "EmailAddress",
    "phone": "Phones[PhoneType=DEFAULT]",
    "country": "Addresses[].Country",
    "currency": "DefaultCurrency",
    "status": "ContactStatus",
}


def _party(r: Record, flag: str, role: str) -> dict[str, Any]:
    if r.get(flag) is not True:
        raise MappingError(
            f"{flag}: contact is not a {role} but was returned for the {role}s stream; "
            f"check the stream's where={flag}==true filter",
            field=flag,
            value=r.get(flag),
        )
    status = r.get("ContactStatus")
    return {
        "source_id": str(r["ContactID"]),
        "source_updated_at": _changed(r),
        "name": n.text(r.get("Name")) or "",
        "tax_id": _tax_id(r.get("TaxNumber")),
        "email": n.email(r.get("EmailAddress"), field="EmailAddress"),
        "phone": _phone(r),
        "country": _country(r),
        "currency": n.currency_code(r["DefaultCurrency"], field="DefaultCurrency")
        if r.get("DefaultCurrency")
        else None,
        "status": "active" if status in (None, "ACTIVE") else "inactive",
    }


@maps(Vendor, version=1, paths=_PARTY_PATHS)
def vendor(r: Record, ctx: MappingContext) -> Vendor:
    """A contact with ``IsSupplier``; ARCHIVED and GDPRREQUEST contacts are inactive."""
    return Vendor(**_party(r, "IsSupplier", "supplier"))


@maps(Customer, version=1, paths=_PARTY_PATHS)
def customer(r: Record, ctx: MappingContext) -> Customer:
    """A contact with ``IsCustomer``; ARCHIVED and GDPRREQUEST contacts are inactive."""
    return Customer(**_party(r, "IsCustomer", "customer"))


_DIRECTIONS = {"ACCREC": InvoiceDirection.RECEIVABLE, "ACCPAY": InvoiceDirection.PAYABLE}
_STATUSES: dict[str, Any] = {
    "DRAFT": "draft", "SUBMITTED": "draft", "AUTHORISED": "open", "PAID": "paid",
    "VOIDED": "void", "DELETED": "void",
}  # fmt: skip


def _line(i: int, li: Record, currency: str) -> InvoiceLine:
    qty = li.get("Quantity")
    return InvoiceLine(
        line_no=i,
        description=n.text(li.get("Description")),
        quantity=Decimal(repr(qty)) if isinstance(qty, float) else Decimal(str(qty or 0)),
        unit_price=_money(li.get("UnitAmount") or 0, currency, "LineItems.UnitAmount"),
        tax_rate=None,
        account_code=n.text(li.get("AccountCode")),
        line_total=_money(li.get("LineAmount") or 0, currency, "LineItems.LineAmount"),
    )


@maps(
    Invoice,
    version=1,
    paths={
        "number": "InvoiceNumber",
        "direction": "Type",
        "status": "Status",
        "vendor_source_id": "Contact.ContactID",
        "customer_source_id": "Contact.ContactID",
        "issue_date": "Date",
        "due_date": "DueDate",
        "currency": "CurrencyCode",
        "subtotal": "SubTotal",
        "tax": "TotalTax",
        "total": "Total",
        "amount_due": "AmountDue",
        "lines": "LineItems",
    },
)
def invoice(r: Record, ctx: MappingContext) -> Invoice:
    """Sales invoice (ACCREC) or bill (ACCPAY); an AUTHORISED one with payments is partly paid."""
    kind = r.get("Type")
    if kind not in _DIRECTIONS:
        raise MappingError(f"Type: {kind!r} is not ACCREC or ACCPAY", field="Type", value=kind)
    status = _STATUSES.get(r.get("Status", ""))
    if status is None:
        raise MappingError(f"Status: unknown {r.get('Status')!r}", field="Status")
    currency = n.currency_code(r.get("CurrencyCode"), field="CurrencyCode")
    if status == "open" and (r.get("AmountPaid") or 0) > 0:
        status = "partially_paid"
    contact = n.text(get_path(r, "Contact.ContactID"))
    issued = _day(r, "Date")
    if issued is None:
        raise MappingError("Date: an invoice needs a date", field="Date")
    payable = _DIRECTIONS[kind] is InvoiceDirection.PAYABLE
    return Invoice(
        source_id=str(r["InvoiceID"]),
        source_updated_at=_changed(r),
        number=n.text(r.get("InvoiceNumber")),
        direction=_DIRECTIONS[kind],
        status=status,
        vendor_source_id=contact if payable else None,
        customer_source_id=None if payable else contact,
        issue_date=issued,
        due_date=_day(r, "DueDate"),
        currency=currency,
        subtotal=_money(r.get("SubTotal"), currency, "SubTotal"),
        tax=_money(r.get("TotalTax"), currency, "TotalTax"),
        total=_money(r.get("Total"), currency, "Total"),
        amount_due=None
        if r.get("AmountDue") is None
        else _money(r["AmountDue"], currency, "AmountDue"),
        lines=[_line(i, li, currency) for i, li in enumerate(r.get("LineItems") or [], 1)],
    )


@maps(
    Payment,
    version=1,
    paths={
        "invoice_source_id": "Invoice.InvoiceID",
        "amount": "Amount",
        "currency": "Invoice.CurrencyCode",
        "paid_at": "Date",
        "method": "",
        "reference": "Reference",
    },
)
def payment(r: Record, ctx: MappingContext) -> Payment:
    """A payment against an invoice, in the invoice's currency, dated midnight UTC."""
    currency = n.currency_code(get_path(r, "Invoice.CurrencyCode"), field="Invoice.CurrencyCode")
    paid = _day(r, "Date")
    if paid is None:
        raise MappingError("Date: a payment needs a date", field="Date")
    return Payment(
        source_id=str(r["PaymentID"]),
        source_updated_at=_changed(r),
        invoice_source_id=n.text(get_path(r, "Invoice.InvoiceID")),
        amount=_money(r.get("Amount"), currency, "Amount"),
        currency=currency,
        paid_at=dt.datetime.combine(paid, dt.time(), dt.UTC),
        method=None,
        reference=n.text(r.get("Reference")),
    )


_CLASSES: dict[str, Any] = {"ASSET": "asset", "LIABILITY": "liability", "EQUITY": "equity",
            "REVENUE": "revenue", "EXPENSE": "expense"}  # fmt: skip
_TYPES: dict[str, Any] = {
    **dict.fromkeys(("BANK", "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT"), "asset"),
    **dict.fromkeys(
        (
            "CURRLIAB",
            "LIABILITY",
            "TERMLIAB",
            "PAYGLIABILITY",
            "SUPERANNUATIONLIABILITY",
            "WAGESPAYABLELIABILITY",
        ),
        "liability",
    ),
    "EQUITY": "equity",
    **dict.fromkeys(("REVENUE", "SALES", "OTHERINCOME"), "revenue"),
    **dict.fromkeys(
        (
            "EXPENSE",
            "DIRECTCOSTS",
            "OVERHEADS",
            "DEPRECIATN",
            "WAGESEXPENSE",
            "SUPERANNUATIONEXPENSE",
        ),
        "expense",
    ),
}


@maps(
    GLAccount,
    version=1,
    paths={
        "code": "Code",
        "name": "Name",
        "type": "Class",
        "currency": "CurrencyCode",
        "active": "Status",
    },
)
def account(r: Record, ctx: MappingContext) -> GLAccount:
    """A ledger account; its type from ``Class``, else from the finer ``Type``."""
    kind = _CLASSES.get(r.get("Class", "")) or _TYPES.get(r.get("Type", ""))
    if kind is None:
        raise MappingError(f"Type: unknown account type {r.get('Type')!r}", field="Type")
    currency = r.get("CurrencyCode")
    return GLAccount(
        source_id=str(r["AccountID"]),
        source_updated_at=_changed(r) if r.get("UpdatedDateUTC") else None,
        code=n.text(r.get("Code")) or str(r["AccountID"]),
        name=n.text(r.get("Name")) or "",
        type=kind,
        currency=n.currency_code(currency, field="CurrencyCode") if currency else None,
        active=r.get("Status", "ACTIVE") == "ACTIVE",
    )


def _pages() -> Paginator:
    return PageNumberPagination(
        page_param="page", size_param="pageSize", page_size=100,
        total_pages_path="pagination.pageCount",
    )  # fmt: skip


def _stream(
    name: str,
    path: str,
    mapping: Mapping[Any],
    key: str,
    *,
    pagination: Paginator | None = None,
    deleted_status: str | None = None,
    **params: str,
) -> Stream:
    """A Xero collection, oldest change first, incremental on ``If-Modified-Since``.

    ``deleted_status``: the ``Status`` value Xero gives a deleted record (it stays listed).
    """
    return Stream(
        name=name,
        path=path,
        mapping=mapping,
        pagination=pagination or _pages(),
        primary_key=key,
        records_path=path.strip("/"),
        cursor_field="UpdatedDateUTC",
        cursor_param=_SINCE,
        placement={_SINCE: InHeader("If-Modified-Since")},
        params={"order": "UpdatedDateUTC ASC", **params},
        deleted_field="Status" if deleted_status else None,
        deleted_value=deleted_status,
    )


connector: Connector[XeroConfig] = Connector(
    name="xero",
    title="Xero Accounting",
    config=XeroConfig,
    auth=_auth,
    config_headers=_tenant,
    streams=(
        _stream("accounts", "/Accounts", account, "AccountID", pagination=SinglePage()),
        _stream(
            "vendors",
            "/Contacts",
            vendor,
            "ContactID",
            where="IsSupplier==true",
            includeArchived="true",
        ),
        _stream(
            "customers",
            "/Contacts",
            customer,
            "ContactID",
            where="IsCustomer==true",
            includeArchived="true",
        ),
        _stream("invoices", "/Invoices", invoice, "InvoiceID"),
        _stream("payments", "/Payments", payment, "PaymentID", deleted_status="DELETED"),
    ),
    rate_limit=(60, 60.0),
    max_in_flight=5,
)
