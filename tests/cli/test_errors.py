"""Errors are one line and the documented exit code: never a traceback, never a password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import canonry.cli.connections
from tests.cli.conftest import Cli, invoke

UNREACHABLE = "postgresql://x:hunter2-pw@127.0.0.1:1/db"
NO_NOPE = "no connection named 'nope' (known: none yet); add one with `canonry connections add`"


def test_unknown_connection_exits_3(cli: Cli) -> None:
    """Syncing a connection that does not exist is one `error:` line and exit code 3."""
    ran = cli("sync", "nope")
    assert ran.exit_code == 3
    assert ran.error_lines() == [f"error: {NO_NOPE}"]
    assert ran.stdout == ""


def test_json_errors_are_a_document_on_stdout(cli: Cli) -> None:
    """With --json, an error is also a JSON document on stdout: message, class, exit code."""
    ran = cli("--json", "runs", "--connection", "nope")
    assert ran.exit_code == 3
    assert ran.json() == {
        "error": NO_NOPE,
        "type": "NotFoundError",
        "exit_code": 3,
    }


def test_unreachable_database_exits_4_without_the_password(tmp_path: Path) -> None:
    """The `canonry` script reports an unreachable database in one line, exit 4, no password."""
    script = Path(sys.executable).parent / "canonry"
    proc = subprocess.run(
        [str(script), "--home", str(tmp_path), "--database-url", UNREACHABLE, "runs"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: cannot connect to PostgreSQL at postgresql://x@127.0.0.1:1/db"
    )
    assert "hunter2" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_unreachable_database_json(tmp_path: Path) -> None:
    """The --json error document for a store failure carries StoreError and exit code 4."""
    ran = invoke("--json", "--home", str(tmp_path), "--database-url", UNREACHABLE, "status")
    assert ran.exit_code == 4
    assert ran.json()["type"] == "StoreError"
    assert "hunter2" not in ran.stdout + ran.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    """--config naming a file that does not exist is a config error (exit 2)."""
    ran = invoke("--config", str(tmp_path / "nope.toml"), "connectors")
    assert ran.exit_code == 2
    assert ran.error_lines() == [
        f"error: config file '{tmp_path / 'nope.toml'}' does not exist; check --config"
    ]


def test_config_file_settings_are_validated(tmp_path: Path) -> None:
    """A TOML file with an invalid setting is one config error line naming the setting."""
    config = tmp_path / "canonry.toml"
    config.write_text("batch_size = 0\n")
    ran = invoke("--config", str(config), "connectors")
    assert ran.exit_code == 2
    assert len(ran.error_lines()) == 1
    assert "batch_size" in ran.stderr


@pytest.mark.parametrize(
    "args",
    [("dlq", "list", "--status", "bogus"), ("runs", "--limit", "0"), ("sync",), ("nosuchcommand",)],
    ids=["bad-choice", "out-of-range", "missing-argument", "unknown-command"],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    """Usage errors keep typer's exit code 2."""
    assert invoke(*args).exit_code == 2


def test_unexpected_errors_are_one_line_unless_verbose(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug surfaces as one line with a hint (exit 1); -v adds the traceback."""

    async def broken(conn: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(canonry.cli.connections, "list_connections", broken)
    quiet = cli("connections", "list")
    assert quiet.exit_code == 1
    assert quiet.error_lines() == [
        "error: RuntimeError: boom (unexpected; rerun with -v for the traceback)"
    ]
    loud = cli("-v", "connections", "list")
    assert loud.exit_code == 1
    assert "Traceback (most recent call last)" in loud.stderr
    assert loud.error_lines()[-1] == "error: RuntimeError: boom"


def test_ctrl_c_exits_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during a command exits with 130 and no traceback."""

    async def interrupted(conn: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(canonry.cli.connections, "list_connections", interrupted)
    ran = cli("connections", "list")
    assert ran.exit_code == 130
    assert ran.error_lines() == ["error: interrupted"]
