"""With no database URL, the CLI runs its own PostgreSQL under --home."""

from __future__ import annotations

from pathlib import Path

from canonry.store import migrate
from tests.cli.conftest import invoke


def test_db_status_and_upgrade_on_the_embedded_server(tmp_path: Path) -> None:
    """`db status` shows the embedded server and pending migrations; `db upgrade` applies them."""
    home = tmp_path / "home"
    before = invoke("--json", "--home", str(home), "db", "status")
    assert before.exit_code == 0, before.stderr
    assert before.json()["database"] == f"embedded at {(home / 'pg').resolve()}"
    shipped = [m.version for m in migrate.available()]
    assert before.json()["pending"] == shipped

    upgraded = invoke("--home", str(home), "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"applied {len(shipped)} migration(s)" in upgraded.stdout
    after = invoke("--json", "--home", str(home), "db", "status").json()
    assert after["pending"] == []
    assert invoke("--home", str(home), "db", "upgrade").stdout.strip().endswith("is up to date")
