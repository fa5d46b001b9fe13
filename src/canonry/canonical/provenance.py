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
