"""Versioned JSON Schemas of the canonical entities, and whether a new one breaks the old.

Every entity's contract is ``model_json_schema(mode="serialization")`` (what consumers
read) stamped with ``$id`` ``canonry://schema/<entity>/v<N>`` and ``x-canonry-version``
N, the entity's ``schema_version`` (1 when not declared). Decimals are strings with
``"format": "decimal"``, so that a Decimal becoming a free-text string is a type change.

:func:`compare` classifies each difference between an OLD and a NEW schema. The rule is
"can consumers of OLD keep reading NEW data, and can NEW read OLD data":

============================  ==========  ==================================================
change                        severity    why
============================  ==========  ==================================================
entity-added                  compatible  nobody consumed it before
field-added (optional)        compatible  old data lacks it, the default fills in
now-optional                  compatible  old data always had it
annotation-changed            compatible  title, description, default, examples only
entity-removed                breaking    consumers lose it
field-removed                 breaking    consumers lose it
field-renamed                 breaking    a removal plus an addition (same schema)
field-added (required)        breaking    old data lacks it
now-required                  breaking    old data may lack it
now-nullable                  breaking    consumers get nulls they never saw
no-longer-nullable            breaking    old data holds nulls
type-changed                  breaking    type, format or union branches differ
constraint-changed            breaking    pattern, lengths, bounds, additionalProperties
enum-value-added              breaking    strict consumers (exhaustive matches) fail on it;
                                          we treat it as a contract change: bump the version
enum-value-removed            breaking    old data holds the value
version-not-bumped            breaking    breaking changes under the same x-canonry-version
============================  ==========  ==================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from canonry.canonical.base import CanonicalEntity

Schema = dict[str, Any]
Severity = Literal["compatible", "breaking"]
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})
_DOCUMENT_KEYS = frozenset({"$defs", "$id", "$schema", "x-canonry-entity", "x-canonry-version"})
_TYPE_KEYS = frozenset({"type", "format", "anyOf", "oneOf", "allOf", "$ref", "const"})


class _CanonrySchema(GenerateJsonSchema):
    """pydantic's generator, with decimals marked so they differ from free text."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        out = super().decimal_schema(schema)
        if self.mode == "serialization":
            out["format"] = "decimal"
        return out


def schema_version(entity: type[CanonicalEntity]) -> int:
    """The entity's contract version: its ``schema_version`` ClassVar, 1 when undeclared."""
    version = getattr(entity, "schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise TypeError(f"{entity.__name__}.schema_version must be an int >= 1, got {version!r}")
    return version


def schema_id(entity_name: str, version: int) -> str:
    """``canonry://schema/<entity>/v<N>``."""
    return f"canonry://schema/{entity_name}/v{version}"


def export_schema(entity: type[CanonicalEntity]) -> Schema:
    """The versioned JSON Schema of ``entity`` (serialization mode: what consumers read)."""
    version = schema_version(entity)
    body = entity.model_json_schema(mode="serialization", schema_generator=_CanonrySchema)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(entity.entity_name, version),
        "x-canonry-entity": entity.entity_name,
        "x-canonry-version": version,
        **body,
    }


def schema_filename(entity_name: str, version: int) -> str:
    """``<entity>.v<N>.json``: the file :func:`export_schema` output is written to."""
    return f"{entity_name}.v{version}.json"


def dumps(schema: Schema) -> str:
    """Stable text of a schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def entity_of(schema: Schema) -> str:
    """The entity a schema describes (``x-canonry-entity``, else parsed from ``$id``)."""
    name = schema.get("x-canonry-entity")
    if isinstance(name, str):
        return name
    parts = str(schema.get("$id", "")).removeprefix("canonry://schema/").split("/")
    if len(parts) == 2 and parts[0]:
        return parts[0]
    raise ValueError("not a Canonry schema: no x-canonry-entity and no canonry://schema/ $id")


@dataclass(frozen=True)
class Change:
    """One difference between two versions of one entity's schema."""

    entity: str
    path: str
    kind: str
    severity: Severity
    detail: str

    @property
    def breaking(self) -> bool:
        return self.severity == "breaking"


_SEVERITY: dict[str, Severity] = {
    "entity-added": "compatible",
    "field-added": "compatible",
    "now-optional": "compatible",
    "annotation-changed": "compatible",
}


@dataclass(frozen=True)
class _Side:
    schema: Schema  # the document: where $refs resolve

    def resolve(self, node: Schema) -> Schema:
        seen = 0
        while "$ref" in node and seen < 64:
            name = str(node["$ref"]).removeprefix("#/$defs/")
            target = self.schema.get("$defs", {}).get(name)
            if target is None:
                raise ValueError(f"unresolvable $ref {node['$ref']!r}")
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        return node

    def inline(self, node: Any, depth: int = 0) -> Any:
        """``node`` with $refs expanded and annotations dropped: its structural identity."""
        if depth > 32:
            return "..."
        if isinstance(node, dict):
            node = self.resolve(node)
            return {k: self.inline(v, depth + 1) for k, v in node.items() if k not in _ANNOTATIONS}
        if isinstance(node, list):
            return [self.inline(v, depth + 1) for v in node]
        return node


def _split_null(side: _Side, node: Schema) -> tuple[Schema, bool]:
    node = side.resolve(node)
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node, False
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) == len(branches):
        return node, False
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    inner = {**rest, **side.resolve(kept[0])} if len(kept) == 1 else {**rest, "anyOf": kept}
    return inner, True


class _Differ:
    def __init__(self, entity: str, old: Schema, new: Schema) -> None:
        self.entity = entity
        self.old, self.new = _Side(old), _Side(new)
        self.changes: list[Change] = []

    def add(self, path: str, kind: str, detail: str) -> None:
        severity = _SEVERITY.get(kind, "breaking")
        if kind == "field-added" and "required" in detail:
            severity = "breaking"
        self.changes.append(Change(self.entity, path or "(entity)", kind, severity, detail))

    def reported(self, path: str) -> bool:
        return any(c.path == path for c in self.changes)

    def node(self, path: str, old: Schema, new: Schema) -> None:
        old, old_null = _split_null(self.old, old)
        new, new_null = _split_null(self.new, new)
        if old_null != new_null:
            kind = "now-nullable" if new_null else "no-longer-nullable"
            self.add(path, kind, "null allowed" if new_null else "null no longer allowed")
        if "properties" in old and "properties" in new:
            self.properties(path, old, new)
        elif old.get("type") == "array" and new.get("type") == "array":
            self.node(f"{path}[]", old.get("items", {}), new.get("items", {}))
        if "enum" in old and "enum" in new:
            self.enum(path, old["enum"], new["enum"])
        self.shape(path, old, new)

    def shape(self, path: str, old: Schema, new: Schema) -> None:
        skip = {"properties", "required", "items", "enum", *_DOCUMENT_KEYS}
        o = {k: self.old.inline(v) for k, v in old.items() if k not in skip | _ANNOTATIONS}
        n = {k: self.new.inline(v) for k, v in new.items() if k not in skip | _ANNOTATIONS}
        if ("enum" in old) != ("enum" in new):
            o["enum"], n["enum"] = old.get("enum"), new.get("enum")
        if o != n:
            typed = any(o.get(k) != n.get(k) for k in _TYPE_KEYS | {"enum"})
            kind = "type-changed" if typed else "constraint-changed"
            self.add(path, kind, f"{_brief(o)} -> {_brief(n)}")
        elif path and not self.reported(path) and _annotations(old) != _annotations(new):
            self.add(path, "annotation-changed", "title, description, default or examples")

    def enum(self, path: str, old: list[Any], new: list[Any]) -> None:
        for value in [v for v in new if v not in old]:
            self.add(path, "enum-value-added", f"{value!r} (bump schema_version)")
        for value in [v for v in old if v not in new]:
            self.add(path, "enum-value-removed", repr(value))

    def properties(self, path: str, old: Schema, new: Schema) -> None:
        o_props, n_props = old["properties"], new["properties"]
        o_req, n_req = set(old.get("required", ())), set(new.get("required", ()))
        removed = [f for f in o_props if f not in n_props]
        added = [f for f in n_props if f not in o_props]
        for name in list(removed):
            twin = next(
                (a for a in added if self.old.inline(o_props[name]) == self.new.inline(n_props[a])),
                None,
            )
            if twin is not None:
                removed.remove(name)
                added.remove(twin)
                self.add(_join(path, name), "field-renamed", f"{name} -> {twin}")
        for name in removed:
            self.add(_join(path, name), "field-removed", "consumers lose it")
        for name in added:
            required = "required" if name in n_req else "optional"
            self.add(_join(path, name), "field-added", f"{required}: {_brief(n_props[name])}")
        for name in (f for f in o_props if f in n_props):
            where = _join(path, name)
            if name in n_req and name not in o_req:
                self.add(where, "now-required", "old data may lack it")
            elif name in o_req and name not in n_req:
                self.add(where, "now-optional", "a default fills in")
            self.node(where, o_props[name], n_props[name])


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _annotations(node: Schema) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k in _ANNOTATIONS}


def _brief(node: Any) -> str:
    text = json.dumps(node, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(old: Schema, new: Schema) -> list[Change]:
    """Every difference between two schemas of one entity, each classified (see the module)."""
    entity = entity_of(new)
    differ = _Differ(entity, old, new)
    differ.node("", old, new)
    old_version, new_version = old.get("x-canonry-version"), new.get("x-canonry-version")
    if any(c.breaking for c in differ.changes) and old_version == new_version:
        differ.add("", "version-not-bumped", f"still v{new_version}: bump schema_version")
    return differ.changes


def compare_sets(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> list[Change]:
    """Differences between two sets of schemas keyed by entity (added and removed included)."""
    changes: list[Change] = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changes.append(Change(name, "(entity)", "entity-removed", "breaking", "gone"))
        elif name not in old:
            changes.append(Change(name, "(entity)", "entity-added", "compatible", "new"))
        else:
            changes.extend(compare(old[name], new[name]))
    return changes


def latest_by_entity(schemas: Iterator[Schema] | list[Schema]) -> dict[str, Schema]:
    """One schema per entity: the highest ``x-canonry-version`` of each."""
    latest: dict[str, Schema] = {}
    for schema in schemas:
        name = entity_of(schema)
        version = int(schema.get("x-canonry-version", 0))
        if name not in latest or version > int(latest[name].get("x-canonry-version", 0)):
            latest[name] = schema
    return latest
