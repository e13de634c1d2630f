"""One project plan from the plans of several notebooks.

Each notebook keeps its own module (its plan becomes one of the project's ``parts``); the project
plan holds what they share: one config (a field two notebooks define alike is one field; fields
that clash are namespaced by module), step names unique across modules, the helpers several
notebooks define alike (a ``common`` part), one dependency set, and the notebooks' inputs minus
the files the notebooks themselves write. Pure: plans in, plan out.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, replace

from nb2prod.analysis.astutil import literal_value
from nb2prod.errors import UsageError
from nb2prod.project.graph import NotebookGraph
from nb2prod.project.shared import shared_helpers
from nb2prod.refactor.imports import names_read, unused_imports
from nb2prod.refactor.pieces import PATH_SOURCE
from nb2prod.refactor.plan import (
    ConfigField,
    ConversionPlan,
    ConvertWarning,
    Dependency,
    ModuleFile,
)

COMMON = "common"


@dataclass(frozen=True)
class Part:
    notebook: str  # relative to the project's folder, posix
    module: str
    plan: ConversionPlan


def merge_plans(parts: list[Part], graph: NotebookGraph, project: str, package: str,
                title: str) -> ConversionPlan:
    """``parts`` in run order (the graph's)."""
    empty = [p.notebook for p in parts if not p.plan.steps and not p.plan.definitions]
    parts = [_rebased(part) for part in parts if part.notebook not in empty]
    parts = _late_reads(_after_needed(_unique_steps(parts), graph), graph)
    parts, config = _one_config(parts)
    helpers = shared_helpers({p.notebook: p.plan.definitions for p in parts},
                             {p.notebook: p.plan.imports for p in parts})
    plans = [_without_shared(p, helpers.names) for p in parts]
    dependencies, conflicts = _dependencies(parts)
    written = graph.written - graph.inputs()  # what is read before it is written is an input
    first = plans[0] if plans else None
    module_files = _module_files(parts)
    warnings = _notebook_warnings(parts) + \
        tuple(ConvertWarning(-1, 0, f"'{name}' is not the same in {', '.join(notebooks)} (its "
                             "code, or a default it took from the notebook, differs): each module "
                             "keeps its own") for name, notebooks in helpers.differing) + \
        tuple(ConvertWarning(-1, 0, f"{path} is written by {', '.join(writers)}: the last of "
                             "them to run leaves its version") for path, writers in graph.rewritten) + \
        tuple(ConvertWarning(-1, 0, f"{notebook} has no code to convert: left out")
              for notebook in empty) + \
        conflicts
    common = (_common_part(helpers, package, title, first.nb2prod_version if first else "")
              if helpers.sources else None)
    return ConversionPlan(
        project=project, package=package, title=title,
        description=first.description if first else "",
        notebook=", ".join(p.notebook for p in parts),
        notebook_sha256=hashlib.sha256("".join(p.plan.notebook_sha256 for p in parts)
                                       .encode()).hexdigest(),
        nb2prod_version=first.nb2prod_version if first else "", date=first.date if first else "",
        python_requires=max((p.plan.python_requires for p in parts), key=_version, default=">=3.10"),
        imports=(), definitions=(), config=config,
        steps=tuple(step for plan in plans for step in plan.steps),
        dependencies=dependencies,
        secrets=tuple(dict.fromkeys(s for p in parts for s in p.plan.secrets)),
        data_files=tuple({f.path: f for p in parts for f in p.plan.data_files
                          if posixpath.normpath(f.path) not in written}.values()),
        missing_inputs=tuple(sorted({m for p in parts for m in p.plan.missing_inputs
                                     if posixpath.normpath(m) not in written})),
        expected_stdout=_stdout(parts),
        stdout_note=_stdout_note(parts),
        warnings=warnings,
        changes=tuple(c for p in parts for c in _attributed(p.plan.changes, p.notebook)),
        helpers=tuple(dict.fromkeys(h for p in parts for h in p.plan.helpers)),
        local_modules=tuple(sorted({m for p in parts for m in p.plan.local_modules})),
        module_files=module_files,
        unsavable=tuple(u for plan in plans for u in plan.unsavable),
        external_writes=tuple(f"{p.notebook}: {w}" for p in parts for w in p.plan.external_writes),
        downloads=tuple(dict.fromkeys(d for p in parts for d in p.plan.downloads)),
        parts=(*((common,) if common else ()), *plans),
        notebook_graph=tuple((p.notebook, p.module, tuple(graph.needs(p.notebook)))
                             for p in parts),
    )


def _rebased(part: Part) -> Part:
    """A notebook in a subfolder: its relative paths, and its input files, from the project's
    folder (every module runs in that one folder)."""
    folder = posixpath.dirname(part.notebook)
    if not folder:
        return part
    plan = part.plan

    def moved(path: str) -> str:  # a folder keeps its trailing slash
        if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
            return path
        return posixpath.normpath(posixpath.join(folder, path)) + ("/" if path.endswith("/") else "")

    config = tuple(replace(f, value=repr(moved(value)))
                   if f.source == PATH_SOURCE and isinstance(value := literal_value(f.value), str)
                   else f for f in plan.config)
    return replace(part, plan=replace(
        plan, config=config,
        data_files=tuple(replace(f, path=moved(f.path)) for f in plan.data_files),
        module_files=tuple(replace(f, source=moved(f.source)) for f in plan.module_files),
        missing_inputs=tuple(moved(m) for m in plan.missing_inputs)))


def _module_files(parts: list[Part]) -> tuple[ModuleFile, ...]:
    """The notebooks' own modules, once each. Two different files one module name gives (a
    helpers.py in each of two subfolders) cannot both be installed: the project is refused, as
    each notebook would otherwise run the other's code."""
    chosen: dict[str, ModuleFile] = {}
    for part in parts:
        for file in part.plan.module_files:
            kept = chosen.setdefault(file.target, file)
            if kept.source != file.source:
                raise UsageError(f"{kept.source} and {file.source} would both be the module "
                                 f"{file.target.removesuffix('.py').replace('/', '.')} of one "
                                 "project; rename one, or convert their notebooks apart")
    return tuple(chosen.values())


def _unique_steps(parts: list[Part]) -> list[Part]:
    """A step name two notebooks use gets its module's name in front, in each of them; one
    that is a module's name gets ``_step`` after it (``from pkg.train import train`` would hide
    the module ``train``)."""
    seen: dict[str, int] = {}
    for part in parts:
        for step in part.plan.steps:
            seen[step.name] = seen.get(step.name, 0) + 1
    modules = {part.module for part in parts} | {COMMON}
    taken = set(seen) | modules
    result = []
    for part in parts:
        names: dict[str, str] = {}
        for step in part.plan.steps:
            if step.name in modules or seen[step.name] > 1:
                base = f"{step.name}_step" if step.name in modules else f"{part.module}_{step.name}"
                names[step.name] = _free_name(base, taken)
        steps = tuple(replace(s, name=names.get(s.name, s.name), module=part.module,
                              after=tuple(names.get(a, a) for a in s.after))
                      for s in part.plan.steps)
        unsavable = tuple(replace(u, step=names.get(u.step, u.step)) for u in part.plan.unsavable)
        result.append(replace(part, plan=replace(part.plan, steps=steps, unsavable=unsavable,
                                                 module=part.module)))
    return result


def _after_needed(parts: list[Part], graph: NotebookGraph) -> list[Part]:
    """A notebook's first steps (those that wait for none of its own) wait for the last steps of
    every notebook whose files it reads: an engine that runs independent steps at once must not
    start reading a file before it is written."""
    lasts: dict[str, tuple[str, ...]] = {}
    for part in parts:
        waited = {name for step in part.plan.steps for name in step.after}
        lasts[part.notebook] = tuple(s.name for s in part.plan.steps if s.name not in waited)
    result = []
    for part in parts:
        position = graph.order.index(part.notebook)
        before = tuple(name for needed in graph.needs(part.notebook)  # a forced cycle: not back
                       if graph.order.index(needed) < position for name in lasts[needed])
        steps = tuple(replace(s, after=before) if not s.after and before else s
                      for s in part.plan.steps)
        result.append(replace(part, plan=replace(part.plan, steps=steps)))
    return result


def _late_reads(parts: list[Part], graph: NotebookGraph) -> list[Part]:
    """A step that reads a file a notebook later in the order writes (a cycle run by --force)
    reads, replayed after a whole run, the rewritten file: its replay compares kinds only."""
    late = [h for h in graph.handoffs if graph.order.index(h.writer) > graph.order.index(h.reader)]
    result = []
    for part in parts:
        reads = {h.read.cell: h for h in late if h.reader == part.notebook}
        steps = tuple(replace(s, nondeterministic=s.nondeterministic or (
            f"it reads {reads[c].path}, which {reads[c].writer} writes after it: replayed after a "
            "whole run, it reads the rewritten file"))
            if (c := next((c for c in s.cells if c in reads), None)) is not None else s
            for s in part.plan.steps)
        result.append(replace(part, plan=replace(part.plan, steps=steps)))
    return result


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _one_config(parts: list[Part]) -> tuple[list[Part], tuple[ConfigField, ...]]:
    """One field per name and value. A file path is one field per file (two notebooks that
    write and read it must agree on it); other names that clash get the module's name."""
    by_path: dict[str, str] = {}  # file -> the field the first notebook named it
    fields: dict[str, ConfigField] = {}
    clashing = _clashing_names(parts)
    taken = {item.name for part in parts for item in part.plan.config}
    result = []
    for part in parts:
        renames: dict[str, str] = {}
        for item in part.plan.config:
            value = literal_value(item.value) if item.source == PATH_SOURCE else None
            if isinstance(value, str) and value in by_path:
                renames[item.name] = by_path[value]
                continue
            name = (_free_name(f"{part.module}_{item.name}", taken) if item.name in clashing
                    else item.name)
            if name in fields and not _same_field(fields[name], item):
                # another file (2023/sales.csv vs 2024/sales.csv), or a constant of that name
                name = _free_name(f"{part.module}_{item.name}", taken)
            renames[item.name] = name
            if isinstance(value, str):
                by_path[value] = name
            fields.setdefault(name, replace(item, name=name, notebook=part.notebook))
        result.append(replace(part, plan=_renamed_fields(part.plan, renames)))
    required = tuple(f for f in fields.values() if f.required)
    return result, (*required, *(f for f in fields.values() if not f.required))


def _same_field(kept: ConfigField, item: ConfigField) -> bool:
    """Whether a field another notebook defined is this one: same kind, value and type."""
    return (kept.source == PATH_SOURCE) == (item.source == PATH_SOURCE) \
        and (kept.value, kept.type) == (item.value, item.type)


def _clashing_names(parts: list[Part]) -> set[str]:
    """Names two notebooks give different values (file paths aside: they merge by file)."""
    values: dict[str, set[tuple[str, str]]] = {}
    for part in parts:
        for item in part.plan.config:
            if item.source != PATH_SOURCE:
                values.setdefault(item.name, set()).add((item.value, item.type))
    return {name for name, found in values.items() if len(found) > 1}


def _renamed_fields(plan: ConversionPlan, renames: dict[str, str]) -> ConversionPlan:
    """The plan with its config fields under their project names (its own config too: a
    template that gives each module its own config sees the project's names)."""
    config = tuple({renames.get(f.name, f.name): replace(f, name=renames.get(f.name, f.name))
                    for f in plan.config}.values())
    plan = replace(plan, config=config)
    changed = {old: new for old, new in renames.items() if old != new}
    if not changed:
        return plan
    pattern = re.compile(r"\bconfig\.(" + "|".join(map(re.escape, changed)) + r")\b")

    def rename(text: str) -> str:
        return pattern.sub(lambda m: f"config.{changed[m.group(1)]}", text)

    steps = tuple(replace(s, body=rename(s.body),
                          config_fields=tuple(changed.get(f, f) for f in s.config_fields))
                  for s in plan.steps)
    return replace(plan, steps=steps, definitions=tuple(map(rename, plan.definitions)))


def _without_shared(part: Part, shared: frozenset[str]) -> ConversionPlan:
    """A notebook's plan without the helpers ``common`` holds, importing the ones it uses;
    imports only those helpers needed go with them."""
    plan = part.plan
    own = tuple(d for d in plan.definitions if _defined_name(d) not in shared)
    referenced = names_read([*own, *(s.body for s in plan.steps), *(f.value for f in plan.config)])
    # only what its own code calls: a shared helper another shared helper uses stays in common
    uses = sorted(_defined_name(d) for d in plan.definitions
                  if _defined_name(d) in shared and _defined_name(d) in referenced)
    statements = [line.strip() for line in plan.imports
                  if line.lstrip().startswith(("import ", "from "))]
    unused = set(unused_imports(statements, referenced))
    imports = _tidy(tuple(line for line in plan.imports if line.strip() not in unused))
    return replace(plan, definitions=own, shared=tuple(uses), imports=imports)


def _tidy(lines: tuple[str, ...]) -> tuple[str, ...]:
    """No blank line at either end or two in a row (where a whole import group went)."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return tuple(out)


def _defined_name(source: str) -> str:
    match = re.search(r"^(?:async\s+def|def|class)\s+(\w+)", source, re.MULTILINE)
    return match.group(1) if match else ""


def _common_part(helpers, package: str, title: str, version: str) -> ConversionPlan:
    from nb2prod.refactor.imports import organise

    imports = organise(helpers.imports, names_read(helpers.sources))
    return ConversionPlan(
        project="", package=package, title=title,
        description="", notebook="", notebook_sha256="", nb2prod_version=version, date="",
        python_requires="", imports=imports, definitions=helpers.sources, config=(), steps=(),
        dependencies=(), secrets=(), data_files=(), missing_inputs=(), expected_stdout=None,
        module=COMMON)


def _dependencies(parts: list[Part]) -> tuple[tuple[Dependency, ...], tuple[ConvertWarning, ...]]:
    """One requirement per distribution; two notebooks pinning it differently are reported, and
    the first notebook's pin (in run order) is kept."""
    chosen: dict[str, tuple[Dependency, str]] = {}
    warnings: list[ConvertWarning] = []
    for part in parts:
        for dependency in part.plan.dependencies:
            key = dependency.distribution.lower()
            if key not in chosen:
                chosen[key] = (dependency, part.notebook)
                continue
            kept, where = chosen[key]
            if dependency.version and kept.version and dependency.version != kept.version:
                warnings.append(ConvertWarning(-1, 0, f"{dependency.distribution} is pinned to "
                                               f"{kept.version} by {where} and to "
                                               f"{dependency.version} by {part.notebook}; "
                                               f"requirements.in keeps {kept.version}"))
            elif dependency.version and not kept.version:
                chosen[key] = (dependency, part.notebook)
    return tuple(d for d, _ in chosen.values()), tuple(warnings)


def _notebook_warnings(parts: list[Part]) -> tuple[ConvertWarning, ...]:
    """Each notebook's notes, those about a whole notebook said once for all that share them
    ("the notebook does not record which Python it last ran on")."""
    whole: dict[str, list[str]] = {}
    found: list[ConvertWarning] = []
    for part in parts:
        for warning in part.plan.warnings:
            if warning.cell < 0:
                whole.setdefault(warning.message, []).append(part.notebook)
            else:
                found.append(replace(warning, notebook=part.notebook))
    shared = [ConvertWarning(-1, 0, message, ", ".join(notebooks) if len(notebooks) < len(parts)
                             else "") for message, notebooks in whole.items()]
    return (*shared, *found)


def _attributed(items, notebook: str):
    return tuple(replace(item, notebook=notebook) for item in items)


def _stdout(parts: list[Part]) -> str | None:
    """The notebooks' recorded output, one after the other, when every one is trustworthy."""
    found = [p.plan.expected_stdout for p in parts]
    return "".join(found) if found and all(s is not None for s in found) else None


def _stdout_note(parts: list[Part]) -> str:
    """Why no test compares the printed output: each notebook's own reason."""
    if _stdout(parts) is not None:
        return ""
    return "; ".join(f"{p.notebook}: {p.plan.stdout_note}" for p in parts
                     if p.plan.expected_stdout is None and p.plan.stdout_note)


def _version(requires: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", requires)[:2]) or (0,)
