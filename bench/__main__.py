"""``python -m bench``: Canonry's sync against dlt, a lean pipeline and the PostgreSQL limit.

One run starts the embedded PostgreSQL and the sandbox HR source, measures every method at
each size (each in its own process) and prints one table; see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from rich.console import Console

from bench import machine, report
from bench.dlt_steps import NOT_INSTALLED, dlt_available
from bench.pg import BenchServer
from bench.runner import Context, SizeResult, run_size

QUICK_SIZES = [20_000]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--sizes", default="200000,1000000", help="comma-separated record counts")
    p.add_argument("--quick", action="store_true", help="a smoke run at 20,000 records")
    p.add_argument("--runs", type=int, default=1, help="repetitions; the table shows medians")
    p.add_argument("--home", type=Path, help="scratch dir for PostgreSQL (default: a temp dir)")
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    p.add_argument("--no-dlt", action="store_true", help="skip dlt even when it is installed")
    p.add_argument("--no-replay", action="store_true", help="skip Canonry's archive replay")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Canonry's mapping processes (default: the CLI's, CPUs - 1 for syncs and CPUs "
        "for the replay; 0 maps inline)",
    )
    args = p.parse_args(argv)
    args.size_list = QUICK_SIZES if args.quick else [int(s) for s in args.sizes.split(",") if s]
    if args.runs < 1 or not args.size_list or min(args.size_list) < 100:
        p.error("--runs must be >= 1 and every size >= 100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
    temp = args.home is None
    home = Path(tempfile.mkdtemp(prefix="canonry-bench-")) if temp else args.home
    with_dlt = dlt_available() and not args.no_dlt
    dlt_note = NOT_INSTALLED if not dlt_available() else "skipped (--no-dlt)"
    server = BenchServer(home)
    results: list[SizeResult] = []
    try:
        facts = machine.describe(server.version())
        err.print("machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
        err.print("postgresql: " + ", ".join(f"{k}={v}" for k, v in server.settings().items()))
        key = Fernet.generate_key().decode()
        ctx = Context(
            server, home / "work", key, args.runs, with_dlt, not args.no_replay, err.print,
            args.workers,
        )  # fmt: skip
        for n in args.size_list:
            results.append(run_size(ctx, n, dlt_note))
    finally:
        server.stop()
        if temp:
            shutil.rmtree(home, ignore_errors=True)
    rows = [row for r in results for row in r.rows]
    if args.json:
        checks = {r.n: r.check for r in results}
        print(json.dumps(report.as_dicts(rows, checks), indent=1))
    else:
        out = Console(width=None if sys.stdout.isatty() else 160)
        report.render(rows, out)
        for r in results:
            for line_of in (report.arrow_line, report.empty_store_line, report.replay_line):
                line = line_of(r.rows)
                if line:
                    out.print(line, highlight=False)
            out.print("check: OK" if r.ok else r.check, highlight=False)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
