"""With no database URL, the CLI runs its own PostgreSQL under --home."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import invoke


def test_db_status_and_upgrade_on_the_embedded_server(tmp_path: Path) -> None:
    """`db status` shows the embedded server and a pending migration; `db upgrade` applies it."""
    home = tmp_path / "home"
    before = invoke("--json", "--home", str(home), "db", "status")
    assert before.exit_code == 0, before.stderr
    assert before.json()["database"] == f"embedded at {(home / 'pg').resolve()}"
    assert before.json()["pending"] == [1]

    upgraded = invoke("--home", str(home), "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "applied 1 migration(s)" in upgraded.stdout
    after = invoke("--json", "--home", str(home), "db", "status").json()
    assert after["pending"] == []
    assert invoke("--home", str(home), "db", "upgrade").stdout.strip().endswith("is up to date")
