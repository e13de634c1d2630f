"""Convert each runnable notebook and `nb2prod verify` it: how many agree value by value?

    python benchmarks/bench_verify.py [RUNNABLE_REPO ...]     (default: every repo in ../shared/runnable)

Each repo folder holds runnable.txt and tree/ (see ../shared/runnable/README.md). Prints, per
notebook, the verdict and the rows that are not equal, then the totals.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "runnable"


def verify_one(tree: Path, relative: str) -> tuple[str, list[dict], str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        shutil.copytree((tree / relative).parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        notebook = work / Path(relative).name
        project = Path(tmp) / "project"
        converted = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(notebook), "-o",
                                    str(project)], capture_output=True, text=True)
        if converted.returncode != 0:
            return "not converted", [], converted.stderr.strip()[-200:]
        result = subprocess.run([sys.executable, "-m", "nb2prod", "verify", str(notebook), str(project),
                                 "--format", "json", "--timeout", "600"], capture_output=True, text=True)
        if result.returncode not in (0, 1) or not result.stdout.strip():
            return "error", [], result.stderr.strip()[-200:]
        rows = json.loads(result.stdout)
        return ("same" if result.returncode == 0 else "different"), rows, ""


def main() -> int:
    repos = [Path(p) for p in sys.argv[1:]] or sorted(p for p in DEFAULT.iterdir() if p.is_dir())
    totals: dict[str, int] = {}
    nondeterministic = 0
    start = time.perf_counter()
    for repo in repos:
        for relative in (repo / "runnable.txt").read_text().split():
            verdict, rows, error = verify_one(repo / "tree", relative)
            totals[verdict] = totals.get(verdict, 0) + 1
            shaky = [r for r in rows if r["status"] == "non-deterministic"]
            nondeterministic += bool(shaky)
            print(f"{verdict:<14} {repo.name}/{relative} {error}")
            for row in rows:
                if row["status"] not in {"equal"}:
                    print(f"    {row['step']}.{row['name']}: {row['status']} {row['detail'][:100]}")
    print(f"totals: {totals}; notebooks with non-deterministic values marked: {nondeterministic}; "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
