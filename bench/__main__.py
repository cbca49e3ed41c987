"""python -m bench [NAME] [options]: run every benchmark, or the one named, and print its table."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import import_bench, load, outage, planner, recompute, report, scenario

BENCHES: dict[str, Callable[[list[str]], int]] = {
    "recompute": recompute.main,
    "load": load.main,
    "import": import_bench.main,
    "report": report.main,
    "outage": outage.main,
    "scenario": scenario.main,
    "planner": planner.main,
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHES:
        return BENCHES[argv[0]](argv[1:])
    if argv and not argv[0].startswith("-"):
        print(f"unknown benchmark {argv[0]!r}; available: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    status = 0
    for bench in BENCHES.values():
        status = bench(argv) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
