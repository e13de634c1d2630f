"""What redaction removes from real notebooks: every hit listed, so false positives are read.

    python benchmarks/bench_redact.py [ROOT ...]      (default: ../shared/corpus)

Runs the same redaction `convert` applies (code comments and strings, markdown, printed output)
over every notebook and prints each redacted value shortened to its first 6 characters, with its
kind and where it was. The budget: no UUIDs, git SHAs or content hashes among them.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from nb2prod.api import discover
from nb2prod.errors import NotebookReadError
from nb2prod.notebook import load_notebook
from nb2prod.redact import REDACTED, redact
from nb2prod.refactor.redaction import redact_code

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
_HEXISH = re.compile(r"^(?:[0-9a-fA-F]{7,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")


def _texts(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            yield cell.index, "markdown", cell.source, redact
        elif cell.cell_type == "code":
            yield cell.index, "code", cell.python, redact_code
            for output in cell.outputs:
                text = output.get("text")
                if output.get("output_type") == "stream" and text:
                    yield cell.index, "output", "".join(text) if isinstance(text, list) else str(text), redact


def _removed(before: str, after: str) -> list[str]:
    """The stretches of ``before`` that became <redacted> in ``after``."""
    pattern = "(.*?)".join(re.escape(part) for part in after.split(REDACTED))
    match = re.fullmatch(pattern, before, re.DOTALL)
    return [g for g in match.groups()] if match else ["?"]


def main(roots: list[str]) -> int:
    files = list(discover(roots or [str(DEFAULT_ROOT)]))
    hits, hashlike, start = [], 0, time.perf_counter()
    for file in files:
        try:
            notebook = load_notebook(file)
        except NotebookReadError:
            continue
        for cell, where, text, function in _texts(notebook):
            new, kinds = function(text)
            if not kinds:
                continue
            for kind, value in zip(kinds, _removed(text, new), strict=False):
                hashlike += bool(_HEXISH.match(value))
                hits.append(f"{Path(file).name}: cell {cell} {where}: {kind}: "
                            f"{value[:6]}… ({len(value)} chars)")
    elapsed = time.perf_counter() - start
    print("\n".join(hits))
    print(f"{len(files)} notebooks, {len(hits)} redactions, {hashlike} of them hex ids or UUIDs "
          f"(budget 0), {elapsed:.1f} s")
    return 0 if hashlike == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
