"""The committed schemas/ directory is the contract: it must match the code exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canonry.canonical import CONTRACTS
from canonry.canonical.contracts import dumps, export_schema, schema_filename, schema_version
from canonry.cli.app import app

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
FIX = (
    "the {name} contract changed: bump {cls}.schema_version (breaking changes) and run "
    "`canonry schema export --out schemas/`, then commit the new file"
)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_committed_schema_equals_a_fresh_export(name: str) -> None:
    """A contract change without a version bump and re-export fails here, saying what to do."""
    cls = CONTRACTS[name]
    path = SCHEMAS / schema_filename(name, schema_version(cls))
    assert path.exists(), FIX.format(name=name, cls=cls.__name__)
    assert path.read_text(encoding="utf-8") == dumps(export_schema(cls)), FIX.format(
        name=name, cls=cls.__name__
    )


def _canonry(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_cli_export_writes_what_is_committed(tmp_path: Path) -> None:
    """`canonry schema export --out DIR` writes byte-identical files to schemas/."""
    code, _ = _canonry("schema", "export", "--out", str(tmp_path))
    assert code == 0
    for path in tmp_path.iterdir():
        assert path.read_text() == (SCHEMAS / path.name).read_text()
    code, out = _canonry("schema", "export", "--entity", "invoice")
    assert code == 0
    assert json.loads(out)["$id"] == "canonry://schema/invoice/v1"


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    """check exits 0 for the committed set against itself, 1 on a breaking change, 3 on a typo."""
    code, out = _canonry("--json", "schema", "check", str(SCHEMAS), str(SCHEMAS))
    assert (code, json.loads(out)["compatible"]) == (0, True)
    schema = json.loads((SCHEMAS / "vendor.v1.json").read_text())
    del schema["properties"]["tax_id"]
    (tmp_path / "vendor.v1.json").write_text(json.dumps(schema))
    code, out = _canonry(
        "--json", "schema", "check", str(SCHEMAS / "vendor.v1.json"), str(tmp_path)
    )
    assert code == 1
    kinds = {c["kind"] for c in json.loads(out)["changes"]}
    assert kinds == {"field-removed", "version-not-bumped"}
    code, _ = _canonry("schema", "check", str(tmp_path / "nope"), str(tmp_path))
    assert code == 3
