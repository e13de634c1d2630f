"""Import blocks laid out as isort would, for ruff's ``I001``, which reads every block of
consecutive imports: those inside the notebook's functions, classes and compound statements,
and those at the top of a file a template renders.

A block is sorted as a whole or left exactly as written: one whose layout nb2prod cannot match
with certainty (two statements on one line, a name imported twice, end-of-line comments on
imports that isort would merge) stays as the notebook had it.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nb2prod.analysis.astutil import parsed
from nb2prod.notebook.model import Cell
from nb2prod.refactor.imports import (
    ISORT_LINE_LENGTH,
    binding_names,
    merged,
    one_line_import,
    split_import,
    wrapped_import,
)
from nb2prod.refactor.locate import Unplaced, located
from nb2prod.refactor.plan import Change, Step

_IMPORT_LINE = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.MULTILINE)
_INNER_IMPORT_LINE = re.compile(r"^[ \t]+(?:import|from)[ \t]", re.MULTILINE)
_TOP_IMPORT_LINE = re.compile(r"^(?:import|from)[ \t]", re.MULTILINE)
INDENT = 4  # black's indentation, which the generated module has whatever the notebook used
_Import = (ast.Import, ast.ImportFrom)
_SUITES = ("body", "orelse", "finalbody")


@dataclass(frozen=True)
class NestedSorted:
    """The module-level definitions and the steps with their inner import blocks sorted."""

    definitions: tuple[str, ...]
    steps: tuple[Step, ...]
    changes: tuple[Change, ...]


def nested_imports_sorted(definitions: Mapping[str, str], definition_cells: Mapping[str, int],
                          steps: Iterable[Step], cells: Mapping[int, Cell],
                          first_party: Iterable[str] = ()) -> NestedSorted:
    """Every import block inside a definition or a step's body in isort order, each block
    whose order changed listed at its cell line."""
    first_party = frozenset(first_party)
    kept, changes = [], []
    for name, code in definitions.items():
        code, blocks = sort_nested_imports(code, 0, first_party)
        kept.append(code)
        cell = definition_cells.get(name)
        changes += _changes(blocks, [cells[cell]] if cell in cells else list(cells.values()))
    sorted_steps = []
    for step in steps:
        body, blocks = sort_nested_imports(step.body, 1, first_party)
        sorted_steps.append(dataclasses.replace(step, body=body) if body != step.body else step)
        changes += _changes(blocks, [cells[c] for c in step.cells if c in cells])
    return NestedSorted(tuple(kept), tuple(sorted_steps), tuple(changes))


def _changes(blocks: Iterable[SortedBlock], cells: list[Cell]) -> list[Change]:
    return located([Unplaced(block.first_line, f"sorted the imports {block.scope}",
                             "ruff's isort rule (I001) wants each block of imports in isort "
                             "order; the same names are imported") for block in blocks], cells)


@dataclass(frozen=True)
class SortedBlock:
    """A block whose imports changed order, or were split (``import os, json``) or merged."""

    first_line: str  # the block's first line as the notebook wrote it (to find its cell line)
    scope: str  # "in `load`", "in the class `K`", or "in the cell's code"


def sort_nested_imports(source: str, depth: int,
                        first_party: Iterable[str] = ()) -> tuple[str, tuple[SortedBlock, ...]]:
    """``source`` with its nested import blocks in isort order, and those whose order changed
    (a layout-only change, a blank line or parentheses, is not listed). ``depth``: how many
    levels deep the source's top level sits in the generated module: 0 for a module-level
    definition (the module's own block takes its top-level imports), 1 for a step's body."""
    if "\r" in source or not _may_need_sorting(source, _IMPORT_LINE if depth
                                                 else _INNER_IMPORT_LINE):
        return source, ()  # (most code has no block to sort: it is not parsed again)
    try:
        tree = parsed(source)
    except (SyntaxError, ValueError, RecursionError):
        return source, ()
    return _sorted(source, _blocks(tree.body, depth, "in the cell's code", nested_only=True),
                   frozenset(first_party))


def _may_need_sorting(source: str, import_line: re.Pattern[str]) -> bool:
    """Whether some import line could be out of isort's order or layout: one next to another
    (blank and comment lines between them do not part them), or one naming several modules or
    names, or wrapped. A lone ``import x`` is in order whatever surrounds it."""
    lines = source.split("\n")
    previous = -2
    for index, line in enumerate(lines):
        if not import_line.match(line):
            continue
        code = line.split("#", 1)[0]
        if "," in code or "(" in code or code.rstrip().endswith("\\"):
            return True
        between = lines[previous + 1:index] if previous >= 0 else ["x"]
        if all(not text.strip() or text.lstrip().startswith("#") for text in between):
            return True
        previous = index
    return False


def sort_module_imports(source: str, first_party: Iterable[str] = ()) -> str:
    """A generated file's own import blocks at its top in isort order: a template writes
    ``from {{ package }}.config import Config``, which a long package name takes past the line
    length isort wraps at. Only the head of the file up to its last top-level import is read
    (a pipeline module is long, and its own block is laid out already)."""
    found = [m.start() for m in _TOP_IMPORT_LINE.finditer(source)]
    if not found or "\r" in source:
        return source
    end = source.find("\n", found[-1])
    head = source if end < 0 else source[:end + 1]
    if head.rstrip().endswith(("(", ",", "\\")):  # a wrapped import: to its closing line
        close = source.find("\n)", end)
        head = source if close < 0 else source[:source.find("\n", close + 1) + 1 or len(source)]
    try:
        tree = ast.parse(head)
    except (SyntaxError, ValueError, RecursionError):
        return source
    new_head, _ = _sorted(head, _blocks(tree.body, 0, "", nested_only=False),
                          frozenset(first_party))
    return new_head + source[len(head):]


def _sorted(source: str, blocks: Iterable[tuple[list[ast.stmt], int, str]],
            first_party: frozenset[str]) -> tuple[str, tuple[SortedBlock, ...]]:
    # (in line order: a try's handlers come after its else and finally blocks in the tree, and
    # blocks are replaced from the last line up so that earlier line numbers hold)
    blocks = sorted(blocks, key=lambda block: block[0][0].lineno)
    if not blocks or "isort:" in source:  # `# isort: skip` / `off`: the author's order stays
        return source, ()
    lines = [line + "\n" for line in source.split("\n")]  # (as ast counts lines: not \f)
    lines[-1] = lines[-1][:-1]
    comments = _comments(source)
    changed: list[SortedBlock] = []
    for block, level, scope in reversed(blocks):  # from the end: earlier line numbers hold
        replacement = _laid_out(block, lines, comments, level, first_party)
        if replacement is None:
            continue
        start, end = block[0].lineno - 1, block[-1].end_lineno
        if replacement.reordered:
            changed.append(SortedBlock(lines[start].strip(), scope))
        lines[start:end] = replacement.lines
    return "".join(lines), tuple(reversed(changed))


def _blocks(suite: list[ast.stmt], level: int, scope: str, nested_only: bool):
    """Each run of consecutive import statements, with how deep it sits and the scope it is
    in; with ``nested_only``, not those of ``level`` 0, the module's own block."""
    run: list[ast.stmt] = []
    for statement in [*suite, None]:
        if isinstance(statement, _Import):
            run.append(statement)
            continue
        if run and (level > 0 or not nested_only):
            yield run, level, scope
        run = []
        if statement is not None and nested_only:
            for inner, inner_scope in _suites(statement, scope):
                yield from _blocks(inner, level + 1, inner_scope, nested_only)


def _suites(statement: ast.stmt, scope: str):
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = f"in `{statement.name}`"
    elif isinstance(statement, ast.ClassDef):
        scope = f"in the class `{statement.name}`"
    for name in _SUITES:
        inner = getattr(statement, name, None)
        if inner and isinstance(inner[0], ast.stmt):
            yield inner, scope
    for handler in getattr(statement, "handlers", ()):
        yield handler.body, scope
    for case in getattr(statement, "cases", ()):
        yield case.body, scope


@dataclass(frozen=True)
class _Replacement:
    lines: list[str]
    reordered: bool


def _laid_out(block: list[ast.stmt], lines: list[str], comments: dict[int, str], level: int,
              first_party: frozenset[str]) -> _Replacement | None:
    """The block's lines as isort lays them out; None when they are that already, or the block
    is one nb2prod leaves alone."""
    parts = _parts(block, lines, comments)
    if parts is None:
        return None
    future = [p for p in parts if p.startswith("from __future__ ")]
    code = [p for p in parts if p not in future]
    # (each part is one name's import: `_parts` split them)
    trailing = {name: "#" + p.split("  #", 1)[1] for p in code if "  #" in p
                and not p.startswith("#") for name in binding_names(p.split("  #")[0])}
    organised = [*future, *([""] if future and code else []),
                 *merged([p.split("  #")[0] if not p.startswith("#") else p for p in code], (),
                         first_party)]
    width = ISORT_LINE_LENGTH - INDENT * level
    text = [line if not line or line.startswith("#") else
            wrapped_import(_with_comment(one_line_import(line), trailing), width) for line in organised]
    indent = _indent_of(lines[block[0].lineno - 1])
    new = [f"{indent}{part}\n" if part else "\n" for line in text for part in line.split("\n")]
    old = lines[block[0].lineno - 1:block[-1].end_lineno]
    if [line.strip() for line in new] == [line.strip() for line in old]:
        return None
    if not old[-1].endswith("\n"):
        new[-1] = new[-1][:-1]
    before = [s for part in parts if not part.startswith("#") for s in split_import(part)]
    after = [s for line in organised if line and not line.startswith("#")
             for s in split_import(one_line_import(line))]
    return _Replacement(new, reordered=before != after)


def _with_comment(statement: str, trailing: dict[str, str]) -> str:
    comment = next((trailing[n] for n in sorted(binding_names(statement)) if n in trailing), "")
    return f"{statement}  {comment}" if comment else statement


def _parts(block: list[ast.stmt], lines: list[str],
           comments: dict[int, str]) -> list[str] | None:
    """The block as :func:`merged` reads it: comment lines, then one line per imported name
    with the statement's end-of-line comment on its first name (where isort keeps it)."""
    previous_end = block[0].lineno - 1
    parts: list[str] = []
    for statement in block:
        if statement.lineno == previous_end or _shares_line(statement, lines):
            return None  # `import a; import b`, or code after the import on its line
        parts += [comments[n] for n in range(previous_end + 1, statement.lineno) if n in comments]
        inside = [comments[n] for n in range(statement.lineno, statement.end_lineno + 1)
                  if n in comments]
        for index, single in enumerate(split_import(ast.unparse(statement))):
            parts.append(f"{single}  {' '.join(inside)}" if inside and index == 0 else single)
        previous_end = statement.end_lineno
    return parts if _certain(block, comments) else None


def _certain(block: list[ast.stmt], comments: dict[int, str]) -> bool:
    """Whether isort's layout of the block is certain: no name bound twice (isort keeps both,
    :func:`merged` one), no member imported twice, no star import, no comment inside a wrapped
    import, no commented ``from`` import merged with another or split in two (an aliased name
    gets a line of its own)."""
    names = [a.asname or a.name.split(".")[0] for s in block for a in s.names]
    if len(names) != len(set(names)) or "*" in names:
        return False
    members = [(s.module, a.name) for s in block if isinstance(s, ast.ImportFrom)
               for a in s.names]
    if len(members) != len(set(members)):  # `dumps` and `dumps as d`: isort's order differs
        return False
    if any(s.end_lineno > s.lineno and any(n in comments for n in range(s.lineno,
                                                                      s.end_lineno + 1))
           for s in block):
        return False  # comments inside a wrapped import stay at their names in isort
    modules = [s.module for s in block if isinstance(s, ast.ImportFrom) and not s.level]
    return not any(
        isinstance(s, ast.ImportFrom) and any(n in comments for n in range(s.lineno,
                                                                         s.end_lineno + 1))
        and (s.level or modules.count(s.module) > 1
             or (len(s.names) > 1 and any(a.asname for a in s.names)))  # (split apart)
        for s in block)


def _shares_line(statement: ast.stmt, lines: list[str]) -> bool:
    # (ast's column offsets count UTF-8 bytes)
    start = lines[statement.lineno - 1].encode()[:statement.col_offset]
    end = lines[statement.end_lineno - 1].encode()[statement.end_col_offset:]
    return bool(start.strip()) or (bool(end.strip()) and not end.lstrip().startswith(b"#"))


def _comments(source: str) -> dict[int, str]:
    """Each line's comment, by line number."""
    found: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


