"""HR entities: the contract every HR source maps into."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from canonry.canonical.base import CanonicalEntity


class EmploymentStatus(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    TERMINATED = "terminated"


class EmploymentType(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    CONTRACTOR = "contractor"
    INTERN = "intern"


class PayPeriod(StrEnum):
    HOURLY = "hourly"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ANNUAL = "annual"


class Employee(CanonicalEntity):
    """A person employed by the organisation, as one source sees them."""

    entity_name: ClassVar[str] = "employee"

    employee_number: str | None = None
    first_name: str
    last_name: str
    preferred_name: str | None = None
    email: str | None = Field(default=None, description="Work email, lower-cased.")
    phone: str | None = Field(default=None, description="E.164 where the source allows it.")
    status: EmploymentStatus
    employment_type: EmploymentType | None = None
    job_title: str | None = None
    department_source_id: str | None = None
    manager_source_id: str | None = None
    hire_date: dt.date | None = None
    termination_date: dt.date | None = None
    address_line1: str | None = None
    address_city: str | None = None
    address_region: str | None = None
    address_postal_code: str | None = None
    address_country: str | None = Field(
        default=None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2."
    )
    salary_amount: Decimal | None = Field(default=None, description="In major units.")
    salary_currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="ISO 4217."
    )
    salary_period: PayPeriod | None = None


class Department(CanonicalEntity):
    """An organisational unit employees belong to."""

    entity_name: ClassVar[str] = "department"

    name: str
    code: str | None = None
    parent_source_id: str | None = None
    cost_center: str | None = None
