"""Commerce (point of sale) entities: locations, the menu, and orders with their lines.

Amounts are Decimal in major units of the order's ``currency``. Line and order totals are
the source's own (discounts, service charges and rounding differ by source); the relation
``total = subtotal + tax`` (tip separate) is the contract, documented rather than enforced.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from canonry.canonical.base import CanonicalEntity
from canonry.canonical.money import CountryCode, CurrencyCode
from canonry.canonical.places import TimeZoneName


class OrderState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


class MerchantLocation(CanonicalEntity):
    """A shop, restaurant or till group that takes orders."""

    entity_name: ClassVar[str] = "merchant_location"
    schema_version: ClassVar[int] = 1

    name: str
    timezone: TimeZoneName | None = None
    currency: CurrencyCode | None = Field(default=None, description="Default currency.")
    address_line1: str | None = None
    address_line2: str | None = None
    address_city: str | None = None
    address_region: str | None = None
    address_postal_code: str | None = None
    address_country: CountryCode | None = None


class MenuItem(CanonicalEntity):
    """A sellable catalog item; each variation of a source item is its own MenuItem (flat)."""

    entity_name: ClassVar[str] = "menu_item"
    schema_version: ClassVar[int] = 1

    name: str
    category: str | None = None
    sku: str | None = None
    price: Decimal | None = Field(default=None, description="Major units; None: priced at sale.")
    currency: CurrencyCode | None = None
    active: bool = True


class OrderLineModifier(BaseModel):
    """An option applied to a line (extra shot, no onions) with its price per line unit."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str
    price: Decimal = Field(default=Decimal(0), description="Major units, may be 0.")


class OrderLine(BaseModel):
    """One line of an order."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    catalog_item_source_id: str | None = Field(
        default=None, description="Source id of the MenuItem; None for custom amounts."
    )
    name: str
    quantity: Decimal = Field(description="Units; may be fractional (0.5 kg).")
    unit_price: Decimal = Field(description="Major units, before modifiers and tax.")
    modifiers: list[OrderLineModifier] = Field(default_factory=list)
    line_total: Decimal = Field(description="As the source computed it, major units.")


class Order(CanonicalEntity):
    """A sale at a merchant location."""

    entity_name: ClassVar[str] = "order"
    schema_version: ClassVar[int] = 1

    location_source_id: str
    state: OrderState
    opened_at: AwareDatetime = Field(description="UTC.")
    closed_at: AwareDatetime | None = Field(default=None, description="UTC; None while open.")
    currency: CurrencyCode
    subtotal: Decimal = Field(description="Major units, before tax and tip.")
    tax: Decimal = Field(default=Decimal(0), description="Major units.")
    tip: Decimal = Field(default=Decimal(0), description="Major units, not part of total.")
    total: Decimal = Field(description="subtotal + tax, major units, as the source states it.")
    lines: list[OrderLine] = Field(default_factory=list)
