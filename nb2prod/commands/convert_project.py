"""``nb2prod convert NOTEBOOK... | FOLDER``: one project from several notebooks.

Each notebook is planned as ``convert`` plans one; the notebook graph (from the files they hand
on) orders them; the plans merge into one project (``nb2prod/project/merge.py``) and are
written by the same writer as a single notebook's.
"""

from __future__ import annotations

import posixpath
import sys
from dataclasses import replace
from pathlib import Path

from nb2prod.commands.convert import (
    ConvertOptions,
    _blocking_findings,
    _plan,
    package_name,
    project_name,
    write_plan,
)
from nb2prod.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from nb2prod.notebook import Notebook, load_notebook
from nb2prod.project.discover import in_subfolders, module_names, project_notebooks
from nb2prod.project.exchange import file_exchange
from nb2prod.project.graph import NotebookGraph, notebook_graph
from nb2prod.render.project import per_module


def run_convert_project(options: ConvertOptions) -> int:
    from nb2prod.ownership import check_output_location
    from nb2prod.write import locked_folder

    arguments = list(options.notebooks or (options.notebook,))
    root, paths = project_notebooks(arguments, options.recursive)
    hidden = 0 if options.recursive else in_subfolders(arguments)
    if hidden:
        sys.stdout.write(f"note: {hidden} notebook{'s' if hidden > 1 else ''} in subfolders "
                         "left out; --recursive includes them\n")
    if len(paths) == 1:  # a folder with one notebook: that notebook's project
        from nb2prod.commands.convert import run_convert

        return run_convert(_one(options, paths[0]))
    template = _check_template(options.template)
    relatives = [p.relative_to(root).as_posix() for p in paths]
    notebooks = {rel: load_notebook(path) for rel, path in zip(relatives, paths, strict=True)}
    graph = notebook_graph({rel: file_exchange(nb) for rel, nb in notebooks.items()})
    blocking = {rel: _blocking_findings(nb) for rel, nb in notebooks.items()}
    refused = _refusals(graph, blocking, options.force)
    if refused:
        return refused
    project = project_name(options.name or (options.output.expanduser().resolve().name
                                            if options.output else "") or root.name)
    modules = module_names(list(graph.order), _template_modules(template, package_name(project)))
    if options.dry_run:
        return _dry_run(graph, notebooks, replace(options, name=project), root, modules,
                        blocking)
    folder = check_output_location(options.output, paths)
    with locked_folder(folder):
        plan, redactions = _project_plan(graph, notebooks, replace(options, name=project), root,
                                         modules, blocking)
        return write_plan(plan, redactions, list(notebooks.values()), options, folder, root)


def _one(options: ConvertOptions, path: Path) -> ConvertOptions:
    return replace(options, notebook=path, notebooks=())


def _check_template(name: str):
    from nb2prod.render.manifest import resolve_template
    from nb2prod.render.project import template_files

    template = resolve_template(name)
    if not any(per_module(relative) for relative, _, _ in template_files(template)):
        raise UsageError(f"template {template.name!r} makes a project from one notebook only (it "
                         "has no file named with {{ module }}); convert the notebooks one by one, "
                         "or use a template that has one, such as default")
    return template


def _template_modules(template, package: str) -> frozenset[str]:
    """The module names the template's own files take: a notebook's module never replaces one."""
    from nb2prod.render.project import template_files

    names = set()
    for relative, _, _ in template_files(template):
        if not per_module(relative):
            name = relative.rsplit("/", 1)[-1].replace("{{ package }}", package)
            names.add(name.removesuffix(".j2").removesuffix(".py"))
    return frozenset(names | {package})


def _refusals(graph: NotebookGraph, blocking: dict[str, tuple], force: bool) -> int:
    """Exit 1 with every reason the notebooks would not run as one project (unless --force);
    ``blocking``: each notebook's findings that break a top-down run."""
    from nb2prod.report import render_text

    if graph.cycle and not force:
        sys.stderr.write(f"error: not converted: the notebooks {', '.join(graph.cycle)} read "
                         f"files each other writes ({_cycle_files(graph)}), so no order runs them; "
                         "break the cycle, or use --force to run them in file-name order\n")
        return EXIT_FINDINGS
    broken = {rel: found for rel, found in blocking.items() if found}
    if broken and not force:
        for found in broken.values():
            sys.stdout.write(render_text(found, None) + "\n")
        sys.stderr.write(f"error: not converted: {', '.join(broken)} would break on a top-down "
                         "run (problems above); fix them, or use --force to convert anyway\n")
        return EXIT_FINDINGS
    return EXIT_OK


def _cycle_files(graph: NotebookGraph) -> str:
    return "; ".join(f"{h.reader} reads {h.path} from {h.writer}" for h in graph.handoffs
                     if h.reader in graph.cycle and h.writer in graph.cycle)


def _project_plan(graph: NotebookGraph, notebooks: dict[str, Notebook], options: ConvertOptions,
                  root: Path, modules: dict[str, str], blocking: dict[str, tuple]):
    """The project's plan (``options.name`` is the project's name), and what was redacted;
    ``blocking``: each notebook's findings that break a top-down run (TODOs under --force)."""
    from nb2prod.project.merge import Part, merge_plans
    from nb2prod.refactor.describe import data_files, probe

    project = options.name or root.name
    parts, redactions = [], []
    for relative in graph.order:
        plan, redacted = _plan(notebooks[relative], options, blocking[relative])
        parts.append(Part(relative, modules[relative], plan))
        redactions += [_in_notebook(r, relative) for r in redacted]
    if not any(p.plan.steps or p.plan.definitions for p in parts):
        raise UsageError(f"{root}: none of its notebooks has code to convert")
    plan = merge_plans(parts, graph, project, package_name(project), _title(root))
    # what a notebook read beside it, or in a sibling folder, is judged from the project's folder;
    # and each notebook's own folder is there (empty) for the files it writes beside it
    folders = sorted({posixpath.dirname(n) + "/" for n in graph.order if posixpath.dirname(n)})
    # the files no notebook writes are the project's inputs, however a notebook spelled them
    # (os.path.join(DATA, "raw.csv")): shipped when there, listed to provide when not
    inputs = {p for p in graph.inputs() if not p.startswith(("/", "~", "../"))}
    present = {path for path in inputs if probe(root / path, Path.is_file)}
    shipped = data_files(root, sorted({*(f.path for f in plan.data_files), *folders, *present}))
    missing = tuple(sorted({*plan.missing_inputs, *(inputs - present)}))
    return replace(plan, data_files=shipped, missing_inputs=missing), tuple(redactions)


def _in_notebook(redaction, relative: str):
    """A redaction's place names its notebook, in a project made from several."""
    return replace(redaction, where=f"{relative}, {redaction.where}")


def _title(root: Path) -> str:
    words = [w for w in root.name.replace("-", " ").replace("_", " ").split() if w]
    text = " ".join(words) or "Notebooks"
    return text[0].upper() + text[1:]


def _dry_run(graph: NotebookGraph, notebooks: dict[str, Notebook], options: ConvertOptions,
             root: Path, modules: dict[str, str], blocking: dict[str, tuple]) -> int:
    import json

    plan, _ = _project_plan(graph, notebooks, options, root, modules, blocking)
    if options.output_format == "json":
        sys.stdout.write(json.dumps(plan.as_dict(), indent=2) + "\n")
        return EXIT_OK
    sys.stdout.write(render_graph(graph, modules))
    from nb2prod.commands.convert import _print_plan

    _print_plan(plan, "text")
    return EXIT_OK


def render_graph(graph: NotebookGraph, modules: dict[str, str]) -> str:
    """The notebook graph as text: each notebook in run order, what it needs and hands on."""
    out = ["notebooks, in the order they run:"]
    for position, notebook in enumerate(graph.order, 1):
        out.append(f"  {position}. {notebook} -> module {modules[notebook]}")
        for handoff in graph.handoffs:
            if handoff.reader == notebook:
                out.append(f"       reads {handoff.path} (written by {handoff.writer})")
        for orphan in graph.orphans:
            if orphan.reader == notebook:
                out.append(f"       reads {orphan.path} (an input: no notebook writes it)")
    if graph.cycle:
        out.append(f"cycle: {', '.join(graph.cycle)} read each other's files ({_cycle_files(graph)})")
    return "\n".join(out) + "\n"
