"""`canonry sync`, `runs`, `entities`, `dlq` and `status` against a sandbox served on loopback."""

from __future__ import annotations

from collections.abc import Callable

from canonry.sandbox import HRSandbox
from tests.cli.conftest import Cli
from tests.conftest import CLIENT_ID, CLIENT_SECRET

EMPLOYEES = 600
DEPARTMENTS = 40


def _add(cli: Cli, name: str, url: str) -> None:
    ran = cli(
        *("connections", "add", name, "--connector", "sandbox_hr"),
        *("--set", f"base_url={url}", "--set", f"client_id={CLIENT_ID}"),
        env={"CANONRY_SECRET_CLIENT_SECRET": CLIENT_SECRET},
    )
    assert ran.exit_code == 0, ran.stderr


def test_sync_then_read_everything_back(
    cli: Cli, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> None:
    """A sync's JSON counts agree with runs, entities list, the DLQ and status."""
    _add(cli, "hr", serve(hr_sandbox(employees=EMPLOYEES, malformed_rate=0.02)))
    synced = cli("--json", "sync", "hr")
    assert synced.exit_code == 0, synced.stderr
    result = synced.json()
    assert result["status"] == "succeeded"
    assert result["totals"]["fetched"] == EMPLOYEES + DEPARTMENTS
    employees = result["streams"]["employees"]
    assert employees["dead_lettered"] > 0
    assert employees["inserted"] + employees["dead_lettered"] == EMPLOYEES

    (run,) = cli("--json", "runs", "--connection", "hr").json()
    assert (run["id"], run["status"], run["mode"]) == (result["run_id"], "succeeded", "incremental")
    listed = cli("--json", "entities", "list", "employee", "--limit", "5").json()
    assert listed["total"] == employees["inserted"]
    assert len(listed["rows"]) == 5
    dead = cli("--json", "dlq", "list", "--connection", "hr").json()
    assert len(dead) == employees["dead_lettered"]
    (conn,) = cli("--json", "status").json()["connections"]
    streams = {s["stream"]: s for s in conn["streams"]}
    assert streams["employees"]["rows"] == employees["inserted"]
    assert streams["employees"]["open_dead_letters"] == employees["dead_lettered"]
    assert streams["employees"]["watermark"] is not None
    assert conn["last_run"]["id"] == result["run_id"]

    again = cli("sync", "hr", "--full", "--stream", "departments")
    assert again.exit_code == 0, again.stderr
    assert "full sync of hr succeeded" in again.stdout
    shown = cli("entities", "show", "employee", listed["rows"][0]["source_id"])
    assert shown.exit_code == 0, shown.stderr
    assert listed["rows"][0]["email"] in shown.stdout


def test_failed_sync_exits_5_and_is_recorded(cli: Cli) -> None:
    """A sync whose source is down exits 5 with one line, and `runs` shows the failed run."""
    _add(cli, "down", "http://127.0.0.1:1")
    ran = cli("sync", "down")
    assert ran.exit_code == 5
    assert len(ran.error_lines()) == 1
    assert ran.error_lines()[0].startswith("error: ")
    (run,) = cli("--json", "runs").json()
    assert run["status"] == "failed"
    assert run["error"]


def test_unknown_stream_is_a_config_error(cli: Cli) -> None:
    """--stream naming no stream of the connector is a config error (exit 2) listing its streams."""
    _add(cli, "hr", "http://127.0.0.1:1")
    ran = cli("sync", "hr", "--stream", "payroll")
    assert ran.exit_code == 2
    assert "it has: departments, employees" in ran.stderr
