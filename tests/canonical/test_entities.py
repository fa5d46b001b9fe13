"""Canonical entities as contracts: names, immutability, documented fields, cheap invariants."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from pydantic import ValidationError

from canonry.canonical import (
    CONTRACTS,
    ENTITY_TYPES,
    CanonicalEntity,
    Compensation,
    Invoice,
    InvoiceLine,
    MerchantLocation,
    Order,
    OrderLine,
    OrderLineModifier,
    Payment,
    Vendor,
)

NOW = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
NEW_ENTITIES = sorted(set(CONTRACTS) - {"employee", "department"})


def test_registries() -> None:
    """CONTRACTS holds every entity; the store has a table for each (ENTITY_TYPES)."""
    assert set(ENTITY_TYPES) == set(CONTRACTS)
    assert len(CONTRACTS) == 13
    assert all(name == cls.entity_name for name, cls in CONTRACTS.items())


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_is_a_frozen_strict_entity(name: str) -> None:
    """Each entity subclasses CanonicalEntity, is frozen and refuses unknown fields."""
    cls = CONTRACTS[name]
    assert issubclass(cls, CanonicalEntity)
    assert cls.model_config.get("frozen") is True
    assert cls.model_config.get("extra") == "forbid"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)


@pytest.mark.parametrize("name", NEW_ENTITIES)
def test_new_entities_declare_a_version_and_document_money_and_time(name: str) -> None:
    """New entities start at schema_version 1; Decimal and datetime fields say units and zone."""
    cls = CONTRACTS[name]
    assert cls.__dict__.get("schema_version") == 1
    for field_name, info in cls.model_fields.items():
        if field_name in cls.system_fields:
            continue
        annotation = str(info.annotation)
        if "Decimal" in annotation or "datetime.datetime" in annotation:
            assert info.description, f"{name}.{field_name} needs a description (units, zone)"


def _invoice(**changes: object) -> Invoice:
    line = InvoiceLine(
        line_no=1, quantity=Decimal(2), unit_price=Decimal("10.00"),
        tax_rate=Decimal("0.23"), line_total=Decimal("20.00"),
    )  # fmt: skip
    fields: dict[str, object] = {
        "source_id": "inv-1", "direction": "payable", "status": "open", "vendor_source_id": "v-1",
        "issue_date": dt.date(2024, 3, 1), "currency": "EUR", "subtotal": Decimal("20.00"),
        "tax": Decimal("4.60"), "total": Decimal("24.60"), "lines": [line],
    }  # fmt: skip
    return Invoice.model_validate({**fields, **changes})


def test_invoice_with_lines_is_immutable() -> None:
    """A valid invoice builds, keeps its lines, and cannot be modified."""
    invoice = _invoice()
    assert invoice.lines[0].tax_rate == Decimal("0.23")
    with pytest.raises(ValidationError):
        invoice.total = Decimal(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [{"currency": "eur"}, {"currency": "EURO"}, {"status": "overdue"}, {"color": "red"},
     {"lines": [{"line_no": 0, "quantity": 1, "unit_price": 1, "line_total": 1}]}],
)  # fmt: skip
def test_invoice_refuses_broken_invariants(change: dict[str, object]) -> None:
    """Lower-case or long currencies, unknown statuses and fields, line 0: all refused."""
    with pytest.raises(ValidationError):
        _invoice(**change)


def test_negative_amounts_stay_legitimate() -> None:
    """Credit lines and refunds are negative: the contract documents, it does not refuse."""
    assert _invoice(subtotal=Decimal(-20), total=Decimal("-24.60")).subtotal == Decimal(-20)
    refund = Payment(source_id="p", amount=Decimal("-5.00"), currency="EUR", paid_at=NOW)
    assert refund.amount < 0


def test_payment_times_must_be_aware() -> None:
    """A naive paid_at is refused: every timestamp in the contract is UTC-aware."""
    with pytest.raises(ValidationError):
        Payment(source_id="p", amount=Decimal(1), currency="EUR", paid_at=dt.datetime(2024, 1, 1))  # type: ignore[arg-type]


def test_order_lines_with_modifiers() -> None:
    """An order nests lines and their modifiers; states are the documented enum."""
    line = OrderLine(
        name="Latte", quantity=Decimal(1), unit_price=Decimal("3.50"),
        modifiers=[OrderLineModifier(name="oat milk", price=Decimal("0.40"))],
        line_total=Decimal("3.90"),
    )  # fmt: skip
    order = Order(
        source_id="o", location_source_id="l", state="completed", opened_at=NOW, closed_at=NOW,  # type: ignore[arg-type]
        currency="EUR", subtotal=Decimal("3.90"), total=Decimal("3.90"), lines=[line],
    )  # fmt: skip
    assert order.lines[0].modifiers[0].price == Decimal("0.40")
    assert order.tip == 0


def test_locations_check_time_zones_and_countries() -> None:
    """Time zones are IANA names and countries alpha-2, upper case."""
    shop = MerchantLocation(
        source_id="m", name="Chiado", timezone="Europe/Lisbon", address_country="PT"
    )
    assert shop.timezone == "Europe/Lisbon"
    with pytest.raises(ValidationError, match="IANA"):
        MerchantLocation(source_id="m", name="x", timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        Vendor(source_id="v", name="ACME", country="PRT")


def test_compensation_annualized_amount_needs_its_currency() -> None:
    """annualized_amount and reporting_currency are set together or not at all."""
    base = {"source_id": "c", "employee_source_id": "e", "amount": Decimal(25), "currency": "USD",
            "period": "hourly", "effective_date": dt.date(2024, 1, 1)}  # fmt: skip
    assert Compensation.model_validate(base).annualized_amount is None
    full = {**base, "annualized_amount": Decimal(48000), "reporting_currency": "EUR"}
    assert Compensation.model_validate(full).reporting_currency == "EUR"
    with pytest.raises(ValidationError, match="set together"):
        Compensation.model_validate({**base, "annualized_amount": Decimal(48000)})
