"""Everything the CLI prints goes through here: rich for people, JSON for scripts.

Data (tables, JSON documents) goes to stdout; progress, notes and errors go to stderr, so
``canonry --json ... | jq`` always sees exactly one JSON document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel, SecretStr
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table

Row = Sequence[object]
PIPE_WIDTH = 200


def examples(*lines: str) -> str:
    """A command's epilog (help is rendered as Markdown): its examples, one per line."""
    return "\n".join(["**Examples**", "", *(f"- `{line}`" for line in lines)])


def to_json(payload: Any) -> str:
    """``payload`` as a JSON document: dates ISO 8601, decimals as strings, secrets masked."""
    return orjson.dumps(
        payload, default=_json_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    ).decode()


def _json_default(value: object) -> object:
    """What orjson cannot encode itself: decimals (as strings), models, masked secrets."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, SecretStr):
        return str(value)  # "**********"
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# How table cells show values, checked in order (bool before int: bool is an int).
_CELL_FORMATS: tuple[tuple[type, Callable[[Any], str]], ...] = (
    (bool, lambda v: "yes" if v else "no"),
    (dt.datetime, lambda v: v.isoformat(sep=" ", timespec="seconds")),
    (dt.date, lambda v: v.isoformat()),
    (float, lambda v: f"{v:,.1f}"),
    (int, lambda v: f"{v:,}"),
    (enum.Enum, lambda v: str(v.value)),
)


def cell(value: object) -> str:
    """A value as a table cell: empty for None, ISO dates, seconds-precision times."""
    if value is None:
        return ""
    for kind, fmt in _CELL_FORMATS:
        if isinstance(value, kind):
            return fmt(value)
    return str(value)


def table(
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    title: str | None = None,
    caption: str | None = None,
) -> Table:
    """A rich table of ``rows``; columns holding only numbers are right-aligned."""
    rows = list(rows)
    out = Table(title=title, caption=caption, header_style="bold", title_justify="left")
    for index, name in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        out.add_column(
            name, justify="right" if numeric else "left", no_wrap=numeric, overflow="fold"
        )
    for row in rows:
        out.add_row(*(escape(cell(v)) for v in row))
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _pipe_width() -> int | None:
    """Tables piped to a file or another program get room (rich would assume 80 columns)."""
    return None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH


@dataclasses.dataclass
class Output:
    """Where one command invocation writes: JSON-only when ``json`` is set."""

    json: bool = False
    out: Console = dataclasses.field(
        default_factory=lambda: Console(highlight=False, width=_pipe_width())
    )
    err: Console = dataclasses.field(default_factory=lambda: Console(stderr=True, highlight=False))

    def result(self, payload: Any, render: Callable[[], RenderableType]) -> None:
        """The command's data: ``payload`` as JSON with --json, else what ``render`` draws."""
        if self.json:
            sys.stdout.write(to_json(payload) + "\n")
            sys.stdout.flush()
        else:
            self.out.print(render())

    def note(self, message: str) -> None:
        """A remark for people on stderr (rich markup allowed); silent with --json."""
        if not self.json:
            self.err.print(message, soft_wrap=True)

    def error(self, message: str, *, kind: str, exit_code: int, hint: str = "") -> None:
        """One ``error: ...`` line on stderr, and with --json the error document on stdout."""
        message = " ".join(message.split()) or kind
        self.err.print(f"[bold red]error:[/] {escape(message)}{escape(hint)}", soft_wrap=True)
        if self.json:
            doc = {"error": message, "type": kind, "exit_code": exit_code}
            sys.stdout.write(to_json(doc) + "\n")
            sys.stdout.flush()
