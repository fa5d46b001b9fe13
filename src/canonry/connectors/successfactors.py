"""SAP SuccessFactors Employee Central (OData v2): employment information as employees.

Declarations and mapping only. OData v2 as SuccessFactors speaks it: records inside
``{"d": {"results": [...]}}`` (``records_path="d.results"``), client paging with
``$top``/``$skip`` (``OffsetPagination``), changes since the watermark as a ``$filter``
expression (``InQuery`` with a template), dates as ``/Date(1492098664000)/``, HTTP basic
with ``user@companyId``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import SecretStr

from canonry.sdk import (
    BasicAuth,
    ConnectionConfig,
    Connector,
    Employee,
    InQuery,
    MappingContext,
    OffsetPagination,
    Record,
    Stream,
    get_path,
    maps,
)
from canonry.sdk import normalize as n

_SINCE = "since"


class SuccessFactorsConfig(ConnectionConfig):
    """An API server (``https://api{N}.sapsf.com/odata/v2``), company id and API user."""

    company_id: str
    username: str
    password: SecretStr


def _auth(cfg: SuccessFactorsConfig) -> BasicAuth:
    return BasicAuth(f"{cfg.username}@{cfg.company_id}", cfg.password.get_secret_value())


def _day(r: Record, name: str) -> dt.date | None:
    value = r.get(name)
    return None if value in (None, "") else n.parse_datetime(value, field=name).date()


def _job(r: Record) -> dict[str, Any]:
    """The employment's current job record, from the expanded ``jobInfoNav``."""
    jobs = get_path(r, "jobInfoNav.results") or [{}]
    return dict(jobs[0])


_FAR_FUTURE = dt.date(9999, 1, 1)
_EMPLOYMENT_TYPE: dict[Any, Any] = {True: "contractor"}
_STATUS: dict[bool, Any] = {True: "terminated", False: "active"}


@maps(
    Employee,
    version=1,
    paths={
        "employee_number": "personIdExternal",
        "first_name": "",
        "last_name": "",
        "preferred_name": "",
        "email": "",
        "phone": "",
        "status": "endDate",
        "employment_type": "isContingentWorker",
        "job_title": "jobInfoNav.results[0].jobTitle",
        "department_source_id": "jobInfoNav.results[0].department",
        "manager_source_id": "jobInfoNav.results[0].managerId",
        "hire_date": "startDate",
        "termination_date": "endDate",
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
def employment(r: Record, ctx: MappingContext) -> Employee:
    """One employment (``EmpEmployment``) as an employee; an end date (before 9999) terminates.

    Names live in ``PerPersonal``, which the published Employment Information API does not
    cover: they stay empty here.
    """
    end = _day(r, "endDate")
    ended = end is not None and end < _FAR_FUTURE  # deterministic: replay gives the same row
    job = _job(r)
    changed = r.get("lastModifiedDateTime")
    return Employee(
        source_id=str(r["userId"]),
        source_updated_at=n.parse_datetime(changed, field="lastModifiedDateTime")
        if changed
        else None,
        employee_number=n.text(r.get("personIdExternal")),
        first_name="",
        last_name="",
        status=_STATUS[ended],
        employment_type=_EMPLOYMENT_TYPE.get(r.get("isContingentWorker") is True),
        job_title=n.text(job.get("jobTitle")),
        department_source_id=n.text(job.get("department")),
        manager_source_id=n.text(job.get("managerId")),
        hire_date=_day(r, "startDate"),
        termination_date=end if end is not None and end < _FAR_FUTURE else None,
    )


connector: Connector[SuccessFactorsConfig] = Connector(
    name="successfactors",
    title="SAP SuccessFactors Employee Central",
    config=SuccessFactorsConfig,
    auth=_auth,
    streams=(
        Stream(
            name="employments",
            path="/EmpEmployment",
            mapping=employment,
            pagination=OffsetPagination(limit_param="$top", offset_param="$skip", page_size=1000),
            primary_key="userId",
            records_path="d.results",
            cursor_field="lastModifiedDateTime",
            cursor_param=_SINCE,
            placement={_SINCE: InQuery("$filter", "lastModifiedDateTime ge datetimeoffset'{}'")},
            params={"$orderby": "lastModifiedDateTime", "$expand": "jobInfoNav"},
        ),
    ),
)
