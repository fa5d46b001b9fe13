"""The code's shape is part of the test suite: lint, format, types and layer contracts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "tests", "bench"],
        ["ruff", "format", "--check", "src", "tests", "bench"],
        ["mypy"],
        ["lint-imports"],
    ],
    ids=["ruff", "ruff-format", "mypy-strict", "import-linter"],
)
def test_tool_passes(command: list[str]) -> None:
    """ruff, ruff format, mypy --strict and the import-linter layer contracts all pass."""
    proc = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_connectors_import_only_the_sdk() -> None:
    """Built-in connectors import nothing of Canonry beyond canonry.sdk (the authors' promise)."""
    for path in (ROOT / "src/canonry/connectors").glob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("from canonry", "import canonry")):
                assert line.startswith(("from canonry.sdk", "import canonry.sdk")), (
                    f"{path.name}: {line}"
                )
