"""Build the conversion plan of a notebook: what goes where in the generated project.

Pure analysis: reads the notebook model, returns a :class:`ConversionPlan`; never writes or runs.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from nb2prod import __version__
from nb2prod.analysis.dataflow import BUILTIN_NAMES, analyse
from nb2prod.analysis.scopes import free_names
from nb2prod.findings import Finding
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.pin.mapping import Environment
from nb2prod.pin.resolve import pin_notebooks
from nb2prod.redact import redact
from nb2prod.refactor.cells import CellResult, transform_cell
from nb2prod.refactor.comments import comment_lines
from nb2prod.refactor.dead import DeadCode, drop_dead, drop_dead_in_function
from nb2prod.refactor.functions import add_parameters, globals_needed, patch_calls
from nb2prod.refactor.imports import binding_names, organise, star_exports
from nb2prod.refactor.inline import deferred_reads, keep_in_steps
from nb2prod.refactor.inline import module_names as all_module_names
from nb2prod.refactor.plan import (
    Change,
    ConfigField,
    ConversionPlan,
    ConvertWarning,
    DataFile,
    Dependency,
    Step,
)
from nb2prod.refactor.rename import rename
from nb2prod.rules.hygiene import unseeded_randomness
from nb2prod.refactor.steps import StepDraft, group_cells, name_steps, step_flow

# Names the generated modules define themselves; notebook names may not take them.
RESERVED = frozenset({"Config", "config", "run", "main", "save_figure", "checkpoint", "STEPS"})
# Where a cell had an import or a definition: hoisted to module level, unless it must stay put.
IMPORT_MARK = "# nb2prod-import: "
DEFINITION_MARK = "# nb2prod-definition: "
PATH_SOURCE = "file path"
DATA_DIR_SOURCE = "folder that relative file paths resolve against"
MAX_BLOCK_DEPTH = 90  # Python allows 100 indentation levels; the step function and a guard add some
MAX_DATA_FILE = 10 * 1024 * 1024
MAX_DATA_TOTAL = 50 * 1024 * 1024
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
CREDENTIAL_FILE = re.compile(r"^\s*(?:.*\.env(?:\..*)?|.*\.(?:pem|key|p12|pfx|jks)|credentials.*|"
                             r"id_(?:rsa|dsa|ecdsa|ed25519).*|\.netrc.*|\.pgpass.*|\.pypirc.*|"
                             r".*secrets?\.(?:json|ya?ml|toml))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PlanOptions:
    project: str
    package: str
    force: bool = False
    flagged: tuple[Finding, ...] = ()  # NB201/NB202 findings, marked as TODOs under --force
    environment: Environment = field(default_factory=Environment)
    date: str = ""


@dataclass
class _Pieces:
    """What the cells contribute, gathered cell by cell."""

    imports: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    config: dict[str, ConfigField] = field(default_factory=dict)
    bodies: dict[int, list[str]] = field(default_factory=dict)
    warnings: list[ConvertWarning] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    stdlib_needed: set[str] = field(default_factory=set)
    definition_cells: dict[str, int] = field(default_factory=dict)
    inline_definitions: dict[str, str] = field(default_factory=dict)  # stay inside their step
    inline_imports: set[str] = field(default_factory=set)
    import_comments: dict[str, list[str]] = field(default_factory=dict)  # import -> its comments
    known_paths: dict[str, str] = field(default_factory=dict)  # path literal -> config field
    path_reads: dict[str, str] = field(default_factory=dict)  # config field -> path it reads
    cells: dict[int, Cell] = field(default_factory=dict)


def build_plan(notebook: Notebook, options: PlanOptions) -> ConversionPlan:
    cells = [c for c in notebook.code_cells if c.source.strip()]
    pieces = _collect_pieces(notebook, cells, options)
    _explicit_star_imports(pieces)
    _explicit_globals(pieces)
    module_names = all_module_names(pieces)
    steps = _steps(notebook, cells, pieces, module_names, options)
    referenced = _referenced(pieces, steps)
    imports = organise([*pieces.imports, *(f"import {m}" for m in sorted(pieces.stdlib_needed))],
                       referenced, pieces.import_comments)
    title, description = _title_and_description(notebook)
    return ConversionPlan(
        project=options.project, package=options.package, title=title, description=description,
        notebook=Path(notebook.path).name, notebook_sha256=_sha256(notebook.path),
        nb2prod_version=__version__, date=options.date,
        python_requires=_python_requires(notebook.python_version), imports=imports,
        definitions=tuple(pieces.definitions.values()), config=tuple(pieces.config.values()),
        steps=tuple(steps), dependencies=_dependencies(notebook, options.environment),
        secrets=tuple(pieces.secrets), data_files=_data_files(notebook),
        missing_inputs=_missing_inputs(notebook, pieces),
        expected_stdout=_trustworthy_stdout(notebook),
        warnings=tuple(sorted(pieces.warnings, key=lambda w: (w.cell, w.line, w.message))),
        changes=tuple(sorted(set(pieces.changes), key=lambda c: (c.cell, c.line, c.what))),
    )


# -- cells -> pieces ------------------------------------------------------------------------------
def _collect_pieces(notebook: Notebook, cells: list[Cell], options: PlanOptions) -> _Pieces:
    flow = analyse(notebook)
    single_binding = {name for name, places in flow.binders.items() if len(places) == 1}
    used_names = set(flow.binders) | RESERVED
    parameters = {c.index for c in cells if "parameters" in c.tags}
    pieces = _Pieces(cells={c.index: c for c in cells})
    for cell in cells:
        reason = _unconvertible(cell)
        if reason is None:
            try:
                result = transform_cell(cell.python, cell.index, cell.original_line, used_names,
                                        pieces.known_paths, cell.source)
            except RecursionError:
                reason = "code nested too deeply to transform"
        if reason is not None:
            line = cell.syntax_error.line if cell.syntax_error else 1
            pieces.bodies[cell.index] = [_commented_out(cell, reason)]
            pieces.warnings.append(ConvertWarning(cell.index, line, f"{reason}; cell kept as comments"))
            continue
        _absorb(pieces, result, cell)
        source = "parameters cell" if cell.index in parameters else "constant"
        for statement in result.module.body:
            _classify(pieces, result.module, statement, cell, single_binding, source)
        closing = comment_lines([*result.module.header, *result.module.footer])
        if closing:  # a comment-only cell, or comments after the cell's last statement
            pieces.bodies.setdefault(cell.index, []).append("".join(f"{c}\n" for c in closing))
    _mark_flagged(pieces, options.flagged, notebook)
    return pieces


def _absorb(pieces: _Pieces, result: CellResult, cell: Cell) -> None:
    pieces.warnings += result.warnings
    pieces.changes += result.changes
    pieces.stdlib_needed |= result.needed_imports
    pieces.secrets += [s for s in result.secrets if s not in pieces.secrets]
    pieces.path_reads.update(result.path_reads)
    for name, literal in result.path_fields.items():
        if name not in pieces.config:
            pieces.config[name] = ConfigField(name, literal, "str", PATH_SOURCE, cell.index)
    if result.path_fields and "data_dir" not in pieces.config:
        pieces.config["data_dir"] = ConfigField("data_dir", "'.'", "str", DATA_DIR_SOURCE,
                                                cell.index)
    if result.shows_figures and "figures_dir" not in pieces.config:
        pieces.config["figures_dir"] = ConfigField("figures_dir", "'figures'", "str",
                                                   "where plt.show() figures are saved", cell.index)


def _classify(pieces: _Pieces, module: cst.Module, statement: cst.CSTNode, cell: Cell,
              single_binding: set[str], source: str) -> None:
    code = module.code_for_node(statement)
    if isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
    ):
        comments = _statement_comments(statement)
        for small in statement.body:  # one line each: `from x import (a,\n b)` is one statement
            line = ast.unparse(ast.parse(cst.Module([cst.SimpleStatementLine([small])]).code))
            pieces.imports.append(line)
            pieces.bodies.setdefault(cell.index, []).append(f"{IMPORT_MARK}{line}\n")
            if comments:  # the comments travel with the import, once
                pieces.import_comments.setdefault(line, []).extend(comments)
                comments = []
        return
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        name = statement.name.value
        if name in pieces.definitions:
            _version_previous_definition(pieces, name, cell)
        pieces.definitions[name] = code.strip("\n") + "\n"
        pieces.definition_cells[name] = cell.index
        pieces.bodies.setdefault(cell.index, []).append(f"{DEFINITION_MARK}{name}\n")
        return
    field_ = _config_field(statement, module, cell, single_binding, source)
    if field_ is not None and field_.name not in RESERVED and field_.name not in pieces.config:
        pieces.config[field_.name] = field_
        return
    pieces.bodies.setdefault(cell.index, []).append(code)


def _version_previous_definition(pieces: _Pieces, name: str, cell: Cell) -> None:
    """A name defined twice: the earlier version keeps working where the notebook used it."""
    version = 1
    while f"{name}_v{version}" in pieces.definitions:
        version += 1
    renamed = f"{name}_v{version}"
    since = pieces.definition_cells[name]
    pieces.definitions[renamed] = rename(pieces.definitions.pop(name), name, renamed)
    pieces.definition_cells[renamed] = since
    for index, chunks in pieces.bodies.items():
        if index >= since:
            pieces.bodies[index] = [rename(chunk, name, renamed) for chunk in chunks]
        pieces.bodies[index] = [f"{DEFINITION_MARK}{renamed}\n" if c == f"{DEFINITION_MARK}{name}\n"
                                else c for c in pieces.bodies[index]]
    pieces.warnings.append(ConvertWarning(cell.index, 1, f"'{name}' is defined again here; the "
                                          f"earlier definition is kept as '{renamed}' for the "
                                          "cells that used it"))


def _config_field(statement, module: cst.Module, cell: Cell, single_binding: set[str],
                  source: str) -> ConfigField | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Assign) and len(statement.body[0].targets) == 1
            and isinstance(statement.body[0].targets[0].target, cst.Name)):
        return None
    name = statement.body[0].targets[0].target.value
    value_code = module.code_for_node(statement.body[0].value)
    try:
        value = ast.literal_eval(value_code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if name not in single_binding or (len(value_code) > 400):
        return None
    kind = type(value).__name__ if value is not None else "Any"
    kind = kind if kind in {"int", "float", "str", "bool", "list", "dict", "tuple", "set"} else "Any"
    # outside the parameters cell, a lowercase collection is data, not a setting
    if source != "parameters cell" and not name.isupper() and kind not in {"int", "float", "str", "bool"}:
        return None
    return ConfigField(name, " ".join(value_code.split()) if "\n" not in value_code else value_code,
                       kind, source, cell.index, mutable=kind in {"list", "dict", "set"},
                       comments=tuple(_statement_comments(statement)))


def _statement_comments(statement: cst.SimpleStatementLine) -> list[str]:
    """The comments above a statement and the one at the end of its line."""
    comments = comment_lines(statement.leading_lines)
    if statement.trailing_whitespace.comment is not None:
        comments.append(statement.trailing_whitespace.comment.value)
    return comments


def _unconvertible(cell: Cell) -> str | None:
    """Why a cell cannot become code in a step function (None when it can)."""
    if cell.tree is None:
        return f"does not parse ({cell.syntax_error.message}, line {cell.syntax_error.line})"
    depth = _block_depth(cell.tree)
    if depth > MAX_BLOCK_DEPTH:
        return (f"nested {depth} blocks deep; inside a step function it would pass Python's limit "
                "of 100 indentation levels")
    return None


def _block_depth(tree: ast.AST) -> int:
    """Nested compound statements (if/for/with/def...), measured without recursion."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                nested = depth + 1 if isinstance(node, ast.stmt) else depth
                stack.append((child, nested))
            elif isinstance(child, (ast.excepthandler, ast.match_case)):
                stack.append((child, depth + 1))
    return deepest


def _commented_out(cell: Cell, reason: str) -> str:
    lines = "\n".join(f"# {text}" for text in cell.source.splitlines())
    return f"# TODO(nb2prod): cell {cell.index} {reason}; kept as comments\n{lines}\n"


def _mark_flagged(pieces: _Pieces, flagged: tuple[Finding, ...], notebook: Notebook) -> None:
    for finding in flagged:
        chunks = pieces.bodies.get(finding.cell)
        if chunks:
            chunks.insert(0, f"# TODO(nb2prod): {finding.code} {finding.message}\n")
        pieces.warnings.append(ConvertWarning(
            finding.cell, finding.line, f"{finding.code} {finding.message} (converted anyway: --force)"))


# -- functions reading globals ------------------------------------------------------------------
def _explicit_globals(pieces: _Pieces) -> None:
    keep_in_steps(pieces)
    names = all_module_names(pieces)
    needed = globals_needed(pieces.definitions, names)
    defaults = {n: f.value for n, f in pieces.config.items()}
    for name, globals_ in needed.items():
        pieces.definitions[name] = add_parameters(pieces.definitions[name], globals_, defaults)
        pieces.warnings.append(ConvertWarning(
            pieces.definition_cells.get(name, 0), 1,
            f"{name}() read global(s) {', '.join(globals_)}; they are now keyword parameters "
            "passed at every call"))
    _warn_classes_reading_globals(pieces, names)
    for table in (pieces.definitions, pieces.inline_definitions):
        for name, source in list(table.items()):
            cleaned = drop_dead_in_function(source)
            cell = pieces.cells.get(pieces.definition_cells.get(name, -1))
            pieces.changes += _located(cleaned.changes, [cell] if cell else [])
            table[name], partial = patch_calls(cleaned.code, needed)
            if partial:
                pieces.stdlib_needed.add("functools")
    for cell, chunks in pieces.bodies.items():
        patched = []
        for chunk in chunks:
            code, partial = patch_calls(chunk, needed)
            patched.append(code)
            if partial:
                pieces.stdlib_needed.add("functools")
        pieces.bodies[cell] = patched


def _warn_classes_reading_globals(pieces: _Pieces, module_names: set[str]) -> None:
    """Methods that read notebook globals cannot get them as parameters: say so, in code too."""
    for name, source in pieces.definitions.items():
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef):
            continue
        reads: dict[str, int] = {}
        free_names(node, reads, set(), set())
        missing = sorted(g for g in reads if g not in module_names and g not in BUILTIN_NAMES
                         and g not in pieces.config)
        if missing:
            note = (f"class {name} reads notebook global(s) {', '.join(missing)} in its body or "
                    "methods; pass them in explicitly")
            pieces.definitions[name] = f"# TODO(nb2prod): {note}\n{source}"
            pieces.warnings.append(ConvertWarning(pieces.definition_cells.get(name, 0), 1, note))


# -- steps ---------------------------------------------------------------------------------------
def _steps(notebook: Notebook, cells: list[Cell], pieces: _Pieces, module_names: set[str],
           options: PlanOptions) -> list[Step]:
    drafts = [d for d in group_cells(notebook, [c.index for c in cells])
              if any(pieces.bodies.get(i) for i in d.cells)]
    for draft in drafts:
        draft.statements = [code for i in draft.cells for chunk in pieces.bodies.get(i, [])
                            if (code := _expand(chunk, pieces))]
    drafts = _merge_for_late_binding(_merge_comment_only(drafts), module_names)
    name_steps(drafts, module_names | set(pieces.config) | RESERVED)
    flows = [step_flow("".join(d.statements), module_names,
                       deferred_reads("".join(d.statements), module_names)) for d in drafts]
    inputs, producers = _inputs(drafts, flows, pieces)
    outputs: dict[str, list[str]] = {d.name: [] for d in drafts}
    for step_inputs in producers:
        for name, producer in step_inputs.items():
            if name not in outputs[producer]:
                outputs[producer].append(name)
    if drafts:  # the last step returns its results: what run() hands back, what verify compares
        outputs[drafts[-1].name] += [n for n in _final_results("".join(drafts[-1].statements))
                                     if n not in outputs[drafts[-1].name]]
    steps = []
    for draft, flow, step_inputs in zip(drafts, flows, inputs, strict=True):
        ordered_outputs = [n for n in flow.binds if n in outputs[draft.name]]
        body, config_reads = _finish_body(draft, ordered_outputs,
                                          [n for n in flow.reads if n in pieces.config], pieces)
        steps.append(Step(draft.name, draft.title, tuple(draft.cells), tuple(step_inputs),
                          tuple(ordered_outputs), tuple(config_reads), body,
                          nondeterministic=unseeded_randomness(ast.parse(body))))
    return steps


def _final_results(body: str) -> list[str]:
    """Names a step assigns at its top level (plain assignments), in order."""
    names: dict[str, None] = {}
    for node in ast.parse(body).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in ast.walk(target):
                    if isinstance(element, ast.Name) and not element.id.startswith("_"):
                        names.setdefault(element.id)
    return list(names)


def _merge_for_late_binding(drafts: list[StepDraft], module_names: set[str]) -> list[StepDraft]:
    """A function or class kept in a step that reads a name only a later step binds (late
    binding, as notebooks allow) must share one function with that binding: merge those steps."""
    while True:
        binds = [set(step_flow("".join(d.statements), module_names).binds) for d in drafts]
        merge = None
        for i, draft in enumerate(drafts):
            wanted = set(deferred_reads("".join(draft.statements), module_names)) - binds[i]
            wanted -= {n for earlier in binds[:i] for n in earlier}
            later = [j for j in range(i + 1, len(drafts)) if wanted & binds[j]]
            if later:
                merge = (i, max(later))
                break
        if merge is None:
            return drafts
        first, last = merge
        combined = StepDraft(drafts[first].title)
        for draft in drafts[first:last + 1]:
            combined.cells += draft.cells
            combined.statements += draft.statements
        drafts = [*drafts[:first], combined, *drafts[last + 1:]]


def _expand(chunk: str, pieces: _Pieces) -> str:
    """A body chunk as it goes into its step: marked imports and definitions only if they stay."""
    if chunk.startswith(IMPORT_MARK):
        line = chunk[len(IMPORT_MARK):].strip()
        if line not in pieces.inline_imports:
            return ""
        return "".join(f"{c}\n" for c in pieces.import_comments.get(line, [])) + line + "\n"
    if chunk.startswith(DEFINITION_MARK):
        return pieces.inline_definitions.get(chunk[len(DEFINITION_MARK):].strip(), "")
    return chunk


def _inputs(drafts: list[StepDraft], flows, pieces: _Pieces):
    """Per step: names it takes from earlier steps, and which step produced each."""
    last_binder: dict[str, str] = {}
    all_inputs, all_producers = [], []
    for draft, flow in zip(drafts, flows, strict=True):
        step_inputs, producers, missing = [], {}, []
        for name in flow.reads:
            if name in pieces.config:
                continue
            if name in last_binder:
                step_inputs.append(name)
                producers[name] = last_binder[name]
            else:
                missing.append(name)
        for name in reversed(missing):
            # bound to None so the module is valid Python; the TODO says what to do
            draft.statements.insert(0, f"# TODO(nb2prod): '{name}' is not defined by any earlier "
                                       f"step; define it\n{name} = None\n")
            pieces.warnings.append(ConvertWarning(draft.cells[0], 1, f"step {draft.name}() reads "
                                                  f"'{name}', which no earlier step defines"))
        for name in flow.binds:
            last_binder[name] = draft.name
        all_inputs.append(step_inputs)
        all_producers.append(producers)
    return all_inputs, all_producers


def _finish_body(draft: StepDraft, outputs: list[str], config_reads: list[str],
                 pieces: _Pieces) -> tuple[str, list[str]]:
    """The step's function body, and the config fields it still reads once dead code is gone."""
    cleaned = drop_dead("".join(draft.statements), set(outputs))
    pieces.changes += _located(cleaned.changes, [pieces.cells[i] for i in draft.cells
                                                 if i in pieces.cells])
    body = cleaned.code
    still_read = {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}
    config_reads = [name for name in config_reads if name in still_read]
    unpack = "".join(f"{name} = config.path(config.{name})\n"
                     if pieces.config[name].source == PATH_SOURCE else f"{name} = config.{name}\n"
                     for name in config_reads)
    if outputs:
        body = body.rstrip("\n") + f"\nreturn {', '.join(outputs)}\n"
    return unpack + body, config_reads


def _located(changes: tuple[DeadCode, ...], cells: list[Cell]) -> list[Change]:
    """Changes to code that has left its cell, placed back at the cell line that holds it."""
    return [Change(*_find_line(cells, change.line), change.what, change.why) for change in changes]


def _find_line(cells: list[Cell], text: str) -> tuple[int, int]:
    wanted = " ".join(text.split())[:60]
    for cell in cells:
        for number, line in enumerate(cell.source.splitlines(), 1):
            if wanted and " ".join(line.split()).startswith(wanted.split(" ... ")[0]):
                return cell.index, number
    return (cells[0].index, 1) if cells else (0, 1)


def _merge_comment_only(drafts: list[StepDraft]) -> list[StepDraft]:
    """A step would hold only comments (a cell of notes): they open the next step instead, or
    close the previous one when none follows."""
    merged: list[StepDraft] = []
    pending: StepDraft | None = None
    for draft in drafts:
        if pending is not None:
            draft.cells[:0], draft.statements[:0] = pending.cells, pending.statements
            pending = None
        if all(_only_comments(s) for s in draft.statements):
            pending = draft
            continue
        merged.append(draft)
    if pending is not None and merged:
        merged[-1].cells += pending.cells
        merged[-1].statements += pending.statements
    return merged


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines())


def _explicit_star_imports(pieces: _Pieces) -> None:
    """``from x import *`` becomes ``from x import a, b`` for the names the code uses, asked of the
    installed module; a module not installed here keeps its star import, with a note."""
    stars = [line for line in pieces.imports if line.endswith("import *")]
    if not stars:
        return
    bound = set(pieces.definitions) | set(pieces.config) | set(BUILTIN_NAMES)
    referenced: set[str] = set()
    for line in pieces.imports:
        bound |= binding_names(line) - {"*"}
    for source in [*pieces.definitions.values(), *(c for cs in pieces.bodies.values() for c in cs)]:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, ast.Store) else referenced).add(node.id)
    wanted = referenced - bound
    for line in stars:
        module = line.split()[1]
        exports = star_exports(module)
        if exports is None:
            pieces.warnings.append(ConvertWarning(0, 1, f"`{line}` kept: {module} is not importable "
                                                  "here, so the names it provides are unknown"))
            continue
        names = sorted(wanted & set(exports))
        explicit = [f"from {module} import {name}" for name in names]
        pieces.imports.remove(line)
        pieces.imports += explicit
        for chunks in pieces.bodies.values():  # the cell's marker, so it can still stay put
            if f"{IMPORT_MARK}{line}\n" in chunks:
                at = chunks.index(f"{IMPORT_MARK}{line}\n")
                chunks[at:at + 1] = [f"{IMPORT_MARK}{e}\n" for e in explicit]
        wanted -= set(names)


def _missing_inputs(notebook: Notebook, pieces: _Pieces) -> tuple[str, ...]:
    """Relative input files the notebook reads that are not next to it (tests skip, naming them)."""
    folder = Path(notebook.path).resolve().parent
    missing = {value for value in pieces.path_reads.values()
               if not os.path.isabs(value) and not value.startswith("~")
               and not (folder / value).exists()}
    return tuple(sorted(missing))


def _referenced(pieces: _Pieces, steps: list[Step]) -> set[str]:
    names: set[str] = set()
    for source in [*pieces.definitions.values(), *(s.body for s in steps),
                   *(f.value for f in pieces.config.values())]:
        names |= {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    return names


# -- project metadata ------------------------------------------------------------------------------
def _title_and_description(notebook: Notebook) -> tuple[str, str]:
    title, paragraphs = "", []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.split(r"\n\s*\n", cell.source.strip()):
            heading = re.match(r"^#+\s+(.+)", block.strip())
            if heading and not title:
                title = heading.group(1).strip()
            elif not heading and block.strip() and len(paragraphs) < 2:
                paragraphs.append(" ".join(block.split()))
        if title and paragraphs:
            break
    return title or Path(notebook.path).stem, "\n\n".join(paragraphs)


def _python_requires(version: str | None) -> str:
    floor = (3, 10)  # the generated code uses zip(strict=...) and typing.Annotated
    if version:
        major, minor = (int(p) for p in version.split(".")[:2])
        floor = max(floor, (major, minor))
    return f">={floor[0]}.{floor[1]}"


def _dependencies(notebook: Notebook, environment: Environment) -> tuple[Dependency, ...]:
    result = pin_notebooks([notebook], environment)
    deps = [Dependency(r.distribution, r.version, r.line(), r.evidence) for r in result.requirements]
    if not any(d.distribution.lower() == "typer" for d in deps):
        deps.append(Dependency("typer", None, "typer>=0.9", "the generated command line uses it"))
    return tuple(sorted(deps, key=lambda d: d.distribution.lower()))


def _data_files(notebook: Notebook) -> tuple[DataFile, ...]:
    """Files the notebook reads, and which of them may be shipped in the project's tests/data:
    only regular files inside the notebook's folder tree (never through a symlink that leaves it),
    never credentials, within the size limits."""
    folder = Path(notebook.path).resolve().parent
    found: dict[str, tuple[int, str]] = {}
    for value in _string_constants(notebook):
        if not _looks_like_path(value):
            continue
        candidate = folder / value
        if candidate.is_file():
            found.setdefault(Path(value).as_posix(), (candidate.stat().st_size,
                                                      _refusal(candidate, folder)))
        elif "/" in value.replace("\\", "/").rstrip("/") and (folder / Path(value).parent).is_dir() \
                and Path(value).parent != Path("."):
            # a folder the notebook writes into (plt.savefig("pie/%i.png")): ship it, empty
            parent = folder / Path(value).parent
            found.setdefault(Path(value).parent.as_posix() + "/", (0, _refusal(parent, folder)))
    total, files = 0, []
    for path, (size, refusal) in sorted(found.items()):
        if not refusal and (size > MAX_DATA_FILE or total + size > MAX_DATA_TOTAL):
            refusal = f"too large to ship ({size / 1e6:.1f} MB)"
        total += 0 if refusal else size
        files.append(DataFile(path, size, not refusal, refusal))
    return tuple(files)


def _refusal(candidate: Path, folder: Path) -> str:
    """Why a file the notebook reads must not be copied into the project ('' when it may)."""
    if not Path(os.path.normpath(candidate)).is_relative_to(folder):
        return "outside the notebook's folder"
    if not candidate.resolve().is_relative_to(folder):
        return "a symlink that leads outside the notebook's folder"
    if CREDENTIAL_FILE.match(candidate.name) or CREDENTIAL_FILE.match(candidate.resolve().name):
        return "a credentials file, never shipped"
    if _holds_secret(candidate):
        return "it holds a secret, never shipped"
    return ""


def _holds_secret(path: Path) -> bool:
    """A text file with a credential in it (binary and oversized files are not read)."""
    try:
        if path.stat().st_size > MAX_DATA_FILE:
            return False
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(redact(text)[1])


def _string_constants(notebook: Notebook):
    for cell in notebook.code_cells:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value


def _looks_like_path(value: str) -> bool:
    return 0 < len(value) < 260 and "\n" not in value and not value.startswith(("/", "~", "http")) \
        and not re.match(r"^[A-Za-z]:[\\/]", value) and "." in value


def _trustworthy_stdout(notebook: Notebook) -> str | None:
    """The recorded stdout, when the notebook was run once top to bottom without errors."""
    code = [c for c in notebook.code_cells if c.source.strip()]
    if not code or [c.execution_count for c in code] != list(range(1, len(code) + 1)):
        return None
    parts = []
    for cell in code:
        for output in cell.outputs:
            if output.get("output_type") == "error":
                return None
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = output.get("text", "")
                parts.append("".join(text) if isinstance(text, list) else str(text))
    text = "".join(parts)
    return text if text.strip() and not _ADDRESS.search(text) else None


def _sha256(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""
