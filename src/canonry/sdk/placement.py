"""Where a request param travels: query string (the default), a header, or a JSON body.

Paginators and the incremental cursor produce *logical* params (``cursor``, ``limit``,
``modified_since``). Most APIs take them in the query string; some do not: Xero reads the
change cursor from ``If-Modified-Since``, Square's search endpoints take the cursor inside a
POST body, OData wants it inside a ``$filter`` expression. A stream declares each exception
once (``Stream.placement``) and the HTTP layer sends the params where they belong, so a
connector never builds a request itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InQuery:
    """Sent in the query string under ``name``, its value formatted by ``template``.

    ``InQuery("$filter", "lastModifiedDateTime gt datetimeoffset'{}'")`` turns a watermark
    into an OData filter.
    """

    name: str
    template: str = "{}"


@dataclass(frozen=True)
class InHeader:
    """Sent as the request header ``name`` (``If-Modified-Since``)."""

    name: str
    template: str = "{}"


@dataclass(frozen=True)
class InBody:
    """Sent inside the JSON body at the dotted ``path``; ``integer`` sends it as a number."""

    path: str
    integer: bool = False
    template: str = "{}"


Place = InQuery | InHeader | InBody


@dataclass(frozen=True)
class PlacedRequest:
    """One request's params, split by where they travel."""

    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def place(
    params: Mapping[str, str],
    placement: Mapping[str, Place],
    body: Mapping[str, Any] | None = None,
) -> PlacedRequest:
    """Split logical ``params`` into query, headers and a JSON body built on ``body``.

    ``body`` is a template: it is deep-copied, never changed. A request with a body
    template always gets a body, even when no param goes into it.
    """
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    built: dict[str, Any] | None = None if body is None else copy.deepcopy(dict(body))
    for name, value in params.items():
        where = placement.get(name)
        if where is None:
            query[name] = value
        elif isinstance(where, InQuery):
            query[where.name] = where.template.format(value)
        elif isinstance(where, InHeader):
            headers[where.name] = where.template.format(value)
        else:
            text = where.template.format(value)
            built = {} if built is None else built
            _set_path(built, where.path, _integer(name, text) if where.integer else text)
    return PlacedRequest(query, headers, built)


def _integer(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"param {name!r} is declared InBody(integer=True) but its value {text!r} is not "
            "an integer; drop integer=True or fix the paginator's page size"
        ) from None


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating the missing levels."""
    *parents, last = path.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value
