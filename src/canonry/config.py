"""Settings from a TOML file, then ``CANONRY_*`` environment variables, then flags.

Precedence (highest first): command-line flags, environment, ``canonry.toml``
(``$CANONRY_HOME/canonry.toml`` or ``--config``), defaults.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from canonry.errors import ConfigError

DEFAULT_HOME = Path(".canonry")


def default_home() -> Path:
    """``$CANONRY_HOME`` if set, else ``./.canonry``."""
    return Path(os.environ.get("CANONRY_HOME", DEFAULT_HOME))


def default_mapping_workers(*, replay: bool = False) -> int:
    """Mapping processes when the config names none: CPUs - 1 for a sync, CPUs for a replay
    (1 to 4 either way).

    A sync keeps a core for its fetching, its writer and their PostgreSQL backend: on 2
    cores, one worker syncs 1M records as fast as two (27.1-27.2 s against 27.1-27.8 s,
    ``python -m bench.profile --n 1000000 --workers N``) and holds about 90 MB less. A
    replay has no source to talk to and its mapping is the bottleneck: there, a second
    worker pays. Beyond 4, a single writer connection cannot take pages any faster.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 2
    return min(4, max(1, cpus if replay else cpus - 1))


class Settings(BaseSettings):
    """Everything Canonry can be configured with."""

    model_config = SettingsConfigDict(env_prefix="CANONRY_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Where Canonry keeps its state.")
    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL; unset means the embedded server under $CANONRY_HOME/pg.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that encrypts stored credentials; unset means $CANONRY_HOME/secret.key.",
    )
    log_level: str = "WARNING"
    log_json: bool = False
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    fetch_concurrency: int = Field(default=4, ge=1, le=64)
    mapping_workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="Processes that map pages of large streams; unset: CPUs - 1 for a sync, "
        "CPUs for a replay (1 to 4).",
    )

    def workers_for(self, *, replay: bool = False) -> int:
        """The mapping processes a sync (or replay) runs with under this config."""
        if self.mapping_workers is not None:
            return self.mapping_workers
        return default_mapping_workers(replay=replay)

    archive_backend: Literal["db", "fs", "s3"] = Field(
        default="db", description="Where new raw bodies are stored: db, fs (archive_path), s3."
    )
    archive_path: Path | None = Field(
        default=None, description="Directory of the fs backend; unset means $CANONRY_HOME/archive."
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint URL; unset means AWS."
    )
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _CONFIG_FILE.get() or _config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def embedded(self) -> bool:
        """True when Canonry runs its own PostgreSQL."""
        return self.database_url is None


def _config_path(home: Path | None = None) -> Path | None:
    explicit = os.environ.get("CANONRY_CONFIG")
    if explicit:
        return Path(explicit)
    candidate = (home or default_home()) / "canonry.toml"
    return candidate if candidate.exists() else None


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("canonry_config_file", default=None)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings with ``overrides`` (from flags) on top; ``None`` overrides are ignored.

    ``config_file`` (``--config``) must exist; without it ``$CANONRY_CONFIG``, then
    ``canonry.toml`` in the home folder (``home`` override first) is read if present.
    """
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {str(config_file)!r} does not exist; check --config")
    home = overrides.get("home")
    token = _CONFIG_FILE.set(config_file or _config_path(Path(home) if home else None))
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    finally:
        _CONFIG_FILE.reset(token)
