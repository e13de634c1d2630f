"""``nb2prod check --fix`` / ``--diff``: apply (or show) the provably safe fixes, file by file.

Each file is planned from its own text, the fixed text is parsed again before anything is
written (a fix that does not give a valid notebook is dropped with an error), and the file is
replaced in one rename. A notebook with nothing to fix is not touched.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from nb2prod.errors import UsageError
from nb2prod.notebook.load import NotebookReadError, parse_notebook, read_text


@dataclass(frozen=True)
class FixResult:
    path: str
    changes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()
    diff: str = ""
    error: str = ""
    needs_run: bool = False  # the saved outputs and counts no longer describe a top-down run


def parse_categories(value: str) -> tuple[str, ...]:
    from nb2prod.fix.plan import CATEGORIES

    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [c for c in chosen if c not in CATEGORIES]
    if unknown or not chosen:
        raise UsageError(f"--fixes {value!r}: choose from {', '.join(CATEGORIES)}")
    return chosen


def fix_file(path: str, categories: tuple[str, ...], write: bool) -> FixResult:
    """Plan, apply and (when ``write``) save the fixes of one file; never raises for one file's
    problem, so a batch goes on."""
    from nb2prod.errors import Nb2prodError
    from nb2prod.fix.plan import plan_fixes

    try:
        original = Path(path).read_bytes() if Path(path).is_file() else b""
        text = read_text(path)
        notebook = parse_notebook(text, path)
        plan = plan_fixes(notebook, categories)
        if not plan.changed:
            return FixResult(path, refusals=plan.refusals)
        refusal = _unfixable(path) if write else ""  # a preview of a read-only file is fine
        if refusal:
            return FixResult(path, refusals=(f"not fixed: {refusal}",))
        fixed = _fixed_text(text, notebook, plan)
        if original.startswith(_BOM):
            fixed = "\ufeff" + fixed
        diff = "".join(_shortened(line) for line in difflib.unified_diff(
            text.splitlines(keepends=True), fixed.lstrip("\ufeff").splitlines(keepends=True),
            path, path))
        if write:
            _save(path, original, fixed)
    except _NotFixed as exc:
        return FixResult(path, refusals=(f"not fixed: {exc}",))
    except NotebookReadError as exc:
        # --fix: the check that follows reports it, once; --diff has no check after it
        return FixResult(path) if write else FixResult(path, error=str(exc))
    except Nb2prodError as exc:
        return FixResult(path, error=str(exc))
    ran = any(c.execution_count is not None or c.outputs for c in notebook.code_cells)
    return FixResult(path, plan.changes, plan.refusals, diff, needs_run=ran)


_BOM = b"\xef\xbb\xbf"
_LONGEST_DIFF_LINE = 200


def _shortened(line: str) -> str:
    """A diff line as shown: a cleared figure is one base64 line of tens of kilobytes."""
    if len(line) <= _LONGEST_DIFF_LINE:
        return line
    return f"{line[:120]}… ({len(line) - 120} more characters)\n"


class _NotFixed(ValueError):
    """A fix that would do more than the fix (reformat, detach hard links, lose an edit)."""


def _unfixable(path: str) -> str:
    status = os.stat(path)
    if status.st_nlink > 1:
        return "the file has other hard links, which a fix (a new file renamed into place) would detach"
    if not os.access(path, os.W_OK) or not status.st_mode & 0o222:
        return "the file is read-only"
    return ""


def _save(path: str, original: bytes, fixed: str) -> None:
    from nb2prod.write import replace_file_atomically

    if Path(path).read_bytes() != original:
        raise _NotFixed("the file changed while it was being fixed (saved from Jupyter?); "
                        "run again")
    replace_file_atomically(Path(path), fixed)


def _fixed_text(text: str, notebook, plan) -> str:
    from nb2prod.fix.apply import FormattingError, fixed_ipynb, fixed_percent

    try:
        if notebook.source_format == "percent":
            return fixed_percent(text, plan, [line for line, _ in notebook.file_lines])
        fixed = fixed_ipynb(text, plan)
    except FormattingError as exc:
        raise _NotFixed(str(exc)) from None
    parse_notebook(fixed, notebook.path)  # the result must load, or nothing is written
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
    if write and any(r.changes and r.needs_run for r in results):
        out.write("Next: restart the kernel, run all cells and save, so the outputs and execution "
                  "counts match the new order (no static fix can run the notebook).\n")
