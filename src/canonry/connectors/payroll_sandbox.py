"""Connector for Canonry's sandbox payroll system (``PayrollSandbox``; see the demo).

Payroll knows people by its own ``PR-`` ids and by an integer employee number, writes names
as "LAST, First", and pays an annual salary given in minor units of its currency.
"""

from __future__ import annotations

from pydantic import SecretStr

from canonry.sdk import (
    ApiKey,
    ConnectionConfig,
    Connector,
    Employee,
    EmploymentStatus,
    MappingContext,
    MappingError,
    PageNumberPagination,
    PayPeriod,
    Record,
    Stream,
    maps,
)
from canonry.sdk import normalize as n

_STATUS = {
    "A": EmploymentStatus.ACTIVE,
    "L": EmploymentStatus.ON_LEAVE,
    "T": EmploymentStatus.TERMINATED,
}


class PayrollSandboxConfig(ConnectionConfig):
    """Where the sandbox payroll runs and the API key it issued."""

    api_key: SecretStr


def _name(full: object) -> tuple[str, str]:
    """``"SMITH, John"`` -> ("John", "Smith")."""
    if not isinstance(full, str) or "," not in full:
        raise MappingError(
            f"full_name: expected 'LAST, First', got {full!r}", field="full_name", value=full
        )
    last, first = (part.strip() for part in full.split(",", 1))
    return first, last.title() if last.isupper() else last


@maps(
    Employee,
    version=1,
    paths={
        **dict.fromkeys(Employee.business_fields(), ""),  # not in this source
        "employee_number": "emp_no",
        "first_name": "full_name",
        "last_name": "full_name",
        "email": "email",
        "status": "status_code",
        "hire_date": "start_date",
        "termination_date": "end_date",
        "salary_amount": "annual_salary_minor",
        "salary_currency": "currency",
        "salary_period": "",
    },
)
def worker(r: Record, ctx: MappingContext) -> Employee:
    """Payroll worker: names split, status codes decoded, salary from minor units (annual)."""
    first, last = _name(r.get("full_name"))
    currency = n.currency_code(r["currency"], field="currency")
    number = r.get("emp_no")
    status = _STATUS.get(r.get("status_code", ""))
    if status is None:
        code = r.get("status_code")
        raise MappingError(f"status_code: unknown code {code!r}", field="status_code", value=code)
    end = r.get("end_date")
    return Employee(
        source_id=str(r["worker_id"]),
        source_updated_at=n.parse_datetime(r["last_modified"], field="last_modified"),
        employee_number=None if number is None else f"{int(number):06d}",
        first_name=first,
        last_name=last,
        email=n.email(r.get("email"), field="email"),
        status=status,
        hire_date=n.parse_date(r["start_date"], field="start_date", order="DMY"),
        termination_date=n.parse_date(end, field="end_date", order="DMY") if end else None,
        salary_amount=n.money_amount(
            r.get("annual_salary_minor"), currency, field="annual_salary_minor", in_minor_units=True
        ),
        salary_currency=currency,
        salary_period=PayPeriod.ANNUAL,
    )


connector: Connector[PayrollSandboxConfig] = Connector(
    name="payroll_sandbox",
    title="Canonry sandbox payroll",
    config=PayrollSandboxConfig,
    auth=lambda cfg: ApiKey(cfg.api_key.get_secret_value(), header="X-Payroll-Key"),
    streams=(
        Stream(
            name="workers",
            path="/api/v2/workers",
            mapping=worker,
            pagination=PageNumberPagination(
                size_param="per_page", page_size=200, total_pages_path="total_pages"
            ),
            records_path="workers",
            primary_key="worker_id",
            cursor_field="last_modified",
            cursor_param="modified_since",
        ),
    ),
)
