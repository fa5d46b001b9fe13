"""Compare the canonical store with a sandbox's ground truth, column by column."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from canonry.connectors.sandbox_hr import department, employee
from canonry.mapping import entity_columns
from canonry.sandbox import HRSandbox
from canonry.sdk import Employee, MappingContext

CTX = MappingContext(connection="test")


def stored(url: str, table: str, connection: str) -> dict[str, dict[str, Any]]:
    """Every stored row of ``table`` for ``connection`` (deleted too), by source id."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            f"SELECT e.* FROM canonry.{table} e JOIN canonry.connections c"
            " ON c.id = e.connection_id WHERE c.name = %s",
            (connection,),
        ).fetchall()
    return {r["source_id"]: r for r in rows}


def expected_employees(sandbox: HRSandbox) -> dict[str, dict[str, Any]]:
    """What the store must hold for each live, well-formed employee of the sandbox."""
    truth = sandbox.truth()
    malformed = set(truth["malformed"])
    out = {}
    for sid, record in truth["employees"].items():
        if sid in malformed:
            continue
        entity = employee(record, CTX)
        out[sid] = {c: _plain(getattr(entity, c)) for c in entity_columns(Employee)}
    return out


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def assert_store_matches_truth(url: str, sandbox: HRSandbox, connection: str) -> None:
    """No loss, no duplicates, no stale values: the store equals the ground truth."""
    truth = sandbox.truth()
    rows = stored(url, "employee", connection)
    live = {sid: r for sid, r in rows.items() if not r["deleted"]}
    expected = expected_employees(sandbox)
    malformed = set(truth["malformed"])
    missing = sorted(set(expected) - set(live))
    assert not missing, f"{len(missing)} employees lost, e.g. {missing[:5]}"
    extra = sorted(set(live) - set(expected) - malformed)
    assert not extra, f"{len(extra)} employees stored live but not in truth, e.g. {extra[:5]}"
    for sid in truth["deleted"]:
        assert sid not in live, f"deleted employee {sid} is still live in the store"
    for sid, want in expected.items():
        got = {c: live[sid][c] for c in want}
        assert got == want, f"employee {sid} differs from the source: {got} != {want}"
    depts = stored(url, "department", connection)
    for sid, record in truth["departments"].items():
        want_d = department(record, CTX)
        assert depts[sid]["name"] == want_d.name
        assert depts[sid]["source_updated_at"] == want_d.source_updated_at
