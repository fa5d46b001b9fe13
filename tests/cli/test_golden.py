"""`canonry golden`: rules from a file, runs, overrides and their effect, JSON output."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli

RULES = Path(__file__).parents[2] / "examples" / "resolution.toml"


def pending(cli: Cli) -> int:
    status = cli("--json", "status").json()
    (employee,) = (g for g in status["golden"] if g["entity"] == "employee")
    return int(employee["rows_awaiting_resolution"])


def test_rules_file_runs_and_overrides(cli: Cli, tmp_path: Path) -> None:
    """The shipped example rules load; a split takes one row out of its golden, unpin undoes it."""
    assert cli("--json", "demo", "--employees", "300").exit_code == 0
    saved = cli("--json", "golden", "rules", "set", str(RULES))
    assert saved.exit_code == 0, saved.stderr
    changed = {r["entity"]: r["changed"] for r in saved.json()}
    assert changed == {"employee": False, "vendor": True}  # the example is the demo's rules
    assert pending(cli) == 0  # the demo's syncs resolved everything

    edited = tmp_path / "rules.toml"
    edited.write_text(
        RULES.read_text().replace('rule = "most_recent"  #', 'rule = "source_priority"  #')
    )
    assert cli("--json", "golden", "rules", "set", str(edited)).json()[0]["changed"]
    shown = cli("--json", "golden", "rules", "show").json()
    assert shown["employee"]["fields"]["job_title"]["rule"] == "source_priority"
    assert pending(cli) > 300  # new rules: every row waits
    assert "golden records" in cli("status").stdout
    ran = cli("--json", "golden", "run", "employee").json()
    assert ran[0]["entity"] == "employee"
    assert ran[0]["full"]
    assert pending(cli) == 0
    again = cli("--json", "golden", "run", "employee").json()
    assert again[0]["rows_changed"] == 0  # nothing changed since

    listed = cli("--json", "golden", "list", "employee", "--min-sources", "3", "-n", "1").json()
    gid = listed[0]["golden_id"]
    golden = cli("--json", "golden", "show", "employee", str(gid)).json()
    member = next(m for m in golden["members"] if m["connection"] == "demo-directory")
    ref = f"demo-directory:{member['source_id']}"

    assert cli("golden", "split", "employee", ref, "--note", "test").exit_code == 0
    cli("golden", "run")
    after = cli("--json", "golden", "show", "employee", "--of", ref).json()
    assert after["golden_id"] != gid
    assert [m["matched_by"] for m in after["members"]] == ["crosswalk"]
    kept = cli("--json", "golden", "show", "employee", str(gid)).json()
    assert len(kept["members"]) == 2  # the rest keep the id
    overrides = cli("--json", "golden", "overrides", "employee").json()
    assert [(o["connection"], o["exclusive"], o["note"]) for o in overrides] == [
        ("demo-directory", True, "test")
    ]

    assert cli("golden", "unpin", "employee", ref).exit_code == 0
    cli("golden", "run")
    back = cli("--json", "golden", "show", "employee", "--of", ref).json()
    assert back["golden_id"] == gid
    assert len(back["members"]) == 3


def test_golden_errors_say_what_to_do(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[employee]\nmatch = [{ name = "x", fields = { mail = "email" } }]\n')
    ran = cli("golden", "rules", "set", str(bad))
    assert ran.exit_code == 2
    assert "no field(s) mail" in ran.stderr
    missing = cli("golden", "run", "vendor")
    assert missing.exit_code == 2
    assert "canonry golden rules set" in missing.stderr
    assert cli("golden", "show", "employee", "999").exit_code == 3
    assert cli("golden", "link", "employee", "nocolon", "x:y").exit_code == 2
