"""Connector for Canonry's sandbox identity directory (``DirectorySandbox``; see the demo).

An Okta-style user API: ``SSWS`` tokens, bare JSON arrays, ``Link`` header pages, deltas
with ``filter=lastUpdated gt "<ISO>"``. Logins are work emails; most accounts carry the HR
employee number; titles change here first.
"""

from __future__ import annotations

from pydantic import SecretStr

from canonry.sdk import (
    ApiKey,
    ConnectionConfig,
    Connector,
    Employee,
    EmploymentStatus,
    InQuery,
    LinkHeaderPagination,
    MappingContext,
    MappingError,
    Record,
    Stream,
    maps,
)
from canonry.sdk import normalize as n

_STATUS = {
    "ACTIVE": EmploymentStatus.ACTIVE,
    "SUSPENDED": EmploymentStatus.ON_LEAVE,
    "DEPROVISIONED": EmploymentStatus.TERMINATED,
}


class DirectorySandboxConfig(ConnectionConfig):
    """Where the sandbox directory runs and its API token (sent as ``SSWS <token>``)."""

    api_token: SecretStr


@maps(
    Employee,
    version=1,
    paths={
        **dict.fromkeys(Employee.business_fields(), ""),  # not in this source
        "employee_number": "profile.employeeNumber",
        "first_name": "profile.firstName",
        "last_name": "profile.lastName",
        "email": "profile.email",
        "phone": "profile.mobilePhone",
        "status": "status",
        "job_title": "profile.title",
    },
)
def user(r: Record, ctx: MappingContext) -> Employee:
    """Directory account: profile flattened, account status as employment status."""
    profile = r.get("profile")
    if not isinstance(profile, dict):
        raise MappingError(f"profile: expected an object, got {profile!r}", field="profile")
    status = _STATUS.get(r.get("status", ""))
    if status is None:
        raise MappingError(
            f"status: unknown account status {r.get('status')!r}",
            field="status",
            value=r.get("status"),
        )
    return Employee(
        source_id=str(r["id"]),
        source_updated_at=n.parse_datetime(r["lastUpdated"], field="lastUpdated"),
        employee_number=n.text(profile.get("employeeNumber")),
        first_name=profile.get("firstName"),
        last_name=profile.get("lastName"),
        email=n.email(profile.get("email"), field="profile.email"),
        phone=n.phone(profile.get("mobilePhone"), field="profile.mobilePhone"),
        status=status,
        job_title=n.text(profile.get("title")),
    )


connector: Connector[DirectorySandboxConfig] = Connector(
    name="directory_sandbox",
    title="Canonry sandbox identity directory",
    config=DirectorySandboxConfig,
    auth=lambda cfg: ApiKey(f"SSWS {cfg.api_token.get_secret_value()}", header="Authorization"),
    streams=(
        Stream(
            name="users",
            path="/api/v1/users",
            mapping=user,
            pagination=LinkHeaderPagination(size_param="limit", page_size=200),
            records_path="",  # the body is the array
            cursor_field="lastUpdated",
            cursor_param="since",
            placement={"since": InQuery("filter", 'lastUpdated gt "{}"')},  # Okta's syntax
        ),
    ),
)
