"""What every canonical entity has: a source identity and the source's own change time."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict


class CanonicalEntity(BaseModel):
    """Base of every canonical entity.

    ``source_id`` is the record's primary key in its source; with the connection it
    identifies the stored row. ``source_updated_at`` is the source's own change time (UTC),
    ``deleted`` marks a tombstone. Subclasses add the business fields: those are the
    fields that carry provenance.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    entity_name: ClassVar[str]
    system_fields: ClassVar[frozenset[str]] = frozenset(
        {"source_id", "source_updated_at", "deleted"}
    )

    source_id: str
    source_updated_at: AwareDatetime | None = None
    deleted: bool = False

    @classmethod
    def business_fields(cls) -> tuple[str, ...]:
        """Field names that carry provenance, in declaration order."""
        return tuple(n for n in cls.model_fields if n not in cls.system_fields)

    @classmethod
    def tombstone(cls, source_id: str, updated_at: dt.datetime | None) -> dict[str, object]:
        """Column values for a deleted record: identity and deletion time only."""
        return {"source_id": source_id, "source_updated_at": updated_at, "deleted": True}
