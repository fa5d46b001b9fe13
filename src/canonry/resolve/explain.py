"""A golden record with each field explained down to the archived source response."""

from __future__ import annotations

from typing import Any

from canonry.canonical import (
    CompetingValue,
    FieldProvenance,
    GoldenFieldProvenance,
    GoldenMember,
    GoldenRecord,
)
from canonry.store import golden as store
from canonry.store.database import Conn
from canonry.store.entities import entity_type, field_provenance, get_entity


async def explain(conn: Conn, entity: str, golden_id: int) -> GoldenRecord:
    """Golden ``golden_id`` of ``entity``: values, members, and per field rule + provenance."""
    cls = entity_type(entity)
    g = await store.get_golden(conn, entity, golden_id)
    lineage: dict[str, Any] = g["lineage"]
    by_row: dict[tuple[str, str], dict[str, FieldProvenance]] = {}
    for info in lineage.values():
        winner = info["winner"]
        if winner is not None and tuple(winner) not in by_row:
            connection, source_id = winner
            row = await get_entity(conn, cls, source_id, connection)
            by_row[(connection, source_id)] = {p.field: p for p in field_provenance(cls, row)}
    fields = []
    for name in cls.business_fields():
        info = lineage.get(name)
        if info is None:
            continue
        winner = tuple(info["winner"]) if info["winner"] is not None else None
        competing = tuple(
            CompetingValue(connection=c, source_id=s, value=v, chosen=(c, s) == winner)
            for c, s, v in info["candidates"]
        )
        source = by_row[winner][name] if winner is not None else None
        fields.append(
            GoldenFieldProvenance(
                field=name,
                value=g["data"].get(name),
                rule=info["rule"],
                source=source,
                competing=competing,
            )
        )
    return GoldenRecord(
        entity=entity,
        golden_id=golden_id,
        values=g["data"],
        members=tuple(GoldenMember(**m) for m in g["sources"]),
        fields=tuple(fields),
        rules_version=g["rules_version"],
        retired=g["retired"],
        merged_into=g["merged_into"],
        updated_at=g["updated_at"],
    )
