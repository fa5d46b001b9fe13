"""Operating the dead-letter queue and replay from the command line."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from canonry.connectors import sandbox_hr
from canonry.sandbox import HRSandbox
from canonry.sdk import Employee, MappingContext, MappingError, Record, registry
from tests.cli.conftest import Cli
from tests.cli.test_sync import _add


@pytest.fixture
def tolerant_mapping() -> Iterator[None]:
    """A 'fixed' HR mapping (v2): impossible hire dates become unknown instead of failing."""
    old = sandbox_hr.employee

    def fn(record: Record, ctx: MappingContext) -> Employee:
        try:
            return old(record, ctx)
        except MappingError as exc:
            if exc.field != "hire_date":
                raise
            return old({**record, "hire_date": None}, ctx)

    v2 = dataclasses.replace(old, version=2, fn=fn)
    streams = tuple(
        dataclasses.replace(s, mapping=v2) if s.name == "employees" else s
        for s in sandbox_hr.connector.streams
    )
    registry.register(dataclasses.replace(sandbox_hr.connector, streams=streams))
    yield
    registry.unregister("sandbox_hr")


def _open(cli: Cli) -> list[dict[str, object]]:
    ran = cli("--json", "dlq", "list")
    assert ran.exit_code == 0, ran.stderr
    return list(ran.json())


def test_retry_after_a_mapping_fix_resolves_the_entries(
    cli: Cli,
    hr_sandbox: Callable[..., HRSandbox],
    serve: Callable[[HRSandbox], str],
    request: pytest.FixtureRequest,
) -> None:
    """`dlq retry` re-maps from the archive: fixed records are stored, their entries resolved."""
    _add(cli, "hr", serve(hr_sandbox(employees=1500, malformed_rate=0.03)))
    assert cli("sync", "hr").exit_code == 0
    before = _open(cli)
    dates = [d["id"] for d in before if d["field"] == "hire_date"]
    others = [d["id"] for d in before if d["field"] != "hire_date"]
    assert dates
    assert others
    shown = cli("--json", "dlq", "show", str(dates[0])).json()
    assert shown["record"]["hire_date"].endswith("-02-30")

    still = cli("--json", "dlq", "retry", *map(str, dates))  # same mapping: nothing changes
    assert still.exit_code == 1
    request.getfixturevalue("tolerant_mapping")
    fixed = cli("--json", "dlq", "retry", *map(str, dates))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert sorted(fixed.json()["resolved"]) == sorted(dates)
    remaining = _open(cli)
    assert {d["field"] for d in remaining} <= {d["field"] for d in before} - {"hire_date"}
    row = cli("--json", "entities", "show", "employee", str(before[0]["source_id"]))
    if before[0]["field"] == "hire_date":
        assert row.json()["entity"]["hire_date"] is None

    discarded = cli("--json", "dlq", "discard", *map(str, [d["id"] for d in remaining]))
    assert discarded.json() == {"discarded": len(remaining)}
    assert _open(cli) == []


def test_replay_dry_run_then_apply_from_the_cli(
    cli: Cli,
    hr_sandbox: Callable[..., HRSandbox],
    serve: Callable[[HRSandbox], str],
    request: pytest.FixtureRequest,
) -> None:
    """`replay --dry-run` reports the diff and writes nothing; `replay` applies it."""
    _add(cli, "hr", serve(hr_sandbox(employees=800, malformed_rate=0.03)))
    assert cli("sync", "hr").exit_code == 0
    same = cli("--json", "replay", "--connection", "hr", "--dry-run").json()
    assert same["changes"]["employee"]["changed"] == 0
    request.getfixturevalue("tolerant_mapping")
    preview = cli("--json", "replay", "--connection", "hr", "--dry-run").json()
    change = preview["changes"]["employee"]
    assert change["added"] > 0  # the records whose dates failed before now map
    assert "mapping_version" in change["fields"]
    again = cli("--json", "replay", "--connection", "hr", "--dry-run").json()
    assert again["changes"] == preview["changes"], "a dry run must leave nothing behind"
    applied = cli("--json", "replay", "--connection", "hr").json()
    assert applied["streams"]["employees"]["inserted"] == change["added"]
    human = cli("replay", "--connection", "hr", "--dry-run")
    assert "would change" in human.stdout
    assert "checksum" not in human.stdout  # reading every row is opt-in
    digests = cli("--json", "replay", "--connection", "hr", "--checksum").json()["checksums"]
    assert set(digests) == {"employee", "department"}
    assert cli("replay", "--connection", "hr", "--checksum").stdout.count(digests["employee"]) == 1
