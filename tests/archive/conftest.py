"""Fixtures for the raw archive: synced sandboxes, blob-store settings, a real S3 (moto)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from canonry.config import Settings
from canonry.sandbox import HRSandbox
from canonry.store import open_database
from canonry.store.blobs import using
from canonry.sync import ReplayResult, SyncResult, replay, run_sync
from tests.conftest import register

S3_KEY_ID = "AKIACANONRYTESTKEY01"
S3_SECRET = "s3-s3cret-never-shown-9f8e7d"


def run(settings: Settings, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``await fn(db, *args, **kw)`` on the test's database, with its blob stores."""

    async def go() -> Any:
        async with open_database(settings) as db:
            return await fn(db, *args, **kw)

    with using(settings):
        return asyncio.run(go())


def sync(settings: Settings, **kw: Any) -> SyncResult:
    return run(settings, run_sync, "hr", **kw)  # type: ignore[no-any-return]


def do_replay(settings: Settings, **kw: Any) -> ReplayResult:
    """A replay that reports its tables' checksums unless told otherwise."""
    kw.setdefault("checksum", True)
    return run(settings, replay, "hr", **kw)  # type: ignore[no-any-return]


def url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


def one(settings: Settings, query: str, *params: Any) -> tuple[Any, ...]:
    """The first row of ``query`` on the test's database."""
    with psycopg.connect(url(settings)) as conn:
        row = conn.execute(query, params or None).fetchone()
    assert row is not None
    return row


def scalar(settings: Settings, query: str, *params: Any) -> Any:
    """The first value of ``query`` on the test's database."""
    return one(settings, query, *params)[0]


@pytest.fixture
def hr(
    settings: Settings, hr_sandbox: Callable[..., HRSandbox], serve: Callable[[HRSandbox], str]
) -> HRSandbox:
    """A small sandbox HR source, registered as connection ``hr`` (pages of 50)."""
    sb = hr_sandbox(employees=300)
    asyncio.run(register(settings, "hr", serve(sb), page_size=50))
    return sb


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto) on 127.0.0.1, for the test's duration."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    """The test's settings with an s3 backend (bucket created) and keys that must never leak."""
    import boto3  # noqa: PLC0415

    boto3.session.Session().client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET,
    ).create_bucket(Bucket="canonry-archive")  # fmt: skip
    return settings.model_copy(
        update={
            "s3_endpoint_url": s3_endpoint,
            "s3_bucket": "canonry-archive",
            "s3_prefix": "raw/",
            "s3_access_key_id": SecretStr(S3_KEY_ID),
            "s3_secret_access_key": SecretStr(S3_SECRET),
        }
    )


@pytest.fixture
def fs_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test's settings with an fs archive directory."""
    return settings.model_copy(update={"archive_path": tmp_path / "blobs"})
