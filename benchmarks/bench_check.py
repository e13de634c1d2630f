"""Time `nb2prod check` against the parse floor, `nbqa pyflakes` and `ruff`, side by side.

    python benchmarks/bench_check.py [ROOT ...] [--repeat N]     (default root: ../shared/corpus)

Every tool runs as a user runs it (its console script, in batches of 200 files), in this
environment; nbqa, pyflakes and ruff must be installed (`pip install nbqa pyflakes ruff`).
Prints wall time per tool and the ratios:
- the floor: one process that only loads each notebook's JSON and `ast.parse`s its code cells
  (magics commented out), against `nb2prod check --jobs 1 --no-cache`;
- nbqa pyflakes against nb2prod's default (`--no-cache`);
- ruff (notebook-aware, `--select F`) cold (`--no-cache`) and warm (its cache filled), against
  nb2prod cold (`--no-cache`) and warm (`.nb2prod_cache` filled by a first run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
BATCH = 200


def notebooks(roots: list[str]) -> list[str]:
    found = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                found.append(str(path))
    return found


def timed(command: list[str], files: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(files), BATCH):
        subprocess.run([*command, *files[i : i + BATCH]], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def best_of(repeat: int, command: list[str], files: list[str]) -> float:
    return min(timed(command, files) for _ in range(repeat))


# the floor's work, as source: run in a bare interpreter here, and in-process by
# bench_check_phases.py (one definition of what the floor does)
PARSE_FLOOR = """
import ast, json, re

def parse_floor(paths):
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") == "code":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                source = re.sub(r"(?m)^(\\s*)([%!?])", r"\\1#\\2", source)
                try:
                    ast.parse(source)
                except (SyntaxError, ValueError):
                    pass
"""
FLOOR = PARSE_FLOOR + """
import sys, time
start = time.perf_counter()
parse_floor(sys.argv[1:])
print(time.perf_counter() - start)
"""


def floor(files: list[str], repeat: int) -> float:
    """The parse floor, including the interpreter's start like every other row."""
    return best_of(repeat, [sys.executable, "-c", FLOOR], files)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(DEFAULT_ROOT)])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = notebooks(args.roots)
    nb2prod = [shutil.which("nb2prod") or "nb2prod", "check", "--format", "json", "--exit-zero"]
    print(f"{len(files)} notebooks, best of {args.repeat} runs")
    parse_floor = floor(files, args.repeat)
    print(f"floor (JSON + ast.parse)     {parse_floor:7.2f} s")
    single = best_of(args.repeat, [*nb2prod, "--jobs", "1", "--no-cache"], files)
    print(f"nb2prod check --jobs 1       {single:7.2f} s  ({single / parse_floor:.2f}x the floor)")
    default = best_of(args.repeat, [*nb2prod, "--no-cache"], files)
    print(f"nb2prod check (default jobs) {default:7.2f} s")
    with tempfile.TemporaryDirectory() as scratch:
        timed(nb2prod, files)  # fills .nb2prod_cache in the working folder
        warm = best_of(args.repeat, nb2prod, files)
        print(f"nb2prod check, warm cache    {warm:7.2f} s")
        if shutil.which("nbqa") and shutil.which("pyflakes"):
            peer = best_of(args.repeat, ["nbqa", "pyflakes"], files)
            print(f"nbqa pyflakes                {peer:7.2f} s  (nb2prod {peer / default:.1f}x "
                  f"faster; single process {peer / single:.1f}x)")
        if shutil.which("ruff"):
            ruff = ["ruff", "check", "--isolated", "--select", "F", "--exit-zero", "--quiet"]
            cold = best_of(args.repeat, [*ruff, "--no-cache"], files)
            cache = ["--cache-dir", str(Path(scratch) / "ruff")]
            timed([*ruff, *cache], files)
            ruff_warm = best_of(args.repeat, [*ruff, *cache], files)
            print(f"ruff check --select F        {cold:7.2f} s cold, {ruff_warm:.2f} s warm "
                  f"(nb2prod/ruff: cold {default / cold:.1f}x slower, warm "
                  f"{warm / ruff_warm:.2f}x)")
    cores = os.cpu_count() or 1
    for jobs in sorted({2, cores} - {1}):
        seconds = best_of(args.repeat, [*nb2prod, "--no-cache", "--jobs", str(jobs)], files)
        speedup = single / seconds
        print(f"nb2prod check --jobs {jobs:<2}     {seconds:7.2f} s  ({speedup:.2f}x vs one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
