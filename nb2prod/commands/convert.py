"""``nb2prod convert``: a packaged, tested project from a notebook."""

from __future__ import annotations

import datetime as _dt
import json
import keyword
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from nb2prod.config import Settings
from nb2prod.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from nb2prod.notebook import Notebook, load_notebook

REFUSE_CODES = frozenset({"NB001", "NB201", "NB202"})
SHADOWED = frozenset(sys.stdlib_module_names) | {"pandas", "numpy", "sklearn", "scipy", "matplotlib",
                                                  "seaborn", "torch", "tensorflow", "typer", "pytest"}


@dataclass(frozen=True)
class ConvertOptions:
    notebook: Path
    output: Path | None
    template: str = "default"
    force: bool = False
    dry_run: bool = False
    name: str | None = None
    lock: bool = False
    output_format: str = "text"
    verify: bool = False
    overwrite: bool = False
    # several notebooks, or a folder of them: one project (nb2prod/commands/convert_project.py)
    notebooks: tuple[Path, ...] = ()
    recursive: bool = False


MAX_CHANGES_SHOWN = 25


def run_convert(options: ConvertOptions) -> int:
    from nb2prod.heap import survivors_frozen

    with survivors_frozen():
        return _run_convert(options)


def _run_convert(options: ConvertOptions) -> int:
    from nb2prod.ownership import check_output_location
    from nb2prod.write import locked_folder

    if options.output is None and not options.dry_run:
        raise UsageError("where should the project go? pass -o/--output DIR (or --dry-run)")
    if len(options.notebooks) > 1 or options.notebook.is_dir():
        from nb2prod.commands.convert_project import run_convert_project

        return run_convert_project(options)
    if options.dry_run:
        return _convert(_with_cells(load_notebook(options.notebook), options.notebook), options)
    folder = check_output_location(options.output, [options.notebook])
    notebook = _with_cells(load_notebook(options.notebook), options.notebook)
    # held from planning to the last rename: of two converts into one folder, exactly one wins
    with locked_folder(folder):
        return _convert(notebook, options, folder)


def _with_cells(notebook: Notebook, path: Path) -> Notebook:
    """The notebook, when it has cells. One of prose only (a README.ipynb) still converts, to a
    project of no steps that runs, with a warning: converting every notebook of a repository
    must not stop at it."""
    if not notebook.cells:
        raise UsageError(f"{path}: nothing to convert: the notebook has no cells")
    return notebook


def _convert(notebook: Notebook, options: ConvertOptions, folder: Path | None = None) -> int:
    blocking = _blocking_findings(notebook)
    if blocking and not options.force:
        return _refuse(options.notebook, blocking)
    plan, redactions = _plan(notebook, options, blocking)
    if folder is None:
        _print_plan(plan, options.output_format)
        return EXIT_OK
    return write_plan(plan, redactions, [notebook], options, folder)


def _blocking_findings(notebook: Notebook):
    from nb2prod.api import check_notebook
    from nb2prod.rules import ALL_RULES

    return check_notebook(notebook, Settings(frozenset(ALL_RULES) & REFUSE_CODES))


def _notes(notebook: Notebook):
    """NB101, when the notebook's cells ran out of order, and NB401, the cells whose saved output
    is an error: notes, not reasons to refuse (a top-down run may agree, the error be stale)."""
    from nb2prod.api import check_notebook

    found = tuple(check_notebook(notebook, Settings(frozenset({"NB101", "NB401"}))))
    return (next((f for f in found if f.code == "NB101"), None),
            tuple(f for f in found if f.code == "NB401"))


def _refuse(path: Path, findings) -> int:
    from nb2prod.report import render_text

    sys.stdout.write(render_text(findings, None) + "\n")
    sys.stderr.write(f"error: {path}: not converted: {len(findings)} problem(s) above would break "
                     "a top-down run; fix them, or use --force to convert anyway (TODOs and every change "
                     "listed in the project's README)\n")
    return EXIT_FINDINGS


def _plan(notebook: Notebook, options: ConvertOptions, flagged):
    from nb2prod.pin.environment import evidence_environment
    from nb2prod.refactor.planner import PlanOptions, build_plan
    from nb2prod.refactor.redaction import redact_plan

    output_name = options.output.expanduser().resolve().name if options.output else ""
    project = project_name(options.name or output_name or Path(notebook.path).stem)
    out_of_order, saved_errors = _notes(notebook)
    plan = build_plan(notebook, PlanOptions(
        project=project, package=package_name(project), force=options.force,
        flagged=tuple(f for f in flagged if f.code != "NB001"),
        out_of_order=out_of_order, saved_errors=saved_errors,
        environment=evidence_environment([notebook]), date=_date(),
    ))
    return redact_plan(plan)


def write_plan(plan, redactions, notebooks: list[Notebook], options: ConvertOptions,
               folder: Path, source_folder: Path | None = None) -> int:
    """Render the plan and write the project; the notebooks' data files are read from
    ``source_folder`` (the notebook's own folder when there is one notebook)."""
    from nb2prod import __version__
    from nb2prod.refactor.redaction import sweep_files
    from nb2prod.render.manifest import resolve_template
    from nb2prod.render.project import data_layout, render_project
    from nb2prod.write import write_project

    template = resolve_template(options.template)
    _, placed, _ = data_layout(plan)
    source_folder = source_folder or Path(notebooks[0].path).resolve().parent
    data = {(target + ".keep" if source.endswith("/") else target):
            (b"" if source.endswith("/") else (source_folder / source).read_bytes())
            for source, target in placed}
    modules = {f.target: (source_folder / f.source).read_bytes() for f in plan.module_files}
    files = render_project(plan, template, data, modules)
    # the plan travels with the project: `nb2prod verify` reads which cells make which step
    files[".nb2prod/plan.json"] = json.dumps({**plan.as_dict(), "template": template.name},
                                             indent=2, sort_keys=True) + "\n"
    if options.lock and "requirements.in" in files:
        files["requirements.txt"] = _lock(str(files["requirements.in"]), notebooks)
    files, swept = sweep_files(files)
    decision = write_project(folder, files, options.overwrite, f"nb2prod {__version__} convert")
    _print_summary(plan, options.output, len(files), decision, (*redactions, *swept))
    if template.saves_values:
        for value in plan.unsavable:
            sys.stdout.write(f"warning: step {value.step} returns '{value.value}', {value.kind}: "
                             f"the {template.name} template saves values between steps and "
                             f"cannot save it; {value.fix} (README.md lists it)\n")
    if options.verify:
        from nb2prod.commands.verify import VerifyOptions, run_verify

        target = Path(notebooks[0].path) if len(notebooks) == 1 else source_folder
        return run_verify(VerifyOptions(target, options.output))
    return EXIT_OK


def _lock(requirements_in: str, notebooks: list[Notebook]) -> str:
    """The lock, made as ``pin`` makes it: on the notebooks' Python, as of when they last ran."""
    from nb2prod.commands.pin import notebook_run_date
    from nb2prod.pin.lock import LockOptions, ResolutionError, compile_lock, lock_interpreter

    versions = [n.python_version for n in notebooks if n.python_version]
    newest = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")[:2] if p.isdigit()),
                 default=None)
    python, note = lock_interpreter(newest)
    if python is None:
        sys.stderr.write(f"warning: {note}; the project has requirements.in only\n")
        return f"# {note}; lock requirements.in with pip-compile on that Python\n"
    try:
        as_of = notebook_run_date(notebooks)
        return compile_lock(requirements_in, LockOptions(
            python=python, uploaded_prior_to=as_of.iso if as_of else None))
    except ResolutionError as exc:
        sys.stderr.write(f"warning: {exc}; the project has requirements.in only\n")
        return "# pip-compile could not lock requirements.in here; run `pip-compile requirements.in`\n"


def project_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return name or "notebook-project"


def package_name(project: str) -> str:
    name = re.sub(r"\W+", "_", project).strip("_").lower() or "notebook"
    if name[0].isdigit():
        name = f"nb_{name}"
    if keyword.iskeyword(name) or name in SHADOWED:
        name = f"{name}_pipeline"
    return name


def _date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (_dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch and epoch.isdigit()
              else _dt.datetime.now(_dt.timezone.utc))
    return moment.date().isoformat()


def _print_plan(plan, output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps(plan.as_dict(), indent=2) + "\n")
        return
    out = [f"project {plan.project} (package {plan.package}) from {plan.notebook}", "steps:"]
    for step in plan.steps:
        module = f"{step.module}." if step.module else ""
        out.append(f"  {module}{step.name}({', '.join(('config', *step.inputs))}) -> "
                   f"{', '.join(step.outputs) or 'nothing'}   cells {', '.join(map(str, step.cells))}")
    for part in plan.parts:
        if not part.steps and part.definitions:
            names = [d.split("(")[0].split(":")[0].split()[-1] for d in part.definitions]
            out.append(f"shared helpers in {part.module}.py: {', '.join(names)}")
    out.append("config fields:")
    out += [f"  {f.name}: {f.type} = {f.value}   ({f.source}, "
            f"{f.notebook + ', ' if f.notebook else ''}cell {f.cell})" for f in plan.config]
    out.append("dependencies:")
    out += [f"  {d.requirement}   ({d.evidence})" for d in plan.dependencies]
    if plan.changes:
        out.append("changes to the notebook's code:")
        out += [f"  {where(c)}{c.what} ({c.why})" for c in plan.changes]
    out += [f"warning: {where(w)}{w.message}" for w in plan.warnings]
    sys.stdout.write("\n".join(out) + "\n")


def _print_summary(plan, output: Path, count: int, decision, redactions) -> None:
    for warning in plan.warnings:
        sys.stdout.write(f"warning: {where(warning)}{warning.message}\n")
    if plan.missing_inputs:
        reader, place = (("the notebooks read", "there") if plan.parts
                         else ("the notebook reads", "beside it"))
        sys.stdout.write(f"warning: {_count(len(plan.missing_inputs), 'input file')} {reader} "
                         f"{'is' if len(plan.missing_inputs) == 1 else 'are'} not {place}: "
                         f"{', '.join(plan.missing_inputs)}; the generated tests skip until you "
                         "provide them (README.md, 'Input files to provide')\n")
    if plan.local_modules:
        sys.stdout.write(f"warning: no dependency provides {', '.join(plan.local_modules)}, which "
                         "the pipeline imports; the generated tests skip until you provide "
                         f"{'it' if len(plan.local_modules) == 1 else 'them'} (README.md, "
                         "'Modules to provide')\n")
    _print_changes(plan.changes)
    if redactions:
        places = sorted({r.describe() for r in redactions})
        sys.stdout.write(f"redacted {len(redactions)} secret(s), never copied into the project: "
                         f"{'; '.join(places)}\n")
    if decision.replace or decision.delete:
        sys.stdout.write(f"replaced {len(decision.replace)} file(s) nb2prod wrote before; removed "
                         f"{len(decision.delete)} it no longer generates\n")
    for path in decision.kept:
        sys.stdout.write(f"kept {output / path}: nb2prod no longer generates it, but it was edited\n")
    sys.stdout.write(f"wrote {output} ({_count(count, 'file')}): {_count(len(plan.steps), 'step')}, "
                     f"{_count(len(plan.config), 'config field')}, {_count(len(plan.warnings), 'note')}; "
                     f"see {output / 'README.md'}\n")


def _print_changes(changes) -> None:
    """Every change to the notebook's code, up to a screenful; README.md lists them all."""
    if not changes:
        return
    sys.stdout.write(f"changed the notebook's code in {_count(len(changes), 'place')} (README.md, "
                     "'What nb2prod changed'):\n")
    for change in changes[:MAX_CHANGES_SHOWN]:
        sys.stdout.write(f"  {where(change)}{change.what} ({change.why})\n")
    if len(changes) > MAX_CHANGES_SHOWN:
        sys.stdout.write(f"  ... and {len(changes) - MAX_CHANGES_SHOWN} more in README.md\n")


def where(item) -> str:
    """``cell 3, line 2: `` (and the notebook's name, in a project made from several); nothing
    for a note about the whole notebook or project (cell 0, line 1 with no cell of its own)."""
    if item.cell < 0:
        return f"{item.notebook}: " if item.notebook else ""
    place = f"cell {item.cell}, line {item.line}: "
    return f"{item.notebook}: {place}" if item.notebook else place


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
