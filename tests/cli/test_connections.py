"""`canonry connections` and `canonry connectors`: config validated, secrets never shown."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli

SECRET = "pa55-Zebra-9137-never-print-me"
BASE = ("--connector", "sandbox_hr", "--set", "base_url=http://127.0.0.1:8000")
CLIENT = ("--set", "client_id=canonry-demo")


def test_add_and_list_never_show_the_secret(cli: Cli) -> None:
    """The client secret appears in no output of add, list or status: text, JSON or stderr."""
    runs = [
        cli("connections", "add", "hr", *BASE, *CLIENT, "--set", f"client_secret={SECRET}"),
        cli(
            "--json",
            "connections",
            "add",
            "hr2",
            *BASE,
            *CLIENT,
            "--set",
            f"client_secret={SECRET}",
        ),
        cli("connections", "list"),
        cli("--json", "connections", "list"),
        cli("--json", "status"),
        cli("status"),
    ]
    for ran in runs:
        assert ran.exit_code == 0, ran.stderr
        assert SECRET not in ran.stdout + ran.stderr
    listed = runs[3].json()
    assert [c["name"] for c in listed] == ["hr", "hr2"]
    assert listed[0]["config"] == {
        "base_url": "http://127.0.0.1:8000",
        "client_id": "canonry-demo",
        "timezone": "UTC",
        "page_size": None,
        "lookback_s": 0.0,
    }
    assert "hr2" in runs[2].stdout
    assert "http://127.0.0.1:8000" in runs[2].stdout


def test_secret_from_environment(cli: Cli) -> None:
    """A secret field missing from --set is read from CANONRY_SECRET_<FIELD>."""
    ran = cli(
        "--json",
        "connections",
        "add",
        "hr",
        *BASE,
        *CLIENT,
        env={"CANONRY_SECRET_CLIENT_SECRET": SECRET},
    )
    assert ran.exit_code == 0, ran.stderr
    assert ran.json()["name"] == "hr"
    assert SECRET not in ran.stdout + ran.stderr


def test_missing_secret_without_a_terminal_is_a_config_error(cli: Cli) -> None:
    """With no secret given and no terminal to prompt on, add fails (exit 2) naming the field."""
    ran = cli("connections", "add", "hr", *BASE, *CLIENT)
    assert ran.exit_code == 2
    assert ran.error_lines() == [ran.error_lines()[0]]
    assert ran.error_lines()[0].startswith("error: invalid config for connector 'sandbox_hr'")
    assert "client_secret: Field required" in ran.stderr


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("page_size=not-a-number", "page_size: Input should be a valid integer"),
        ("colour=blue", "colour: Extra inputs are not permitted"),
        ("nonsense", "--set expects KEY=VALUE"),
    ],
    ids=["bad-type", "unknown-field", "no-equals"],
)
def test_bad_set_value_exits_2(cli: Cli, setting: str, expected: str) -> None:
    """A bad --set is one `error:` line (exit 2) naming the field, without echoing its value."""
    ran = cli(
        "connections",
        "add",
        "hr",
        *BASE,
        *CLIENT,
        "--set",
        f"client_secret={SECRET}",
        "--set",
        setting,
    )
    assert ran.exit_code == 2
    assert len(ran.error_lines()) == 1
    assert expected in ran.stderr
    assert "not-a-number" not in ran.stderr
    assert SECRET not in ran.stdout + ran.stderr


def test_existing_name_needs_force(cli: Cli) -> None:
    """Adding a name twice is a config error; --force replaces the stored connection."""
    args = ("connections", "add", "hr", *BASE, *CLIENT, "--set", f"client_secret={SECRET}")
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 2
    assert "pass --force to replace it" in again.stderr
    replaced = cli("--json", *args[:-1], "client_secret=other", "--set", "page_size=50", "--force")
    assert replaced.exit_code == 0, replaced.stderr
    assert replaced.json()["config"]["page_size"] == 50


def test_connectors_lists_streams_and_fields(cli: Cli) -> None:
    """`canonry connectors --json` lists sandbox_hr, its streams and which fields are secret."""
    ran = cli("--json", "connectors")
    assert ran.exit_code == 0, ran.stderr
    (hr,) = [c for c in ran.json() if c["name"] == "sandbox_hr"]
    assert {s["name"] for s in hr["streams"]} == {"departments", "employees"}
    assert hr["config"]["client_secret"] == {"required": True, "secret": True}
