"""The square connector against Square's own spec served by Prism, with faults injected."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.square import SQUARE_VERSION, SquareConfig
from canonry.errors import PermanentSourceError
from canonry.sdk import Employee, MenuItem, MerchantLocation, Order
from tests.connectors.kit import db_url, register, stored, sync
from tests.vendors.bed import SPECS, Fault, Proxy, Script
from tests.vendors.contract import (
    assert_archive_matches_spec,
    assert_no_secret_archived,
    assert_rows_match_contract,
    assert_rows_trace_to_raw,
    load_openapi,
)
from tests.vendors.square_bed import SERVER, SquareData
from tests.vendors.square_spec import neutralize, offline_spec

Bed = Callable[[str, Script], Proxy]
SPEC = offline_spec(SPECS / "square.json")
_SCHEMAS = SPEC["components"]["schemas"]
# Square's SearchOrders example shows only ``order_entries`` (the return_entries form); the
# bed answers with the spec's own full Order examples instead.
_WITH_ORDERS = ("RetrieveOrderResponse", "UpdateOrderResponse", "PayOrderResponse")
ORDERS = [_SCHEMAS[n]["example"]["order"] for n in _WITH_ORDERS]
TOKEN = "EAAAl-square-test-token-5d1c"
OPEN_ORDER = "CAISENgvlJ6jLWAzERDzjyHVybY"
PAID_ORDER = "lgwOlEityYPJtcuvKTVKT1pA986YY"
TEA = "X5DZ5NWWAQ44CKBLKIFQGOWK"
SINCE_ORDERS = "query.filter.date_time_filter.updated_at.start_at"


def square_bed(bed: Bed, data: SquareData, faults: dict[tuple[str, int], Fault]) -> Proxy:
    pagers = {
        "/v2/catalog/search": data.search("objects", since_path="begin_time"),
        "/v2/orders/search": data.search("orders", since_path=SINCE_ORDERS, examples=ORDERS),
        "/v2/team-members/search": data.search("team_members", copies=1),
    }
    return bed("square", Script(pagers=pagers, faults=faults))


def square_config(proxy: Proxy, **overrides: Any) -> SquareConfig:
    values: dict[str, Any] = {
        "base_url": proxy.url,
        "access_token": SecretStr(TOKEN),
        "location_ids": ["18YC4JDH91E1H", "3Z4V4WHQK64X9"],
        "page_size": 2,
    }
    return SquareConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def square_first_sync(module_settings: Settings, module_bed: Bed) -> tuple[Proxy, SquareData, Any]:
    """A full sync through a 500, a 503, a 429 with Retry-After and a slow answer."""
    data = SquareData(copies=3)
    faults = {
        ("/v2/locations", 1): Fault(500),
        ("/v2/catalog/search", 1): Fault(delay_s=1.0),
        ("/v2/orders/search", 3): Fault(503),
        ("/v2/team-members/search", 5): Fault(429, retry_after="1"),
    }
    proxy = square_bed(module_bed, data, faults)
    register(module_settings, "square", "square", square_config(proxy))
    return proxy, data, sync(module_settings, "square")


def test_full_sync_walks_body_cursors_to_the_end(
    module_settings: Settings, square_first_sync: tuple[Proxy, SquareData, Any]
) -> None:
    """Every search is walked with its cursor in the POST body until Square stops sending one."""
    proxy, _, result = square_first_sync
    assert result.status == "succeeded", result.error
    url = db_url(module_settings)
    counts = {t: len(stored(url, t, "square"))
              for t in ("merchant_location", "menu_item", "order", "employee")}  # fmt: skip
    assert counts == {"merchant_location": 2, "menu_item": 6, "order": 9, "employee": 10}
    assert result.stats["retries"] == 3
    orders = list(proxy.data_calls("/v2/orders/search"))
    assert [c.body.get("cursor") for c in orders] == [None, "2", "4", "4", "6", "8"]
    assert {c.method for c in orders} == {"POST"}
    assert all(c.query == {} for c in orders)
    first = orders[0].body
    assert first["location_ids"] == ["18YC4JDH91E1H", "3Z4V4WHQK64X9"]
    assert first["query"] == {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}
    assert first["limit"] == 2
    assert first["return_entries"] is False
    catalog = proxy.data_calls("/v2/catalog/search")[0].body
    assert catalog == {"object_types": ["ITEM"], "include_deleted_objects": True, "limit": 2}
    assert {c.headers["authorization"] for c in proxy.calls} == {f"Bearer {TOKEN}"}
    assert {c.headers["square-version"] for c in proxy.calls} == {SQUARE_VERSION}


def test_mapped_fields_follow_square_spellings(
    module_settings: Settings, square_first_sync: tuple[Proxy, SquareData, Any]
) -> None:
    """Money in minor units, tips outside the total, line totals before tax, roles and pay."""
    url = db_url(module_settings)
    paid = stored(url, "order", "square")[PAID_ORDER]
    assert (paid["state"], paid["currency"], paid["total"]) == ("completed", "USD", Decimal("20"))
    assert paid["closed_at"] == dt.datetime(2019, 8, 6, 2, 47, 37, 140000, dt.UTC)
    opened = stored(url, "order", "square")[OPEN_ORDER]
    assert (opened["total"], opened["tax"], opened["subtotal"]) == (
        Decimal("5.50"), Decimal(0), Decimal("5.50"))  # fmt: skip
    assert [(ln["name"], ln["quantity"], ln["unit_price"], ln["line_total"])
            for ln in opened["lines"]] == [("Item 1", "1", "5.00", "2.50"),
                                           ("Item 2", "2", "3.00", "3.00")]  # fmt: skip
    tea = stored(url, "menu_item", "square")[TEA]
    assert (tea["name"], tea["price"], tea["currency"]) == ("Tea - Black", Decimal("1.50"), "USD")
    assert tea["sku"] == "5GSZPX6EU7MM75S57OONG3V5"  # no SKU: the first variation's id
    cash = stored(url, "employee", "square")["-3oZQKPKVk6gUXU_V5Qa"]
    assert (cash["first_name"], cash["last_name"], cash["job_title"]) == (
        "Johnny",
        "Cash",
        "Manager",
    )
    assert (cash["salary_amount"], cash["salary_period"]) == (Decimal("30000.00"), "annual")
    park = stored(url, "merchant_location", "square")["18YC4JDH91E1H"]
    assert (park["timezone"], park["address_city"], park["address_country"]) == (
        "America/Los_Angeles", "San Francisco", "US")  # fmt: skip


def test_incremental_puts_the_watermark_in_the_search_body(
    module_settings: Settings, square_first_sync: tuple[Proxy, SquareData, Any]
) -> None:
    """The orders watermark goes back as ``start_at`` inside the body; a change is updated."""
    proxy, data, _ = square_first_sync
    newest = max(
        r["source_updated_at"] for r in stored(db_url(module_settings), "order", "square").values()
    )
    data.changes[OPEN_ORDER] = {"state": "CANCELED"}
    before = len(proxy.calls)
    again = sync(module_settings, "square", streams=["orders"])
    assert again.status == "succeeded", again.error
    sent = {c.body["query"]["filter"]["date_time_filter"]["updated_at"]["start_at"]
            for c in proxy.calls[before:]}  # fmt: skip
    assert sent == {newest.isoformat()}
    assert (again.streams["orders"].counts.updated, again.streams["orders"].counts.inserted) == (
        1,
        0,
    )
    assert stored(db_url(module_settings), "order", "square")[OPEN_ORDER]["state"] == "canceled"


def test_a_deleted_catalog_item_becomes_a_tombstone(
    module_settings: Settings, square_first_sync: tuple[Proxy, SquareData, Any]
) -> None:
    """An item deleted at Square comes back from ``begin_time`` with ``is_deleted: true``."""
    proxy, data, _ = square_first_sync
    data.changes[TEA] = {"is_deleted": True}
    before = len(proxy.calls)
    again = sync(module_settings, "square", streams=["catalog_items"])
    assert again.status == "succeeded", again.error
    assert all("begin_time" in c.body for c in proxy.calls[before:])
    assert again.streams["catalog_items"].counts.deleted == 1
    assert stored(db_url(module_settings), "menu_item", "square")[TEA]["deleted"] is True


def test_a_bare_mock_repeating_its_cursor_is_refused(settings: Settings, bed: Bed) -> None:
    """Prism alone answers every search with the same cursor; the walk stops, loudly."""
    proxy = bed("square", Script())  # no page script: Prism's example, cursor and all
    register(settings, "sq", "square", square_config(proxy))
    with pytest.raises(PermanentSourceError, match="loop forever"):
        sync(settings, "sq", streams=["team_members"])
    assert len(proxy.data_calls("/v2/team-members/search")) == 2


def test_spec_fixes_happen_on_a_copy() -> None:
    """Square's dangling refs are neutralized at setup, never in the committed file."""
    dangling = '"#/components/schemas/CatalogModifierToggleOverrideType"'
    assert dangling in (SPECS / "square.json").read_text()
    assert dangling not in json.dumps(SPEC)
    external = {"$ref": "https://developer-production-s.squarecdn.com/schemas/v1/common.json#/x"}
    assert neutralize({"example": external}, {}) == {"example": {"x-square-ref": external["$ref"]}}


def test_archive_and_rows_pass_both_contracts(
    module_settings: Settings, square_first_sync: tuple[Proxy, SquareData, Any]
) -> None:
    """Each archived page is a valid Square response; each row a valid canonical entity."""
    proxy = square_first_sync[0]
    url = db_url(module_settings)
    pages = assert_archive_matches_spec(url, "square", load_openapi(SPEC), SERVER)
    assert pages == proxy.answered  # every page served, incremental runs included
    for entity in (MerchantLocation, MenuItem, Order, Employee):
        assert_rows_match_contract(url, "square", entity)
    assert assert_rows_trace_to_raw(url, "square", Order, "orders", "id") == 9
    assert_no_secret_archived(url, "square", [TOKEN])
