"""Contract checks: archived raw responses against the vendor's spec, stored rows against the
canonical contract (the exported JSON Schema of each entity)."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import psycopg
import zstandard
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from psycopg.rows import dict_row

from canonry.canonical import CanonicalEntity
from canonry.canonical.contracts import export_schema
from canonry.mapping import entity_columns
from canonry.sdk import get_path
from tests.truth import stored


def archived(url: str, connection: str) -> list[dict[str, Any]]:
    """Every raw page archived for ``connection``: stream, request, status, decoded body."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT p.id, p.stream, p.request, p.status, p.record_count, b.body"
            " FROM canonry.raw_pages p JOIN canonry.raw_bodies b USING (content_hash)"
            " JOIN canonry.connections c ON c.id = p.connection_id"
            " WHERE c.name = %s ORDER BY p.id",
            (connection,),
        ).fetchall()
    out = []
    for r in rows:
        r["body"] = zstandard.ZstdDecompressor().decompress(bytes(r["body"]))
        out.append(r)
    return out


def load_openapi(spec: Mapping[str, Any]) -> OpenAPI:
    """openapi-core over a spec dict; the vendors' specs do not all pass strict spec checks
    (Xero has ``default: 'false'`` on booleans), so only responses are validated."""
    return OpenAPI.from_dict(dict(spec), config=Config(spec_validator_cls=None))


def assert_archive_matches_spec(
    url: str,
    connection: str,
    openapi: OpenAPI,
    server: str,
    known: frozenset[str] = frozenset(),
) -> int:
    """Each archived page validates as the response of the operation it was fetched from.

    ``server`` is the spec's server URL: the archived path (served by Prism without the
    vendor's prefix) is looked up under it. ``known`` lists deviations of the vendor's own
    examples from the vendor's own schemas (``"Payments.*.IsReconciled: type"``); any other
    deviation fails. Returns the number of pages checked.
    """
    pages = archived(url, connection)
    assert pages, f"nothing archived for {connection}"
    host, prefix = _split(server)
    for page in pages:
        request = page["request"]
        path = urlsplit(request["url"]).path
        req = MockRequest(
            host, request["method"].lower(), prefix + path, args=request.get("params")
        )
        resp = MockResponse(page["body"], page["status"], content_type="application/json")
        try:
            openapi.validate_response(req, resp)
        except Exception as exc:
            found = _deviations(exc)
            if found and found <= known:
                continue
            raise AssertionError(
                f"archived page {page['id']} ({page['stream']}: {request['method']} {path}) "
                "does not match the vendor spec: "
                f"{sorted(found - known) or repr(exc.__cause__ or exc)}"
            ) from exc
    return len(pages)


def assert_archive_matches_swagger2(url: str, connection: str, spec: Mapping[str, Any]) -> int:
    """Like ``assert_archive_matches_spec`` for Swagger 2.0 specs (openapi-core reads only
    OpenAPI 3): each body against its operation's 200 schema, with the spec's definitions."""
    pages = archived(url, connection)
    assert pages, f"nothing archived for {connection}"
    for page in pages:
        request = page["request"]
        path = urlsplit(request["url"]).path
        operation = spec["paths"][path][request["method"].lower()]
        schema = {**operation["responses"][str(page["status"])]["schema"],
                  "definitions": spec.get("definitions", {})}  # fmt: skip
        errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.loads(page["body"])))
        assert not errors, (
            f"archived page {page['id']} ({page['stream']}: {path}) does not match the vendor "
            f"spec: {errors[0].message} at {list(errors[0].absolute_path)}"
        )
    return len(pages)


def _deviations(exc: Exception) -> set[str]:
    """``path.with.*.indices: validator`` for each schema error under a validation failure."""
    cause = exc.__cause__ or exc
    errors = getattr(cause, "schema_errors", None) or ()
    out = set()
    for err in errors:
        path = ".".join("*" if isinstance(p, int) else str(p) for p in err.absolute_path)
        out.add(f"{path}: {err.validator}")
    return out


def _split(server: str) -> tuple[str, str]:
    """``https://api.xero.com/api.xro/2.0`` -> (``https://api.xero.com``, ``/api.xro/2.0``)."""
    parts = urlsplit(server)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def assert_rows_match_contract(url: str, connection: str, entity: type[CanonicalEntity]) -> int:
    """Every stored row of ``entity`` validates against its exported canonical JSON Schema."""
    schema = export_schema(entity)
    validator = jsonschema.Draft202012Validator(schema)
    rows = stored(url, entity.entity_name, connection)
    assert rows, f"no {entity.entity_name} rows for {connection}"
    columns = set(entity_columns(entity)) - {"deleted"}
    for sid, row in rows.items():
        doc = {c: _json_value(row[c]) for c in columns if row[c] is not None}
        errors = sorted(validator.iter_errors(json.loads(json.dumps(doc))), key=str)
        assert not errors, f"{entity.entity_name} {sid} breaks the contract: {errors[0].message}"
    return len(rows)


def assert_rows_trace_to_raw(
    url: str, connection: str, entity: type[CanonicalEntity], records_path: str, key: str
) -> int:
    """Provenance: every stored row points at an archived page whose record at the row's
    index carries the row's source id (``key`` in the record, ``records_path`` in the page)."""
    pages = {p["id"]: json.loads(p["body"]) for p in archived(url, connection)}
    rows = stored(url, entity.entity_name, connection)
    for sid, row in rows.items():
        records = get_path(pages[row["raw_page_id"]], records_path)
        record = records[row["record_index"]]
        assert str(get_path(record, key)) == sid, f"{sid} does not trace to its page"
    return len(rows)


def assert_no_secret_archived(url: str, connection: str, secrets: list[str]) -> None:
    """No credential reaches the archive: not in a request, its kept headers, or a body."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT p.request::text, p.headers::text FROM canonry.raw_pages p"
            " JOIN canonry.connections c ON c.id = p.connection_id WHERE c.name = %s",
            (connection,),
        ).fetchall()
    bodies = [p["body"] for p in archived(url, connection)]
    for secret in secrets:
        assert not any(secret in r or secret in h for r, h in rows), f"{secret[:4]}… archived"
        assert not any(secret.encode() in b for b in bodies), f"{secret[:4]}… in a body"


def read_spec(name: str) -> dict[str, Any]:
    """A trimmed vendor spec from tests/vendors/specs."""
    result: dict[str, Any] = json.loads((Path(__file__).parent / "specs" / name).read_text())
    return result
