"""Declared mappings: a page mapped column by column equals the same records mapped one by one.

The column path is an optimization of the per-record one, so every test here compares the
two on the same input: rows, dead letters (with their reasons), tombstones and watermark.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonry.connectors import sandbox_hr
from canonry.mapping import MappedRecords, entity_columns, map_records
from canonry.sandbox import HRSandbox
from canonry.sandbox.faults import FaultConfig
from canonry.sdk import (
    Compensation,
    Employee,
    Invoice,
    MappingContext,
    Record,
    SinglePage,
    Stream,
    declare,
    read,
)
from canonry.sdk import (
    normalize as n,
)

CTX = MappingContext(connection="test")
EMPLOYEES = sandbox_hr.connector.stream("employees")


def one_by_one(stream: Stream) -> Stream:
    """The same stream, its mapping hidden behind a plain function: mapped record by record."""
    declared = stream.mapping.fn
    mapping = dataclasses.replace(stream.mapping, fn=lambda r, c: declared(r, c))  # noqa: PLW0108
    return dataclasses.replace(stream, mapping=mapping)


def outcome(m: MappedRecords) -> tuple[str, ...]:
    """Everything a page's mapping decides, spelled exactly (1.0 and 1.00 differ)."""
    return (
        repr(m.rows),
        repr([(d.record_index, d.source_id, d.stage, d.reason, d.field) for d in m.dead]),
        repr(m.tombstones),
        repr(m.max_cursor),
    )


def assert_alike(stream: Stream, records: list[Any]) -> MappedRecords:
    page = map_records(stream, records, CTX)
    assert outcome(page) == outcome(map_records(one_by_one(stream), records, CTX))
    return page


_text = st.sampled_from(["Ada", " Ada ", "", "  ", "ada@example.com", "+1 (415) 555-0134"])
_odd = st.one_of(
    st.none(), st.integers(-5, 5), st.floats(allow_nan=True), st.booleans(),
    st.just([1, 2]), st.just({"x": 1}),
)  # fmt: skip
_dates = st.sampled_from(
    ["2021-03-04", "2021-02-30", "20210304", "2021-03-04T09:00:00+05:30", "soon"]
)
_stamps = st.sampled_from(
    ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00", "later"]
)


def _value(*good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(*good, _odd, _text)


_employee = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["E1", "E2", "E3", "E4", ""]), st.integers(1, 3), st.none())},
    optional={
        "updated_at": _value(_stamps),
        "employee_number": _value(),
        "name": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"first": _value(), "last": _value(), "preferred": _value()}
            ),
            _odd,
            _text,
        ),
        "work_email": _value(),
        "phone": _value(),
        "status": _value(st.sampled_from(["active", " on_leave ", "fired"])),
        "job": st.one_of(
            st.fixed_dictionaries({}, optional={"title": _value(), "employment_type": _value()}),
            _odd,
        ),
        "department_id": _value(),
        "manager_id": _value(),
        "hire_date": _value(_dates),
        "termination_date": _value(_dates),
        "address": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"country": _value(st.just("pt")), "city": _value()}
            ),
            _odd,
        ),
        "compensation": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "amount": _value(st.sampled_from(["85000.00", "12,5", 1e400]), st.floats()),
                    "currency": _value(st.sampled_from(["EUR", "jpy", "XXX1"])),
                    "period": _value(st.sampled_from(["annual", "hourly", "yearly"])),
                },
            ),
            _odd,
        ),
        "deleted": st.one_of(st.booleans(), st.just(1)),
    },
)
_page = st.lists(st.one_of(_employee, _odd, st.just({"deleted": True})), min_size=8, max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page)
def test_any_page_of_messy_records_maps_as_it_does_record_by_record(records: list[Any]) -> None:
    assert_alike(EMPLOYEES, records)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_employee, min_size=8, max_size=30))
def test_any_page_of_objects_maps_as_it_does_record_by_record(records: list[Any]) -> None:
    """Pages of objects only (the usual kind), some without a key or marked deleted."""
    assert_alike(EMPLOYEES, records)


def test_the_sandbox_with_every_kind_of_malformed_record_maps_alike() -> None:
    """The sandbox's own faults (bad dates, amounts as text, missing status, a name as text,
    numeric ids) are dead-lettered with the per-record reasons; every other row is equal."""
    sandbox = HRSandbox(seed=7, employees=3_000, faults=FaultConfig(malformed_rate=0.05))
    cursor, dead, rows = None, 0, 0
    while True:
        served, cursor = sandbox.employee_page(500, cursor, None)
        page = assert_alike(EMPLOYEES, [orjson.loads(b) for b in served])
        dead, rows = dead + len(page.dead), rows + len(page.rows)
        if cursor is None:
            break
    assert 100 < dead < 300  # about 5% of 3,000: the malformed ones, and only those
    assert rows + dead == 3_000


def _objects_page(change: Any) -> list[Any]:
    served, _ = HRSandbox(seed=3, employees=40).employee_page(40, None, None)
    records = [orjson.loads(b) for b in served]
    change(records[5])
    return records


@pytest.mark.parametrize(
    ("change", "row", "tombstone", "dead"),
    [
        (lambda r: r.update(deleted=True), False, True, False),
        (lambda r: r.update(deleted=1), True, False, False),  # not the tombstone value True
        (lambda r: r.update(id=""), False, False, True),
        (lambda r: r.update(id=None), False, False, True),
        (lambda r: r.pop("id"), False, False, True),
    ],
    ids=["tombstone", "deleted-1", "empty-id", "null-id", "no-id"],
)
def test_one_odd_object_in_a_page_of_objects_maps_alike(
    change: Any, row: bool, tombstone: bool, dead: bool
) -> None:
    """A page of well-formed objects but one: the page's quick check must notice it."""
    page = assert_alike(EMPLOYEES, _objects_page(change))
    in_rows = 5 in [r[-1] for r in page.rows]
    in_tombstones = 5 in [t.record_index for t in page.tombstones]
    assert (in_rows, in_tombstones) == (row, tombstone)
    assert [d.record_index for d in page.dead] == ([5] if dead else [])


def test_whitespace_and_enums_are_validated_as_the_entity_does() -> None:
    """The entity's own rules (strip whitespace, enum values) apply to a column as to a model."""
    records: list[Record] = [
        {"id": f"E{i}", "name": {"first": "  Ada ", "last": "Lovelace"}, "status": "active"}
        for i in range(10)
    ]
    page = assert_alike(EMPLOYEES, records)
    first = Employee.business_fields().index("first_name") + 1
    assert {r[first] for r in page.rows} == {"Ada"}


def test_the_entitys_field_constraints_apply_to_a_column_as_to_a_model() -> None:
    """Without a converter in front, the entity's own limits (two-letter countries) refuse."""
    raw = declare(
        Employee,
        version=1,
        fields={"source_id": read("id")} | {f: read(f) for f in Employee.business_fields()},
    )
    records: list[Record] = [
        {"id": f"E{i}", "first_name": " A ", "last_name": "B", "status": "active",
         "address_country": "PT", "hire_date": "2020-01-02", "salary_amount": "1.50"}
        for i in range(10)
    ]  # fmt: skip
    records[3] = {**records[3], "address_country": "PRT"}
    records[6] = {**records[6], "hire_date": "2020-02-30"}
    page = assert_alike(_stream(raw, "people"), records)
    assert [(d.record_index, d.field) for d in page.dead] == [
        (3, "address_country"),
        (6, "hire_date"),
    ]


def test_text_columns_that_skip_pydantic_refuse_what_it_would() -> None:
    """Stripped text columns skip the entity's validation, but not its rules: a required
    name that is blank, and an id given as a number to ``strict_text``, still fail alike."""
    declared = declare(
        Employee,
        version=1,
        fields={f: read(f) for f in Employee.business_fields()} | {
            "source_id": read("id"), "first_name": read("first", n.text),
            "last_name": read("last", n.strict_text), "status": read("status"),
            "job_title": read("title", n.text), "manager_source_id": read("boss", n.strict_text),
        },
    )  # fmt: skip
    records: list[Record] = [
        {"id": f"E{i}", "first": " Ada ", "last": "Lovelace ", "status": "active",
         "title": "  ", "boss": " E0 "}
        for i in range(10)
    ]  # fmt: skip
    records[2] = {**records[2], "first": "   "}
    records[5] = {**records[5], "boss": 7}
    records[8] = {**records[8], "last": None}
    page = assert_alike(_stream(declared, "people"), records)
    assert [(d.record_index, d.field) for d in page.dead] == [
        (2, "first_name"),
        (5, "boss"),
        (8, "last_name"),
    ]
    at = ["source_id", *Employee.business_fields()].index
    first, title, boss = at("first_name"), at("job_title"), at("manager_source_id")
    assert {(r[first], r[title], r[boss]) for r in page.rows} == {("Ada", None, "E0")}


def test_a_nested_step_that_is_not_an_object_dead_letters_its_record() -> None:
    records: list[Record] = [
        {"id": f"E{i}", "name": {"first": "A", "last": "B"}, "status": "active"} for i in range(9)
    ]
    records[4] = {**records[4], "name": "B, A"}
    page = assert_alike(EMPLOYEES, records)
    assert [(d.record_index, d.reason) for d in page.dead] == [
        (4, "name: expected an object, got 'B, A'")
    ]


def test_an_amount_without_its_currency_is_refused_not_dropped() -> None:
    records: list[Record] = [
        {"id": f"E{i}", "name": {"first": "A", "last": "B"}, "status": "active",
         "compensation": {"amount": "10.00", "currency": "EUR"}}
        for i in range(9)
    ]  # fmt: skip
    records[2] = {**records[2], "compensation": {"amount": "10.00"}}
    page = assert_alike(EMPLOYEES, records)
    assert [d.record_index for d in page.dead] == [2]
    assert "without salary_currency" in page.dead[0].reason


def _stream(mapping: Any, name: str = "things") -> Stream:
    return Stream(
        name=name, path=f"/{name}", mapping=mapping, pagination=SinglePage(),
        cursor_field="updated_at",
    )  # fmt: skip


def test_nested_models_are_stored_as_json_ready_data_alike() -> None:
    invoices = declare(
        Invoice,
        version=1,
        fields={f: read(f) for f in Invoice.business_fields()}
        | {
            "source_id": read("id", str),
            "source_updated_at": read("updated_at", n.parse_datetime),
            "direction": read("direction"),
            "status": read("status"),
            "issue_date": read("issued", n.parse_date),
            "currency": read("currency", n.currency_code),
            "subtotal": read("subtotal", n.money_amount, using="currency"),
            "tax": read("tax", n.money_amount, using="currency"),
            "total": read("total", n.money_amount, using="currency"),
            "lines": read("lines"),
        },
    )
    line = {"line_no": 1, "description": "Tea", "quantity": "2", "unit_price": "1.5",
            "line_total": "3.00"}  # fmt: skip
    records: list[Record] = [
        {"id": i, "updated_at": "2024-01-01T00:00:00Z", "direction": "payable",
         "status": "open", "issued": "2024-01-01", "currency": "EUR", "subtotal": "3",
         "tax": "0", "total": "3", "lines": [line] if i % 3 else []}
        for i in range(12)
    ]  # fmt: skip
    records[5] = {**records[5], "lines": [{"line_no": "x"}]}
    page = assert_alike(_stream(invoices, "invoices"), records)
    assert len(page.rows) == 11
    assert [d.record_index for d in page.dead] == [5]
    lines = entity_columns(Invoice).index("lines")
    assert page.rows[1][lines] == [
        {
            **line,
            "quantity": "2",
            "unit_price": "1.5",
            "line_total": "3.00",
            "tax_rate": None,
            "account_code": None,
        }
    ]


def test_an_entity_with_its_own_validator_is_mapped_record_by_record() -> None:
    """Compensation checks two fields together: only the model can, so no columns for it."""
    rates = declare(
        Compensation,
        version=1,
        fields={"currency": read("currency", n.currency_code)}
        | {f: read(f) for f in Compensation.business_fields()}
        | {
            "source_id": read("id", str),
            "employee_source_id": read("employee"),
            "amount": read("amount", n.money_amount, using="currency"),
            "period": read("period"),
            "effective_date": read("from", n.parse_date),
            "annualized_amount": read("annual"),
            "reporting_currency": read("reporting"),
        },
    )
    records: list[Record] = [
        {"id": i, "employee": "E1", "currency": "EUR", "amount": "10", "period": "hourly",
         "from": "2024-01-01", "annual": "20800" if i == 3 else None}
        for i in range(10)
    ]  # fmt: skip
    page = assert_alike(_stream(rates, "rates"), records)
    assert [d.record_index for d in page.dead] == [3]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"source_id": read("id"), "nickname": read("nick")}, "has no field"),
        ({"source_id": read("id"), "first_name": read("first")}, "must read"),
        (
            {"source_id": read("id"), "salary_amount": read("a", using="salary_currency"),
             "salary_currency": read("c")},
            "must be declared before it",
        ),
    ],
)  # fmt: skip
def test_a_declaration_that_cannot_work_is_refused(fields: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        declare(Employee, version=1, fields=fields)
