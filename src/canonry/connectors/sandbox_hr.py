"""Connector for Canonry's sandbox HR system (``canonry sandbox serve hr``)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from canonry.sdk import (
    ConnectionConfig,
    Connector,
    CursorPagination,
    Department,
    Employee,
    Mapping,
    MappingContext,
    MappingError,
    OAuth2ClientCredentials,
    Record,
    Stream,
    maps,
)
from canonry.sdk import normalize as n


class SandboxHRConfig(ConnectionConfig):
    """Where the sandbox runs and the OAuth2 client it issued."""

    client_id: str
    client_secret: SecretStr


@maps(
    Employee,
    version=1,
    paths={
        "employee_number": "employee_number",
        "first_name": "name.first",
        "last_name": "name.last",
        "preferred_name": "name.preferred",
        "email": "work_email",
        "phone": "phone",
        "status": "status",
        "employment_type": "job.employment_type",
        "job_title": "job.title",
        "department_source_id": "department_id",
        "manager_source_id": "manager_id",
        "hire_date": "hire_date",
        "termination_date": "termination_date",
        "address_line1": "address.line1",
        "address_city": "address.city",
        "address_region": "address.region",
        "address_postal_code": "address.postal_code",
        "address_country": "address.country",
        "salary_amount": "compensation.amount",
        "salary_currency": "compensation.currency",
        "salary_period": "compensation.period",
    },
)
def employee(r: Record, ctx: MappingContext) -> Employee:
    """HRIS employee: nested name/job/address/compensation flattened; formats normalized."""
    name = r.get("name")
    if not isinstance(name, dict):
        raise MappingError(f"name: expected an object, got {name!r}", field="name", value=name)
    job = _object(r, "job")
    address = _object(r, "address")
    comp = r.get("compensation") or {}
    currency = n.currency_code(comp["currency"], field="compensation.currency") if comp else None
    hire = r.get("hire_date")
    term = r.get("termination_date")
    return Employee(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        employee_number=n.text(r.get("employee_number")),
        first_name=name.get("first"),
        last_name=name.get("last"),
        preferred_name=n.text(name.get("preferred")),
        email=n.email(r.get("work_email"), field="work_email"),
        phone=n.phone(r.get("phone"), field="phone"),
        status=r.get("status"),
        employment_type=job.get("employment_type"),
        job_title=n.text(job.get("title")),
        department_source_id=n.strict_text(r.get("department_id"), field="department_id"),
        manager_source_id=n.strict_text(r.get("manager_id"), field="manager_id"),
        hire_date=n.parse_date(hire, field="hire_date") if hire else None,
        termination_date=n.parse_date(term, field="termination_date") if term else None,
        address_line1=n.text(address.get("line1")),
        address_city=n.text(address.get("city")),
        address_region=n.text(address.get("region")),
        address_postal_code=n.text(address.get("postal_code")),
        address_country=n.country_code(address.get("country"), field="address.country"),
        salary_amount=(
            n.money_amount(comp.get("amount"), currency, field="compensation.amount")
            if currency
            else None
        ),
        salary_currency=currency,
        salary_period=comp.get("period") or None,
    )


def _object(r: Record, key: str) -> dict[str, Any]:
    """A nested object of the record; absent or null reads as empty, anything else is refused."""
    value = r.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{key}: expected an object, got {value!r}", field=key, value=value)
    return value


@maps(
    Department,
    version=1,
    paths={
        "name": "name",
        "code": "code",
        "parent_source_id": "parent_id",
        "cost_center": "cost_center",
    },
)
def department(r: Record, ctx: MappingContext) -> Department:
    """HRIS department, with its parent as a source id."""
    return Department(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["updated_at"], field="updated_at"),
        name=r.get("name"),
        code=n.text(r.get("code")),
        parent_source_id=n.text(r.get("parent_id")),
        cost_center=n.text(r.get("cost_center")),
    )


def _auth(cfg: SandboxHRConfig) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        token_url="/oauth/token",  # noqa: S106 - a URL, not a password
        client_id=cfg.client_id,
        client_secret=cfg.client_secret.get_secret_value(),
    )


def _stream(name: str, mapping: Mapping[Any]) -> Stream:
    return Stream(
        name=name,
        path=f"/v1/{name}",
        mapping=mapping,
        pagination=CursorPagination(cursor_path="meta.next_cursor", page_size=500),
        cursor_field="updated_at",
        cursor_param="updated_since",
        deleted_field="deleted",
    )


connector: Connector[SandboxHRConfig] = Connector(
    name="sandbox_hr",
    title="Canonry sandbox HR system",
    config=SandboxHRConfig,
    auth=_auth,
    streams=(_stream("departments", department), _stream("employees", employee)),
)
