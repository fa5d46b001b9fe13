"""Canonical entities: the typed contract every source maps into. Depends on nothing else.

``CONTRACTS`` is every canonical entity (HR, finance, commerce), the set ``canonry schema``
exports and checks; ``ENTITY_TYPES`` are those the store has tables for (all of them).
"""

from canonry.canonical.base import CanonicalEntity
from canonry.canonical.commerce import (
    MenuItem,
    MerchantLocation,
    Order,
    OrderLine,
    OrderLineModifier,
    OrderState,
)
from canonry.canonical.finance import (
    Customer,
    GLAccount,
    GLAccountType,
    Invoice,
    InvoiceDirection,
    InvoiceLine,
    InvoiceStatus,
    PartyStatus,
    Payment,
    PaymentMethod,
    Vendor,
)
from canonry.canonical.hr import (
    Department,
    Employee,
    EmploymentStatus,
    EmploymentType,
    PayPeriod,
)
from canonry.canonical.money import Money
from canonry.canonical.provenance import (
    CompetingValue,
    FieldProvenance,
    GoldenFieldProvenance,
    GoldenMember,
    GoldenRecord,
)
from canonry.canonical.workforce import Compensation, CompensationPeriod, Job, JobStatus, Location

CONTRACTS: dict[str, type[CanonicalEntity]] = {
    cls.entity_name: cls
    for cls in (
        Employee, Department, Location, Job, Compensation,
        Vendor, Customer, Invoice, Payment, GLAccount,
        MerchantLocation, MenuItem, Order,
    )
}  # fmt: skip

ENTITY_TYPES: dict[str, type[CanonicalEntity]] = dict(CONTRACTS)

__all__ = [
    "CONTRACTS",
    "ENTITY_TYPES",
    "CanonicalEntity",
    "Compensation",
    "CompensationPeriod",
    "CompetingValue",
    "Customer",
    "Department",
    "Employee",
    "EmploymentStatus",
    "EmploymentType",
    "FieldProvenance",
    "GLAccount",
    "GLAccountType",
    "GoldenFieldProvenance",
    "GoldenMember",
    "GoldenRecord",
    "Invoice",
    "InvoiceDirection",
    "InvoiceLine",
    "InvoiceStatus",
    "Job",
    "JobStatus",
    "Location",
    "MenuItem",
    "MerchantLocation",
    "Money",
    "Order",
    "OrderLine",
    "OrderLineModifier",
    "OrderState",
    "PartyStatus",
    "PayPeriod",
    "Payment",
    "PaymentMethod",
    "Vendor",
]
