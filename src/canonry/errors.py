"""Canonry's exception tree. Callers decide what to do from the class, never the message.

    CanonryError                      every error Canonry raises on purpose
    ├── ConfigError                   bad or missing configuration (exit code 2)
    ├── NotFoundError                 unknown connection, entity, run (exit code 3)
    ├── StoreError                    the database cannot be reached or used (exit code 4)
    │   └── MigrationError            schema migrations failed or disagree with the code
    ├── SourceError                   talking to a source failed (exit code 5)
    │   ├── TransientSourceError      worth retrying: timeouts, resets, 5xx, 429
    │   ├── AuthError                 credentials rejected, even after one refresh
    │   ├── PermanentSourceError      4xx and protocol violations: retrying won't help
    │   └── SourceUnavailableError    the circuit breaker is open: try again later
    └── RecordError                   one record cannot be used; it goes to the dead-letter queue
        ├── ParseError                the payload is not what the stream declares
        └── MappingError              a field cannot be mapped or normalized

Every message says what was wrong, with the value where it is safe to show, and what to do.
"""

from __future__ import annotations


class CanonryError(Exception):
    """Base class for every error Canonry raises on purpose."""

    exit_code = 1


class ConfigError(CanonryError):
    """Configuration is missing or invalid."""

    exit_code = 2


class NotFoundError(CanonryError):
    """A named thing (connection, entity, run) does not exist."""

    exit_code = 3


class StoreError(CanonryError):
    """The database cannot be reached or used."""

    exit_code = 4


class MigrationError(StoreError):
    """Schema migrations failed, or the database is newer than this code."""


class SourceError(CanonryError):
    """Talking to a source failed."""

    exit_code = 5


class TransientSourceError(SourceError):
    """A failure that may succeed when retried (timeouts, resets, 5xx, 429)."""


class AuthError(SourceError):
    """The source rejected the credentials, even after refreshing them once."""


class PermanentSourceError(SourceError):
    """A failure retrying will not fix (4xx other than 401/408/429, protocol violations)."""


class SourceUnavailableError(SourceError):
    """The source's circuit breaker is open; the sync paused at its last checkpoint."""


class RecordError(CanonryError):
    """One record cannot be used; it is dead-lettered and the sync goes on."""

    stage = "record"

    def __init__(self, reason: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.value = value


class ParseError(RecordError):
    """The record is not shaped as the stream declares (not an object, no primary key)."""

    stage = "parse"


class MappingError(RecordError):
    """A field of the record cannot be mapped or normalized into the canonical entity."""

    stage = "mapping"
