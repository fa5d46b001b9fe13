"""Connector for Canonry's sandbox restaurant POS (``canonry sandbox serve pos``).

Declarations and mapping only: rotating OAuth2 refresh tokens (persisted by the engine),
Link-header pages and the 10 requests/s budget are the framework's. Money is
``{"amount": minor units, "currency"}``; order times carry the location's local offset.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import Field, SecretStr

from canonry.sdk import (
    ConnectionConfig,
    Connector,
    LinkHeaderPagination,
    Mapping,
    MappingContext,
    MappingError,
    MenuItem,
    MerchantLocation,
    OAuth2RefreshToken,
    Order,
    OrderLine,
    OrderLineModifier,
    OrderState,
    Record,
    Stream,
    get_path,
    maps,
)
from canonry.sdk import normalize as n

_STATES = {"OPEN": OrderState.OPEN, "COMPLETED": OrderState.COMPLETED,
           "CANCELED": OrderState.CANCELED}  # fmt: skip


class POSSandboxConfig(ConnectionConfig):
    """Where the sandbox POS runs, its OAuth2 client, and the (rotating) refresh token."""

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    lookback_s: float = Field(default=1.0, ge=0)
    """``updated_after`` is exclusive: re-reading the last second keeps records that share the
    watermark's instant but were not committed (a run stopped between two tied records)."""


def _minor(money: Any, *, field: str) -> tuple[Decimal, str]:
    """(amount in major units, currency) from ``{"amount": int minor units, "currency"}``."""
    if not isinstance(money, dict):
        raise MappingError(f"{field}: expected a money object, got {money!r}", field=field)
    amount = money.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MappingError(
            f"{field}.amount: expected integer minor units, got {amount!r}",
            field=f"{field}.amount",
            value=amount,
        )
    currency = n.currency_code(money.get("currency"), field=f"{field}.currency")
    return n.money_amount(amount, currency, field=field, in_minor_units=True), currency


def _quantity(value: Any) -> Decimal:
    try:
        qty = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        qty = None
    if qty is None or not qty.is_finite():
        raise MappingError(f"quantity: {value!r} is not a decimal string", field="quantity")
    return qty


@maps(
    MerchantLocation,
    version=1,
    paths={
        "name": "name",
        "timezone": "timezone",
        "currency": "currency",
        "address_line1": "address.address_line_1",
        "address_line2": "address.address_line_2",
        "address_city": "address.locality",
        "address_region": "address.administrative_district_level_1",
        "address_postal_code": "address.postal_code",
        "address_country": "address.country",
    },
)
def location(r: Record, ctx: MappingContext) -> MerchantLocation:
    """POS location with its IANA time zone and Square-style address."""
    return MerchantLocation(
        source_id=str(r["id"]),
        name=r.get("name"),
        timezone=n.text(r.get("timezone")),
        currency=n.currency_code(r["currency"], field="currency") if r.get("currency") else None,
        address_line1=n.text(get_path(r, "address.address_line_1")),
        address_line2=n.text(get_path(r, "address.address_line_2")),
        address_city=n.text(get_path(r, "address.locality")),
        address_region=n.text(get_path(r, "address.administrative_district_level_1")),
        address_postal_code=n.text(get_path(r, "address.postal_code")),
        address_country=n.country_code(get_path(r, "address.country"), field="address.country"),
    )


@maps(
    MenuItem,
    version=1,
    paths={
        "name": "item_data.name",
        "category": "item_data.category",
        "sku": "item_data.variations[0].id",
        "price": "item_data.variations[0].price_money.amount",
        "currency": "item_data.variations[0].price_money.currency",
        "active": "is_deleted",
    },
)
def catalog_item(r: Record, ctx: MappingContext) -> MenuItem:
    """One row per catalog item, priced at its first (base) variation; sku = that variation id."""
    variations = get_path(r, "item_data.variations") or []
    first = variations[0] if variations else None
    price, currency = (
        _minor(first.get("price_money"), field="price_money") if first else (None, None)
    )
    return MenuItem(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        name=get_path(r, "item_data.name"),
        category=n.text(get_path(r, "item_data.category")),
        sku=n.text(first.get("id")) if first else None,
        price=price,
        currency=currency,
        active=not r.get("is_deleted", False),
    )


def _line(ln: Record) -> OrderLine:
    qty = _quantity(ln.get("quantity"))
    unit, currency = _minor(ln.get("base_price_money"), field="base_price_money")
    mods = [
        OrderLineModifier(name=m["name"], price=_minor(m["price_money"], field="modifier")[0])
        for m in ln.get("modifiers") or []
    ]
    each = unit + sum((m.price for m in mods), Decimal(0))
    step = Decimal(1).scaleb(-n.minor_units(currency))
    total = (qty * each).quantize(step, rounding=ROUND_HALF_EVEN)
    variation = n.text(ln.get("variation_name"))
    return OrderLine(
        catalog_item_source_id=n.text(ln.get("catalog_item_id")),
        name=f"{ln['name']} ({variation})" if variation else ln["name"],
        quantity=qty,
        unit_price=unit,
        modifiers=mods,
        line_total=total,
    )


@maps(
    Order,
    version=1,
    paths={
        "location_source_id": "location_id",
        "state": "state",
        "opened_at": "created_at",
        "closed_at": "closed_at",
        "currency": "total_money.currency",
        "subtotal": "total_money.amount",
        "tax": "tax_money.amount",
        "tip": "tip_money.amount",
        "total": "total_money.amount",
        "lines": "line_items",
    },
)
def order(r: Record, ctx: MappingContext) -> Order:
    """POS order: local-offset times to UTC, minor units to major, subtotal = total - tax."""
    state = _STATES.get(r.get("state", ""))
    if state is None:
        raise MappingError(f"state: {r.get('state')!r} is not OPEN/COMPLETED/CANCELED",
                           field="state", value=r.get("state"))  # fmt: skip
    total, currency = _minor(r.get("total_money"), field="total_money")
    tax, _ = _minor(r.get("tax_money"), field="tax_money")
    closed = r.get("closed_at")
    return Order(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        location_source_id=r["location_id"],
        state=state,
        opened_at=n.parse_datetime(r["created_at"], field="created_at"),
        closed_at=n.parse_datetime(closed, field="closed_at") if closed else None,
        currency=currency,
        subtotal=total - tax,
        tax=tax,
        total=total,
        lines=[_line(ln) for ln in r.get("line_items") or []],
    )


def _auth(cfg: POSSandboxConfig) -> OAuth2RefreshToken:
    return OAuth2RefreshToken(
        token_url="/oauth2/token",  # noqa: S106 - a URL, not a password
        client_id=cfg.client_id,
        client_secret=cfg.client_secret.get_secret_value(),
        refresh_token=cfg.refresh_token.get_secret_value(),
    )


def _stream(name: str, path: str, mapping: Mapping[Any], *, incremental: bool = True) -> Stream:
    return Stream(
        name=name,
        path=path,
        mapping=mapping,
        pagination=LinkHeaderPagination(size_param="limit", page_size=200),
        records_path="",
        cursor_field="updated_at" if incremental else None,
        cursor_param="updated_after" if incremental else None,
        deleted_field="is_deleted" if incremental else None,
    )


connector: Connector[POSSandboxConfig] = Connector(
    name="pos_sandbox",
    title="Canonry sandbox restaurant POS",
    config=POSSandboxConfig,
    auth=_auth,
    streams=(
        _stream("locations", "/v2/locations", location, incremental=False),
        _stream("catalog_items", "/v2/catalog/items", catalog_item),
        _stream("orders", "/v2/orders", order),
    ),
    rate_limit=(10, 1.0),
    max_in_flight=2,
)
