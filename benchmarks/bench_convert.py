"""`nb2prod convert --force` on every corpus notebook: does the project compile and pass pyflakes?

    python benchmarks/bench_convert.py [ROOT ...] [--limit N]      (default: ../shared/corpus)

Side by side, the peer most teams use today: `jupyter nbconvert --to script`, whose script is
checked the same way (compiles; pyflakes-clean). Also times a synthetic 300-cell notebook.
Failure reasons are grouped so the worst offenders show first.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def check_python(folder: Path) -> tuple[bool, str]:
    """(clean, first problem) for every .py file under ``folder``."""
    files = [str(p) for p in folder.rglob("*.py")]
    if not files:
        return False, "no Python file"
    for file in files:
        try:
            compile(Path(file).read_text(encoding="utf-8"), file, "exec")
        except SyntaxError as exc:
            return False, f"does not compile: {exc.msg}"
    flakes = subprocess.run([sys.executable, "-m", "pyflakes", *files], capture_output=True, text=True)
    if flakes.returncode != 0:
        first = (flakes.stdout or flakes.stderr).strip().splitlines()[0]
        return False, "pyflakes: " + first.split(": ", 1)[-1].split("'")[0].strip()
    return True, ""


def nb2prod_one(notebook: Path, out: Path) -> tuple[bool, str, float]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(notebook), "-o", str(out),
                             "--force"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        return False, "convert failed: " + (result.stderr.strip().splitlines() or ["?"])[-1][:80], seconds
    clean, reason = check_python(out / "src")
    return clean, reason, seconds


def nbconvert_one(notebook: Path, out: Path) -> tuple[bool, str]:
    result = subprocess.run(["jupyter", "nbconvert", "--to", "script", str(notebook), "--output-dir",
                             str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        return False, "nbconvert failed"
    return check_python(out)


def synthetic(folder: Path, cells: int = 300) -> Path:
    source = [{"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [],
               "source": f"v{i} = v{i - 1} + {i}\nprint(v{i})" if i else "v0 = 0"} for i in range(cells)]
    for i in range(0, cells, 30):
        source.insert(i, {"cell_type": "markdown", "metadata": {}, "source": f"## Part {i}"})
    path = folder / "big.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": source}))
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(DEFAULT_ROOT)])
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    notebooks = sorted(p for root in args.roots for p in Path(root).rglob("*.ipynb"))
    notebooks = notebooks[: args.limit] if args.limit else notebooks
    peer = shutil.which("jupyter") is not None
    ours_ok = peer_ok = 0
    reasons, peer_reasons = collections.Counter(), collections.Counter()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, notebook in enumerate(notebooks):
            clean, reason, seconds = nb2prod_one(notebook, Path(tmp) / f"p{n}")
            ours_ok += clean
            times.append(seconds)
            reasons[reason] += not clean
            if peer:
                clean, reason = nbconvert_one(notebook, Path(tmp) / f"s{n}")
                peer_ok += clean
                peer_reasons[reason] += not clean
        big = synthetic(Path(tmp))
        _, _, big_seconds = nb2prod_one(big, Path(tmp) / "big")
    total = len(notebooks)
    print(f"{total} notebooks")
    print(f"nb2prod convert --force: compiles and pyflakes-clean {ours_ok}/{total} = "
          f"{ours_ok / total:.3f}")
    if peer:
        print(f"nbconvert --to script:   compiles and pyflakes-clean {peer_ok}/{total} = "
              f"{peer_ok / total:.3f}")
        print(f"ratio nb2prod/nbconvert: {ours_ok / max(peer_ok, 1):.2f}")
    times.sort()
    print(f"convert time per notebook: median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s; "
          f"300-cell notebook {big_seconds:.2f} s")
    print("nb2prod failure reasons:")
    for reason, count in reasons.most_common(12):
        if count:
            print(f"  {count:4}  {reason}")
    if peer:
        print("nbconvert failure reasons:")
        for reason, count in peer_reasons.most_common(5):
            if count:
                print(f"  {count:4}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
