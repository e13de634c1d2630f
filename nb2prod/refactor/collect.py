"""Pass 1 — collect: every code cell transformed (magics, secrets, paths, display calls; see
:mod:`nb2prod.refactor.cells`) and its statements sorted into imports, definitions, config fields
and step code. Comments travel with the statement they annotate; a cell that cannot become code is
kept as comments, with a warning.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import replace
from pathlib import Path

import libcst as cst

from nb2prod.analysis.astutil import all_nodes, called_name, literal_value, parsed
from nb2prod.analysis.dataflow import analyse, is_builtin
from nb2prod.findings import Finding
from nb2prod.notebook.model import MAX_NESTING, Cell, Notebook, nesting_depth
from nb2prod.redact import may_hold_secret, redact
from nb2prod.refactor.cells import CellResult, transform_cell
from nb2prod.refactor.comments import comment_lines
from nb2prod.refactor.locate import one_line
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

# names the Config class body uses: a config field of that name would shadow them
CONFIG_INTERNALS = frozenset({"os", "sys", "json", "ast", "dataclasses", "dataclass", "field", "Path",
                              "Any", "Iterable", "Mapping", "ENV_PREFIX", "parse_value", "path",
                              "load", "read_config_file", "required_fields", "annotations"})
MAX_COMMENTED_LINES = 5  # a cell with more lines that do not parse is not Python: kept as comments
MAX_BLOCK_DEPTH = 90  # Python allows 100 indentation levels; the step function and a guard add some


def collect(notebook: Notebook, flagged: tuple[Finding, ...] = ()) -> Collected:
    """The notebook's code cells, sorted; ``flagged`` findings (--force) become TODOs in them."""
    cells = [c for c in notebook.code_cells if c.source.strip()]
    flow = analyse(notebook)
    single_binding = {name for name, places in flow.binders.items() if len(places) == 1}
    used_names = set(flow.binders) | RESERVED
    parameters = {c.index for c in cells if "parameters" in c.tags}
    pieces = Pieces(cells={c.index: c for c in cells}, folder=str(Path(notebook.path).parent))
    known_paths: dict[str, str] = {}
    clashes = _clashing_names(flow, pieces)
    for cell in cells:
        python, reason = _parseable(pieces, cell)
        for name, new in clashes.items():
            if reason is None and re.search(rf"\b{name}\b", python):
                python = rename(python, name, new)
        results = None
        if reason is None:
            results = _transformed(pieces, cell, python, used_names, known_paths)
        if results is None:
            reason = reason or "code nested too deeply to transform"
            line = cell.syntax_error.line if cell.syntax_error else 1
            pieces.bodies[cell.index] = [_commented_out(cell, reason)]
            pieces.warnings.append(ConvertWarning(cell.index, line, f"{reason}; cell kept as comments"))
            continue
        source = "parameters cell" if cell.index in parameters else "constant"
        for result in results:
            if isinstance(result, str):  # a statement libcst could not take: kept as it is
                pieces.bodies.setdefault(cell.index, []).append(result)
                continue
            _absorb(pieces, result, cell)
            for statement, code in _imports_apart(result.module, result.statements):
                _classify(pieces, result.module, statement, code, cell, single_binding, source)
            closing = comment_lines([*result.module.header, *result.module.footer])
            if closing:  # a comment-only cell, or comments after the cell's last statement
                pieces.bodies.setdefault(cell.index, []).append("".join(f"{c}\n" for c in closing))
        pieces.changes += _dropped_answer(cell, python, pieces.changes)
    _mark_flagged(pieces, flagged)
    _mark_path_constants(pieces, notebook)
    return pieces.freeze()


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


def _parseable(pieces: Pieces, cell: Cell) -> tuple[str, str | None]:
    """The cell's Python with the lines that do not parse commented out (each reported), and why
    the cell cannot become code at all (None when it can)."""
    python = cell.python
    if cell.tree is None:
        python, commented = _without_unparseable_lines(python)
        if python is None:
            return cell.python, _unconvertible(cell)
        for number, text, call in commented:
            line = cell.original_line(number)
            if call:
                pieces.changes.append(Change(cell.index, line, f"`{one_line(text)}` became "
                                             f"`{one_line(call)}`", "a Python 2 print statement"))
                continue
            pieces.warnings.append(ConvertWarning(cell.index, line, f"line {line} does not parse as "
                                                  "Python; kept as a comment"))
            pieces.changes.append(Change(cell.index, line, f"`{one_line(text)}` "
                                         "became a comment", "it does not parse as Python"))
    tree = ast.parse(python) if cell.tree is None else cell.tree
    if "print" in python and ">>" in python:
        python, tree = _print_to_file_calls(pieces, cell, python, tree)
    outside = _outside_a_function(tree)
    if outside:
        return python, f"uses {outside}, which only IPython allows at the top of a cell"
    depth = _block_depth(tree)
    if depth > MAX_BLOCK_DEPTH:
        return python, (f"nested {depth} blocks deep; inside a step function it would pass "
                        "Python's limit of 100 indentation levels")
    return python, None


_ONLY_IN_FUNCTIONS = frozenset({ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Return, ast.Yield,
                                ast.YieldFrom, ast.Break, ast.Continue})


def _outside_a_function(tree: ast.Module) -> str:
    """What the cell does at top level that a step function cannot: `await`, `return`, `yield`,
    a `break` or `continue` outside any loop ('' when nothing)."""
    if not any(node.__class__ in _ONLY_IN_FUNCTIONS for node in all_nodes(tree)):
        return ""
    stack = [(node, False) for node in tree.body]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return "`await` outside a function"
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return f"`{type(node).__name__.lower().replace('from', ' from')}` outside a function"
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return f"`{type(node).__name__.lower()}` outside a loop"
        looping = in_loop or isinstance(node, (ast.For, ast.While))
        stack.extend((child, looping) for child in ast.iter_child_nodes(node))
    return ""


def _without_unparseable_lines(python: str) -> tuple[str | None, list[tuple[int, str, str]]]:
    """``python`` with each line a syntax error points at fixed when it is a Python 2 ``print``
    statement, else commented out (a few at most); and (line, text, what became of it) for each."""
    lines = python.splitlines()
    edited: list[tuple[int, str, str]] = []
    commented = 0
    while commented < MAX_COMMENTED_LINES and len(edited) <= len(lines):
        try:
            ast.parse("\n".join(lines))
        except SyntaxError as exc:
            number = exc.lineno or 0
            if isinstance(exc, IndentationError) and edited and "expected an indented" in exc.msg:
                # the line commented out was all its block had: Python needs a statement there
                last, text, _ = edited[-1]
                indent = text[: len(text) - len(text.lstrip())]
                lines[last - 1] = f"{indent}pass  # nb2prod: did not parse: {text.lstrip()}"
                continue
            if not 0 < number <= len(lines) or lines[number - 1].lstrip().startswith("#"):
                return None, []
            text = lines[number - 1]
            call = _print_call(text)
            indent = text[: len(text) - len(text.lstrip())]
            lines[number - 1] = call or f"{indent}# {text.lstrip()}"
            edited.append((number, text, call.strip() if call else ""))
            commented += call is None
        except (RecursionError, MemoryError, ValueError):
            return None, []
        else:  # parses now; with nothing commented, the cell failed for another reason (depth)
            code = "\n".join(lines) + "\n"
            if not edited or nesting_depth(ast.parse(code)) > MAX_NESTING:
                return None, []
            return code, edited
    return None, []


# `print x, y`: print, a space, then no call parentheses, assignment, attribute or `>>` target
_PRINT_STATEMENT = re.compile(r"^(?P<indent>\s*)print\s+(?![(=.\[]|>>)(?P<arguments>.+?)\s*$")
_PRINT_TO_FILE = re.compile(r"^(?P<indent>\s*)print\s*>>\s*(?P<file>[A-Za-z_][\w.]*)\s*,"
                            r"\s*(?P<arguments>.+?)\s*$")


def _print_call(text: str) -> str | None:
    """``print x, y`` (Python 2) as ``print(x, y)``, a comment after it kept; None when the line
    is no such statement."""
    for at in [len(text), *(i for i, c in enumerate(text) if c == "#")]:
        call = _print_statement_call(text[:at].rstrip())
        if call is not None:
            return call + (f"  {text[at:]}" if at < len(text) else "")
    return None


def _print_to_file_calls(pieces: Pieces, cell: Cell, python: str, tree: ast.Module):
    """``print >>sys.stderr, x`` parses in Python 3 (a tuple with a shift) but only raises
    there: each such one-line statement becomes ``print(x, file=sys.stderr)``, reported."""
    lines = python.splitlines()
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Expr) else None
        first = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
        if not (isinstance(first, ast.BinOp) and isinstance(first.op, ast.RShift)
                and isinstance(first.left, ast.Name) and first.left.id == "print"
                and node.lineno == node.end_lineno):
            continue
        call = _print_call(lines[node.lineno - 1])
        if call is not None:
            line = cell.original_line(node.lineno)
            pieces.changes.append(Change(cell.index, line, f"`{one_line(lines[node.lineno - 1])}` "
                                         f"became `{one_line(call)}`", "a Python 2 print statement"))
            lines[node.lineno - 1] = call
    python = "\n".join(lines) + "\n"
    return python, ast.parse(python)


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


def _print_statement_call(text: str) -> str | None:
    redirected = _PRINT_TO_FILE.match(text)  # `print >>f, x` -> `print(x, file=f)`
    match = redirected or _PRINT_STATEMENT.match(text)
    if match is None:
        return None
    indent, arguments = match["indent"], match["arguments"]
    end = ', end=" "' if arguments.endswith(",") else ""
    target = f", file={redirected['file']}" if redirected else ""
    call = f"{indent}print({arguments.rstrip(',')}{end}{target})"
    try:
        ast.parse(call.strip())
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    return call


def _transformed(pieces: Pieces, cell: Cell, python: str, used_names: set[str],
                 known_paths: dict[str, str]) -> list[CellResult | str] | None:
    """The cell transformed whole or, when libcst runs out of stack on it, statement by statement
    (a statement that still fails is kept unchanged, with a warning); None when nothing works."""
    names_before, paths_before = set(used_names), dict(known_paths)
    try:
        return [_printed(transform_cell(python, cell.index, cell.original_line, used_names,
                                        known_paths, cell.source))]
    except RecursionError:  # (what the failed attempt named is free again)
        used_names.clear(), used_names.update(names_before)
        known_paths.clear(), known_paths.update(paths_before)
    try:
        tree = ast.parse(python)
    except (SyntaxError, RecursionError, MemoryError):
        return None
    lines = python.splitlines(keepends=True)
    results: list[CellResult | str] = []
    for start, end in _statement_spans(tree):
        segment = "".join(lines[start:end])

        def original_line(number: int, offset: int = start) -> int:
            return cell.original_line(number + offset)

        try:
            results.append(_printed(transform_cell(segment, cell.index, original_line,
                                                   used_names, known_paths, cell.source)))
        except RecursionError:
            results.append(_untransformed(pieces, cell, segment, cell.original_line(start + 1)))
    return results


def _printed(result: CellResult) -> CellResult:
    """The result with its top-level statements and their code, ready to classify: printing a
    statement libcst built can run out of stack too (500 strings in one implicit concatenation),
    and that is found here, where the cell can still be taken statement by statement."""
    result.statements = [(statement, _code_of(statement, result))
                         for statement in _comments_past_lone_imports(result.module.body)]
    return result


def _code_of(statement: cst.CSTNode, result: CellResult) -> str:
    """A top-level statement's code: its lines as written when it came through unchanged (the
    comments and blank lines above it are its own), else libcst's printing of it."""
    kept = result.texts.get(id(statement))
    if kept is None or kept[0] is not statement:
        return result.module.code_for_node(statement)
    newline = result.module.default_newline
    above = "".join(f"{line.whitespace.value}{line.comment.value if line.comment else ''}"
                    f"{line.newline.value or newline}" for line in statement.leading_lines)
    return above + kept[1]


def _statement_spans(tree: ast.Module) -> list[tuple[int, int]]:
    """The line ranges (start, end: slice bounds) of the top-level statements; statements that
    share a line (``a += 1; b = 2``) share one range, so none is taken twice."""
    spans: list[tuple[int, int]] = []
    for node in tree.body:
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _untransformed(pieces: Pieces, cell: Cell, segment: str, line: int) -> str:
    """A statement too deep for libcst: kept as written, unless it may hold a credential (the
    transforms that would have moved it to the environment did not run): then it is kept as a
    redacted comment, to restore by hand."""
    segment = segment if segment.endswith("\n") else segment + "\n"
    if not may_hold_secret(segment):
        pieces.warnings.append(ConvertWarning(cell.index, line, "statement nested too deeply "
                                              "for nb2prod's transforms; kept unchanged"))
        return segment
    pieces.warnings.append(ConvertWarning(cell.index, line, "statement nested too deeply for "
                                          "nb2prod's transforms, and it may hold a credential: "
                                          "kept as a redacted comment; restore it by hand"))
    text = redact(segment)[0]
    return "# TODO(nb2prod): restore (nested too deeply to convert; credentials redacted):\n" + \
        "".join(f"# {row}\n" for row in text.splitlines())


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
    if result.shows_figures and "figures_dir" not in pieces.config:
        pieces.config["figures_dir"] = ConfigField("figures_dir", "'figures'", "str",
                                                   "where the figures the notebook showed are saved",
                                                   cell.index)


def _classify(pieces: Pieces, module: cst.Module, statement: cst.CSTNode, code: str, cell: Cell,
              single_binding: set[str], source: str) -> None:
    if _imports_only(statement):
        comments = _statement_comments(statement)
        for small in statement.body:  # one line each: `from x import (a,\n b)` is one statement
            line = ast.unparse(ast.parse(cst.Module([cst.SimpleStatementLine([small])]).code))
            pieces.imports.append(line)
            pieces.bodies.setdefault(cell.index, []).append(import_marker(line))
            if comments:  # the comments travel with the import, once
                pieces.import_comments.setdefault(line, []).extend(comments)
                comments = []
        return
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        detached, statement = _detached_comments(statement)
        if detached:  # they end the code above the definition: they stay with it, in the step
            pieces.bodies.setdefault(cell.index, []).append(detached)
            code = module.code_for_node(statement)
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


def _imports_apart(module: cst.Module, statements):
    """The cell's statements, with an import that shares a line with other code
    (``import pandas as pd; pd.set_option(...)``) on a line of its own: it goes to the module's
    imports like any other (black would put each on its own line too)."""
    for statement, code in statements:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) > 1
                and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)):
            yield statement, code
            continue
        last = len(statement.body) - 1
        # the comments above the line stay with its code (`# show all columns`), not the import
        commented = next((at for at, small in enumerate(statement.body)
                          if not isinstance(small, (cst.Import, cst.ImportFrom))), 0)
        for at, small in enumerate(statement.body):
            line = cst.SimpleStatementLine(
                body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                leading_lines=statement.leading_lines if at == commented else (),
                trailing_whitespace=statement.trailing_whitespace if at == last
                else cst.TrailingWhitespace())
            yield line, module.code_for_node(line)


def _detached_comments(definition):
    """Comments above a ``def`` that a blank line separates from it (``#plt.legend()`` after the
    plotting code, then the function): they belong to the code before, not to the function.
    Returns them as a chunk ('' when none) and the definition without them."""
    lines = list(definition.leading_lines)
    blanks = [i for i, line in enumerate(lines) if line.comment is None]
    cut = blanks[-1] if blanks else -1
    above = [line for line in lines[:cut] if line.comment is not None]
    if not above:
        return "", definition
    chunk = "".join(f"{line.comment.value}\n" for line in above)
    return chunk, definition.with_changes(leading_lines=lines[cut + 1:])


def _version_previous_definition(pieces: Pieces, name: str, cell: Cell) -> None:
    """A name defined twice: the earlier version keeps working where the notebook used it."""
    version = 1
    while f"{name}_v{version}" in pieces.definitions:
        version += 1
    renamed = f"{name}_v{version}"
    since = pieces.definition_cells[name]
    pieces.definitions[renamed] = rename(pieces.definitions.pop(name), name, renamed)
    pieces.definition_cells[renamed] = since
    for index, chunks in pieces.bodies.items():
        if index >= since and any(name in chunk for chunk in chunks):
            pieces.bodies[index] = [rename(chunk, name, renamed) if _may_use(chunk, name)
                                    and not chunk.startswith(DEFINITION_MARK) else chunk
                                    for chunk in chunks]
    pieces.bodies[since] = [f"{DEFINITION_MARK}{renamed}\n" if c == f"{DEFINITION_MARK}{name}\n"
                            else c for c in pieces.bodies.get(since, [])]
    pieces.warnings.append(ConvertWarning(cell.index, 1, f"'{name}' is defined again here; the "
                                          f"earlier definition is kept as '{renamed}' for the "
                                          "cells that used it"))
    pieces.changes.append(Change(since, 1, f"`{name}` became `{renamed}` (the definition and "
                                 f"its uses before cell {cell.index})",
                                 f"cell {cell.index} defines `{name}` again; each keeps working "
                                 "where the notebook used it"))


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


def _config_field(statement, module: cst.Module, cell: Cell, single_binding: set[str],
                  source: str) -> ConfigField | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Assign) and len(statement.body[0].targets) == 1
            and isinstance(statement.body[0].targets[0].target, cst.Name)):
        return None
    name = statement.body[0].targets[0].target.value
    if is_builtin(name) or name in CONFIG_INTERNALS:  # `type = 'rf'`, `os = 5`: stays code
        return None
    try:
        value_code = module.code_for_node(statement.body[0].value)
    except RecursionError:  # (500 strings in one implicit concatenation: no setting)
        return None
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


def _comments_past_lone_imports(body) -> list:
    """``# Select a 3-nearest neighbors model`` above ``import sklearn.neighbors`` and the code
    that uses it: the comment is about the code, and the import goes to the top of the module
    alone. The comments directly above one import that the code follows without a blank line
    move onto that code."""
    body = list(body)
    for at in range(len(body) - 1):
        statement, following = body[at], body[at + 1]
        lines = list(getattr(statement, "leading_lines", ()))
        if not (_imports_only(statement) and lines and lines[-1].comment is not None) \
                or _imports_only(following) or any(line.comment is None
                                                   for line in following.leading_lines) \
                or _IMPORT_WORD.search(lines[-1].comment.value):
            continue  # (`# Import the helper functions` is about the import itself)
        cut = len(lines)
        while cut and lines[cut - 1].comment is not None:
            cut -= 1
        body[at] = statement.with_changes(leading_lines=lines[:cut])
        body[at + 1] = following.with_changes(
            leading_lines=[*lines[cut:], *following.leading_lines])
    return body


_IMPORT_WORD = re.compile(r"\bimport", re.IGNORECASE)


def _imports_only(statement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)


def _statement_comments(statement: cst.SimpleStatementLine) -> list[str]:
    """The comments above a statement and the one at the end of its line."""
    comments = comment_lines(statement.leading_lines)
    if statement.trailing_whitespace.comment is not None:
        comments.append(statement.trailing_whitespace.comment.value)
    return comments


def _unconvertible(cell: Cell) -> str:
    """Why a cell that does not parse cannot become code."""
    return f"does not parse ({cell.syntax_error.message}, line {cell.syntax_error.line})"


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


def _mark_flagged(pieces: Pieces, flagged: tuple[Finding, ...]) -> None:
    for finding in flagged:
        chunks = pieces.bodies.get(finding.cell)
        if chunks:
            chunks.insert(0, f"# TODO(nb2prod): {finding.code} {finding.message}\n")
        pieces.warnings.append(ConvertWarning(
            finding.cell, finding.line, f"{finding.code} {finding.message} (converted anyway: --force)"))
