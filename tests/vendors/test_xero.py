"""The xero connector against Xero's own spec served by Prism, with faults injected."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.xero import XeroConfig
from canonry.sdk import Customer, GLAccount, Invoice, Payment, Vendor
from canonry.store import open_database
from canonry.store.connections import get_connection, load_config
from tests.connectors.kit import db_url, register, stored, sync
from tests.vendors.bed import Fault, Proxy, Script
from tests.vendors.contract import (
    assert_archive_matches_spec,
    assert_no_secret_archived,
    assert_rows_match_contract,
    assert_rows_trace_to_raw,
    load_openapi,
    read_spec,
)
from tests.vendors.xero_bed import SERVER, XeroData

Bed = Callable[[str, Script], Proxy]
SPEC = read_spec("xero_accounting.json")
TENANT = "0c3c9a4e-7f2b-4b8e-9d3a-5e2f7c1b9a11"
_ONE = SPEC["paths"]["/Invoices/{InvoiceID}"]["get"]["responses"]["200"]["content"]
LINES = _ONE["application/json"]["example"]["Invoices"][0]["LineItems"]
AUTHORISED = "7ef31b20-de17-4312-8382-412f869b1510"  # an example invoice, given the lines
PAID = "046d8a6d-1ae1-4b4d-9340-5601bdf41b87"
EXAMPLE_QUIRKS = frozenset({
    # Xero's own GET /Payments example breaks Xero's own BatchPayment schema (the connector
    # reads neither field); anything else in any archived page must validate.
    "Payments.*.BatchPayment.TotalAmount: type",
    "Payments.*.BatchPayment.IsReconciled: type",
})  # fmt: skip
PAYMENT = "99ea7f6b-c513-4066-bc27-b7c65dcd76c2"
KATHERINE = "5cc8cf28-567e-4d43-b287-687cfcaec47c"


def xero_bed(bed: Bed, data: XeroData, faults: dict[tuple[str, int], Fault]) -> Proxy:
    pagers = {
        "/Accounts": data.pager("Accounts", "AccountID"),
        "/Contacts": data.pager("Contacts", "ContactID"),
        "/Invoices": data.pager("Invoices", "InvoiceID"),
        "/Payments": data.pager("Payments", "PaymentID"),
    }
    return bed("xero", Script(pagers=pagers, faults=faults, token_path="/connect/token"))


def xero_config(proxy: Proxy, **overrides: Any) -> XeroConfig:
    values: dict[str, Any] = {
        "base_url": proxy.url,
        "token_url": f"{proxy.url}/connect/token",
        "tenant_id": TENANT,
        "client_id": "xero-test-app",
        "client_secret": SecretStr("xero-test-secret-9c2e"),
        "refresh_token": SecretStr("bed-refresh-0"),
        "page_size": 2,
    }
    return XeroConfig(**{**values, **overrides})


def stored_refresh_token(settings: Settings) -> str:
    async def go() -> str:
        async with open_database(settings) as db, await db.connect(autocommit=True) as conn:
            cfg = await load_config(
                conn, db.secrets, await get_connection(conn, "xero"), XeroConfig
            )
            return cfg.refresh_token.get_secret_value()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def xero_first_sync(module_settings: Settings, module_bed: Bed) -> tuple[Proxy, XeroData, Any]:
    """A full sync of a 3-copy Xero organisation through 503, 502, 429 and a slow answer.

    The 429 comes last: after it the client halves its pace (AIMD), which costs seconds.
    """
    data = XeroData(copies=3, extra={AUTHORISED: {"LineItems": LINES}})
    faults = {
        ("/Invoices", 2): Fault(503),
        ("/Invoices", 4): Fault(502),
        ("/Payments", 3): Fault(429, retry_after="1"),
        ("/Contacts", 3): Fault(delay_s=1.0),
    }
    proxy = xero_bed(module_bed, data, faults)
    register(module_settings, "xero", "xero", xero_config(proxy))
    return proxy, data, sync(module_settings, "xero")


def test_full_sync_through_faults_stores_every_example_record(
    module_settings: Settings, xero_first_sync: tuple[Proxy, XeroData, Any]
) -> None:
    """Every page of every stream is fetched to its end despite the faults, and mapped."""
    proxy, _, result = xero_first_sync
    assert result.status == "succeeded", result.error
    url = db_url(module_settings)
    counts = {t: len(stored(url, t, "xero")) for t in
              ("invoice", "payment", "vendor", "customer", "gl_account")}  # fmt: skip
    # 3 example invoices x 3 copies; 2 payments x 3; 1 of 2 contacts is a supplier and a customer
    assert counts == {"invoice": 9, "payment": 6, "vendor": 3, "customer": 3, "gl_account": 6}
    assert result.stats["retries"] >= 3
    assert result.stats["rate_limited"] >= 1
    assert dict(proxy.faults_sent) == {429: 1, 502: 1, 503: 1, 0: 1}
    limited, retried = proxy.data_calls("/Payments")[2:4]  # the 429 and its retry
    assert retried.at - limited.at >= 1.0  # Retry-After: 1 was honoured
    # 9 invoices in pages of 2: pages 1..5, each fetched once, plus the faulted retries
    pages = [c.query["page"] for c in proxy.data_calls("/Invoices")]
    assert pages == ["1", "2", "2", "3", "3", "4", "5"]
    assert {c.headers["xero-tenant-id"] for c in proxy.calls} == {TENANT}
    assert {c.headers["authorization"] for c in proxy.calls} == {"Bearer bed-access-1"}
    assert stored_refresh_token(module_settings) == "bed-refresh-1"  # rotated, persisted


def test_mapped_fields_follow_xero_spellings(
    module_settings: Settings, xero_first_sync: tuple[Proxy, XeroData, Any]
) -> None:
    """``/Date()/`` dates, contact roles, statuses and line items map as documented."""
    url = db_url(module_settings)
    inv = stored(url, "invoice", "xero")[PAID]
    assert (inv["number"], inv["direction"], inv["status"]) == ("INV-0002", "receivable", "paid")
    assert (inv["issue_date"], inv["due_date"]) == (dt.date(2018, 10, 20), dt.date(2018, 12, 30))
    assert (inv["subtotal"], inv["tax"], inv["total"]) == (Decimal(40), Decimal(6), Decimal(46))
    assert inv["customer_source_id"] == "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"
    assert inv["source_updated_at"] == dt.datetime(2018, 11, 2, 16, 36, 32, 690000, dt.UTC)
    lined = stored(url, "invoice", "xero")[AUTHORISED]
    assert lined["lines"] == [{
        "line_no": 1, "description": "Guitars Fender Strat", "quantity": "1.0",
        "unit_price": "148062.76", "tax_rate": None, "account_code": "200",
        "line_total": "148062.76",
    }]  # fmt: skip
    vendor = stored(url, "vendor", "xero")[KATHERINE]
    assert (vendor["name"], vendor["email"], vendor["country"]) == (
        "Katherine Warren", "kat.warren@clampett.com", "US")  # fmt: skip
    assert vendor["phone"] == "6268471294"
    pay = stored(url, "payment", "xero")["99ea7f6b-c513-4066-bc27-b7c65dcd76c2"]
    assert (pay["amount"], pay["currency"], pay["invoice_source_id"]) == (Decimal(46), "NZD", PAID)
    assert pay["paid_at"] == dt.datetime(2018, 11, 29, tzinfo=dt.UTC)
    bank = stored(url, "gl_account", "xero")["ebd06280-af70-4bed-97c6-7451a454ad85"]
    assert (bank["code"], bank["type"], bank["currency"]) == ("091", "asset", "NZD")


def test_incremental_sends_if_modified_since_and_reads_only_changes(
    module_settings: Settings, xero_first_sync: tuple[Proxy, XeroData, Any]
) -> None:
    """The watermark goes back as ``If-Modified-Since``; a changed invoice is updated."""
    proxy, data, _ = xero_first_sync
    newest = max(
        r["source_updated_at"] for r in stored(db_url(module_settings), "invoice", "xero").values()
    )
    data.changes[AUTHORISED] = {"Status": "PAID", "AmountDue": 0, "AmountPaid": 148062.76}
    before = len(proxy.calls)
    again = sync(module_settings, "xero", streams=["invoices"])
    assert again.status == "succeeded", again.error
    sent = [c.headers.get("if-modified-since") for c in proxy.calls[before:]]
    assert sent == [newest.isoformat()] * len(sent)
    counts = again.streams["invoices"].counts
    assert (counts.updated, counts.inserted) == (1, 0)
    assert stored(db_url(module_settings), "invoice", "xero")[AUTHORISED]["status"] == "paid"


def test_a_deleted_payment_becomes_a_tombstone(
    module_settings: Settings, xero_first_sync: tuple[Proxy, XeroData, Any]
) -> None:
    """Xero keeps deleted payments listed with ``Status: DELETED``: the row is soft-deleted."""
    _, data, _ = xero_first_sync
    data.changes[PAYMENT] = {"Status": "DELETED"}
    again = sync(module_settings, "xero", streams=["payments"])
    assert again.status == "succeeded", again.error
    assert again.streams["payments"].counts.deleted == 1
    rows = stored(db_url(module_settings), "payment", "xero")
    assert [sid for sid, r in rows.items() if r["deleted"]] == [PAYMENT]


def test_archive_and_rows_pass_both_contracts(
    module_settings: Settings, xero_first_sync: tuple[Proxy, XeroData, Any]
) -> None:
    """Each archived page is a valid Xero response; each row a valid canonical entity."""
    proxy = xero_first_sync[0]
    url = db_url(module_settings)
    pages = assert_archive_matches_spec(url, "xero", load_openapi(SPEC), SERVER, EXAMPLE_QUIRKS)
    assert pages == proxy.answered  # every page served, incremental runs included
    for entity in (Invoice, Payment, Vendor, Customer, GLAccount):
        assert_rows_match_contract(url, "xero", entity)
    assert assert_rows_trace_to_raw(url, "xero", Invoice, "Invoices", "InvoiceID") == 9
    assert assert_rows_trace_to_raw(url, "xero", Vendor, "Contacts", "ContactID") == 3
    tokens = [f"bed-{kind}-{n}" for kind in ("access", "refresh") for n in (0, 1)]
    assert_no_secret_archived(url, "xero", ["xero-test-secret-9c2e", *tokens])
