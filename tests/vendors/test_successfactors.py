"""The successfactors connector against SAP's OData spec served by Prism, with faults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.successfactors import SuccessFactorsConfig
from canonry.sdk import Employee
from tests.connectors.kit import db_url, register, stored, sync
from tests.vendors.bed import Fault, Proxy, Script
from tests.vendors.contract import (
    assert_archive_matches_swagger2,
    assert_no_secret_archived,
    assert_rows_match_contract,
    assert_rows_trace_to_raw,
    read_spec,
)
from tests.vendors.successfactors_bed import SFData

Bed = Callable[[str, Script], Proxy]
SPEC = read_spec("successfactors.json")
PATH = "/EmpEmployment"


@pytest.fixture(scope="module")
def sf_first_sync(module_settings: Settings, module_bed: Bed) -> tuple[Proxy, SFData, Any]:
    """A full sync of 7 employments in $top=3 pages through a 503, a 429 and a slow page."""
    data = SFData(people=7)
    faults = {
        (PATH, 1): Fault(503),
        (PATH, 3): Fault(429, retry_after="1"),
        (PATH, 4): Fault(delay_s=1.0),
    }
    proxy = module_bed("successfactors", Script(pagers={PATH: data.pager()}, faults=faults))
    config = SuccessFactorsConfig(
        base_url=proxy.url, company_id="ACME01", username="canonry",
        password=SecretStr("sf-pa55-91c3"), page_size=3,
    )  # fmt: skip
    register(module_settings, "sf", "successfactors", config)
    return proxy, data, sync(module_settings, "sf")


def test_full_sync_pages_with_top_and_skip(
    module_settings: Settings, sf_first_sync: tuple[Proxy, SFData, Any]
) -> None:
    """``$skip`` advances by ``$top`` until a short page, through faults, with basic auth."""
    proxy, _, result = sf_first_sync
    assert result.status == "succeeded", result.error
    assert len(stored(db_url(module_settings), "employee", "sf")) == 7
    assert result.stats["retries"] == 2
    calls = proxy.data_calls(PATH)
    assert [c.query["$skip"] for c in calls] == ["0", "0", "3", "3", "6"]
    assert {c.query["$top"] for c in calls} == {"3"}
    assert {c.query["$expand"] for c in calls} == {"jobInfoNav"}
    assert {c.headers["authorization"] for c in calls} == {
        "Basic Y2Fub25yeUBBQ01FMDE6c2YtcGE1NS05MWMz"
    }


def test_mapped_fields_from_odata(
    module_settings: Settings, sf_first_sync: tuple[Proxy, SFData, Any]
) -> None:
    """``/Date()/`` dates, end dates as terminations, contingent workers, the expanded job."""
    rows = stored(db_url(module_settings), "employee", "sf")
    one = rows["u1"]
    assert (one["status"], one["hire_date"], one["termination_date"]) == (
        "active", dt.date(2017, 4, 13), None)  # fmt: skip
    assert (one["job_title"], one["department_source_id"], one["manager_source_id"]) == (
        "Job 1", "D1", "u1")  # fmt: skip
    assert one["employee_number"] == "p1"
    assert one["source_updated_at"] == dt.datetime(2017, 4, 13, 16, 51, 4, tzinfo=dt.UTC)
    assert rows["u2"]["employment_type"] == "contractor"
    assert (rows["u3"]["status"], rows["u3"]["termination_date"]) == (
        "terminated",
        dt.date(2017, 4, 13),
    )


def test_incremental_sends_an_odata_filter(
    module_settings: Settings, sf_first_sync: tuple[Proxy, SFData, Any]
) -> None:
    """The watermark becomes ``$filter=lastModifiedDateTime ge datetimeoffset'...'``."""
    proxy, data, _ = sf_first_sync
    data.changes["u4"] = {"endDate": "/Date(1700000000000)/"}
    before = len(proxy.calls)
    again = sync(module_settings, "sf")
    assert again.status == "succeeded", again.error
    newest = dt.datetime(2017, 4, 13, 22, 51, 4, tzinfo=dt.UTC)  # u7, the last one read
    assert {c.query["$filter"] for c in proxy.calls[before:]} == {
        f"lastModifiedDateTime ge datetimeoffset'{newest.isoformat()}'"
    }
    counts = again.streams["employments"].counts
    assert (counts.updated, counts.unchanged, counts.inserted) == (1, 1, 0)
    assert stored(db_url(module_settings), "employee", "sf")["u4"]["status"] == "terminated"


def test_archive_and_rows_pass_both_contracts(
    module_settings: Settings, sf_first_sync: tuple[Proxy, SFData, Any]
) -> None:
    """Each archived page validates against the Swagger 2.0 spec; each row against its entity."""
    proxy = sf_first_sync[0]
    url = db_url(module_settings)
    assert assert_archive_matches_swagger2(url, "sf", SPEC) == proxy.answered
    assert assert_rows_match_contract(url, "sf", Employee) == 7
    assert assert_rows_trace_to_raw(url, "sf", Employee, "d.results", "userId") == 7
    assert_no_secret_archived(url, "sf", ["sf-pa55-91c3", "Y2Fub25yeUBBQ01FMDE6c2YtcGE1NS05MWMz"])
