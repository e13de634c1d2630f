"""Where single-process `check` spends its time beside the parse floor, in one process.

    python benchmarks/bench_check_phases.py [ROOT ...] [--repeat N]   (default root: ../shared/corpus)

Prints, best of N over the same notebooks: the floor (load each notebook's JSON and `ast.parse`
its code cells, magics commented out), nb2prod loading the notebooks (IPython translation, the
nesting guard and node index walk, cell validation) without any rule, and the full check; then
each as a multiple of the floor. No process start-up is counted, unlike bench_check.py.
"""

from __future__ import annotations

import argparse
import time

from bench_check import DEFAULT_ROOT, PARSE_FLOOR, notebooks

from nb2prod.api import check_file
from nb2prod.commands.check import ALL_RULES
from nb2prod.config import build_settings
from nb2prod.notebook import load_notebook


def parse_floor():
    """bench_check.py's floor, compiled here to run in this process."""
    namespace: dict = {}
    exec(PARSE_FLOOR, namespace)  # our own benchmark's source, not notebook code
    return namespace["parse_floor"]


def each(function, files: list[str]) -> None:
    for file in files:
        function(file)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(DEFAULT_ROOT)])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = notebooks(args.roots)
    settings = build_settings(ALL_RULES, {})
    # one notebook alive at a time, as in `check` (holding all of them makes the garbage
    # collector's passes, not nb2prod, the cost)
    floor = parse_floor()
    phases = {"floor (JSON + ast.parse)": lambda: floor(files),
              "nb2prod load, no rules": lambda: each(load_notebook, files),
              "nb2prod check, full": lambda: each(lambda f: check_file(f, settings), files)}
    best = dict.fromkeys(phases, float("inf"))
    for _ in range(args.repeat):
        for name, run in phases.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["floor (JSON + ast.parse)"]
    print(f"{len(files)} notebooks, best of {args.repeat}, one process")
    for name, seconds in best.items():
        print(f"{name:<28}{seconds:6.2f} s  ({seconds / base:.2f}x the floor)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
