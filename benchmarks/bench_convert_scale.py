"""How `nb2prod convert` scales with the size of a notebook: time and peak memory on notebooks of
1,000 to 10,000 cells built from the corpus's real code cells, beside `jupyter nbconvert --to
script` on the same files.

    python benchmarks/bench_convert_scale.py [--sizes 1000,2000,10000] [ROOT ...]

Targets: 2,000 cells in under 10 s, 10,000 in under 60 s, under 1 GB; time should grow about
linearly (the ratio column: time per cell relative to the smallest notebook).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def corpus_cells(roots: list[Path]) -> list[str]:
    """Code cells of the corpus notebooks, in a stable order."""
    cells = []
    for path in sorted(p for root in roots for p in root.rglob("*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in notebook.get("cells", []):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "code" and source.strip():
                cells.append(source)
    return cells


def build(cells: list[str], size: int, folder: Path) -> Path:
    chosen = [cells[i % len(cells)] for i in range(size)]
    notebook = {"nbformat": 4, "nbformat_minor": 5,
                "metadata": {"language_info": {"name": "python", "version": "3.11"}},
                "cells": [{"cell_type": "code", "execution_count": i + 1, "metadata": {},
                           "outputs": [], "source": source} for i, source in enumerate(chosen)]}
    path = folder / f"big_{size}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def timed(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """Seconds, exit code and the child's peak memory in MB (a fresh child per run)."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "code = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
             "print(time.perf_counter() - t, code, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True,
                            text=True, check=True)
    seconds, code, peak_kb = result.stdout.split()
    return float(seconds), int(code), int(peak_kb) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path, default=[DEFAULT_ROOT])
    parser.add_argument("--sizes", default="1000,2000,5000,10000")
    args = parser.parse_args()
    cells = corpus_cells(args.roots)
    if not cells:
        sys.stderr.write(f"error: no notebook code cells under {', '.join(map(str, args.roots))}; "
                         "pass the corpus folder\n")
        return 2
    print(f"{len(cells)} distinct corpus code cells")
    jupyter = shutil.which("jupyter")
    base = None
    print(f"{'cells':>7} {'nb2prod s':>10} {'MB':>6} {'s/1k cells':>11} {'vs smallest':>12} "
          f"{'nbconvert s':>12} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for size in (int(s) for s in args.sizes.split(",")):
            notebook = build(cells, size, work)
            seconds, code, peak = timed([sys.executable, "-m", "nb2prod", "convert", "--force",
                                         str(notebook), "-o", str(work / f"out_{size}")], work)
            per_k = seconds / size * 1000
            base = base or per_k
            peer = "-"
            ratio = "-"
            if jupyter:
                peer_seconds, _, _ = timed([jupyter, "nbconvert", "--to", "script", str(notebook),
                                            "--output-dir", str(work / "peer")], work)
                peer, ratio = f"{peer_seconds:.1f}", f"{seconds / peer_seconds:.1f}x"
            status = "" if code == 0 else f"  (exit {code})"
            print(f"{size:>7} {seconds:>10.1f} {peak:>6} {per_k:>11.2f} {per_k / base:>11.2f}x "
                  f"{peer:>12} {ratio:>6}{status}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
