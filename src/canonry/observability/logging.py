"""structlog set up once per process: bound context, secrets redacted, output on stderr.

Redaction happens in the processor chain, so no call site can forget it: values of keys
that name credentials are masked, and so is any registered secret value found in a string.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "***"
_SECRET_KEYS = ("password", "secret", "token", "authorization", "api_key", "apikey", "cookie")
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears in a log line from now on."""
    if value and len(value) >= 4:
        _secrets.add(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and any(h in key.lower() for h in _SECRET_KEYS)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secret-named keys and registered secret values."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if _is_secret_key(key) else _scrub(value)
    return event_dict


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written: a test harness or a daemon may swap
    it after logging was configured, and writing to the closed original would crash."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "WARNING", *, json: bool = False) -> None:
    """Route structlog (and stdlib logging) to stderr at ``level``, secrets redacted."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.WARNING)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
