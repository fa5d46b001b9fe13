"""The public surface is narrow and declared: every package's __all__ matches what it exports."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["canonry.sdk", "canonry.canonical", "canonry.store", "canonry.http", "canonry.sync"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    """Public names of the package equal its __all__ (nothing leaks, nothing is missing)."""
    module = importlib.import_module(name)
    for exported in module.__all__:  # each resolves (lazy packages load them on first use)
        assert getattr(module, exported) is not None, exported
    public = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and not (hasattr(v, "__file__") and n not in module.__all__)
    }  # fmt: skip
    assert set(module.__all__) == public
