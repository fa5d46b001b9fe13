"""Square (``connect.squareup.com``): locations, catalog items, orders and team members.

Declarations and mapping only. Square's quirks and the SDK features that carry them: the
search endpoints are POSTs whose JSON body holds the query, the ``limit`` and the page
``cursor`` (``Stream.method/body/placement`` with ``InBody``); orders need the seller's
``location_ids`` in that body (a function of the config); empty results omit the list
(``records_optional``); money is ``{"amount": minor units, "currency"}``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import Field, SecretStr

from canonry.sdk import (
    BearerToken,
    ConnectionConfig,
    Connector,
    CursorPagination,
    Employee,
    InBody,
    Mapping,
    MappingContext,
    MappingError,
    MenuItem,
    MerchantLocation,
    Order,
    OrderLine,
    OrderLineModifier,
    OrderState,
    Record,
    SinglePage,
    Stream,
    get_path,
    maps,
)
from canonry.sdk import normalize as n

SQUARE_VERSION = "2025-08-20"
"""The API version the mappings were written against (the spec's release), sent on every call."""

_SINCE = "since"


class SquareConfig(ConnectionConfig):
    """A Square seller: an access token (personal or OAuth) and the locations to read orders of.

    Square's order search needs explicit location ids (at most 10 per search).
    """

    base_url: str = "https://connect.squareup.com"
    access_token: SecretStr
    location_ids: list[str] = Field(min_length=1, max_length=10)


def _auth(cfg: SquareConfig) -> BearerToken:
    return BearerToken(cfg.access_token.get_secret_value())


def _money(money: Any, *, field: str) -> tuple[Decimal, str]:
    """(major units, currency) from ``{"amount": integer minor units, "currency"}``."""
    if not isinstance(money, dict):
        raise MappingError(f"{field}: expected a money object, got {money!r}", field=field)
    amount = money.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MappingError(f"{field}.amount: expected integer minor units, got {amount!r}",
                           field=f"{field}.amount", value=amount)  # fmt: skip
    currency = n.currency_code(money.get("currency"), field=f"{field}.currency")
    return n.money_amount(amount, currency, field=field, in_minor_units=True), currency


def _amount(r: Record, path: str) -> Decimal:
    """A money field that may be absent (Square omits zero amounts): absent is 0."""
    money = get_path(r, path)
    return Decimal(0) if money is None else _money(money, field=path)[0]


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
    """A business location; its address country falls back to the location's ``country``."""
    country = get_path(r, "address.country") or r.get("country")
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
        address_country=n.country_code(country, field="address.country"),
    )


@maps(
    MenuItem,
    version=1,
    paths={
        "name": "item_data.name",
        "category": "item_data.categories[0].id",
        "sku": "item_data.variations[0].item_variation_data.sku",
        "price": "item_data.variations[0].item_variation_data.price_money.amount",
        "currency": "item_data.variations[0].item_variation_data.price_money.currency",
        "active": "is_deleted",
    },
)
def catalog_item(r: Record, ctx: MappingContext) -> MenuItem:
    """One row per ITEM, priced at its first variation (None when priced at sale)."""
    variations = get_path(r, "item_data.variations") or []
    first = (variations[0].get("item_variation_data") or {}) if variations else {}
    money = first.get("price_money")
    price, currency = _money(money, field="price_money") if money else (None, None)
    categories = get_path(r, "item_data.categories") or [{}]
    category = categories[0].get("id") or get_path(r, "item_data.category_id")
    return MenuItem(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        name=get_path(r, "item_data.name"),
        category=n.text(category),
        sku=n.text(first.get("sku")) or (n.text(variations[0].get("id")) if variations else None),
        price=price,
        currency=currency,
        active=not r.get("is_deleted", False),
    )


_STATES: dict[str, OrderState] = {
    "OPEN": OrderState.OPEN, "DRAFT": OrderState.OPEN,
    "COMPLETED": OrderState.COMPLETED, "CANCELED": OrderState.CANCELED,
}  # fmt: skip


def _quantity(value: Any) -> Decimal:
    try:
        qty = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        qty = None
    if qty is None or not qty.is_finite():
        raise MappingError(f"quantity: {value!r} is not a decimal string", field="quantity")
    return qty


def _line(ln: Record) -> OrderLine:
    qty = _quantity(ln.get("quantity"))
    unit, currency = _money(ln.get("base_price_money"), field="base_price_money")
    mods = [
        OrderLineModifier(
            name=m.get("name") or "",
            price=_money(m["base_price_money"], field="modifiers.base_price_money")[0]
            if m.get("base_price_money")
            else Decimal(0),
        )
        for m in ln.get("modifiers") or []
    ]
    if ln.get("total_money") is not None:  # after discounts, before tax: what was charged
        total = _amount(ln, "total_money") - _amount(ln, "total_tax_money")
    else:
        step = Decimal(1).scaleb(-n.minor_units(currency))
        each = unit + sum((m.price for m in mods), Decimal(0))
        total = (qty * each).quantize(step, rounding=ROUND_HALF_EVEN)
    variation = n.text(ln.get("variation_name"))
    name = ln.get("name") or "(custom amount)"
    return OrderLine(
        catalog_item_source_id=n.text(ln.get("catalog_object_id")),
        name=f"{name} ({variation})" if variation else name,
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
        "tax": "total_tax_money.amount",
        "tip": "total_tip_money.amount",
        "total": "total_money.amount",
        "lines": "line_items",
    },
)
def order(r: Record, ctx: MappingContext) -> Order:
    """An order; Square's total includes the tip, the canonical total does not."""
    state = _STATES.get(r.get("state", ""))
    if state is None:
        raise MappingError(f"state: {r.get('state')!r} is not a Square order state",
                           field="state", value=r.get("state"))  # fmt: skip
    gross, currency = _money(r.get("total_money"), field="total_money")
    tax, tip = _amount(r, "total_tax_money"), _amount(r, "total_tip_money")
    closed = r.get("closed_at")
    return Order(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        location_source_id=r["location_id"],
        state=state,
        opened_at=n.parse_datetime(r["created_at"], field="created_at"),
        closed_at=n.parse_datetime(closed, field="closed_at") if closed else None,
        currency=currency,
        subtotal=gross - tip - tax,
        tax=tax,
        tip=tip,
        total=gross - tip,
        lines=[_line(ln) for ln in r.get("line_items") or []],
    )


def _first_job(r: Record) -> dict[str, Any]:
    jobs = get_path(r, "wage_setting.job_assignments") or [{}]
    return dict(jobs[0])


def _pay(r: Record) -> tuple[Decimal | None, str | None, Any]:
    """(amount, currency, period) of the first job: its annual salary, else its hourly rate."""
    job = _first_job(r)
    for key, period in (("annual_rate", "annual"), ("hourly_rate", "hourly")):
        if job.get(key):
            amount, currency = _money(job[key], field=f"job_assignments.{key}")
            return amount, currency, period
    return None, None, None


_MEMBER_STATUS: dict[Any, Any] = {"ACTIVE": "active", "INACTIVE": "terminated"}


@maps(
    Employee,
    version=1,
    paths={
        "employee_number": "reference_id",
        "first_name": "given_name",
        "last_name": "family_name",
        "preferred_name": "",
        "email": "email_address",
        "phone": "phone_number",
        "status": "status",
        "employment_type": "",
        "job_title": "wage_setting.job_assignments[0].job_title",
        "department_source_id": "",
        "manager_source_id": "",
        "hire_date": "",
        "termination_date": "",
        "address_line1": "",
        "address_city": "",
        "address_region": "",
        "address_postal_code": "",
        "address_country": "",
        "salary_amount": "wage_setting.job_assignments[0].annual_rate|hourly_rate",
        "salary_currency": "wage_setting.job_assignments[0].annual_rate|hourly_rate",
        "salary_period": "wage_setting.job_assignments[0]",
    },
)
def team_member(r: Record, ctx: MappingContext) -> Employee:
    """A team member; INACTIVE members are terminated (Square keeps no end date)."""
    amount, currency, period = _pay(r)
    return Employee(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        employee_number=n.text(r.get("reference_id")),
        first_name=r.get("given_name") or "",
        last_name=r.get("family_name") or "",
        email=n.email(r.get("email_address"), field="email_address"),
        phone=n.phone(r.get("phone_number"), field="phone_number"),
        status=_MEMBER_STATUS.get(r.get("status"), "terminated"),
        job_title=n.text(_first_job(r).get("job_title")),
        salary_amount=amount,
        salary_currency=currency,
        salary_period=period,
    )


def _search(
    name: str,
    path: str,
    mapping: Mapping[Any],
    records: str,
    page_size: int,
    *,
    since_path: str | None = None,
    **kw: Any,
) -> Stream:
    """A POST search: query in the body, ``cursor`` and ``limit`` in the body too, and the
    watermark (when the search can filter on change time) at ``since_path``."""
    placement = {"cursor": InBody("cursor"), "limit": InBody("limit", integer=True)}
    if since_path:
        placement[_SINCE] = InBody(since_path)
    return Stream(
        name=name,
        path=path,
        mapping=mapping,
        method="POST",
        pagination=CursorPagination(cursor_path="cursor", page_size=page_size),
        records_path=records,
        records_optional=True,
        placement=placement,
        **kw,
    )


def _orders_query(cfg: SquareConfig) -> dict[str, Any]:
    return {
        "location_ids": list(cfg.location_ids),
        "query": {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
        "return_entries": False,
    }


connector: Connector[SquareConfig] = Connector(
    name="square",
    title="Square (restaurant POS)",
    config=SquareConfig,
    auth=_auth,
    headers={"Square-Version": SQUARE_VERSION},
    streams=(
        Stream(
            name="locations",
            path="/v2/locations",
            mapping=location,
            pagination=SinglePage(),
            records_path="locations",
        ),
        _search(
            "catalog_items",
            "/v2/catalog/search",
            catalog_item,
            "objects",
            1000,
            body={"object_types": ["ITEM"], "include_deleted_objects": True},
            since_path="begin_time",
            cursor_field="updated_at",
            cursor_param=_SINCE,
            cursor_ordered=False,
            deleted_field="is_deleted",
        ),
        _search(
            "orders",
            "/v2/orders/search",
            order,
            "orders",
            500,
            body=_orders_query,
            since_path="query.filter.date_time_filter.updated_at.start_at",
            cursor_field="updated_at",
            cursor_param=_SINCE,
        ),
        _search("team_members", "/v2/team-members/search", team_member, "team_members", 200),
    ),
    rate_limit=(10, 1.0),
    max_in_flight=4,
)
