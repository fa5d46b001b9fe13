"""Where compressed raw bodies live: inline in PostgreSQL, a directory, or an S3 bucket.

The index (``canonry.raw_bodies``: hash, sizes, ``stored_in``, ``location``) always stays in
PostgreSQL; a :class:`BlobStore` keeps the bytes, named by the body's sha256. ``location``
says which directory or bucket a body is in and never holds a credential: S3 keys come from
the settings (or the environment) each time a store is built.

Crash safety: a blob is written *before* the row that points to it commits, and deleted only
*after* the row that pointed to it is gone. An orphan blob is harmless; a row without its
blob is not.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from canonry.config import Settings, load_settings
from canonry.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class BlobMissingError(StoreError):
    """A body's blob is not where its index row says (deleted, or the store is unreachable)."""


class BlobStore(Protocol):
    """Bytes by content hash. ``kind`` and ``location`` are what ``raw_bodies`` records."""

    @property
    def kind(self) -> str: ...
    @property
    def location(self) -> str: ...
    def put(self, content_hash: bytes, data: bytes) -> None: ...
    def get(self, content_hash: bytes) -> bytes: ...
    def delete(self, content_hash: bytes) -> None: ...


@dataclass(frozen=True)
class FsBlobStore:
    """Blobs as files under ``root``, named by hex hash with a 2-level fan-out (ab/cd/abcd...)."""

    root: Path
    kind: str = "fs"

    @property
    def location(self) -> str:
        return str(self.root)

    def path(self, content_hash: bytes) -> Path:
        name = content_hash.hex()
        return self.root / name[:2] / name[2:4] / name

    def put(self, content_hash: bytes, data: bytes) -> None:
        """Write atomically: a temp file in the same folder, fsync, rename, fsync the folder."""
        target = self.path(content_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, content_hash: bytes) -> bytes:
        try:
            return self.path(content_hash).read_bytes()
        except FileNotFoundError:
            raise BlobMissingError(
                f"blob {content_hash.hex()} is missing from the fs archive at {self.root}"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read the fs archive at {self.root}: {exc}") from None

    def delete(self, content_hash: bytes) -> None:
        self.path(content_hash).unlink(missing_ok=True)


@dataclass(frozen=True)
class S3Target:
    """An S3-compatible bucket (and key prefix) at an endpoint: no credentials in here."""

    endpoint_url: str | None
    bucket: str
    prefix: str = ""

    @property
    def location(self) -> str:
        query = f"?endpoint={quote(self.endpoint_url, safe='')}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{query}"

    @classmethod
    def parse(cls, location: str) -> S3Target:
        parts = urlsplit(location)
        endpoint = parse_qs(parts.query).get("endpoint", [None])[0]
        return cls(endpoint, parts.netloc, parts.path.removeprefix("/"))


@dataclass(repr=False)
class S3BlobStore:
    """Blobs as objects ``<prefix><ab>/<cd>/<hex hash>`` in an S3-compatible bucket."""

    target: S3Target
    client: S3Client
    kind: str = "s3"

    def __repr__(self) -> str:
        return f"<S3BlobStore {self.location}>"

    @property
    def location(self) -> str:
        return self.target.location

    def key(self, content_hash: bytes) -> str:
        name = content_hash.hex()
        return f"{self.target.prefix}{name[:2]}/{name[2:4]}/{name}"

    def put(self, content_hash: bytes, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.target.bucket, Key=self.key(content_hash), Body=data)
        except Exception as exc:  # noqa: BLE001 - botocore's tree; reported without secrets
            raise StoreError(self._failure("write", content_hash, exc)) from None

    def get(self, content_hash: bytes) -> bytes:
        """The blob; ``BlobMissingError`` if the bucket lacks it, ``StoreError`` if unreachable."""
        try:
            found = self.client.get_object(Bucket=self.target.bucket, Key=self.key(content_hash))
            return found["Body"].read()
        except Exception as exc:  # noqa: BLE001 - botocore's tree; reported without secrets
            if _error_code(exc) in _MISSING:
                raise BlobMissingError(
                    f"blob {content_hash.hex()} is missing from {self.location}"
                ) from None
            raise StoreError(self._failure("read", content_hash, exc)) from None

    def delete(self, content_hash: bytes) -> None:
        try:
            self.client.delete_object(Bucket=self.target.bucket, Key=self.key(content_hash))
        except Exception as exc:  # noqa: BLE001 - botocore's tree; reported without secrets
            raise StoreError(self._failure("delete", content_hash, exc)) from None

    def _failure(self, verb: str, content_hash: bytes, exc: Exception) -> str:
        code = _error_code(exc) or type(exc).__name__
        return f"cannot {verb} blob {content_hash.hex()} at {self.location}: {code}"


_MISSING = {"NoSuchKey", "404", "NotFound"}


def _error_code(exc: Exception) -> str | None:
    """The S3 error code of a botocore ``ClientError`` (never its message or request)."""
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code else None


def _s3_client(settings: Settings, target: S3Target) -> S3Client:
    import boto3  # noqa: PLC0415 - only S3 users pay for importing boto3
    from botocore.config import Config  # noqa: PLC0415

    key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    return boto3.session.Session().client(
        "s3",
        endpoint_url=target.endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=key_id.get_secret_value() if key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(
            connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
        ),
    )


@dataclass
class BlobStores:
    """The stores one process reads and writes, built from settings on first use."""

    settings: Settings
    _cache: dict[tuple[str, str], BlobStore] = field(default_factory=dict, repr=False)

    def writer(self) -> BlobStore | None:
        """Where new bodies go: None for inline in PostgreSQL (``archive_backend = "db"``)."""
        kind = self.settings.archive_backend
        return None if kind == "db" else self.target(kind)

    def target(self, kind: str) -> BlobStore:
        """The configured store of ``kind`` (fs or s3); a clear error if it is not set up."""
        s = self.settings
        if kind == "fs":
            return self.at("fs", str((s.archive_path or s.home / "archive").resolve()))
        if kind == "s3":
            if not s.s3_bucket:
                raise ConfigError("the s3 archive backend needs s3_bucket (CANONRY_S3_BUCKET)")
            return self.at("s3", S3Target(s.s3_endpoint_url, s.s3_bucket, s.s3_prefix).location)
        raise ConfigError(f"archive backend must be 'db', 'fs' or 's3' (got {kind!r})")

    def at(self, kind: str, location: str) -> BlobStore:
        """The store a ``raw_bodies`` row names (``stored_in``, ``location``)."""
        found = self._cache.get((kind, location))
        if found is None:
            found = self._build(kind, location)
            self._cache[kind, location] = found
        return found

    def _build(self, kind: str, location: str) -> BlobStore:
        if kind == "fs":
            return FsBlobStore(Path(location))
        if kind == "s3":
            target = S3Target.parse(location)
            return S3BlobStore(target, _s3_client(self.settings, target))
        raise StoreError(f"raw body stored in unknown backend {kind!r}")


_ACTIVE: ContextVar[BlobStores | None] = ContextVar("canonry_blob_stores", default=None)
_DEFAULT: list[BlobStores] = []


def configure(settings: Settings) -> BlobStores:
    """Use ``settings`` for blob stores in this context (CLI invocation, test, service)."""
    stores = BlobStores(settings)
    _ACTIVE.set(stores)
    return stores


@contextmanager
def using(settings: Settings) -> Iterator[BlobStores]:
    """Use ``settings`` for blob stores inside the ``with`` block only."""
    stores = BlobStores(settings)
    token = _ACTIVE.set(stores)
    try:
        yield stores
    finally:
        _ACTIVE.reset(token)


def blob_stores() -> BlobStores:
    """The configured stores; without :func:`configure`, from the environment and config file."""
    active = _ACTIVE.get()
    if active is not None:
        return active
    if not _DEFAULT:
        _DEFAULT.append(BlobStores(load_settings()))
    return _DEFAULT[0]


async def fetch(store: BlobStore, content_hash: bytes) -> bytes:
    """``store.get`` off the event loop."""
    return await asyncio.to_thread(store.get, content_hash)


async def store_blob(store: BlobStore, content_hash: bytes, data: bytes) -> None:
    """``store.put`` off the event loop."""
    await asyncio.to_thread(store.put, content_hash, data)


async def drop(store: BlobStore, content_hash: bytes) -> None:
    """``store.delete`` off the event loop."""
    await asyncio.to_thread(store.delete, content_hash)
