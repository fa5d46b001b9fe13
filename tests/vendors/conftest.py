"""Fixtures of the vendor tests: one Prism per vendor spec for the session, all started at
once (they boot in parallel while the first tests run), and a scripted proxy per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from cryptography.fernet import Fernet

from canonry.config import Settings, load_settings
from tests.conftest import TEMPLATE, _with_db
from tests.vendors.bed import SPECS, Prism, Proxy, Script, prism_copy
from tests.vendors.contract import read_spec
from tests.vendors.square_spec import offline_spec

SPEC_FILES = {
    "xero": "xero_accounting.json",
    "square": "square.json",
    "bamboohr": "bamboohr.json",
    "successfactors": "successfactors.json",
}


@pytest.fixture(scope="session")
def prisms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Prism]]:
    """Every vendor's Prism, launched without waiting; ``prism_url`` waits for one."""
    logs = tmp_path_factory.mktemp("prism")
    started: dict[str, Prism] = {}
    try:
        for vendor, name in SPEC_FILES.items():
            source = offline_spec(SPECS / name) if vendor == "square" else read_spec(name)
            spec = prism_copy(source, logs / name)
            started[vendor] = Prism(spec, logs / f"{vendor}.log")
        yield started
    finally:
        for p in started.values():
            p.stop()


@pytest.fixture(scope="session")
def prism_url(prisms: dict[str, Prism]) -> Callable[[str], str]:
    """The URL of a vendor's Prism, once it listens."""
    return lambda vendor: prisms[vendor].wait()


@pytest.fixture
def bed(prism_url: Callable[[str], str]) -> Iterator[Callable[[str, Script], Proxy]]:
    """A scripted proxy in front of a vendor's Prism, for the test's duration."""
    proxies: list[Proxy] = []

    def start(vendor: str, script: Script) -> Proxy:
        proxy = Proxy(prism_url(vendor), script).__enter__()
        proxies.append(proxy)
        return proxy

    yield start
    for p in proxies:
        p.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_settings(
    pg_server_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A fresh migrated database shared by one module's tests: they read one costly sync."""
    name = f"v_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield load_settings(
        home=tmp_path_factory.mktemp("vendor-home"),
        database_url=_with_db(pg_server_url, name),
        secret_key=Fernet.generate_key().decode(),
    )
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def module_bed(prism_url: Callable[[str], str]) -> Iterator[Callable[[str, Script], Proxy]]:
    """Like ``bed``, for a module's shared sync."""
    proxies: list[Proxy] = []

    def start(vendor: str, script: Script) -> Proxy:
        proxy = Proxy(prism_url(vendor), script).__enter__()
        proxies.append(proxy)
        return proxy

    yield start
    for p in proxies:
        p.__exit__(None, None, None)
