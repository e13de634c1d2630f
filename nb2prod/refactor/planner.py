"""Build the conversion plan of a notebook: what goes where in the generated project.

A straight line of passes, each a module with one public function and a frozen result:
collect (cells -> sorted code) -> hoist (module level) -> assemble (steps) -> imports -> local
modules -> nested imports (sorted as isort would) -> describe.
Every change a pass makes to user code is a :class:`~nb2prod.refactor.plan.Change` it returns.
Pure analysis: reads the notebook model, returns a :class:`ConversionPlan`; never writes or runs.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod import __version__
from nb2prod.findings import Finding
from nb2prod.notebook.model import Notebook
from nb2prod.notebook.printed import recorded_stdout
from nb2prod.pin.mapping import Environment, known_import
from nb2prod.refactor.assemble import assemble, quiet_star_reads
from nb2prod.refactor.collect import collect
from nb2prod.refactor.crossing import unsavable_values
from nb2prod.refactor.describe import describe
from nb2prod.refactor.external import external_writes
from nb2prod.refactor.graph import step_graph
from nb2prod.refactor.hoist import hoist
from nb2prod.refactor.import_blocks import nested_imports_sorted
from nb2prod.refactor.imports import (
    binding_names,
    bound_targets,
    imported_modules,
    names_in_formulas,
    names_read,
    organise,
    split_import,
    unused_imports,
)
from nb2prod.refactor.local_modules import LocalModules, local_modules
from nb2prod.refactor.locate import located, star_import_line, unused_import
from nb2prod.refactor.network import downloads
from nb2prod.refactor.path_flow import host_writes
from nb2prod.refactor.pieces import Collected, marked_import
from nb2prod.refactor.plan import Change, ConversionPlan, ConvertWarning


@dataclass(frozen=True)
class PlanOptions:
    project: str
    package: str
    force: bool = False
    flagged: tuple[Finding, ...] = ()  # NB201/NB202 findings, marked as TODOs under --force
    out_of_order: Finding | None = None  # NB101: the cells ran out of order (a note)
    saved_errors: tuple[Finding, ...] = ()  # NB401: cells whose saved output is an error (notes)
    environment: Environment = field(default_factory=Environment)
    date: str = ""


def build_plan(notebook: Notebook, options: PlanOptions) -> ConversionPlan:
    collected = hoist(collect(notebook, options.flagged))
    assembled = assemble(notebook, collected)
    config = (*assembled.required, *collected.config.values())  # required fields come first
    code = [*collected.definitions.values(), *(s.body for s in assembled.steps),
            *(f.value for f in config)]
    referenced = names_read(code)
    in_formulas = names_in_formulas(code) - referenced  # ("y ~ lspline(x, [2])")
    referenced |= in_formulas
    import_lines = [*collected.imports, *(f"import {m}" for m in sorted(collected.stdlib_needed))]
    imports = organise(import_lines, referenced, collected.import_comments)
    imported = imported_modules([*imports, *collected.definitions.values(),
                                  *(s.body for s in assembled.steps)])
    own = local_modules(Path(notebook.path).parent, imported, options.package)
    if own.files:  # isort's sections: the notebook's own modules are the project's, not third party
        imports = organise(import_lines, referenced, collected.import_comments,
                           {f.module for f in own.files})
        imported |= own.imports
    imports, formula_changes = _kept_for_formulas(imports, in_formulas, collected)
    imports, star_changes = _kept_stars_quieted(imports, collected)
    definitions, definition_changes = _definitions_quieted(collected, assembled.star_names)
    nested = nested_imports_sorted(dict(zip(collected.definitions, definitions, strict=True)),
                                   collected.definition_cells, assembled.steps, collected.cells,
                                   {f.module for f in own.files})
    about = describe(notebook, options.environment, collected.path_reads, own.sources)
    warnings = (*collected.warnings, *assembled.warnings, *_refused_module_warnings(own),
                *_import_clashes(collected, referenced))
    bounded = [d.distribution for d in about.dependencies if "a lower bound here" in d.evidence]
    if bounded:
        warnings += (ConvertWarning(-1, 0, f"the notebook ran on Python {notebook.python_version}; "
                                    f"the project needs {about.python_requires}, so the notebook's "
                                    f"pins of {', '.join(bounded)} are lower bounds in "
                                    "requirements.in (each says what it was)"),)
    if options.out_of_order is not None:
        finding = options.out_of_order
        warnings += (ConvertWarning(finding.cell, finding.line, f"the notebook ran out of order "
                                    f"({finding.message}); the project runs its cells top to "
                                    "bottom: `nb2prod verify` shows whether the values agree"),)
    warnings += tuple(ConvertWarning(f.cell, f.line, f"the notebook showed an error here when it "
                                     f"last ran ({f.message.removeprefix('saved error output: ')})"
                                     "; if the cell still raises, the project's run stops here "
                                     "and its tests fail: fix or remove it in the notebook")
                      for f in options.saved_errors)
    if about.environment_note and any(not d.version and d.imports for d in about.dependencies):
        warnings += (ConvertWarning(-1, 0, f"{about.environment_note}; dependencies without "
                                    "other version evidence are left unpinned"),)
    shipped = "\n".join([*collected.definitions.values(), *(s.body for s in assembled.steps),
                         *(f.value for f in config)])  # (a download that went as dead code is none)
    fetched = tuple(d for d in downloads(notebook) if (d.shown_by or d.host) in shipped)
    warnings += tuple(ConvertWarning(d.cell, d.line, f"{d.call} reads from {d.host} over the "
                                     "network; the generated tests run the pipeline only where "
                                     "it can be reached") for d in fetched)
    steps = step_graph(nested.steps, _bound_by(imports), frozenset(collected.definitions))
    stdout_note = _stdout_note(about, collected, notebook)
    changes = {*collected.changes, *assembled.changes, *formula_changes, *star_changes,
               *definition_changes, *nested.changes,
               *_unused_import_changes(collected, referenced, imports)}
    return ConversionPlan(
        project=options.project, package=options.package, title=about.title,
        description=about.description, notebook=Path(notebook.path).name,
        notebook_sha256=about.notebook_sha256, nb2prod_version=__version__, date=options.date,
        python_requires=about.python_requires, imports=imports,
        definitions=nested.definitions, config=config,
        steps=steps, secrets=collected.secrets, unsavable=unsavable_values(steps),
        dependencies=tuple(d for d in about.dependencies
                           if not d.imports or any(_top(i) in imported for i in d.imports)),
        data_files=about.data_files, missing_inputs=about.missing_inputs,
        expected_stdout=None if stdout_note else about.expected_stdout,
        stdout_note=stdout_note or about.stdout_note,
        warnings=tuple(sorted(warnings, key=lambda w: (w.cell, w.line, w.message))),
        changes=tuple(sorted(changes, key=lambda c: (c.cell, c.line, c.what))),
        local_modules=tuple(sorted({*_modules_to_provide(collected, about, imported),
                                    *(name for name, _ in own.refused)})),
        module_files=own.files,
        external_writes=(*external_writes(notebook), *host_writes(notebook, config),
                         *_module_writes(own, config)),
        downloads=fetched,
    )


def _import_clashes(collected: Collected, referenced: set[str]) -> tuple[ConvertWarning, ...]:
    """A name imported as different things in different cells (``import json as ser``, later
    ``import pickle as ser``), or imported and defined: the project binds it once, at the top
    of the module, so the cells that used one of them get the other. Not silently: each such
    name is a warning at the cells that bind it, until nb2prod keeps a version of each."""
    # name -> what it is bound to -> (first cell, how it reads)
    targets: dict[str, dict[tuple[str, str], tuple[int, str]]] = {}
    for cell, chunks in sorted(collected.bodies.items()):
        for chunk in chunks:
            line = marked_import(chunk)
            for single in split_import(line) if line and not line.endswith("*") else ():
                for name, target in bound_targets(single).items():
                    # (`IPython.display.HTML` and `IPython.core.display.HTML`: one object, which a
                    # package exports from two places; without running it, one name in one
                    # package is taken for one thing)
                    same = (target.split(".")[0], target.rsplit(".", 1)[-1])
                    targets.setdefault(name, {}).setdefault(same, (cell, f"`{single}`"))
    for name, cell in collected.definition_cells.items():
        if name in targets:
            targets[name].setdefault(("", ""), (cell, "a function or class"))
    warnings = []
    for name, bound in sorted(targets.items()):
        if len(bound) < 2 or name not in referenced:
            continue
        places = sorted(bound.values())
        things = ", ".join(f"{what} (cell {cell})" for cell, what in places)
        warnings.append(ConvertWarning(places[0][0], 1, f"`{name}` is bound to different things: "
                                       f"{things}; the project binds it once, at the top of the "
                                       "module, so some cells get another one than in the "
                                       "notebook: give each its own name in the notebook"))
    return tuple(warnings)


def _module_writes(own: LocalModules, config) -> tuple[str, ...]:
    """Writes outside the project in the notebook's own modules, which ship with it and run in
    its tests: each placed in its file, not a cell."""
    found: list[str] = []
    for source in own.sources:
        name = Path(source.path).name
        found += [write.replace("(cell 0, line", f"({name}, line")
                  for write in (*external_writes(source), *host_writes(source, config))]
    return tuple(found)


def _stdout_note(about, collected: Collected, notebook: Notebook) -> str:
    """Why no test compares the printed output with the notebook's, though the notebook's own
    output is a reference ('' when one does). A credential the code held may be in that output,
    under no format redaction knows: it is not copied into the tests. A cell whose code is left
    as a TODO printed what the pipeline cannot print."""
    if not about.expected_stdout:
        return ""
    if collected.secrets:
        return "the notebook's code held a credential, which its printed output may show"
    printed = {c.index for c in notebook.code_cells if recorded_stdout(c.outputs)}
    left_out = sorted({w.cell for w in collected.warnings if w.code_left_out} & printed)
    if left_out:
        cells = ", ".join(str(c) for c in left_out)
        return (f"cell{'s' if len(left_out) > 1 else ''} {cells} printed output through code "
                "left as a TODO, which the pipeline does not run")
    return ""


def _bound_by(imports: tuple[str, ...]) -> dict[str, str]:
    """Each name the module-level import block binds -> the top-level package it comes from."""
    return {name: _top(line.split()[1]) for name, line in _binders(imports).items()}


def _binders(imports: tuple[str, ...]) -> dict[str, str]:
    """Each name the module-level import block binds -> the import that binds it last (the
    block's lines include blanks and comments)."""
    return {name: line.strip() for line in imports
            if line.lstrip().startswith(("import ", "from ")) for name in binding_names(line)}


def _top(module: str) -> str:
    return module.lstrip(".").split(".")[0]


def _modules_to_provide(collected: Collected, about, imported: set[str]) -> tuple[str, ...]:
    """Modules the project imports that nothing installs: those a step imports after a sys.path
    change, and those pin could not map to a distribution. (An import stays in its step also
    when a later step binds its name again: `from sklearn import neighbors`, later
    `neighbors = 5`; scikit-learn still provides it.)"""
    inline = {top for line in collected.inline_imports
              if not known_import(top := _top(line.split()[1]))
              and top not in sys.stdlib_module_names}
    unresolved = {_top(name) for name in about.unresolved_imports}
    return tuple(sorted((inline | unresolved) & imported))


def _refused_module_warnings(own: LocalModules) -> tuple[ConvertWarning, ...]:
    return tuple(ConvertWarning(-1, 0, f"the notebook imports its own module {name!r}, which is not "
                                f"shipped: {why}; provide it (README.md, 'Modules to provide')")
                 for name, why in own.refused)


def _kept_for_formulas(imports: tuple[str, ...], names: set[str], collected: Collected
                       ) -> tuple[tuple[str, ...], list[Change]]:
    """Imports only a model formula uses (``lspline`` in ``"y ~ lspline(x, [2])"``) stay, with
    ``# noqa: F401`` (pyflakes does not read formulas), each listed where the notebook had it."""
    kept, changes = [], []
    for line in imports:
        used = sorted(binding_names(line) & names) if line and not line.startswith("#") else []
        if not used:
            kept.append(line)
            continue
        kept.append("\n".join(f"{part}  # noqa: F401" if "#" not in part and any(
            re.search(rf"\b{n}\b", part) for n in used) else part for part in line.split("\n")))
        cell, number = _import_place(collected, used[0])
        changes.append(Change(cell, number, f"`{line.splitlines()[0]}` got `# noqa: F401`",
                              f"`{used[0]}` is used inside a model formula string, which "
                              "pyflakes does not read"))
    return tuple(kept), changes


def _kept_stars_quieted(imports: tuple[str, ...], collected: Collected
                        ) -> tuple[tuple[str, ...], list[Change]]:
    """A star import that stays (its module's names are unknown here) gets ``# noqa: F403``,
    listed: it is what the notebook ran, and ruff cannot see through it either."""
    kept, changes = [], []
    for line in imports:
        if not line.endswith("import *"):
            kept.append(line)
            continue
        kept.append(f"{line}  # noqa: F403")
        cell, number = _star_place(collected, line)
        changes.append(Change(cell, number, f"`{line}` got `# noqa: F403`",
                              "nb2prod could not learn which names it provides, so it stays a "
                              "star import"))
    return tuple(kept), changes


def _definitions_quieted(collected: Collected, names: frozenset[str]
                         ) -> tuple[tuple[str, ...], list[Change]]:
    """The module-level definitions, with ``# noqa: F405`` where they read a name only a kept
    star import provides."""
    definitions, changes = [], []
    for name, code in collected.definitions.items():
        code, quieted = quiet_star_reads(code, set(names))
        definitions.append(code)
        cell = collected.definition_cells.get(name)
        changes += located(quieted, [collected.cells[cell]] if cell in collected.cells
                           else list(collected.cells.values()))
    return tuple(definitions), changes


def _star_place(collected: Collected, line: str) -> tuple[int, int]:
    """(cell, line) of the notebook's star import ``line``."""
    for index, chunks in collected.bodies.items():
        if line in map(marked_import, chunks):
            return index, star_import_line(collected.cells[index].source, line.split()[1]) or 1
    return -1, 0


def _import_place(collected: Collected, name: str) -> tuple[int, int]:
    """(cell, line) of the notebook's import that binds ``name``."""
    for index, chunks in collected.bodies.items():
        for line in map(marked_import, chunks):
            if line and name in binding_names(line):
                source = collected.cells[index].source.splitlines()
                number = next((i for i, text in enumerate(source, 1)
                               if re.search(rf"\bimport\b.*\b{name}\b", text)), 1)
                return index, number
    return -1, 0


def _unused_import_changes(collected: Collected, referenced: set[str],
                           imports: tuple[str, ...]) -> list[Change]:
    """Imports organise drops, reported where the notebook had them, with why."""
    unused = set(unused_imports(collected.imports, referenced))
    binders = _binders(imports)
    changes: list[Change] = []
    for index, chunks in collected.bodies.items():
        for line in map(marked_import, chunks):
            if line in unused:
                shared = sorted(n for n in binding_names(line) if n in referenced and n in binders)
                bound_by = (shared[0], binders[shared[0]]) if shared else None
                changes += unused_import(line, collected.cells[index], bound_by)
    return changes
