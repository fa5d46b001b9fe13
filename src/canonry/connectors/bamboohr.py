"""BambooHR (``{company}.bamboohr.com``): the employee list of the public API v1.

Declarations and mapping only. ``GET /api/v1/employees`` pages with a deep-object cursor:
``page[limit]`` and ``page[after]`` in the query, the next cursor at
``meta.page.nextCursor`` (``CursorPagination``). BambooHR's spec grants that operation to
OAuth2 only; an API key (HTTP basic, key as user name) is accepted by the older endpoints,
so the connector takes either and the error says which the source refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, model_validator

from canonry.sdk import (
    AuthSpec,
    BasicAuth,
    ConnectionConfig,
    Connector,
    CursorPagination,
    Employee,
    MappingContext,
    OAuth2RefreshToken,
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
    assert cfg.api_key is not None  # the config validator guarantees one of both
    return BasicAuth(cfg.api_key.get_secret_value(), "x")


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
