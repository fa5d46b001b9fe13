"""Field-level provenance: where each stored value came from."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class FieldProvenance(BaseModel):
    """Why a stored field has its value: the source response, the path, the mapping."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: object
    connection: str
    stream: str
    raw_page_id: int
    record_index: int
    json_path: str
    mapping_version: str
    observed_at: dt.datetime
    sync_run_id: int | None = None
    source_id: str | None = None  # the source record's id in ``connection``


class CompetingValue(BaseModel):
    """One linked source row's value for a golden field, and whether it was chosen."""

    model_config = ConfigDict(frozen=True)

    connection: str
    source_id: str
    value: object
    chosen: bool


class GoldenFieldProvenance(BaseModel):
    """Why a golden field has its value: the survivorship rule, the winner, the rivals."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: object
    rule: str
    source: FieldProvenance | None = None  # None: no linked row has a value
    competing: tuple[CompetingValue, ...] = ()


class GoldenMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection: str
    source_id: str
    matched_by: str


class GoldenRecord(BaseModel):
    """One real-world entity: surviving values, linked source rows, and every field explained."""

    model_config = ConfigDict(frozen=True)

    entity: str
    golden_id: int
    values: dict[str, object]
    members: tuple[GoldenMember, ...]
    fields: tuple[GoldenFieldProvenance, ...]
    rules_version: str
    retired: bool = False
    merged_into: int | None = None
    updated_at: dt.datetime | None = None
