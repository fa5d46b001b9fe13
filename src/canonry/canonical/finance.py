"""Finance entities: who we buy from and sell to, what was invoiced and paid, the ledger.

Amounts are Decimal in major units of the record's ``currency`` (ISO 4217), quantized to
its minor units by the normalizer. Totals are documented, not enforced: sources round per
line or per document, and a canonical record must not refuse a legitimate invoice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from canonry.canonical.base import CanonicalEntity
from canonry.canonical.money import CountryCode, CurrencyCode


class PartyStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class InvoiceDirection(StrEnum):
    """``receivable``: we bill a customer; ``payable``: a vendor bills us."""

    RECEIVABLE = "receivable"
    PAYABLE = "payable"


class InvoiceStatus(StrEnum):
    """Lifecycle; "overdue" is derived from ``due_date`` and not a status."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class PaymentMethod(StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    CASH = "cash"
    CHECK = "check"
    WALLET = "wallet"
    OTHER = "other"


class GLAccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"


class _Party(CanonicalEntity):
    """Fields vendors and customers share."""

    name: str = Field(description="Legal or display name as the source has it.")
    tax_id: str | None = Field(
        default=None,
        description="Tax number, upper case without spaces or punctuation, country prefix "
        "kept when the source gives one (PT123456789).",
    )
    email: str | None = Field(default=None, description="Billing email, lower-cased.")
    phone: str | None = Field(default=None, description="E.164 where the source allows it.")
    country: CountryCode | None = None
    currency: CurrencyCode | None = Field(default=None, description="Default billing currency.")
    status: PartyStatus = PartyStatus.ACTIVE


class Vendor(_Party):
    """A supplier that bills us (accounts payable)."""

    entity_name: ClassVar[str] = "vendor"
    schema_version: ClassVar[int] = 1


class Customer(_Party):
    """Someone we bill (accounts receivable)."""

    entity_name: ClassVar[str] = "customer"
    schema_version: ClassVar[int] = 1


class InvoiceLine(BaseModel):
    """One line of an invoice; ``line_total`` is quantity x unit_price before tax, as sent."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    line_no: int = Field(ge=1, description="1-based position on the invoice.")
    description: str | None = None
    quantity: Decimal = Field(description="Units sold; negative on credit lines.")
    unit_price: Decimal = Field(description="Per unit, major units, before tax.")
    tax_rate: Decimal | None = Field(default=None, ge=0, description="As a fraction: 0.23 is 23 %.")
    account_code: str | None = Field(default=None, description="GL account code it posts to.")
    line_total: Decimal = Field(description="Line amount before tax, as the source rounded it.")


class Invoice(CanonicalEntity):
    """A bill we issue (receivable) or receive (payable); total = subtotal + tax, by contract."""

    entity_name: ClassVar[str] = "invoice"
    schema_version: ClassVar[int] = 1

    number: str | None = Field(default=None, description="The human invoice number.")
    direction: InvoiceDirection
    status: InvoiceStatus
    vendor_source_id: str | None = Field(default=None, description="Set when payable.")
    customer_source_id: str | None = Field(default=None, description="Set when receivable.")
    issue_date: dt.date
    due_date: dt.date | None = None
    currency: CurrencyCode
    subtotal: Decimal = Field(description="Sum of line totals before tax, major units.")
    tax: Decimal = Field(description="Total tax, major units.")
    total: Decimal = Field(description="subtotal + tax, major units, as the source states it.")
    amount_due: Decimal | None = Field(default=None, description="Still unpaid, major units.")
    lines: list[InvoiceLine] = Field(default_factory=list, description="In line_no order.")


class Payment(CanonicalEntity):
    """Money received for or paid against an invoice."""

    entity_name: ClassVar[str] = "payment"
    schema_version: ClassVar[int] = 1

    invoice_source_id: str | None = Field(default=None, description="None for unapplied cash.")
    amount: Decimal = Field(description="Major units; negative for refunds.")
    currency: CurrencyCode
    paid_at: AwareDatetime = Field(description="When the payment settled, UTC.")
    method: PaymentMethod | None = None
    reference: str | None = Field(default=None, description="Bank or processor reference.")


class GLAccount(CanonicalEntity):
    """An account of the general ledger (chart of accounts)."""

    entity_name: ClassVar[str] = "gl_account"
    schema_version: ClassVar[int] = 1

    code: str = Field(description="Account code as in the chart of accounts (4000).")
    name: str
    type: GLAccountType
    currency: CurrencyCode | None = Field(default=None, description="None: multi-currency.")
    active: bool = True
