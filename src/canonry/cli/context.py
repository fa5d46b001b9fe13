"""What one ``canonry`` invocation knows: its global options, settings and output.

The root callback builds a :class:`CliContext` and stores it as the click context's ``obj``;
commands get it back with :func:`cli_context` and reach the store through :meth:`run` and
:meth:`query`, which run the async store APIs with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError

from canonry.cli.output import Output
from canonry.config import Settings, load_settings
from canonry.errors import ConfigError
from canonry.store import Database, open_database
from canonry.store.database import Conn

T = TypeVar("T")


@dataclass
class CliContext:
    """Global options of this invocation, and the settings they resolve to."""

    output: Output = field(default_factory=Output)
    verbose: bool = False
    home: Path | None = None
    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The resolved settings (loaded on first use unless :meth:`load_settings` ran)."""
        if self._settings is None:
            self.load_settings(None)
        assert self._settings is not None
        return self._settings

    def load_settings(self, config: Path | None) -> Settings:
        """Resolve the settings: flags, then environment, then the TOML file, then defaults."""
        try:
            self._settings = load_settings(
                config_file=config, home=self.home, database_url=self.database_url
            )
        except ValidationError as exc:
            raise ConfigError(f"invalid settings: {field_problems(exc)}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"the config file is not valid TOML: {exc}") from None
        return self._settings

    def run(self, fn: Callable[[Database], Awaitable[T]], *, upgrade: bool = True) -> T:
        """``fn(db)`` on the configured database (migrated first unless ``upgrade=False``)."""
        return asyncio.run(with_db(self.settings, fn, upgrade=upgrade))

    def query(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """``fn(conn)`` in one transaction, committed when it returns."""

        async def in_transaction(db: Database) -> T:
            async with await db.connect() as conn:
                return await fn(conn)

        return self.run(in_transaction)

    def location(self, db: Database) -> str:
        """Where ``db`` is, without any password."""
        return db.location


async def with_db(
    settings: Settings, fn: Callable[[Database], Awaitable[T]], *, upgrade: bool = True
) -> T:
    """Open the database named by ``settings`` and return ``await fn(db)``."""
    async with open_database(settings, upgrade=upgrade) as db:
        return await fn(db)


def cli_context(ctx: typer.Context) -> CliContext:
    """The invocation's :class:`CliContext` (set by the root callback)."""
    found = ctx.find_object(CliContext)
    if found is None:  # only when a command is invoked without the root app
        found = CliContext()
        ctx.obj = found
    return found


def field_problems(exc: ValidationError) -> str:
    """Each field problem of ``exc``, without the offending values (they may be secrets)."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)
    )
