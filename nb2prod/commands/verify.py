"""``nb2prod verify``: run the notebook and its generated project, and compare them value by value."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from nb2prod.verify.compare import (
    DIFFERS,
    EQUAL,
    MISSING,
    NONDETERMINISTIC,
    NOT_COMPARABLE,
    Comparison,
    Tolerance,
    compare,
)

PLAN_FILE = Path(".nb2prod") / "plan.json"
NOT_PICKLABLE = "<nb2prod: not picklable"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


@dataclass(frozen=True)
class VerifyOptions:
    notebook: Path
    project: Path
    python: str | None = None
    cell_timeout: int = 600
    timeout: int = 3600
    tolerance: Tolerance = field(default_factory=Tolerance)
    runs: int = 2
    output_format: str = "text"


@dataclass(frozen=True)
class Row:
    step: str
    name: str
    status: str
    detail: str = ""


def run_verify(options: VerifyOptions) -> int:
    from nb2prod.verify.execute import run_notebook, run_project

    if options.output_format not in {"text", "json"}:
        raise UsageError(f"unknown --format {options.output_format!r} (choose text or json)")
    if options.notebook.is_dir():
        return _verify_folder(options)
    if not options.notebook.is_file():
        raise UsageError(f"{options.notebook}: no such notebook file")
    plan = read_plan(options.project)
    from nb2prod.notebook import load_notebook

    notebook = load_notebook(options.notebook)  # unreadable input: one line, before anything runs
    _check_provenance(options.notebook, options.project, plan)
    _warn_absolute_paths(notebook)
    python = options.python or sys.executable
    steps = plan["steps"]
    notebook_runs = [run_notebook(options.notebook.resolve(), steps, python, options.cell_timeout,
                                  options.timeout) for _ in range(max(options.runs, 1))]
    project_run = run_project(options.notebook.resolve().parent, options.project.resolve(),
                              plan["package"], python, options.timeout)
    return _report(plan, steps, notebook_runs, project_run, options)


def _verify_folder(options: VerifyOptions) -> int:
    """A project made from a folder of notebooks: run them in the project's order in one shared
    working copy of the folder, and the project in another."""
    from nb2prod.notebook import load_notebook
    from nb2prod.verify.execute import run_notebooks, run_project

    plan = read_plan(options.project)
    folder = options.notebook.resolve()
    graph = _notebook_graph(plan, options.project, folder)
    parts = {part.get("module"): part for part in plan.get("parts", []) if isinstance(part, dict)}
    notebooks = []
    for relative, module, _ in graph:
        path = folder / relative
        if not path.is_file():
            raise UsageError(f"{options.notebook}: has no {relative}, which {options.project} "
                             "was converted from; pass the folder the project was made from")
        _warn_absolute_paths(load_notebook(path))
        _check_provenance(path, options.project, parts.get(module, {}))
        notebooks.append((relative, [s for s in plan["steps"] if s.get("module") == module]))
    python = options.python or sys.executable
    notebook_runs = [run_notebooks(folder, notebooks, python, options.cell_timeout,
                                   options.timeout) for _ in range(max(options.runs, 1))]
    project_run = run_project(folder, options.project.resolve(), plan["package"], python,
                              options.timeout)
    return _report(plan, plan["steps"], notebook_runs, project_run, options)


def _notebook_graph(plan: dict, project: Path, folder: Path) -> list:
    """The plan's notebooks, checked: the plan is input too, and its paths decide what runs
    where (each must be a notebook inside the folder, named relative to it)."""
    graph = plan.get("notebook_graph") or []
    if not graph:
        raise UsageError(f"{project} was converted from one notebook ({plan.get('notebook')}); "
                         "pass that notebook, not a folder")
    damaged = UsageError(f"{project / PLAN_FILE}: not a conversion plan nb2prod wrote (damaged or "
                         "edited); convert the notebooks again")
    if not isinstance(graph, list) or not isinstance(plan.get("parts", []), list):
        raise damaged
    for entry in graph:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                and isinstance(entry[1], str) and entry[1].isidentifier()
                and isinstance(entry[2], list)):
            raise damaged
        relative = entry[0]
        if relative.startswith(("/", "\\")) or ".." in relative.replace("\\", "/").split("/") \
                or ":" in relative or "\0" in relative \
                or not (folder / relative).resolve().is_relative_to(folder):
            raise damaged
    return graph


def _report(plan: dict, steps: list[dict], notebook_runs, project_run,
            options: VerifyOptions) -> int:
    figures = next((f["value"].strip("'\"") for f in plan.get("config", [])
                    if f["name"] == "figures_dir"), "figures")
    rows = compare_runs(steps, notebook_runs, project_run, options.tolerance, figures)
    _print(rows, options.output_format)
    failures = [run.failure for run in (notebook_runs[0], project_run) if run.failure]
    for failure in failures:  # what was compared is above; this is why the rest was not
        sys.stderr.write(f"error: {failure}; the values captured before it were compared\n")
    bad = any(r.status in {DIFFERS, MISSING} for r in rows)
    return EXIT_FINDINGS if bad or failures else EXIT_OK


def _check_provenance(notebook: Path, project: Path, plan: dict) -> None:
    """A project converted from another notebook cannot agree with this one: say so up front."""
    from nb2prod.ownership import sha256

    recorded, digest = plan.get("notebook"), plan.get("notebook_sha256")
    if recorded and recorded != notebook.name:
        raise UsageError(f"{project}: was converted from {recorded}, not {notebook.name}; pass that "
                         "notebook, or convert this one")
    try:
        current = sha256(notebook.read_bytes())
    except OSError as exc:
        raise UsageError(f"{notebook}: unreadable ({exc.strerror or exc})") from None
    if digest and digest != current:
        sys.stderr.write(f"warning: {notebook} changed since {project} was converted from it; "
                         "differences may come from the edit, not the conversion\n")


def _warn_absolute_paths(notebook) -> None:
    """Writes to absolute paths land outside the throwaway copy: say so before running anything."""
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings

    findings = check_notebook(notebook, Settings(frozenset({"NB302"})))
    if findings:
        places = ", ".join(f"cell {f.cell} line {f.line}" for f in findings[:5])
        sys.stderr.write(f"warning: {notebook.path}: uses absolute paths ({places}); verify runs in a "
                         "temporary copy of its folder, but files written there are not isolated\n")


def read_plan(project: Path) -> dict:
    path = project / PLAN_FILE
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{project}: not a project made by `nb2prod convert` (no {PLAN_FILE})") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"{path}: unreadable ({exc})") from None
    if not _well_formed(plan):
        raise UsageError(f"{path}: not a conversion plan nb2prod wrote (damaged or edited); convert "
                         "the notebook again")
    return plan


def _well_formed(plan: object) -> bool:
    if not (isinstance(plan, dict) and isinstance(plan.get("package"), str)
            and isinstance(plan.get("steps"), list) and isinstance(plan.get("config", []), list)):
        return False
    return all(isinstance(step, dict) and isinstance(step.get("name"), str)
               and isinstance(step.get("cells"), list) and step["cells"]
               and all(isinstance(c, int) and not isinstance(c, bool) for c in step["cells"])
               and isinstance(step.get("outputs"), list)
               and all(isinstance(o, str) for o in step["outputs"]) for step in plan["steps"])


def compare_runs(steps: list[dict], notebook_runs, project_run, tolerance: Tolerance,
                 figures_dir: str = "figures") -> list[Row]:
    rows = []
    for step in steps:
        reference = notebook_runs[0].values.get(step["name"], {})
        produced = project_run.values.get(step["name"], {})
        for name in step["outputs"]:
            status = _status(name, reference, produced, notebook_runs[1:], step["name"], tolerance)
            rows.append(Row(step["name"], name, *_after_failure(
                status, name, reference, produced, notebook_runs[0], project_run)))
    if project_run.engine:  # engines log, and run independent steps at once
        rows.append(Row("(all)", "stdout", NOT_COMPARABLE,
                        f"not compared: the steps ran on {project_run.engine}, whose logs and "
                        "parallel steps change what is printed, and in which order"))
    elif notebook_runs[0].failure:
        rows.append(Row("(all)", "stdout", NOT_COMPARABLE,
                        "not compared: the notebook stopped before its end"))
    elif notebook_runs[0].unmatched_stdout:
        rows.append(Row("(all)", "stdout", NOT_COMPARABLE, f"not compared: "
                        f"{notebook_runs[0].unmatched_stdout}, which the project does not print"))
    else:
        same = _normalize(notebook_runs[0].stdout) == _normalize(project_run.stdout)
        rows.append(Row("(all)", "stdout", EQUAL if same else DIFFERS, "" if same else
                        _first_difference(notebook_runs[0].stdout, project_run.stdout)))
    return rows + _file_rows(notebook_runs, project_run, figures_dir)


def _after_failure(status: tuple[str, str], name: str, reference: dict, produced: dict,
                   notebook_run, project_run) -> tuple[str, str]:
    """A value a run never reached because it stopped early: the notebook's failure leaves it
    not comparable (there is nothing to compare with), the project's makes it missing."""
    if name not in reference and notebook_run.failure:
        return NOT_COMPARABLE, "not compared: the notebook stopped before this step"
    if name not in produced and project_run.failure:
        return MISSING, "the project stopped before this step"
    return status


def _file_rows(notebook_runs, project_run, figures_dir: str) -> list[Row]:
    """Files each run wrote. The project's saved figures (plt.show() in the notebook) are its own."""
    reference, produced = notebook_runs[0].files, project_run.files
    rows = []
    for path in sorted(set(reference) | set(produced)):
        if path not in reference and path.startswith(f"{figures_dir.rstrip('/')}/"):
            continue
        if path not in produced:
            rows.append(Row("(files)", path, MISSING, "the notebook wrote it; the project did not"))
        elif path not in reference:
            rows.append(Row("(files)", path, DIFFERS, "the project wrote it; the notebook did not"))
        elif reference[path] == produced[path]:
            rows.append(Row("(files)", path, EQUAL))
        elif any(run.files.get(path) != reference[path] for run in notebook_runs[1:]):
            rows.append(Row("(files)", path, NONDETERMINISTIC, "differs between two notebook runs"))
        elif project_run.engine and path.endswith(_PICKLED):
            # the value was saved and read back between the engine's steps: pickle writes the
            # same value in other bytes (its memo, array layout), so its file cannot match
            rows.append(Row("(files)", path, NOT_COMPARABLE, "pickled after the value crossed "
                            f"a process boundary on {project_run.engine}; the value itself is "
                            "compared in its step's row"))
        else:
            rows.append(Row("(files)", path, DIFFERS, "contents differ"))
    return rows


_PICKLED = (".pkl", ".pickle", ".joblib", ".sav")


def _status(name, reference, produced, other_runs, step, tolerance) -> tuple[str, str]:
    if name not in reference:
        return MISSING, "the notebook run has no such value at this point"
    if name not in produced:
        return MISSING, "the project's step did not return it (or it is not picklable)"
    unpicklable = [side for side, value in (("notebook", reference[name]), ("project", produced[name]))
                   if isinstance(value, str) and value.startswith(NOT_PICKLABLE)]
    if unpicklable:
        return NOT_COMPARABLE, f"cannot be captured from the {' and '.join(unpicklable)} run (not picklable)"
    result: Comparison = compare(reference[name], produced[name], tolerance)
    if result.status != EQUAL:
        for run in other_runs:  # the notebook disagrees with itself: randomness, not conversion
            again = compare(reference[name], run.values.get(step, {}).get(name), tolerance)
            if again.status != EQUAL:
                return NONDETERMINISTIC, f"differs between two notebook runs ({again.detail})"
    return result.status, result.detail


def _normalize(text: str) -> list[str]:
    return [_ADDRESS.sub("0x…", line.rstrip()) for line in text.splitlines() if line.strip()]


def _first_difference(expected: str, actual: str) -> str:
    left, right = _normalize(expected), _normalize(actual)
    for number, (a, b) in enumerate(zip(left, right, strict=False), 1):
        if a != b:
            return f"line {number}: {a[:60]!r} vs {b[:60]!r}"
    return f"{len(left)} vs {len(right)} lines"


def _print(rows: list[Row], output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps([r.__dict__ for r in rows], indent=2) + "\n")
        return
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        _print_plain(rows)
        return
    table = Table("step", "name", "result", "detail")
    colour = {EQUAL: "green", DIFFERS: "red", MISSING: "red", NONDETERMINISTIC: "yellow"}
    for row in rows:
        style = colour.get(row.status, "")
        table.add_row(row.step, row.name, f"[{style}]{row.status}[/]" if style else row.status, row.detail)
    Console(width=120).print(table)
    _print_verdict(rows)


def _print_plain(rows: list[Row]) -> None:
    for row in rows:
        sys.stdout.write(f"{row.step:<28} {row.name:<20} {row.status:<18} {row.detail}\n")
    _print_verdict(rows)


def _print_verdict(rows: list[Row]) -> None:
    bad = [r for r in rows if r.status in {DIFFERS, MISSING}]
    shaky = [r for r in rows if r.status == NONDETERMINISTIC]
    equal = sum(1 for r in rows if r.status == EQUAL)
    verdict = "DIFFERENT" if bad else "SAME" if not any(
        r.detail.startswith("not compared: the notebook stopped") for r in rows) else "INCOMPLETE"
    sys.stdout.write(f"{verdict}: {equal} equal, {len(bad)} different, {len(shaky)} non-deterministic, "
                     f"{len(rows) - equal - len(bad) - len(shaky)} not comparable\n")
