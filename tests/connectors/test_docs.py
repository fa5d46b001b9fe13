"""The connector docs stay true: stated line counts and quoted code match the source files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONNECTORS = ROOT / "src/canonry/connectors"


def _lines(name: str) -> int:
    return len((CONNECTORS / f"{name}.py").read_text().splitlines())


def test_walkthrough_states_the_real_line_count() -> None:
    """write-a-connector.md quotes finance_sandbox.py's current `wc -l`."""
    text = (ROOT / "docs/write-a-connector.md").read_text()
    assert f"**{_lines('finance_sandbox')} lines**" in text


@pytest.mark.parametrize("name", sorted(p.stem for p in CONNECTORS.glob("[!_]*.py")))
def test_connector_table_states_the_real_line_count(name: str) -> None:
    """docs/connectors.md lists each connector with its current line count."""
    text = (ROOT / "docs/connectors.md").read_text()
    assert re.search(rf"^\| `{name}` \|.*\| {_lines(name)} \|$", text, re.MULTILINE)


def test_walkthrough_code_is_quoted_from_the_connector() -> None:
    """Every line of the walk-through's Python blocks (elisions aside) is in a connector it
    quotes: finance_sandbox.py, and sandbox_hr.py for the declared mapping."""
    text = (ROOT / "docs/write-a-connector.md").read_text()
    source = {
        ln.strip()
        for name in ("finance_sandbox", "sandbox_hr")
        for ln in (CONNECTORS / f"{name}.py").read_text().splitlines()
    }
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks
    for block in blocks:
        for line in block.splitlines():
            if line.strip() and "..." not in line:
                assert line.strip() in source, f"not in either connector: {line!r}"
