"""Connector for Canonry's sandbox supplier portal (``SupplierPortalSandbox``).

The second vendor source: suppliers typed their own names and tax ids, contacts are sales
desks, and the portal has phone numbers the ERP lacks. Nested objects flatten here.
"""

from __future__ import annotations

from pydantic import SecretStr

from canonry.sdk import (
    ApiKey,
    ConnectionConfig,
    Connector,
    MappingContext,
    OffsetPagination,
    PartyStatus,
    Record,
    Stream,
    Vendor,
    get_path,
    maps,
)
from canonry.sdk import normalize as n


class SupplierPortalConfig(ConnectionConfig):
    """Where the portal runs and the API key it issued."""

    api_key: SecretStr


@maps(
    Vendor,
    version=1,
    paths={
        "name": "name",
        "tax_id": "tax-id",
        "email": "primary-contact.email",
        "phone": "primary-contact.phone-work",
        "country": "country.code",
        "currency": "currency.code",
        "status": "status",
    },
)
def supplier(r: Record, ctx: MappingContext) -> Vendor:
    """Portal supplier: tax id compacted to upper-case alphanumerics, phone to E.164."""
    tax = n.text(r.get("tax-id"))
    country = n.country_code(get_path(r, "country.code"), field="country.code")
    currency = get_path(r, "currency.code")
    return Vendor(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated-at"], field="updated-at"),
        name=r.get("name"),
        tax_id=None if tax is None else "".join(c for c in tax.upper() if c.isalnum()),
        email=n.email(get_path(r, "primary-contact.email"), field="primary-contact.email"),
        phone=n.phone(
            get_path(r, "primary-contact.phone-work"),
            field="primary-contact.phone-work",
            default_region=country,
        ),
        country=country,
        currency=n.currency_code(currency, field="currency.code") if currency else None,
        status=PartyStatus.INACTIVE if r.get("status") == "inactive" else PartyStatus.ACTIVE,
    )


connector: Connector[SupplierPortalConfig] = Connector(
    name="supplier_portal",
    title="Canonry sandbox supplier portal",
    config=SupplierPortalConfig,
    auth=lambda cfg: ApiKey(cfg.api_key.get_secret_value(), header="X-Portal-Key"),
    streams=(
        Stream(
            name="suppliers",
            path="/api/suppliers",
            mapping=supplier,
            pagination=OffsetPagination(page_size=100, total_path="total"),
            records_path="suppliers",
            cursor_field="updated-at",
            cursor_param="updated_after",
        ),
    ),
)
