"""`canonry demo` end to end, then the provenance of a real record it stored."""

from __future__ import annotations

from canonry.canonical import Employee
from tests.cli.conftest import Cli

EMPLOYEES = 2000


def test_demo_then_provenance_of_every_field(cli: Cli) -> None:
    """The demo's two syncs succeed, and its suggested employee has provenance for every field."""
    ran = cli("--json", "demo", "--employees", str(EMPLOYEES))
    assert ran.exit_code == 0, ran.stderr
    tour = ran.json()
    full, incremental, payroll, directory = tour["syncs"]
    assert payroll["connection"] == "demo-payroll"
    assert directory["connection"] == "demo-directory"
    assert payroll["status"] == directory["status"] == "succeeded"
    assert (full["mode"], full["status"]) == ("full", "succeeded")
    assert (incremental["mode"], incremental["status"]) == ("incremental", "succeeded")
    assert full["totals"]["fetched"] == EMPLOYEES + 40
    assert incremental["totals"]["inserted"] == tour["changed_at_source"]["created"]
    assert incremental["totals"]["deleted"] == tour["changed_at_source"]["deleted"]
    employee = tour["sample_employee"]
    assert any(f"entities show employee {employee} --provenance" in step for step in tour["next"])

    shown = cli("--json", "entities", "show", "employee", employee, "--provenance")
    assert shown.exit_code == 0, shown.stderr
    doc = shown.json()
    assert doc["entity"]["source_id"] == employee
    trail = {p["field"]: p for p in doc["provenance"]}
    assert list(trail) == list(Employee.business_fields())
    for field, p in trail.items():
        assert p["connection"] == "demo-hr"
        assert p["json_path"].startswith(f"$.data[{p['record_index']}].")
        assert p["value"] == doc["entity"][field]
        assert p["mapping_version"] == "sandbox_hr.employees@2"


def test_demo_shows_a_golden_employee_from_three_systems(cli: Cli) -> None:
    """The golden employee the demo shows takes its fields from HR, payroll and the directory."""
    tour = cli("--json", "demo", "--employees", "600").json()
    golden = tour["golden_employee"]
    assert {m["connection"] for m in golden["members"]} == {
        "demo-hr",
        "demo-payroll",
        "demo-directory",
    }
    sources = {f["source"]["connection"] for f in golden["fields"] if f["source"]}
    assert sources == {"demo-hr", "demo-payroll", "demo-directory"}
    assert sum(tour["goldens_by_sources"].values()) < 600 + 600 + 600
    gid = golden["golden_id"]
    assert any(f"golden show employee {gid} --provenance" in step for step in tour["next"])
    shown = cli("golden", "show", "employee", str(gid), "--provenance")
    assert shown.exit_code == 0, shown.stderr
    for member in golden["members"]:
        assert member["source_id"] in shown.stdout
    for f in golden["fields"]:
        if f["value"] is not None:
            assert f["source"] is not None, f
            assert f["rule"] in shown.stdout


def test_demo_reruns_and_explains_itself(cli: Cli) -> None:
    """A rerun on the same database works (the connection is replaced) and says what to try."""
    assert cli("--json", "demo", "--employees", "300").exit_code == 0
    ran = cli("demo", "--employees", "300")
    assert ran.exit_code == 0, ran.stderr
    assert "what to try next" in ran.stdout
    assert "--provenance" in ran.stdout
    assert "full sync" in ran.stderr
    assert "incremental sync" in ran.stderr


def test_rerun_incremental_sync_sees_the_changes(cli: Cli) -> None:
    """On a rerun, the incremental sync still picks up the hires, changes and departures."""
    assert cli("--json", "demo", "--employees", "300").exit_code == 0
    tour = cli("--json", "demo", "--employees", "300").json()
    full, incremental = tour["syncs"][0]["totals"], tour["syncs"][1]["totals"]
    created = tour["changed_at_source"]["created"]
    # A record dead-lettered by the full sync and then fixed at the source arrives as an insert.
    assert created <= incremental["inserted"] <= created + full["dead_lettered"]
    assert incremental["updated"] > 0
