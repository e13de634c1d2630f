"""Pass 1 — collect: every code cell read (:mod:`nb2prod.refactor.cell_code`: transformed, its
statements sorted into imports, definitions, settings and step code), then placed in notebook
order. Where a statement goes can depend on the cells before it (the first setting of a name
wins, a function defined again keeps its earlier version), so placing is one pass in order;
reading is not, and a large notebook's cells are read by two processes
(:mod:`nb2prod.refactor.cell_reading`).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import replace
from pathlib import Path

from nb2prod.analysis.astutil import all_nodes, called_name, literal_value, parsed
from nb2prod.analysis.dataflow import analyse
from nb2prod.findings import Finding
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.refactor.cell_code import CellCode, Reading, Statement
from nb2prod.refactor.cell_reading import read_cells
from nb2prod.refactor.cells import CellResult
from nb2prod.refactor.locate import definition_line, one_line
from nb2prod.refactor.path_flow import path_uses
from nb2prod.refactor.pieces import (
    CLASHING,
    DATA_DIR_SOURCE,
    DEFINITION_MARK,
    PATH_SOURCE,
    RESERVED,
    Collected,
    Pieces,
    import_marker,
)
from nb2prod.refactor.plan import Change, ConfigField, ConvertWarning
from nb2prod.refactor.rename import rename


def collect(notebook: Notebook, flagged: tuple[Finding, ...] = ()) -> Collected:
    """The notebook's code cells, sorted; ``flagged`` findings (--force) become TODOs in them."""
    cells = [c for c in notebook.code_cells if c.source.strip()]
    flow = analyse(notebook)
    pieces = Pieces(cells={c.index: c for c in cells}, folder=str(Path(notebook.path).parent))
    reading = Reading(
        clashes=_clashing_names(flow, pieces),
        single_binding=frozenset(name for name, places in flow.binders.items()
                                 if len(places) == 1),
        parameters=frozenset(c.index for c in cells if "parameters" in c.tags))
    used_names = set(flow.binders) | RESERVED
    drawers = _own_drawing_functions(cells)
    for cell, code in zip(cells, read_cells(cells, reading, used_names), strict=True):
        _place(pieces, cell, code)
        _save_figure_drawn_through(pieces, cell, code, drawers)
    _mark_flagged(pieces, flagged)
    _mark_path_constants(pieces, notebook)
    return pieces.freeze()


def _place(pieces: Pieces, cell: Cell, code: CellCode) -> None:
    """A cell's code into the pieces, after the cells before it."""
    since = len(pieces.changes)
    pieces.warnings += code.notes.warnings
    pieces.changes += code.notes.changes
    if code.commented:
        pieces.bodies[cell.index] = [code.commented]
        return
    for part in code.parts:
        if isinstance(part, str):  # a statement libcst could not take: kept as it is
            pieces.bodies.setdefault(cell.index, []).append(part)
            continue
        _absorb(pieces, part.result, cell)
        for statement in part.statements:
            _place_statement(pieces, statement, cell)
        if part.closing:
            pieces.bodies.setdefault(cell.index, []).append(part.closing)
    # (the changes listed for this cell so far are all its own: placed in order)
    pieces.changes += _dropped_answer(cell, code.python, pieces.changes[since:])


def _own_drawing_functions(cells: list[Cell]) -> frozenset[str]:
    """The notebook's own top-level functions, when it draws with matplotlib at all: a call of
    one may draw a figure the cell's own code does not show (``plotLocs(...)``)."""
    if not any(_imports_plotting(c) for c in cells):
        return frozenset()
    return frozenset(node.name for c in cells if c.tree is not None for node in c.tree.body
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _imports_plotting(cell: Cell) -> bool:
    """The cell imports matplotlib (or pylab, seaborn) or sets its backend up (`%matplotlib`)."""
    if any(m.name in {"matplotlib", "pylab"} for m in cell.magics):
        return True
    for node in all_nodes(cell.tree) if cell.tree is not None else ():
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(m.split(".")[0] in {"matplotlib", "pylab", "seaborn"} for m in modules):
            return True
    return False


def _save_figure_drawn_through(pieces: Pieces, cell: Cell, code: CellCode,
                               drawers: frozenset[str]) -> None:
    """A cell that showed a figure its own code did not draw visibly, drawn by a call of the
    notebook's own function: the figure is saved when the cell ends, as the inline backend
    showed it then (a function that shows or closes its figure itself leaves none open)."""
    if not drawers or code.commented or cell.tree is None or not _showed_image(cell) or any(
            not isinstance(p, str) and p.result.shows_figures for p in code.parts):
        return
    called = [name for node in all_nodes(cell.tree) if isinstance(node, ast.Call)
              and (name := called_name(node.func)) in drawers]
    if not called or re.search(r"\b(?:display|Image)\s*\(", cell.python):
        return
    pieces.bodies.setdefault(cell.index, []).append("save_figure(figures_dir)\n")
    line = max(statement.end_lineno or statement.lineno for statement in cell.tree.body)
    pieces.changes.append(Change(cell.index, cell.original_line(line),
                                 "the cell ends with `save_figure(figures_dir)`",
                                 f"the notebook showed a figure when the cell ended, drawn by its "
                                 f"own `{called[0]}`"))
    _add_figures_dir(pieces, cell)


def _add_figures_dir(pieces: Pieces, cell: Cell) -> None:
    if "figures_dir" not in pieces.config:
        pieces.config["figures_dir"] = ConfigField("figures_dir", "'figures'", "str",
                                                   "where the figures the notebook showed are saved",
                                                   cell.index)


def _showed_image(cell: Cell) -> bool:
    return any(o.get("output_type") == "display_data" and any(
        kind.startswith("image/") for kind in o.get("data", {})) for o in cell.outputs)


def _mark_path_constants(pieces: Pieces, notebook: Notebook) -> None:
    """Constants the notebook passes to a file call (``pd.read_csv(DATA_PATH)``) with a relative
    file path for a value resolve against data_dir too; the config gets data_dir for them. An
    absolute one is a host path, also when a path is built from it (``BASE + "out.csv"``,
    directly or through a variable): the generated tests keep off what it names."""
    from nb2prod.refactor.cells import RELATIVE_PATH

    uses = path_uses(notebook)
    marked = False
    for name in (uses.passed | uses.read | uses.written) & set(pieces.config):
        item = pieces.config[name]
        value = literal_value(item.value)
        if item.source == PATH_SOURCE or not isinstance(value, str):
            continue
        if value.startswith(("/", "~")):  # OUT = "/home/me/x.csv": the tests keep off it
            pieces.config[name] = replace(item, is_path=item.is_path or name in uses.passed,
                                          host_read=name in uses.read,
                                          host_write=name in uses.written
                                          or name not in uses.read)
        elif RELATIVE_PATH.match(value) and name in uses.passed:
            pieces.config[name] = replace(item, is_path=True)
            marked = True
    if marked and "data_dir" not in pieces.config:
        first = min(item.cell for item in pieces.config.values() if item.is_path)
        pieces.config["data_dir"] = ConfigField("data_dir", "'.'", "str", DATA_DIR_SOURCE, first)


def _clashing_names(flow, pieces: Pieces) -> dict[str, str]:
    """Names the notebook binds that the generated modules use themselves (`config`, `run`...),
    and the name each gets everywhere: a trailing underscore, as PEP 8 suggests for such clashes
    (``os_2``... when the notebook has ``os_`` already)."""
    clashes = sorted(name for name in flow.binders if name in CLASHING
                     and _written(name, [pieces.cells.get(b[0]) for b in flow.binders[name]]))
    if "os" in flow.binders and not _imports_os(pieces.cells.values()):
        clashes.append("os")  # `os = "linux"`: the generated code's os.makedirs/os.environ
    words = {word for cell in pieces.cells.values() if cell.is_code
             for word in re.findall(r"\w+", cell.python)} if clashes else set()
    renamed = {}
    for name in clashes:
        new, number = f"{name}_", 2
        while new in words:
            new, number = f"{name}_{number}", number + 1
        renamed[name] = new
        cell, line, _, _ = flow.binders[name][0]
        pieces.changes.append(Change(cell, line, f"`{name}` became `{new}` throughout",
                                     "the generated project uses that name itself"))
    return renamed


def _imports_os(cells) -> bool:
    """Whether a cell binds ``os`` to the os module (``import os``, ``import os.path``)."""
    return any(isinstance(node, ast.Import) and any(
        alias.name.split(".")[0] == "os" and alias.asname in (None, "os") for alias in node.names)
        for cell in cells if cell.tree is not None for node in all_nodes(cell.tree))


def _written(name: str, cells: list[Cell | None]) -> bool:
    """The name appears in the code of a cell that binds it (a star import binds names that
    appear nowhere: `from pylab import *` binds `step` and `trace`, nothing to rename)."""
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return any(cell is not None and pattern.search(cell.python) for cell in cells)


_NUMBER = r"[-+]?(?:\d[\d_.]*(?:[eE][-+]?\d+)?|nan|inf)"
_SCALAR = re.compile(rf"{_NUMBER}|True|False|\((?:{_NUMBER}, ?)+(?:{_NUMBER})?\)|"
                     rf"np\.(?:float|int|uint|bool_?)\d*\({_NUMBER}\)")  # numpy 2 shows np.float64(x)
# calls whose result is a by-product (a count of bytes written, an exit status)
_BY_PRODUCT = frozenset({"write", "writelines", "seek", "truncate", "system", "call", "run",
                         "send", "sendall", "execute", "commit", "remove", "unlink", "mkdir",
                         "fit", "partial_fit", "set_params"})


def _dropped_answer(cell: Cell, python: str, changes: list[Change]) -> list[Change]:
    """The value a cell showed as its result (``entropy(results)`` -> Out[7]: 0.08,
    ``model.coef_, r2_score(y, p)``) that the step computes and drops: listed, so nobody looks
    for the answer in the project. By-products (a count of bytes written, a plot's artists, an
    object's ``<... at 0x...>``) are nobody's answer."""
    text = _shown_result(cell)
    try:
        last = ast.parse(python).body[-1] if text is not None else None
    except (SyntaxError, IndexError, RecursionError, MemoryError, ValueError):
        return []
    if not isinstance(last, ast.Expr) or not isinstance(last.value, _ANSWERS) or _by_product(
            last.value, text):
        return []
    line = cell.original_line(last.lineno)
    if any(c.cell == cell.index and c.line == line for c in changes):
        return []  # already removed as a display: listed as such
    code = one_line(ast.get_source_segment(python, last) or "")
    value = f", {one_line(text.strip())}" if _SCALAR.fullmatch(text.strip()) else ""
    return [Change(cell.index, line, f"the value of `{code}` is no longer shown",
                   f"the notebook showed it as the cell's result{value}; the step computes it "
                   "and drops it: print or return it if it matters")]


_ANSWERS = (ast.Call, ast.Tuple, ast.Attribute, ast.Subscript, ast.BinOp, ast.Compare)


def _shown_result(cell: Cell) -> str | None:
    """The text the cell's last result showed (``Out[n]``), when it showed one."""
    shown = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
    data = shown[-1].get("data") if shown else None
    text = data.get("text/plain") if isinstance(data, dict) else None
    text = "".join(text) if isinstance(text, list) else text
    return text if isinstance(text, str) and text.strip() else None


def _by_product(value: ast.expr, text: str) -> bool:
    """``model.fit(X, y)`` shows the model (``LogisticRegression(max_iter=1000)``), a plot call its
    artists, a write its byte count: none of it is the cell's answer. What the outermost call
    makes decides: ``ols(...).fit().summary()`` shows the summary, an answer."""
    lines = [line for line in text.splitlines() if line.strip()]
    if " at 0x" in text or (len(lines) == 1 and lines[0].lstrip().startswith(
            ("<", "[<", "(<", "Text("))) or bool(_OBJECT_REPR.match(text)):
        return True
    outer = _outer_call(value)
    calls = [outer] if outer is not None else [n for n in ast.walk(value) if isinstance(n, ast.Call)]
    return any(called_name(c.func) in _BY_PRODUCT or _PLOTTING.match(called_name(c.func))
               for c in calls)


def _outer_call(value: ast.expr) -> ast.Call | None:
    """The call whose result ``value`` shows (``a.fit().summary()`` -> ``summary()``), when
    the expression is a chain ending in one."""
    while isinstance(value, (ast.Attribute, ast.Subscript)):
        value = value.value
    return value if isinstance(value, ast.Call) else None


_OBJECT_REPR = re.compile(r"\s*[A-Z]\w*\(")  # an object shown as its constructor call


# calls that draw: what they return (artists, axes) is not what the cell was for
_PLOTTING = re.compile(r"^(?:plot\w*|hist\w*|scatter\w*|bar\w*|boxplot|violinplot|heatmap|imshow|"
                       r"subplots?|figure|pairplot|\w*plot|pie|legend|title|xlabel|ylabel|"
                       r"[xy]lim|[xy]ticks|set_\w+|text|annotate|axis|grid|tight_layout)$")


def _absorb(pieces: Pieces, result: CellResult, cell: Cell) -> None:
    pieces.warnings += result.warnings
    pieces.changes += result.changes
    pieces.stdlib_needed |= result.needed_imports
    pieces.secrets += [s for s in result.secrets if s not in pieces.secrets]
    pieces.path_reads.update(result.path_reads)
    for name, literal in result.path_fields.items():
        if name not in pieces.config:
            pieces.config[name] = ConfigField(name, literal, "str", PATH_SOURCE, cell.index,
                                              folder=name in result.folder_fields)
        if name in result.folder_writes and not pieces.config[name].makes_folder:
            pieces.config[name] = replace(pieces.config[name], makes_folder=True)
            pieces.stdlib_needed.add("os")
        if name in result.host_writes and not pieces.config[name].host_write:
            pieces.config[name] = replace(pieces.config[name], host_write=True)
        if name in result.host_reads and not pieces.config[name].host_read:
            pieces.config[name] = replace(pieces.config[name], host_read=True)
    if result.path_fields and "data_dir" not in pieces.config:
        pieces.config["data_dir"] = ConfigField("data_dir", "'.'", "str", DATA_DIR_SOURCE,
                                                cell.index)
    if result.shows_figures:
        _add_figures_dir(pieces, cell)


def _place_statement(pieces: Pieces, statement: Statement, cell: Cell) -> None:
    if statement.kind == "import":
        comments = list(statement.comments)
        for line in statement.imports:
            pieces.imports.append(line)
            pieces.bodies.setdefault(cell.index, []).append(import_marker(line))
            if comments:  # the comments travel with the import, once
                pieces.import_comments.setdefault(line, []).extend(comments)
                comments = []
        return
    if statement.kind == "definition":
        if statement.detached:  # they end the code above the definition: they stay in the step
            pieces.bodies.setdefault(cell.index, []).append(statement.detached)
        name = statement.name
        if name in pieces.definitions:
            _version_previous_definition(pieces, name, cell)
        pieces.definitions[name] = statement.code.strip("\n") + "\n"
        pieces.definition_cells[name] = cell.index
        pieces.bodies.setdefault(cell.index, []).append(f"{DEFINITION_MARK}{name}\n")
        return
    setting = statement.setting
    if setting is not None and setting.name not in RESERVED and setting.name not in pieces.config:
        pieces.config[setting.name] = setting
        return
    pieces.bodies.setdefault(cell.index, []).append(statement.code)


def _version_previous_definition(pieces: Pieces, name: str, cell: Cell) -> None:
    """A name defined twice: the earlier version keeps working where the notebook used it."""
    renamed = _next_version(pieces, name)
    since = pieces.definition_cells[name]
    pieces.definitions[renamed] = rename(pieces.definitions.pop(name), name, renamed)
    pieces.definition_cells[renamed] = since
    pieces.versioned.add(renamed)
    _rename_uses(pieces, name, renamed, since)
    pieces.bodies[since] = [f"{DEFINITION_MARK}{renamed}\n" if c == f"{DEFINITION_MARK}{name}\n"
                            else c for c in pieces.bodies.get(since, [])]
    pieces.warnings.append(ConvertWarning(cell.index, 1, f"'{name}' is defined again here; the "
                                          f"earlier definition is kept as '{renamed}' for the "
                                          "cells that used it"))
    pieces.changes.append(Change(since, _def_line(pieces, since, name), f"`{name}` became "
                                 f"`{renamed}` (the definition and "
                                 f"its uses before cell {cell.index})",
                                 f"cell {cell.index} defines `{name}` again; each keeps working "
                                 "where the notebook used it"))
    _version_callers(pieces, name, renamed, cell.index)


def _next_version(pieces: Pieces, name: str) -> str:
    """The first ``name_vN`` no definition has."""
    number = 1
    while f"{name}_v{number}" in pieces.definitions:
        number += 1
    return f"{name}_v{number}"


def _rename_uses(pieces: Pieces, name: str, new: str, since: int,
                 until: float = float("inf")) -> None:
    """``name`` becomes ``new`` where the cells from ``since`` up to ``until`` use it."""
    for index, chunks in pieces.bodies.items():
        if since <= index < until and any(name in chunk for chunk in chunks):
            pieces.bodies[index] = [rename(chunk, name, new) if _may_use(chunk, name)
                                    and not chunk.startswith(DEFINITION_MARK) else chunk
                                    for chunk in chunks]


def _def_line(pieces: Pieces, cell: int, name: str) -> int:
    return definition_line(pieces.cells[cell].source if cell in pieces.cells else "", name)


def _version_callers(pieces: Pieces, name: str, renamed: str, until: int) -> None:
    """A function that calls ``name`` calls the version current when it runs. An earlier version
    (all its uses came before ``until``) calls ``renamed`` from now on; a function the cells
    before ``until`` used gets a copy for them that calls ``renamed`` (and so on, for the
    functions that call it), while later cells keep calling the function as it is."""
    pending = [(name, renamed)]
    while pending:
        old, new = pending.pop()
        for other, source in list(pieces.definitions.items()):
            if other in (old, new) or not source.startswith(("def ", "async def ")) \
                    or not _may_use(source, old):
                continue
            if other in pieces.versioned:
                pieces.definitions[other] = rename(source, old, new)
            elif _used_before(pieces, other, until, set()):
                pending.append((other, _copy_for_earlier_cells(pieces, other, old, new, until)))


def _used_before(pieces: Pieces, name: str, until: int, seen: set[str]) -> bool:
    """Whether a cell before ``until`` uses function ``name``: itself, or through a function it
    calls that uses it (``h`` calls ``g``, and only ``h`` is called)."""
    seen.add(name)
    since = pieces.definition_cells.get(name, until)
    if any(_may_use(chunk, name) for index, chunks in pieces.bodies.items()
           if since <= index < until for chunk in chunks
           if not chunk.startswith(DEFINITION_MARK)):
        return True
    return any(_used_before(pieces, caller, until, seen)
               for caller, source in list(pieces.definitions.items())
               if caller not in seen and caller not in pieces.versioned
               and _may_use(source, name))


def _copy_for_earlier_cells(pieces: Pieces, name: str, calls: str, version: str,
                            until: int) -> str:
    """A versioned copy of function ``name`` that calls ``version`` instead of ``calls``, for
    the cells before ``until``; returns the copy's name."""
    copy = _next_version(pieces, name)
    since = pieces.definition_cells[name]
    pieces.definitions[copy] = rename(rename(pieces.definitions[name], name, copy), calls, version)
    pieces.definition_cells[copy] = since
    pieces.versioned.add(copy)
    _rename_uses(pieces, name, copy, since, until)
    marker = f"{DEFINITION_MARK}{name}\n"
    pieces.bodies[since] = [c for chunk in pieces.bodies.get(since, [])
                            for c in ([chunk, f"{DEFINITION_MARK}{copy}\n"] if chunk == marker
                                      else [chunk])]
    pieces.changes.append(Change(since, _def_line(pieces, since, name), f"`{name}` has a copy, "
                                 f"`{copy}`, for its uses before "
                                 f"cell {until}", f"it calls `{calls}`, which cell {until} "
                                 f"defines again: `{copy}` calls `{version}`, the one those "
                                 "cells called"))
    return copy


def _may_use(chunk: str, name: str) -> bool:
    """Whether ``chunk`` may use ``name`` as a variable: libcst renames only where it may (the
    word alone is often a column, an attribute or a word in a string)."""
    if name not in chunk or not re.search(rf"\b{re.escape(name)}\b", chunk):
        return False  # (a cheap test first: `f` is in most chunks, as a word in few)
    identifiers = _identifiers(chunk)
    return identifiers is None or name in identifiers


@functools.lru_cache(maxsize=16384)
def _identifiers(chunk: str) -> frozenset[str] | None:
    """Every name in ``chunk`` where libcst's rename would change it: the variables, and
    conservatively every other identifier (``global``, an import, a nested ``def``...) except
    the attributes, keywords and parameters it leaves alone. None when it does not parse.
    Cached: a name defined again looks through every later chunk."""
    try:
        nodes = all_nodes(parsed(chunk))
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    found = set()
    for node in nodes:
        kind = node.__class__
        if kind is ast.Name:
            found.add(node.id)
        elif kind not in (ast.Attribute, ast.keyword, ast.arg, ast.Constant):
            for field in node._fields:
                value = getattr(node, field, None)
                if value.__class__ is str:
                    found.add(value)
                elif value.__class__ is list:
                    found.update(item for item in value if item.__class__ is str)
    return frozenset(found)


def _mark_flagged(pieces: Pieces, flagged: tuple[Finding, ...]) -> None:
    for finding in flagged:
        chunks = pieces.bodies.get(finding.cell)
        if chunks:
            chunks.insert(0, f"# TODO(nb2prod): {finding.code} {finding.message}\n")
        pieces.warnings.append(ConvertWarning(
            finding.cell, finding.line, f"{finding.code} {finding.message} (converted anyway: --force)"))
