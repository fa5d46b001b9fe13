"""Fixtures of the connector tests: any sandbox (HR, finance, POS) served on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from canonry.sandbox import SandboxServer
from canonry.sandbox.server import AnySandbox


@pytest.fixture
def serve_any() -> Iterator[Callable[[AnySandbox], str]]:
    """Serve sandboxes of any kind on 127.0.0.1 for the test's duration; returns each URL."""
    servers: list[SandboxServer] = []

    def start(sandbox: AnySandbox) -> str:
        srv = SandboxServer(sandbox, host="127.0.0.1", port=0).start()
        servers.append(srv)
        return srv.url

    yield start
    for srv in servers:
        srv.stop()
