"""``nb2prod check --fix`` / ``--diff``: apply (or show) the provably safe fixes, file by file.

Each file is planned from its own text, the fixed text is parsed again before anything is
written (a fix that does not give a valid notebook is dropped with an error), and the file is
replaced in one rename. A notebook with nothing to fix is not touched.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass

from nb2prod.errors import UsageError
from nb2prod.notebook import load_notebook
from nb2prod.notebook.load import NotebookReadError, loads_ipynb, read_text


@dataclass(frozen=True)
class FixResult:
    path: str
    changes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()
    diff: str = ""
    error: str = ""


def parse_categories(value: str) -> tuple[str, ...]:
    from nb2prod.fix.plan import CATEGORIES

    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [c for c in chosen if c not in CATEGORIES]
    if unknown or not chosen:
        raise UsageError(f"--fixes {value!r}: choose from {', '.join(CATEGORIES)}")
    return chosen


def fix_file(path: str, categories: tuple[str, ...], write: bool) -> FixResult:
    from nb2prod.fix.apply import FormattingError
    from nb2prod.fix.plan import plan_fixes

    try:
        text = read_text(path)
        notebook = load_notebook(path)
    except NotebookReadError as exc:
        return FixResult(path, error=str(exc))
    plan = plan_fixes(notebook, categories)
    if not plan.changed:
        return FixResult(path, refusals=plan.refusals)
    try:
        fixed = _fixed_text(text, notebook, plan)
    except (FormattingError, ValueError) as exc:
        return FixResult(path, refusals=(*plan.refusals, f"not fixed: {exc}"))
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True),
                                        fixed.splitlines(keepends=True), path, path))
    if write:
        from nb2prod.write import replace_file_atomically

        replace_file_atomically(path, fixed)
    return FixResult(path, plan.changes, plan.refusals, diff)


def _fixed_text(text: str, notebook, plan) -> str:
    from nb2prod.fix.apply import fixed_ipynb, fixed_percent
    from nb2prod.notebook.percent import _MARKER

    if notebook.source_format == "percent":
        markers = {n for n, line in enumerate(text.splitlines(), 1) if _MARKER.match(line)}
        fixed = fixed_percent(text, plan, [line for line, _ in notebook.file_lines], markers)
        from nb2prod.notebook.percent import parse_percent

        parse_percent(fixed)
    else:
        fixed = fixed_ipynb(text, plan)
        loads_ipynb(fixed, notebook.path)  # the result must load, or nothing is written
    return fixed


def report_fixes(results: list[FixResult], write: bool) -> None:
    """What was (or would be) fixed, on stderr so stdout keeps the findings' format."""
    out = sys.stdout if not write else sys.stderr
    for result in results:
        if result.error:
            sys.stderr.write(f"error: {result.error}\n")
        for change in result.changes:
            out.write(f"{result.path}: {'fixed' if write else 'would fix'}: {change}\n")
        for refusal in result.refusals:
            out.write(f"{result.path}: {refusal}\n")
        if not write and result.diff:
            out.write(result.diff)
    fixed = sum(1 for r in results if r.changes)
    if fixed:
        verb = "Fixed" if write else "Would fix"
        out.write(f"{verb} {fixed} {'notebook' if fixed == 1 else 'notebooks'}.\n")
