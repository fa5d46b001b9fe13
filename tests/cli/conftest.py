"""Run the ``canonry`` command in-process against the test's own database.

Each test gets a fresh migrated database (``database_url`` from tests/conftest.py, cloned
from a template on the session's embedded PostgreSQL) and its own ``--home`` (secret key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from canonry.cli.app import app


@dataclass(frozen=True)
class Ran:
    """What one ``canonry`` invocation did."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout as the one JSON document ``--json`` promises."""
        return json.loads(self.stdout)

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


Cli = Callable[..., Ran]


def invoke(*args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Ran:
    """``canonry ARGS`` in-process, stdout and stderr captured separately."""
    result = CliRunner().invoke(app, list(args), env=env, input=input, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CANONRY_* settings never leak into a test (nor one test's into the next)."""
    for name in ("CANONRY_HOME", "CANONRY_CONFIG", "CANONRY_DATABASE_URL", "CANONRY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CANONRY_SECRET_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("CANONRY_LOG_LEVEL", raising=False)


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    """``canonry --home TMP --database-url URL ARGS``: the CLI on this test's database."""

    def run(*args: str, **kwargs: Any) -> Ran:
        return invoke(
            "--home", str(tmp_path / "home"), "--database-url", database_url, *args, **kwargs
        )

    return run
