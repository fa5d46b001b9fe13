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
    OAuth2ClientCredentials,
    Stream,
    declare,
    read,
)
from canonry.sdk import normalize as n


class SandboxHRConfig(ConnectionConfig):
    """Where the sandbox runs and the OAuth2 client it issued."""

    client_id: str
    client_secret: SecretStr


employee = declare(
    Employee,
    version=2,
    description="HRIS employee: nested name/job/address/compensation flattened; formats "
    "normalized.",
    fields={
        "source_id": read("id", str),
        "source_updated_at": read("updated_at", n.parse_datetime),
        "employee_number": read("employee_number", n.text),
        "first_name": read("name.first"),
        "last_name": read("name.last"),
        "preferred_name": read("name.preferred", n.text),
        "email": read("work_email", n.email),
        "phone": read("phone", n.phone),
        "status": read("status"),
        "employment_type": read("job.employment_type"),
        "job_title": read("job.title", n.text),
        "department_source_id": read("department_id", n.strict_text),
        "manager_source_id": read("manager_id", n.strict_text),
        "hire_date": read("hire_date", n.parse_date),
        "termination_date": read("termination_date", n.parse_date),
        "address_line1": read("address.line1", n.text),
        "address_city": read("address.city", n.text),
        "address_region": read("address.region", n.text),
        "address_postal_code": read("address.postal_code", n.text),
        "address_country": read("address.country", n.country_code),
        "salary_currency": read("compensation.currency", n.currency_code),
        "salary_amount": read("compensation.amount", n.money_amount, using="salary_currency"),
        "salary_period": read("compensation.period"),
    },
)

department = declare(
    Department,
    version=2,
    description="HRIS department, with its parent as a source id.",
    fields={
        "source_id": read("id", str),
        "source_updated_at": read("updated_at", n.parse_datetime),
        "name": read("name"),
        "code": read("code", n.text),
        "parent_source_id": read("parent_id", n.text),
        "cost_center": read("cost_center", n.text),
    },
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
