"""Secrets never leave the process: request params are redacted before they are shown or kept."""

from __future__ import annotations

from collections.abc import Mapping

REDACTED = "***"
SECRET_PARAM_NAMES = frozenset(
    {"key", "apikey", "api_key", "access_token", "token", "secret", "client_secret",
     "password", "signature", "sig", "auth", "authorization", "refresh_token"}
)  # fmt: skip
SECRET_PARAM_SUFFIXES = ("_key", "_secret", "_password", "_signature")


def is_secret_name(name: str) -> bool:
    """True for parameter names that conventionally carry credentials."""
    lowered = name.lower().replace("-", "_")
    return lowered in SECRET_PARAM_NAMES or lowered.endswith(SECRET_PARAM_SUFFIXES)


def redact_params(params: Mapping[str, str], secrets: tuple[str, ...]) -> dict[str, str]:
    """Params with secret-looking names or known secret values replaced by ``***``."""
    return {
        name: REDACTED if is_secret_name(name) or any(s and s in value for s in secrets) else value
        for name, value in params.items()
    }
