"""Observability: logging (and later metrics and tracing). Below every stage; imports none."""

from canonry.observability.logging import configure_logging, redact_secrets, register_secret

__all__ = ["configure_logging", "redact_secrets", "register_secret"]
