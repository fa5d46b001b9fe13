"""Field-level provenance: every stored field points at the raw response value it came from."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg

from canonry.canonical import Employee, FieldProvenance
from canonry.config import Settings
from canonry.sandbox import HRSandbox
from canonry.store import open_database
from canonry.store.entities import field_provenance, get_entity, source_value
from canonry.sync import run_sync
from tests.conftest import register


def _explain(settings: Settings, source_id: str) -> list[tuple[FieldProvenance, Any]]:
    async def go() -> list[tuple[FieldProvenance, Any]]:
        async with open_database(settings) as db, await db.connect() as conn:
            row = await get_entity(conn, Employee, source_id)
            out = []
            for p in field_provenance(Employee, row):
                path = row["field_paths"][p.field]
                raw = await source_value(
                    conn, p.raw_page_id, row["records_path"], p.record_index, path
                )
                out.append((p, raw))
            return out

    return asyncio.run(go())


def _same(stored: Any, raw: Any) -> bool:
    """Does the raw source value explain the stored (normalized) one?"""
    if stored is None:
        return raw is None or (isinstance(raw, str) and not raw.strip())
    if isinstance(stored, Decimal):
        return Decimal(str(raw)) == stored
    if isinstance(stored, dt.date):
        return str(raw).startswith(stored.isoformat())
    if isinstance(stored, str) and isinstance(raw, str):
        squash = lambda s: "".join(ch for ch in s.lower() if ch.isalnum())  # noqa: E731
        return squash(stored).lstrip("0") == squash(raw).lstrip("0")  # "00" dials as "+"
    return bool(stored == raw)


def test_every_field_of_every_employee_is_explained_by_its_raw_page(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """No stored field lacks provenance, and each path leads to the raw value it was mapped from."""
    sb = hr_sandbox(employees=600)
    asyncio.run(register(settings, "hr", serve(sb), page_size=100))

    async def sync() -> None:
        async with open_database(settings) as db:
            await run_sync(db, "hr")
            sb.mutate(updates=50)
            await run_sync(db, "hr")

    asyncio.run(sync())
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    with psycopg.connect(url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT source_id FROM canonry.employee ORDER BY random() LIMIT 40"
            )
        ]
        missing = conn.execute(
            "SELECT count(*) FROM canonry.employee e"
            " LEFT JOIN canonry.mapping_versions mv ON mv.version = e.mapping_version"
            " LEFT JOIN canonry.raw_pages p ON p.id = e.raw_page_id"
            " WHERE mv.version IS NULL OR p.id IS NULL"
        ).fetchone()
    assert missing == (0,), "some rows point at no mapping version or no raw page"
    for source_id in ids:
        explained = _explain(settings, source_id)
        assert {p.field for p, _ in explained} == set(Employee.business_fields())
        for prov, raw in explained:
            assert prov.json_path.startswith(f"$.data[{prov.record_index}].")
            assert prov.mapping_version == "sandbox_hr.employees@2"
            assert _same(prov.value, raw), (
                f"{source_id}.{prov.field}: {prov.value!r} vs raw {raw!r}"
            )
