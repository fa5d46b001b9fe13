"""Resolution rules: which source rows are one real-world entity, and which value survives.

Rules are data (a TOML table per entity type, stored in the database once set), so every
process that resolves applies the same ones, and a change of rules is detected by version.
"""

from __future__ import annotations

import hashlib
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from canonry.canonical import ENTITY_TYPES, CanonicalEntity
from canonry.errors import ConfigError


class Normalizer(StrEnum):
    """How a field's value becomes a match key (see ``canonry.resolve.keys``)."""

    EXACT = "exact"
    TEXT = "text"
    EMAIL = "email"
    DIGITS = "digits"
    TAX_ID = "tax_id"
    ORG_NAME = "org_name"


class Survivorship(StrEnum):
    """How one value is chosen among the linked rows' values for a field.

    ``source_priority``: the highest-priority source's value, even when it is null (that
    source is the authority). ``non_null_first``: the highest-priority source that has a
    value. ``most_recent``: the value changed most recently at its source (ties: priority).
    """

    SOURCE_PRIORITY = "source_priority"
    NON_NULL_FIRST = "non_null_first"
    MOST_RECENT = "most_recent"


class MatchRule(BaseModel):
    """Rows whose normalized values of all ``fields`` are equal (and non-empty) match."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    fields: dict[str, Normalizer] = Field(min_length=1)


class FieldRule(BaseModel):
    """The survivorship of one field; ``together`` fields are taken from the same winner."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Survivorship
    sources: tuple[str, ...] | None = Field(
        default=None, description="Priority order for this field (default: the entity's)."
    )
    together: tuple[str, ...] = ()


class EntityRules(BaseModel):
    """Everything that resolves one entity type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity: str
    sources: tuple[str, ...] = Field(
        default=(), description="Connections by priority; unlisted ones follow, by name."
    )
    match: tuple[MatchRule, ...] = Field(min_length=1)
    default: Survivorship = Survivorship.NON_NULL_FIRST
    fields: dict[str, FieldRule] = {}
    allow_same_source: bool = Field(
        default=False,
        description="Let rules merge two rows of one connection (a source's own duplicates).",
    )

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        if self.entity not in ENTITY_TYPES:
            known = ", ".join(sorted(ENTITY_TYPES))
            raise ValueError(f"unknown entity type {self.entity!r} (known: {known})")
        business = set(self.entity_type.business_fields())
        names = [r.name for r in self.match]
        if len(set(names)) != len(names):
            raise ValueError(f"match rule names must be unique, got {names}")
        used = [f for r in self.match for f in r.fields]
        used += list(self.fields)
        used += [f for r in self.fields.values() for f in r.together]
        unknown = sorted(set(used) - business)
        if unknown:
            raise ValueError(
                f"{self.entity} has no field(s) {', '.join(unknown)}; "
                f"its fields are: {', '.join(sorted(business))}"
            )
        grouped = [f for r in self.fields.values() for f in r.together]
        if len(set(grouped)) != len(grouped) or set(grouped) & set(self.fields):
            raise ValueError(
                "a field may follow at most one `together` group and then has no rule of its own"
            )
        return self

    @property
    def entity_type(self) -> type[CanonicalEntity]:
        return ENTITY_TYPES[self.entity]

    @property
    def version(self) -> str:
        """A short hash of the rules: goldens stamped with another version are stale."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:12]

    def rule_for(self, field: str) -> FieldRule:
        return self.fields.get(field) or FieldRule(rule=self.default)

    def lead_fields(self) -> tuple[str, ...]:
        """Business fields that get their own survivorship (the rest follow a group lead)."""
        followers = {f for r in self.fields.values() for f in r.together}
        return tuple(f for f in self.entity_type.business_fields() if f not in followers)


def parse_rules(data: dict[str, Any], origin: str = "rules") -> list[EntityRules]:
    """Rules from a mapping of entity type to table (the TOML file's shape)."""
    out: list[EntityRules] = []
    for entity, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: [{entity}] must be a table")
        try:
            out.append(EntityRules.model_validate({"entity": entity, **table}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or entity}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{origin}: invalid rules for {entity}: {problems}") from None
    if not out:
        raise ConfigError(f"{origin}: no entity tables; add e.g. [employee] with match rules")
    return out


def load_rules_file(path: Path) -> list[EntityRules]:
    """Rules from a TOML file with one table per entity type (see docs/resolution.md)."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {path} is not valid TOML: {exc}") from None
    return parse_rules(data, str(path))
