"""BambooHR (``{company}.bamboohr.com``): employees, two ways, with BambooHR's two paging styles.

Declarations and mapping only.

- ``bamboohr``: ``GET /api/v1/employees`` pages with a deep-object cursor, ``page[limit]``
  and ``page[after]`` in the query, the next cursor at ``meta.page.nextCursor``
  (``CursorPagination``). BambooHR's spec grants it to OAuth2 only.
- ``bamboohr_dataset``: ``POST /api/v2/datasets/employee/data`` (API key or OAuth2) pages
  by number *inside the JSON body* (``page``, ``pageSize``; ``meta.totalPages``), the
  fields to return listed in the same body (``PageNumberPagination`` + ``InBody``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import SecretStr, model_validator

from canonry.sdk import (
    AuthSpec,
    BasicAuth,
    ConnectionConfig,
    Connector,
    CursorPagination,
    Employee,
    InBody,
    MappingContext,
    MappingError,
    OAuth2RefreshToken,
    PageNumberPagination,
    Record,
    Stream,
    maps,
)
from canonry.sdk import normalize as n


class BambooHRConfig(ConnectionConfig):
    """A BambooHR company: ``base_url`` is ``https://{company}.bamboohr.com``.

    Give an OAuth2 app (``client_id``, ``client_secret``, ``refresh_token``; BambooHR rotates
    the refresh token and Canonry keeps the new one), or an ``api_key`` for HTTP basic.
    """

    token_url: str = "/token.php"  # noqa: S105 - a URL, relative to base_url
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    api_key: SecretStr | None = None

    @model_validator(mode="after")
    def _one_way_in(self) -> BambooHRConfig:
        oauth = (self.client_id, self.client_secret, self.refresh_token)
        if self.api_key is None and not all(oauth):
            raise ValueError(
                "BambooHR needs credentials: set client_id, client_secret and refresh_token "
                "(OAuth2, required for /api/v1/employees) or api_key (HTTP basic)"
            )
        return self


def _auth(cfg: BambooHRConfig) -> AuthSpec:
    if cfg.client_id and cfg.client_secret and cfg.refresh_token:
        return OAuth2RefreshToken(
            token_url=cfg.token_url,
            client_id=cfg.client_id,
            client_secret=cfg.client_secret.get_secret_value(),
            refresh_token=cfg.refresh_token.get_secret_value(),
        )
    if cfg.api_key is None:  # the config validator already demands one of both
        raise ValueError("BambooHR needs an OAuth2 app or an api_key; see BambooHRConfig")
    return BasicAuth(cfg.api_key.get_secret_value(), "x")  # the key is the user name


_STATUS: dict[Any, Any] = {"Active": "active", "Inactive": "terminated"}


@maps(
    Employee,
    version=1,
    paths={
        "employee_number": "",
        "first_name": "firstName",
        "last_name": "lastName",
        "preferred_name": "preferredName",
        "email": "",
        "phone": "",
        "status": "status",
        "employment_type": "",
        "job_title": "jobTitleName",
        "department_source_id": "",
        "manager_source_id": "",
        "hire_date": "",
        "termination_date": "",
        "address_line1": "",
        "address_city": "",
        "address_region": "",
        "address_postal_code": "",
        "address_country": "",
        "salary_amount": "",
        "salary_currency": "",
        "salary_period": "",
    },
)
def employee(r: Record, ctx: MappingContext) -> Employee:
    """An employee; Inactive is terminated. Restricted fields arrive as null and stay None."""
    return Employee(
        source_id=str(r["employeeId"]),
        first_name=n.text(r.get("firstName")) or "",
        last_name=n.text(r.get("lastName")) or "",
        preferred_name=n.text(r.get("preferredName")),
        status=_STATUS.get(r.get("status"), "active"),
        job_title=n.text(r.get("jobTitleName")),
    )


connector: Connector[BambooHRConfig] = Connector(
    name="bamboohr",
    title="BambooHR",
    config=BambooHRConfig,
    auth=_auth,
    streams=(
        Stream(
            name="employees",
            path="/api/v1/employees",
            mapping=employee,
            pagination=CursorPagination(
                cursor_path="meta.page.nextCursor",
                cursor_param="page[after]",
                limit_param="page[limit]",
                page_size=500,
            ),
            primary_key="employeeId",
            records_path="data",
        ),
    ),
)


DATASET_FIELDS = ("employeeNumber", "firstName", "lastName", "status", "hireDate")
"""Fields asked of the ``employee`` dataset: the names BambooHR documents in its examples."""


def _date(value: Any, field: str) -> dt.date | None:
    """A dataset date; BambooHR writes an unknown date as ``0000-00-00``."""
    text = n.text(value)
    return None if text in (None, "0000-00-00") else n.parse_date(text, field=field)


@maps(
    Employee,
    version=1,
    paths={
        **employee.paths,
        "employee_number": "fields.employeeNumber",
        "first_name": "fields.firstName",
        "last_name": "fields.lastName",
        "preferred_name": "",
        "status": "fields.status",
        "job_title": "",
        "hire_date": "fields.hireDate",
    },
)
def dataset_employee(r: Record, ctx: MappingContext) -> Employee:
    """A row of the ``employee`` dataset (values under ``fields``, all text)."""
    f = r.get("fields")
    if not isinstance(f, dict):
        raise MappingError(f"fields: expected an object, got {f!r}", field="fields")
    return Employee(
        source_id=str(f["employeeNumber"]),
        employee_number=n.text(f.get("employeeNumber")),
        first_name=n.text(f.get("firstName")) or "",
        last_name=n.text(f.get("lastName")) or "",
        status=_STATUS.get(f.get("status"), "active"),
        hire_date=_date(f.get("hireDate"), "fields.hireDate"),
    )


dataset_connector: Connector[BambooHRConfig] = Connector(
    name="bamboohr_dataset",
    title="BambooHR (employee dataset)",
    config=BambooHRConfig,
    auth=_auth,
    streams=(
        Stream(
            name="employees",
            path="/api/v2/datasets/employee/data",
            mapping=dataset_employee,
            method="POST",
            body={"fields": list(DATASET_FIELDS), "orderBy": "employeeNumber"},
            pagination=PageNumberPagination(
                page_param="page",
                size_param="pageSize",
                page_size=500,
                total_pages_path="meta.totalPages",
            ),
            placement={
                "page": InBody("page", integer=True),
                "pageSize": InBody("pageSize", integer=True),
            },
            primary_key="fields.employeeNumber",
            records_path="data",
        ),
    ),
)
