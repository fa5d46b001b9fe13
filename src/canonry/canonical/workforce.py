"""HR entities beyond people and departments: where they work, in what job, for what pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from canonry.canonical.base import CanonicalEntity
from canonry.canonical.hr import EmploymentType
from canonry.canonical.money import CountryCode, CurrencyCode
from canonry.canonical.places import TimeZoneName


class CompensationPeriod(StrEnum):
    """What one ``amount`` pays for. Wider than :class:`~canonry.canonical.hr.PayPeriod`."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    SEMIMONTHLY = "semimonthly"
    MONTHLY = "monthly"
    ANNUAL = "annual"


class JobStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class Location(CanonicalEntity):
    """A place people work from: an office, a site, or a remote-work pseudo-location."""

    entity_name: ClassVar[str] = "location"
    schema_version: ClassVar[int] = 1

    name: str = Field(description="Display name as the source shows it.")
    code: str | None = Field(default=None, description="The source's short code, if any.")
    remote: bool = Field(default=False, description="True for remote-work pseudo-locations.")
    timezone: TimeZoneName | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_city: str | None = None
    address_region: str | None = Field(default=None, description="State, province or county.")
    address_postal_code: str | None = None
    address_country: CountryCode | None = None


class Job(CanonicalEntity):
    """A position (job requisition or seat) an employee can hold; a title alone is on Employee."""

    entity_name: ClassVar[str] = "job"
    schema_version: ClassVar[int] = 1

    title: str
    code: str | None = Field(default=None, description="Job code or requisition number.")
    status: JobStatus | None = None
    employment_type: EmploymentType | None = None
    department_source_id: str | None = None
    location_source_id: str | None = None
    employee_source_id: str | None = Field(
        default=None, description="Source id of the employee holding it, when filled."
    )
    hours_per_week: Decimal | None = Field(
        default=None, ge=0, le=168, description="Contracted hours per week (40 = full time)."
    )


class Compensation(CanonicalEntity):
    """One pay rate of one employee from an effective date (a history row, not a snapshot)."""

    entity_name: ClassVar[str] = "compensation"
    schema_version: ClassVar[int] = 1

    employee_source_id: str
    job_source_id: str | None = None
    amount: Decimal = Field(description="Per ``period``, in major units of ``currency``.")
    currency: CurrencyCode
    period: CompensationPeriod
    effective_date: dt.date = Field(description="First day this rate applies (YYYY-MM-DD).")
    end_date: dt.date | None = Field(default=None, description="Last day, when known.")
    hours_per_week: Decimal | None = Field(
        default=None, ge=0, le=168, description="Hours the annualization assumed (default 40)."
    )
    annualized_amount: Decimal | None = Field(
        default=None,
        description="Yearly equivalent in ``reporting_currency`` (major units), if computed.",
    )
    reporting_currency: CurrencyCode | None = Field(
        default=None, description="Currency of ``annualized_amount``; set together with it."
    )

    @model_validator(mode="after")
    def _annualized_has_a_currency(self) -> Self:
        if (self.annualized_amount is None) != (self.reporting_currency is None):
            raise ValueError("annualized_amount and reporting_currency are set together")
        return self
