"""What a response means: success, worth retrying, refused credentials, or permanent.

Kept apart from the client so each rule reads on its own line, and so the classification is
carried by the exception's class (and ``status`` / ``response_excerpt``), never its text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import simdjson

from canonry.errors import SourceError
from canonry.http.errors import (
    HTTPAuthError,
    PermanentHTTPError,
    TransientHTTPError,
    excerpt,
)
from canonry.http.retry import RETRYABLE_STATUS, parse_retry_after
from canonry.sdk.paths import get_path, is_array, is_object


class Retryable(Exception):  # noqa: N818 - control flow between classify and client only
    """Carries a transient error to the retry loop, with what the loop needs to know."""

    def __init__(
        self, error: SourceError, retry_after: float | None = None, *, source_failed: bool = True
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.source_failed = source_failed


@dataclass(frozen=True)
class Received:
    """One response, read whole."""

    shown: str
    status: int
    retry_after: str | None
    body: bytes
    fetched_at: dt.datetime


def decode(
    got: Received,
    *,
    secrets: tuple[str, ...],
    records_path: str | None,
    final_attempt: bool,
    allow_empty: bool,
) -> Any:
    """The payload of ``got`` as a lazy document, or the classified error raised.

    Why simdjson and not a full decode: the walk reads a cursor and a count from each page,
    and the mapping workers decode the body anyway. Validating and indexing a 600 kB page
    costs a tenth of building its Python objects, and those are built once, where they are
    mapped. The document is validated whole: invalid JSON is caught here, as before.
    """
    status, shown = got.status, got.shown
    if status in RETRYABLE_STATUS:
        ra = parse_retry_after(got.retry_after, got.fetched_at)
        error = TransientHTTPError(f"{shown} answered HTTP {status}", status=status)
        raise Retryable(error, ra, source_failed=status != 429)
    if status in (401, 403):
        raise HTTPAuthError(
            f"{shown} was refused with HTTP {status} even after refreshing credentials; "
            "check the connection's credentials and scopes",
            status=status,
            response_excerpt=excerpt(got.body, secrets),
        )
    if status >= 400 or status < 200:
        raise _permanent(got, secrets, f"answered HTTP {status}")
    if allow_empty and not got.body.strip():
        return None
    try:
        # One parser per document: its lazy values stay valid as long as they are referenced.
        payload = simdjson.Parser().parse(got.body)
    except (ValueError, RuntimeError) as exc:  # RuntimeError: integers beyond 64 bits
        error = TransientHTTPError(f"{shown} returned invalid JSON ({exc})", status=status)
        raise Retryable(error) from None
    if _is_error_body(payload, records_path):
        if final_attempt:
            raise _permanent(got, secrets, "kept answering HTTP 200 with an error body")
        error = TransientHTTPError(f"{shown} answered HTTP 200 with an error body", status=status)
        raise Retryable(error)
    return payload


def _is_error_body(payload: Any, records_path: str | None) -> bool:
    """A JSON object with a truthy ``error``/``errors`` and no records where they belong."""
    if not is_object(payload):
        return False
    if not (payload.get("error") or payload.get("errors")):
        return False
    if records_path is None:
        return True
    records = get_path(payload, records_path) if records_path else payload
    return not (is_array(records) and len(records) > 0)


def _permanent(got: Received, secrets: tuple[str, ...], what: str) -> PermanentHTTPError:
    text = excerpt(got.body, secrets)
    return PermanentHTTPError(
        f"{got.shown} {what}: {text[:200]!r}; retrying will not help. Check the request "
        "(path, params, permissions) against the source's documentation",
        status=got.status,
        response_excerpt=text,
    )
