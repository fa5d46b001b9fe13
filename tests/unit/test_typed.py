"""A page decoded into structs maps exactly as decoded into dicts, or is left to that path.

``map_body`` is an optimization of ``orjson.loads`` + ``map_records``: every test compares
the two on the same bytes, and checks that the fast path is taken where it should be (a
path that always declined would pass the comparisons and optimize nothing).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonry.connectors import sandbox_hr
from canonry.mapping import MappedRecords, map_body, map_records, typed
from canonry.sandbox import HRSandbox
from canonry.sandbox.faults import FaultConfig
from canonry.sdk import Department, MappingContext, SinglePage, Stream, declare, read
from canonry.sdk import normalize as n
from canonry.sdk.paths import get_path
from canonry.sync.worker import PageJob, prepare
from tests.unit.test_declared import _employee, outcome

CTX = MappingContext(connection="test")
EMPLOYEES = sandbox_hr.connector.stream("employees")


def general(stream: Stream, body: bytes) -> tuple[int, MappedRecords]:
    """The page as the general path maps it: every record decoded into dicts."""
    payload = orjson.loads(body)
    records = get_path(payload, stream.records_path) if stream.records_path else payload
    return len(records), map_records(stream, records, CTX)


def assert_declines_or_agrees(stream: Stream, body: bytes) -> bool:
    """True when the typed path mapped the page (the same as the general path)."""
    typed = map_body(stream, body)
    if typed is None:
        return False
    count, mapped = general(stream, body)
    assert not mapped.dead, "took a page with records the general path refuses"
    assert not mapped.tombstones
    assert (typed[0], outcome(typed[1])) == (count, outcome(mapped))
    return True


def sandbox_pages(faults: FaultConfig | None = None, size: int = 250) -> list[bytes]:
    sandbox = HRSandbox(seed=11, employees=2_000, faults=faults or FaultConfig())
    pages, cursor = [], None
    while True:
        served, cursor = sandbox.employee_page(size, cursor, None)
        pages.append(b'{"data":[' + b",".join(served) + b'],"meta":{"next_cursor":null}}')
        if cursor is None:
            return pages


def test_clean_sandbox_pages_take_the_typed_path_and_map_alike() -> None:
    assert all(assert_declines_or_agrees(EMPLOYEES, page) for page in sandbox_pages())


def test_pages_with_malformed_records_are_left_to_the_general_path() -> None:
    """Bad dates, amounts as text, a missing status, a name as text, numeric ids: a page with
    any of them is mapped the general way, which dead-letters each with its reason."""
    pages = sandbox_pages(FaultConfig(malformed_rate=0.02), size=40)
    taken = [assert_declines_or_agrees(EMPLOYEES, page) for page in pages]
    dead = [bool(general(EMPLOYEES, page)[1].dead) for page in pages]
    assert taken == [not d for d in dead]
    assert any(dead)
    assert not all(dead)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_employee, min_size=8, max_size=20))
def test_any_page_of_objects_as_json_maps_alike_or_is_declined(records: list[Any]) -> None:
    assert_declines_or_agrees(EMPLOYEES, orjson.dumps({"data": records}))


def _clean(amount: Any, phone: Any = "+1 415 555 0100") -> dict[str, Any]:
    return {
        "id": "E1", "updated_at": "2024-05-01T10:00:00+02:00", "name": {"first": "Ada",
        "last": "Lovelace"}, "status": "active", "phone": phone,
        "compensation": {"amount": amount, "currency": "EUR", "period": "annual"},
    }  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**63), 2**64 - 1))
def test_numbers_decode_alike(amount: float, whole: int) -> None:
    """Any float and 64-bit integer (orjson's range) reads the same through either decoder."""
    body = orjson.dumps({"data": [_clean(amount), _clean(whole)]})
    decoded = typed._schema(EMPLOYEES).decoder.decode(body)  # type: ignore[union-attr]
    read = typed._Reader(typed._schema(EMPLOYEES), decoded.f0)  # type: ignore[arg-type]
    got = read(("compensation", "amount"))
    assert repr(got) == repr([amount, whole])
    assert [type(v) for v in got] == [float, int]


@settings(max_examples=200, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.integers(-(10**15), 10**15),
)
def test_pages_of_amounts_map_alike(amount: float, whole: int) -> None:
    body = orjson.dumps({"data": [_clean(amount)] * 4 + [_clean(whole)] * 4})
    assert assert_declines_or_agrees(EMPLOYEES, body)


@pytest.mark.parametrize(
    ("body", "unusable"),
    [
        (b'{"data":[%s],"meta":{"x":"\xff"}}', True),  # invalid UTF-8 where nothing reads
        (b'{"data":[%s],"meta":{"x":1e400}}', True),  # orjson refuses it, msgspec skips it
        (b'{"data":[%s],"meta":{"x":123456789012345678901234567890}}', False),
        (b'{"data":[%s],"meta":{"x":"\\ud800"}}', True),  # a lone surrogate
    ],
    ids=["utf8", "huge-float", "huge-int", "surrogate"],
)
def test_a_body_orjson_treats_otherwise_is_left_to_the_general_path(
    body: bytes, unusable: bool
) -> None:
    """msgspec skips unread values unchecked: such a body must not map on the typed path
    when the general one refuses it (or reads it otherwise)."""
    page = body % b",".join(orjson.dumps(_clean(1.5)) for _ in range(8))
    assert map_body(EMPLOYEES, page) is None
    job = PageJob(
        connector="sandbox_hr", stream="employees", connection="c", timezone="UTC",
        body=page, fetched_at=dt.datetime.now(dt.UTC), request={"url": "/v1/employees"},
    )  # fmt: skip
    write = prepare(job)
    reasons = [d.reason for d in write.dead]
    assert (len(reasons) == 1 and reasons[0].startswith("page body is unusable")) == unusable
    assert (write.rows is not None and len(write.rows.ids) == 1) == (not unusable)


def _stream(records_path: str, fields: dict[str, Any]) -> Stream:
    mapping = declare(Department, version=1, fields=fields)
    return Stream(
        name="units", path="/units", mapping=mapping, pagination=SinglePage(),
        records_path=records_path, cursor_field="updated_at",
    )  # fmt: skip


_FIELDS = {
    "source_id": read("id", str),
    "source_updated_at": read("updated_at", n.parse_datetime),
    "name": read("who.name"),
    "code": read("who.code", n.text),
    "parent_source_id": read("org.parent.id", n.strict_text),
    "cost_center": read("org.cost_center", n.text),
}


def _unit(i: int) -> dict[str, Any]:
    return {
        "id": f"D{i}", "updated_at": f"2024-05-0{i % 9 + 1}T10:00:00Z",
        "who": {"name": f"Unit {i}", "code": f" U{i} "},
        "org": {"parent": {"id": f"D{i // 3}"}, "cost_center": f"CC{i}"},
    }  # fmt: skip


@pytest.mark.parametrize("records_path", ["", "data", "result.items"])
def test_records_at_any_path_and_nested_objects_map_alike(records_path: str) -> None:
    records = [_unit(i) for i in range(10)]
    records[3]["org"] = None  # null reads as an object with nothing set
    records[4]["org"] = {"parent": None, "cost_center": "CC4"}
    del records[5]["org"]
    payload: Any = records
    for step in reversed(records_path.split(".") if records_path else []):
        payload = {step: payload}
    assert assert_declines_or_agrees(_stream(records_path, _FIELDS), orjson.dumps(payload))


def test_a_page_without_its_records_path_is_left_to_the_general_path() -> None:
    stream = dataclasses.replace(_stream("data", _FIELDS), records_optional=True)
    assert map_body(stream, b'{"other":[]}') is None


def test_a_path_read_both_as_a_value_and_as_an_object_is_left_to_the_general_path() -> None:
    stream = _stream("data", {**_FIELDS, "cost_center": read("org", n.text)})
    records = [_unit(i) for i in range(10)]
    assert map_body(stream, orjson.dumps({"data": records})) is None
    assert len(general(stream, orjson.dumps({"data": records}))[1].rows) == 10  # mapped there


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(deleted=True),
        lambda r: r.update(id=""),
        lambda r: r.update(id=None),
        lambda r: r.pop("id"),
        lambda r: r.update(name="Ada"),  # a read step that is not an object
    ],
    ids=["tombstone", "empty-id", "null-id", "no-id", "name-as-text"],
)
def test_one_odd_record_sends_the_page_to_the_general_path(change: Any) -> None:
    records = [
        orjson.loads(b) for b in HRSandbox(seed=3, employees=40).employee_page(40, None, None)[0]
    ]
    body = orjson.dumps({"data": records})
    assert assert_declines_or_agrees(EMPLOYEES, body)  # as served: typed
    change(records[5])
    assert map_body(EMPLOYEES, orjson.dumps({"data": records})) is None
