"""Square's spec, made loadable offline: done on a copy at test setup, the copy in
``specs/`` stays as Square published it (trimmed to the operations we use)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_EXTERNAL = "https://"


def neutralize(node: Any, schemas: dict[str, Any]) -> Any:
    """External ``$ref`` (inside example payloads) renamed to ``x-square-ref``; refs to
    schemas the spec does not define become ``{"type": "string"}``."""
    if isinstance(node, list):
        return [neutralize(v, schemas) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref.startswith(_EXTERNAL):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {"x-square-ref": ref, **neutralize(rest, schemas)}
        if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] not in schemas:
            return {"type": "string"}
    return {k: neutralize(v, schemas) for k, v in node.items()}


def offline_spec(spec: Path) -> dict[str, Any]:
    data = json.loads(spec.read_text())
    result: dict[str, Any] = neutralize(data, data.get("components", {}).get("schemas", {}))
    return result


def offline_copy(spec: Path, out: Path) -> Path:
    """Write the neutralized copy to ``out`` and return it."""
    out.write_text(json.dumps(offline_spec(spec)))
    return out
