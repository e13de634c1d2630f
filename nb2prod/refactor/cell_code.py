"""What one code cell gives on its own: its Python transformed (magics, secrets, paths,
display calls; see :mod:`nb2prod.refactor.cells`) and its top-level statements sorted into
imports, definitions, settings and step code, as plain data. Comments travel with the statement
they annotate; a cell that cannot become code is kept as comments, with a warning.

Cells are read apart from each other, so that a large notebook's cells can be read by two
processes (see :mod:`nb2prod.refactor.cell_reading`); what a cell needs of the others is in
:class:`Reading` (settled before the first cell) and two shared tables, the names in use and the
paths that have a config field, which it asks and adds to.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from nb2prod.analysis.astutil import all_nodes
from nb2prod.analysis.dataflow import is_builtin
from nb2prod.notebook.ipysyntax import STATEMENT_LINE_MAGICS
from nb2prod.notebook.model import MAX_NESTING, Cell, nesting_depth
from nb2prod.redact import may_hold_secret, redact
from nb2prod.refactor.cells import CellResult, transform_cell
from nb2prod.refactor.comments import comment_lines
from nb2prod.refactor.locate import one_line
from nb2prod.refactor.plan import Change, ConfigField, ConvertWarning
from nb2prod.refactor.rename import rename

# names the Config class body uses: a config field of that name would shadow them
CONFIG_INTERNALS = frozenset({"os", "sys", "json", "ast", "dataclasses", "dataclass", "field", "Path",
                              "Any", "Iterable", "Mapping", "ENV_PREFIX", "parse_value", "path",
                              "load", "read_config_file", "required_fields", "annotations"})
MAX_COMMENTED_LINES = 5  # a cell with more lines that do not parse is not Python: kept as comments
MAX_BLOCK_DEPTH = 90  # Python allows 100 indentation levels; the step function and a guard add some


@dataclass(frozen=True)
class Reading:
    """What every cell's reading needs of the whole notebook, settled before the first."""
    clashes: dict[str, str]  # a name the generated modules use themselves -> its new name
    single_binding: frozenset[str]  # names one statement binds (a setting may be one of them)
    parameters: frozenset[int]  # the cells tagged `parameters`


@dataclass
class Notes:
    """Warnings and changes to user code, in the order they were found."""
    warnings: list[ConvertWarning] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Statement:
    """A top-level statement of a cell, sorted: ``import`` (its lines, one per statement, and
    the comments that travel with it), ``definition`` (a ``def``/``class``: its name and code,
    and comments above it that end the code before it), or ``code`` (with the config field it
    may become: where it goes depends on the cells before)."""
    kind: str
    code: str = ""
    imports: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    name: str = ""
    detached: str = ""
    setting: ConfigField | None = None


@dataclass
class Part:
    """One transformed piece of a cell (the whole cell, or a statement libcst could only take
    alone): what the transform found (``result``, without its syntax tree), its statements, and
    the comments after its last statement."""
    result: CellResult
    statements: list[Statement]
    closing: str


@dataclass
class CellCode:
    """What one cell gives. ``commented``: the cell as comments when it cannot become code;
    ``parts``: its pieces, a str for a statement kept as it is (too deep for libcst)."""
    index: int
    python: str
    notes: Notes
    commented: str = ""
    parts: list[Part | str] = field(default_factory=list)


def read_cell(cell: Cell, reading: Reading, used_names: set[str],
              known_paths: dict[str, str]) -> CellCode:
    """The cell's code, sorted; ``used_names`` and ``known_paths`` (path literal -> config
    field) are shared by the cells of a notebook: each cell asks them and adds to them."""
    notes = Notes()
    python, reason = _parseable(notes, cell)
    notes.changes += _timings_taken_off(cell)
    for name, new in reading.clashes.items():
        if reason is None and re.search(rf"\b{name}\b", python):
            python = rename(python, name, new)
    results = None
    if reason is None:
        results = _transformed(notes, cell, python, used_names, known_paths)
    if results is None:
        reason = reason or "code nested too deeply to transform"
        line = cell.syntax_error.line if cell.syntax_error else 1
        notes.warnings.append(ConvertWarning(cell.index, line, f"{reason}; cell kept as comments",
                                             code_left_out=True))
        return CellCode(cell.index, python, notes, commented=_commented_out(cell, reason))
    source = "parameters cell" if cell.index in reading.parameters else "constant"
    parts = [result if isinstance(result, str) else _part(result, cell, reading, source)
             for result in results]
    return CellCode(cell.index, python, notes, parts=parts)


def _part(result: CellResult, cell: Cell, reading: Reading, source: str) -> Part:
    statements = [_sorted(result.module, statement, code, cell, reading, source)
                  for statement, code in _imports_apart(result.module, result.statements)]
    closing = comment_lines([*result.module.header, *result.module.footer])
    # (a comment-only cell, or comments after the cell's last statement)
    result.module, result.statements, result.texts = None, [], {}  # plain data from here
    return Part(result, statements, "".join(f"{c}\n" for c in closing))


def _sorted(module: cst.Module, statement: cst.CSTNode, code: str, cell: Cell, reading: Reading,
            source: str) -> Statement:
    if _imports_only(statement):  # one line each: `from x import (a,\n b)` is one statement
        lines = tuple(ast.unparse(ast.parse(cst.Module([cst.SimpleStatementLine([small])]).code))
                      for small in statement.body)
        return Statement("import", imports=lines, comments=tuple(_statement_comments(statement)))
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        detached, statement = _detached_comments(statement)
        if detached:  # they end the code above the definition: they stay with it, in the step
            code = module.code_for_node(statement)
        return Statement("definition", code=code, name=statement.name.value, detached=detached)
    return Statement("code", code=code, setting=_config_field(
        statement, module, cell, reading.single_binding, source))


def _parseable(notes: Notes, cell: Cell) -> tuple[str, str | None]:
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
                notes.changes.append(Change(cell.index, line, f"`{one_line(text)}` became "
                                             f"`{one_line(call)}`", "a Python 2 print statement"))
                continue
            notes.warnings.append(ConvertWarning(cell.index, line, f"line {line} does not parse as "
                                                  "Python; kept as a comment", code_left_out=True))
            notes.changes.append(Change(cell.index, line, f"`{one_line(text)}` "
                                         "became a comment", "it does not parse as Python"))
    tree = ast.parse(python) if cell.tree is None else cell.tree
    if "print" in python and ">>" in python:
        python, tree = _print_to_file_calls(notes, cell, python, tree)
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


def _print_to_file_calls(notes: Notes, cell: Cell, python: str, tree: ast.Module):
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
            notes.changes.append(Change(cell.index, line, f"`{one_line(lines[node.lineno - 1])}` "
                                         f"became `{one_line(call)}`", "a Python 2 print statement"))
            lines[node.lineno - 1] = call
    python = "\n".join(lines) + "\n"
    return python, ast.parse(python)


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


def _transformed(notes: Notes, cell: Cell, python: str, used_names: set[str],
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
            results.append(_untransformed(notes, cell, segment, cell.original_line(start + 1)))
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


def _untransformed(notes: Notes, cell: Cell, segment: str, line: int) -> str:
    """A statement too deep for libcst: kept as written, unless it may hold a credential (the
    transforms that would have moved it to the environment did not run): then it is kept as a
    redacted comment, to restore by hand."""
    segment = segment if segment.endswith("\n") else segment + "\n"
    if not may_hold_secret(segment):
        notes.warnings.append(ConvertWarning(cell.index, line, "statement nested too deeply "
                                              "for nb2prod's transforms; kept unchanged"))
        return segment
    notes.warnings.append(ConvertWarning(cell.index, line, "statement nested too deeply for "
                                          "nb2prod's transforms, and it may hold a credential: "
                                          "kept as a redacted comment; restore it by hand",
                                          code_left_out=True))
    text = redact(segment)[0]
    return "# TODO(nb2prod): restore (nested too deeply to convert; credentials redacted):\n" + \
        "".join(f"# {row}\n" for row in text.splitlines())


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


def _timings_taken_off(cell: Cell) -> list[Change]:
    """``%time df = load()`` runs as ``df = load()``: a change to the line, listed (a cell
    magic ``%%time`` is listed where it goes)."""
    return [Change(cell.index, magic.line, f"`%{magic.name} {one_line(magic.args)}` became the "
                   "statement it timed", "timing is IPython's: the statement runs once, untimed")
            for magic in cell.magics
            if magic.kind == "line" and magic.name in STATEMENT_LINE_MAGICS and magic.args]


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


