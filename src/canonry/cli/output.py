"""Everything the CLI prints goes through here: rich for people, JSON for scripts.

Data (tables, JSON documents) goes to stdout; progress, notes and errors go to stderr, so
``canonry --json ... | jq`` always sees exactly one JSON document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, SecretStr
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table

Row = Sequence[object]


def examples(*lines: str) -> str:
    """A command's epilog: its examples, one per line, safe from rich markup."""
    return "\n\n".join(["[b]Examples[/b]", *(f"  [dim]$[/dim] {escape(line)}" for line in lines)])


def to_json(payload: Any) -> str:
    """``payload`` as a JSON document: dates ISO 8601, decimals as strings, secrets masked."""
    return orjson.dumps(
        payload, default=_json_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    ).decode()


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | Path):
        return str(value)
    if isinstance(value, SecretStr):
        return "**********"
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def cell(value: object) -> str:
    """A value as a table cell: empty for None, ISO dates, seconds-precision times."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def table(
    columns: Sequence[str], rows: Iterable[Row], *, title: str | None = None, caption: str | None = None
) -> Table:
    """A rich table of ``rows``; columns holding only numbers are right-aligned."""
    rows = list(rows)
    out = Table(title=title, caption=caption, header_style="bold", title_justify="left")
    for index, name in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        out.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        out.add_row(*(escape(cell(v)) for v in row))
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclasses.dataclass
class Output:
    """Where one command invocation writes: JSON-only when ``json`` is set."""

    json: bool = False
    out: Console = dataclasses.field(default_factory=lambda: Console(highlight=False))
    err: Console = dataclasses.field(default_factory=lambda: Console(stderr=True, highlight=False))

    def result(self, payload: Any, render: Callable[[], RenderableType | None]) -> None:
        """The command's data: ``payload`` as JSON with --json, else what ``render`` draws."""
        if self.json:
            sys.stdout.write(to_json(payload) + "\n")
            sys.stdout.flush()
            return
        renderable = render()
        if renderable is not None:
            self.out.print(renderable)

    def note(self, message: str) -> None:
        """A remark for people on stderr (rich markup allowed); silent with --json."""
        if not self.json:
            self.err.print(message, soft_wrap=True)

    def error(self, exc: BaseException, exit_code: int, hint: str = "") -> None:
        """One ``error: ...`` line on stderr, and with --json the error document on stdout."""
        message = str(exc).strip().replace("\n", " ") or type(exc).__name__
        self.err.print(f"[bold red]error:[/] {escape(message)}{escape(hint)}", soft_wrap=True)
        if self.json:
            doc = {"error": message, "type": type(exc).__name__, "exit_code": exit_code}
            sys.stdout.write(to_json(doc) + "\n")
            sys.stdout.flush()
