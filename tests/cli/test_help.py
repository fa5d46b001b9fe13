"""Every command explains itself: --help works everywhere and leaf commands show examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.main import get_command

from canonry import __version__
from canonry.cli.app import app
from tests.cli.conftest import invoke


def _paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], bool]]:
    children = getattr(command, "commands", {})
    yield prefix, not children
    for name, child in sorted(children.items()):
        yield from _paths(child, (*prefix, name))


COMMANDS = list(_paths(get_command(app)))


def test_the_tree_has_every_documented_command() -> None:
    """The command tree holds the commands the README and the demo point people to."""
    leaves = {" ".join(path) for path, leaf in COMMANDS if leaf}
    assert leaves >= {
        "db upgrade",
        "db status",
        "connections add",
        "connections list",
        "connectors",
        "sync",
        "runs",
        "entities list",
        "entities show",
        "dlq list",
        "status",
        "sandbox serve hr",
        "demo",
    }


@pytest.mark.parametrize(
    ("path", "leaf"), COMMANDS, ids=[" ".join(p) or "canonry" for p, _ in COMMANDS]
)
def test_help_exits_zero_and_shows_examples(path: tuple[str, ...], leaf: bool) -> None:
    """`canonry ... --help` exits 0 with a usage line; every command's help has examples."""
    ran = invoke(*path, "--help")
    assert ran.exit_code == 0, ran.stderr
    assert f"Usage: canonry {' '.join(path)}".rstrip() in " ".join(ran.stdout.split())
    if leaf:
        assert "Examples" in ran.stdout
        assert "canonry" in ran.stdout.split("Examples", 1)[1]


def test_version() -> None:
    """`canonry --version` prints the installed version and exits 0."""
    ran = invoke("--version")
    assert ran.exit_code == 0
    assert ran.stdout.strip() == f"canonry {__version__}"
