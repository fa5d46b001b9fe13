"""Summarise a py-spy raw profile of ``python -m bench.profile`` by sync stage.

    python -m bench.stacks /tmp/canonry.txt [--top 12]

Only samples inside the step (``canonry_step``: the sync, plus its small setup) count;
the engine's producer task has its own stack, so filtering on ``run_sync`` would miss it.
Each sample goes to the stage of its innermost frame that a rule recognises (a leaf in
pydantic called from a mapping goes to "map"); a canonry frame whose source line calls
orjson.loads counts as "decode".
"""

from __future__ import annotations

import argparse
import linecache
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<fn>.*) \((?P<file>.*):(?P<line>\d+)\)$")
# (stage, substrings of the file path); the first rule that matches a frame decides.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("archive: zstd + sha256", ("canonry/archive/", "zstandard")),
    ("map: records -> Employee", ("canonry/mapping/", "canonry/connectors/", "canonry/sdk/",
                                  "canonry/canonical/", "pydantic", "phonenumbers", "pycountry",
                                  "pint", "zoneinfo", "_strptime", "decimal")),
    ("encode: binary COPY payload", ("canonry/store/copyfmt",)),
    ("write: psycopg COPY/upsert", ("canonry/store/", "psycopg")),
    ("peek: simdjson validate + index", ("canonry/http/classify", "simdjson")),
    ("fetch: HTTP client", ("canonry/http/", "httpx", "httpcore", "h11", "anyio", "ssl")),
    ("engine bookkeeping", ("canonry/sync/", "structlog", "canonry/observability/")),
    ("event loop", ("asyncio/", "selectors")),
)  # fmt: skip
DECODE = "decode: orjson.loads"


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        m = _FRAME.match(frame)
        if m is None:
            continue
        file = m["file"]
        if "canonry/" in file and "orjson.loads" in _source(file, int(m["line"])):
            return DECODE
        for stage, needles in RULES:
            if any(n in file for n in needles):
                return stage
    return "other"


def _source(file: str, line: int) -> str:
    for candidate in (file, *(str(p / file) for p in (Path.cwd(), Path.cwd() / "src"))):
        text = linecache.getline(candidate, line)
        if text:
            return text
    return ""


def _leaf(frames: list[str]) -> str:
    m = _FRAME.match(frames[-1])
    if m is None:
        return frames[-1]
    file = re.sub(r".*site-packages/", "", m["file"])
    return f"{m['fn']} ({file})"


def summarise(path: Path, top: int) -> str:
    stages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for raw in path.read_text().splitlines():
        stack, _, count = raw.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or not any(f.startswith("canonry_step ") for f in frames):
            continue
        stages[stage_of(frames)] += int(count)
        leaves[_leaf(frames)] += int(count)
    total = sum(stages.values()) or 1
    lines = [
        f"samples inside the step: {total}",
        "",
        "| stage | share of CPU samples |",
        "|---|---:|",
    ]
    lines += [f"| {s} | {c / total:.1%} |" for s, c in stages.most_common()]
    lines += ["", f"top {top} leaf functions:"]
    lines += [f"  {c / total:6.1%}  {f}" for f, c in leaves.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.stacks", description=__doc__)
    p.add_argument("profile", type=Path, help="py-spy record -f raw output")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args(argv)
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
