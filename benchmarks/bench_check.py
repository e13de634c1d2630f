"""Time `nb2prod check` against `nbqa pyflakes` on the same notebooks, side by side.

    python benchmarks/bench_check.py [ROOT ...] [--repeat N]     (default root: ../shared/corpus)

Both tools run as a user runs them (their console scripts, in batches of 200 files), in this
environment; nbqa and pyflakes must be installed (`pip install nbqa pyflakes`). Prints wall time per
tool, the ratio, and nb2prod's scaling with --jobs on this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(DEFAULT_ROOT)])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = notebooks(args.roots)
    nb2prod = [sys.executable, "-m", "nb2prod", "check", "--format", "json", "--exit-zero"]
    print(f"{len(files)} notebooks, best of {args.repeat} runs")
    single = best_of(args.repeat, [*nb2prod, "--jobs", "1"], files)
    print(f"nb2prod check --jobs 1       {single:7.2f} s")
    default = best_of(args.repeat, nb2prod, files)
    print(f"nb2prod check (default jobs) {default:7.2f} s")
    if shutil.which("nbqa") and shutil.which("pyflakes"):
        peer = best_of(args.repeat, ["nbqa", "pyflakes"], files)
        print(f"nbqa pyflakes                {peer:7.2f} s")
        print(f"ratio: nb2prod single process {peer / single:.1f}x faster, "
              f"default {peer / default:.1f}x faster")
    else:
        print("nbqa/pyflakes not installed: no comparison (pip install nbqa pyflakes)")
    cores = os.cpu_count() or 1
    for jobs in sorted({2, cores} - {1}):
        seconds = best_of(args.repeat, [*nb2prod, "--jobs", str(jobs)], files)
        speedup = single / seconds
        print(f"nb2prod check --jobs {jobs:<2}     {seconds:7.2f} s  ({speedup:.2f}x vs one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
