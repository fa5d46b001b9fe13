"""Schema compatibility rules, each proven on a hand-written OLD/NEW pair."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from canonry.canonical import CONTRACTS, Invoice
from canonry.canonical.contracts import (
    compare,
    compare_sets,
    entity_of,
    export_schema,
    latest_by_entity,
)

Schema = dict[str, Any]
TEXT = {"type": "string"}
NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


def doc(
    props: Schema, required: list[str], *, version: int = 1, defs: Schema | None = None
) -> Schema:
    """A minimal exported schema of entity ``thing``."""
    out: Schema = {
        "$id": f"canonry://schema/thing/v{version}",
        "x-canonry-entity": "thing",
        "x-canonry-version": version,
        "type": "object",
        "properties": props,
        "required": required,
    }
    if defs:
        out["$defs"] = defs
    return out


BASE = doc({"id": TEXT, "note": NULLABLE_TEXT}, ["id"])


def kinds(old: Schema, new: Schema) -> dict[str, str]:
    return {f"{c.path}:{c.kind}": c.severity for c in compare(old, new)}


def test_identical_schemas_have_no_changes() -> None:
    """Comparing a schema with itself yields nothing."""
    assert compare(BASE, copy.deepcopy(BASE)) == []


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(
            doc({"id": TEXT, "note": NULLABLE_TEXT, "extra": NULLABLE_TEXT}, ["id"]),
            {"extra:field-added": "compatible"},
            id="new-optional-field",
        ),
        pytest.param(
            doc({"id": TEXT, "note": NULLABLE_TEXT, "extra": TEXT}, ["id", "extra"], version=2),
            {"extra:field-added": "breaking"},
            id="new-required-field",
        ),
        pytest.param(
            doc({"id": TEXT}, ["id"], version=2),
            {"note:field-removed": "breaking"},
            id="removed-field",
        ),
        pytest.param(
            doc({"id": TEXT, "memo": NULLABLE_TEXT}, ["id"], version=2),
            {"note:field-renamed": "breaking"},
            id="renamed-field",
        ),
        pytest.param(
            doc({"id": {"type": "integer"}, "note": NULLABLE_TEXT}, ["id"], version=2),
            {"id:type-changed": "breaking"},
            id="type-change",
        ),
        pytest.param(
            doc({"id": TEXT, "note": NULLABLE_TEXT}, ["id", "note"], version=2),
            {"note:now-required": "breaking"},
            id="optional-to-required",
        ),
        pytest.param(
            doc({"id": TEXT, "note": TEXT}, ["id"], version=2),
            {"note:no-longer-nullable": "breaking"},
            id="nullable-to-not-null",
        ),
        pytest.param(
            doc(
                {"id": {"type": "string", "maxLength": 3}, "note": NULLABLE_TEXT}, ["id"], version=2
            ),
            {"id:constraint-changed": "breaking"},
            id="narrowed-constraint",
        ),
        pytest.param(
            doc({"id": {**TEXT, "description": "The id."}, "note": NULLABLE_TEXT}, ["id"]),
            {"id:annotation-changed": "compatible"},
            id="description-only",
        ),
    ],
)
def test_each_rule(new: Schema, expected: dict[str, str]) -> None:
    """Each kind of difference gets the documented severity (version bumped where breaking)."""
    assert kinds(BASE, new) == expected


STATUS_DEFS = {"Status": {"type": "string", "enum": ["open", "paid"], "title": "Status"}}
WITH_ENUM = doc({"id": TEXT, "status": {"$ref": "#/$defs/Status"}}, ["id"], defs=STATUS_DEFS)


def _with_values(*values: str, version: int = 2) -> Schema:
    defs = {"Status": {**STATUS_DEFS["Status"], "enum": list(values)}}
    return doc(
        {"id": TEXT, "status": {"$ref": "#/$defs/Status"}}, ["id"], defs=defs, version=version
    )


def test_enum_values_added_or_removed_are_breaking() -> None:
    """A new enum value breaks strict consumers; a removed one breaks old data (via $ref)."""
    assert kinds(WITH_ENUM, _with_values("open", "paid", "void")) == {
        "status:enum-value-added": "breaking"
    }
    assert kinds(WITH_ENUM, _with_values("open")) == {"status:enum-value-removed": "breaking"}


def test_breaking_change_without_a_version_bump_is_flagged() -> None:
    """Breaking changes under the same x-canonry-version add a version-not-bumped row."""
    same_version = doc({"id": TEXT}, ["id"], version=1)
    assert kinds(BASE, same_version) == {
        "note:field-removed": "breaking",
        "(entity):version-not-bumped": "breaking",
    }


def test_nested_line_changes_are_found_through_arrays() -> None:
    """A type change inside invoice lines is reported at lines[].quantity."""
    old = export_schema(Invoice)
    new = copy.deepcopy(old)
    new["x-canonry-version"] = 2
    new["$defs"]["InvoiceLine"]["properties"]["quantity"] = {"type": "integer"}
    assert kinds(old, new) == {"lines[].quantity:type-changed": "breaking"}


def test_entity_sets() -> None:
    """Added entities are compatible, removed entities breaking."""
    old = {"thing": BASE}
    changes = compare_sets(old, {"other": {**BASE, "x-canonry-entity": "other"}})
    assert {(c.entity, c.kind, c.severity) for c in changes} == {
        ("thing", "entity-removed", "breaking"),
        ("other", "entity-added", "compatible"),
    }


def test_latest_version_per_entity_and_entity_names() -> None:
    """Directories may hold several versions; the highest wins; $id names the entity too."""
    v2 = {**BASE, "x-canonry-version": 2}
    assert latest_by_entity([v2, BASE])["thing"] is v2
    assert entity_of({"$id": "canonry://schema/order/v3"}) == "order"
    with pytest.raises(ValueError, match="not a Canonry schema"):
        entity_of({"title": "x"})


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_export_is_stamped(name: str) -> None:
    """Every entity's schema has its $id, version and entity name, and decimals are marked."""
    schema = export_schema(CONTRACTS[name])
    assert schema["$id"] == f"canonry://schema/{name}/v{schema['x-canonry-version']}"
    assert schema["x-canonry-entity"] == name
    assert compare(schema, export_schema(CONTRACTS[name])) == []
