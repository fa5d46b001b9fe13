"""Turning a fetched page into an archive entry, and back.

Bodies are zstd-compressed (level 1: ~7x on the sandbox's JSON pages, the same ratio as
level 3 there, in 80% of its time: 0.87 ms per 635 kB page) and hashed
(sha256 of the bytes as received) so identical pages can be recognised and corruption found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import zstandard

from canonry.errors import RecordError

if TYPE_CHECKING:  # a mapping worker never fetches: keep httpx out of its imports
    from canonry.http import FetchedPage

_local = threading.local()

# Marks a stand-in for a body that could not be read back (a missing blob, say). Never the
# start of a zstd frame (magic 28 b5 2f fd), so it cannot be mistaken for a real body.
_UNAVAILABLE = b"canonry:unavailable:"


class CorruptArchiveError(RecordError):
    """An archived body cannot be restored (bad compression, truncated, hash mismatch)."""

    stage = "archive"


@dataclass(frozen=True)
class ArchivedPage:
    """What the archive stores for one page. ``request`` never holds secrets."""

    stream: str
    request: dict[str, Any]
    status: int
    headers: dict[str, str]
    body: bytes
    body_size: int
    content_hash: bytes
    fetched_at: dt.datetime
    record_count: int


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "c", None)
    if c is None:
        c = _local.c = zstandard.ZstdCompressor(level=1)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "d", None)
    if d is None:
        d = _local.d = zstandard.ZstdDecompressor()
    return d


def archive_page(page: FetchedPage) -> ArchivedPage:
    """The archive entry for a fetched page: request (redacted), status, headers, body."""
    r = page.response
    return archive_body(
        page.stream,
        {"method": r.method, "url": r.url, "params": r.params},
        r.status,
        r.headers,
        r.body,
        r.fetched_at,
        page.record_count,
    )


def archive_body(  # noqa: PLR0917 - the fields of one response, in their natural order
    stream: str,
    request: dict[str, Any],
    status: int,
    headers: dict[str, str],
    body: bytes,
    fetched_at: dt.datetime,
    record_count: int,
) -> ArchivedPage:
    """The archive entry for a response body as received (compressed and hashed here)."""
    return ArchivedPage(
        stream=stream,
        request=request,
        status=status,
        headers=headers,
        body=_compressor().compress(body),
        body_size=len(body),
        content_hash=hashlib.sha256(body).digest(),
        fetched_at=fetched_at,
        record_count=record_count,
    )


def unavailable_body(reason: str) -> bytes:
    """A stand-in body that makes :func:`restore_body` report ``reason`` for its page."""
    return _UNAVAILABLE + reason.encode()


def restore_body(page_id: int, compressed: bytes, content_hash: bytes | None = None) -> bytes:
    """The body as received; raises ``CorruptArchiveError`` naming the page if it is damaged."""
    if compressed.startswith(_UNAVAILABLE):
        reason = compressed.removeprefix(_UNAVAILABLE).decode(errors="replace")
        raise CorruptArchiveError(f"raw page {page_id}: body is unavailable ({reason})")
    try:
        body: bytes = _decompressor().decompress(compressed)
    except zstandard.ZstdError as exc:
        raise CorruptArchiveError(
            f"raw page {page_id}: body cannot be decompressed ({exc})"
        ) from None
    if content_hash is not None and hashlib.sha256(body).digest() != content_hash:
        raise CorruptArchiveError(f"raw page {page_id}: body does not match its content hash")
    return body
