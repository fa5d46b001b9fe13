"""The bamboohr connector against BambooHR's own spec served by Prism, with faults injected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.connectors.bamboohr import BambooHRConfig
from canonry.errors import SourceError
from canonry.sdk import Employee
from tests.connectors.kit import db_url, register, stored, sync
from tests.vendors.bamboohr_bed import SERVER, BambooData, DatasetData, offset
from tests.vendors.bed import Fault, Proxy, Script
from tests.vendors.contract import (
    assert_archive_matches_spec,
    assert_no_secret_archived,
    assert_rows_match_contract,
    assert_rows_trace_to_raw,
    load_openapi,
    read_spec,
)

Bed = Callable[[str, Script], Proxy]
SPEC = read_spec("bamboohr.json")
PATH = "/api/v1/employees"
DATASET = "/api/v2/datasets/employee/data"


def bamboo_bed(bed: Bed, data: BambooData, faults: dict[tuple[str, int], Fault]) -> Proxy:
    return bed("bamboohr", Script(pagers={PATH: data.pager()}, faults=faults,
                                  token_path="/token.php"))  # fmt: skip


def oauth_config(proxy: Proxy, **overrides: Any) -> BambooHRConfig:
    values: dict[str, Any] = {
        "base_url": proxy.url,
        "client_id": "bamboo-test-app",
        "client_secret": SecretStr("bamboo-s3cret-77ab"),
        "refresh_token": SecretStr("bed-refresh-0"),
        "page_size": 3,
    }
    return BambooHRConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def bamboo_first_sync(module_settings: Settings, module_bed: Bed) -> tuple[Proxy, BambooData, Any]:
    """A full sync of 10 employees in pages of 3 through a 429, a 500 and a slow page."""
    data = BambooData(copies=5)
    faults = {
        (PATH, 1): Fault(500),
        (PATH, 3): Fault(429, retry_after="1"),
        (PATH, 5): Fault(delay_s=1.0),
    }
    proxy = bamboo_bed(module_bed, data, faults)
    register(module_settings, "bhr", "bamboohr", oauth_config(proxy))
    return proxy, data, sync(module_settings, "bhr")


def test_full_sync_follows_page_after_cursors_to_the_end(
    module_settings: Settings, bamboo_first_sync: tuple[Proxy, BambooData, Any]
) -> None:
    """``page[after]`` follows ``meta.page.nextCursor`` until it is null, through faults."""
    proxy, _, result = bamboo_first_sync
    assert result.status == "succeeded", result.error
    rows = stored(db_url(module_settings), "employee", "bhr")
    assert len(rows) == 10
    assert result.stats["retries"] == 2
    calls = proxy.data_calls(PATH)
    assert [offset(c.query.get("page[after]")) for c in calls] == [0, 0, 3, 3, 6, 9]
    assert calls[3].at - calls[2].at >= 1.0  # the 429's Retry-After: 1 was honoured
    assert {c.query["page[limit]"] for c in calls} == {"3"}
    assert {c.headers["authorization"] for c in calls} == {"Bearer bed-access-1"}


def test_mapped_fields(
    module_settings: Settings, bamboo_first_sync: tuple[Proxy, BambooData, Any]
) -> None:
    """Names, preferred name, job title and Active/Inactive map as documented."""
    rows = stored(db_url(module_settings), "employee", "bhr")
    ava = rows["123"]
    assert (ava["first_name"], ava["last_name"], ava["preferred_name"]) == ("Ava", "Nguyen", "Ava")
    assert (ava["job_title"], ava["status"]) == ("Engineering Manager", "active")
    assert rows["4124"]["last_name"] == "Park"


def test_full_resync_soft_deletes_who_left(
    module_settings: Settings, bamboo_first_sync: tuple[Proxy, BambooData, Any]
) -> None:
    """The list has no change feed: a full sync reconciles, and vanished employees are deleted."""
    _, data, _ = bamboo_first_sync
    data.gone = {"1124", "3123"}
    again = sync(module_settings, "bhr", full=True)
    assert again.status == "succeeded", again.error
    assert again.streams["employees"].counts.deleted == 2
    rows = stored(db_url(module_settings), "employee", "bhr")
    assert {sid for sid, r in rows.items() if r["deleted"]} == {"1124", "3123"}


def test_an_api_key_is_refused_where_the_spec_demands_oauth(settings: Settings, bed: Bed) -> None:
    """BambooHR's spec grants /api/v1/employees to OAuth2 only: basic auth fails, and says so."""
    proxy = bamboo_bed(bed, BambooData(), {})
    keyed = BambooHRConfig(base_url=proxy.url, api_key=SecretStr("bhr-key-1f2e"))
    register(settings, "bk", "bamboohr", keyed)
    with pytest.raises(SourceError, match="HTTP 401"):
        sync(settings, "bk")
    assert proxy.data_calls(PATH)[0].headers["authorization"].startswith("Basic ")


def test_dataset_pages_by_number_inside_the_body(settings: Settings, bed: Bed) -> None:
    """``bamboohr_dataset``: page and pageSize travel in the POST body with the field list,
    until ``meta.totalPages``; an API key is enough; ``0000-00-00`` is no date."""
    data = DatasetData(people=7)
    faults = {(DATASET, 2): Fault(429, retry_after="1"), (DATASET, 3): Fault(502)}
    proxy = bed("bamboohr", Script(pagers={DATASET: data.pager()}, faults=faults))
    keyed = BambooHRConfig(base_url=proxy.url, api_key=SecretStr("bhr-key-1f2e"), page_size=3)
    register(settings, "bds", "bamboohr_dataset", keyed)
    result = sync(settings, "bds")
    assert result.status == "succeeded", result.error
    calls = proxy.data_calls(DATASET)
    assert [(c.body["page"], c.body["pageSize"]) for c in calls] == [
        (1, 3), (2, 3), (2, 3), (2, 3), (3, 3)]  # fmt: skip
    assert all(c.query == {} and c.body["fields"][0] == "employeeNumber" for c in calls)
    assert calls[0].headers["authorization"].startswith("Basic ")
    rows = stored(db_url(settings), "employee", "bds")
    assert len(rows) == 7
    assert (rows["101"]["first_name"], rows["101"]["hire_date"]) == ("Sam", None)
    assert (rows["104"]["status"], rows["102"]["hire_date"]) == ("terminated", dt.date(2019, 3, 12))
    url = db_url(settings)
    assert assert_archive_matches_spec(url, "bds", load_openapi(SPEC), SERVER) == proxy.answered
    assert assert_rows_trace_to_raw(url, "bds", Employee, "data", "fields.employeeNumber") == 7
    data.gone = {"105"}
    again = sync(settings, "bds", full=True)
    assert again.streams["employees"].counts.deleted == 1


def test_archive_and_rows_pass_both_contracts(
    module_settings: Settings, bamboo_first_sync: tuple[Proxy, BambooData, Any]
) -> None:
    """Each archived page is a valid BambooHR response (OpenAPI 3.1); each row a valid entity."""
    proxy = bamboo_first_sync[0]
    url = db_url(module_settings)
    pages = assert_archive_matches_spec(url, "bhr", load_openapi(SPEC), SERVER)
    assert pages == proxy.answered  # every page served, the full re-sync included
    assert assert_rows_match_contract(url, "bhr", Employee) == 10
    assert assert_rows_trace_to_raw(url, "bhr", Employee, "data", "employeeId") == 10
    assert_no_secret_archived(url, "bhr", ["bamboo-s3cret-77ab", "bed-access-1", "bed-refresh-1"])
