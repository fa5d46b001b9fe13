"""The archive stage: every response page kept as received (compressed, hashed, redacted)."""

from canonry.archive.page import (
    ArchivedPage,
    CorruptArchiveError,
    archive_body,
    archive_page,
    restore_body,
    unavailable_body,
)

__all__ = [
    "ArchivedPage",
    "CorruptArchiveError",
    "archive_body",
    "archive_page",
    "restore_body",
    "unavailable_body",
]
