"""Load every notebook of a corpus into the notebook model; report count, failures and time.

    python benchmarks/bench_load.py [ROOT ...]      (default: ../shared/corpus)

Unreadable files are counted with their one-line reason; any other exception is a crash (a bug).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from nb2prod.api import discover
from nb2prod.errors import NotebookReadError
from nb2prod.notebook import load_notebook

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def main(roots: list[str]) -> int:
    files = list(discover(roots or [str(DEFAULT_ROOT)]))
    loaded = cells = syntax_errors = 0
    unreadable: list[str] = []
    crashes: list[str] = []
    start = time.perf_counter()
    for file in files:
        try:
            notebook = load_notebook(file)
        except NotebookReadError as exc:
            unreadable.append(str(exc))
            continue
        except Exception as exc:
            crashes.append(f"{file}: {type(exc).__name__}: {exc}")
            continue
        loaded += 1
        cells += len(notebook.cells)
        syntax_errors += sum(1 for c in notebook.code_cells if c.syntax_error)
    seconds = time.perf_counter() - start
    print(f"notebooks: {len(files)}  loaded: {loaded}  unreadable: {len(unreadable)}  "
          f"crashes: {len(crashes)}")
    print(f"cells: {cells}  code cells that do not parse: {syntax_errors}")
    print(f"time: {seconds:.2f} s  ({1000 * seconds / max(len(files), 1):.1f} ms per notebook)")
    for line in unreadable + crashes:
        print("  " + line)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
