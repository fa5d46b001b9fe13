"""Cut a vendor's API description down to the operations the connector tests use.

The copies in this folder were made with it (see README.md), so Prism and openapi-core load
a few hundred kilobytes instead of megabytes. Everything an operation references, directly
or through other components, is kept verbatim; nothing is edited.

    python tests/vendors/specs/trim.py SRC OUT 'get /Invoices' 'post /v2/orders/search' ...
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml


class _Core12Loader(yaml.SafeLoader):
    """Reads plain scalars the way YAML 1.2 tools (Prism) do: no timestamps, no yes/no."""


_Core12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def trim(spec: dict[str, Any], operations: list[str]) -> dict[str, Any]:
    wanted: dict[str, set[str]] = {}
    for op in operations:
        method, path = op.split(" ", 1)
        wanted.setdefault(path, set()).add(method.lower())
    paths = {}
    for path, methods in wanted.items():
        item = spec["paths"][path]
        paths[path] = {k: v for k, v in item.items() if k not in METHODS or k in methods}
    out = {
        k: v
        for k, v in spec.items()
        if k not in ("paths", "components", "definitions", "parameters", "responses")
    }
    out["paths"] = paths
    todo = _refs(paths) | _refs({k: v for k, v in out.items() if k != "paths"})
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        try:
            target = _resolve(spec, ref)
        except KeyError:  # a dangling ref in the original stays dangling (Square has some)
            continue
        done.add(ref)
        todo |= _refs(target)
    # security schemes are referenced by name, not by $ref
    if "components" in spec and "securitySchemes" in spec["components"]:
        for name in spec["components"]["securitySchemes"]:
            done.add(f"#/components/securitySchemes/{name}")
    if "securityDefinitions" in spec:
        out["securityDefinitions"] = spec["securityDefinitions"]
    for ref in sorted(done):
        parts = ref[2:].split("/")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _resolve(spec, ref)
    return out


def main() -> None:
    src, dst, *ops = sys.argv[1:]
    text = Path(src).read_text()
    spec = json.loads(text) if src.endswith(".json") else yaml.load(text, _Core12Loader)
    # Always JSON: unambiguous for every reader (YAML 1.1 and 1.2 disagree on "091").
    Path(dst).write_text(json.dumps(trim(spec, ops), indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
