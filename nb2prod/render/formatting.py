"""black-format generated Python, and prove it compiles.

black costs about as much as everything else convert does together, so a large module (a
notebook of thousands of cells) is cut at top-level ``def``/``class`` boundaries and its pieces
formatted in parallel: black lays out each top-level definition on its own and puts exactly two
blank lines before it, so the joined pieces are what black makes of the whole file. A function too
long to be one worker's share (a step of thousands of cells that late binding keeps together) is
cut between its own statements too, each part formatted inside a stand-in function.

Code is formatted for the Python versions the project declares (``requires-python``), the ones
black reads from the project's own configuration: so ``black --check`` there agrees, and every
piece is formatted for the same versions (left to guess, black guesses from each piece's code).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import itertools
import os
import re

from nb2prod.processes import can_fork, map_in_forks

LINE_LENGTH = 100
PARALLEL_FROM = 200_000  # characters: below this, starting workers costs more than it saves
PIECES_PER_WORKER = 8  # small pieces even out the workers' shares


class FormatError(Exception):
    """The code of file ``name`` would not parse or compile; ``message`` says why."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(message)
        self.name = name


def format_python(code: str, name: str, python_requires: str = "") -> str:
    """``code`` formatted by black for the Python versions ``python_requires`` admits (black's
    own guess from the code when empty); unchanged when black gives up on deep nesting."""
    return format_files({name: code}, python_requires)[name]


def format_files(sources: dict[str, str], python_requires: str = "") -> dict[str, str]:
    """Each file (name -> code) formatted as :func:`format_python` formats it: a project's files
    together, so the workers that format a large module's pieces take the small files too."""
    mode = black_mode(python_requires)
    # (with no versions given, black guesses them from each piece's code, and pieces would be
    # formatted for different versions: such files are formatted whole)
    if sum(map(len, sources.values())) >= PARALLEL_FROM and mode.target_versions and can_fork():
        units = {name: _pieces(code) if len(code) >= PARALLEL_FROM else [[code]]
                 for name, code in sources.items()}
        formatted = _black_in_parallel(units, mode)
    else:
        formatted = dict.fromkeys(sources)
    for name, code in sources.items():
        if formatted[name] is None:  # not cut, or a cut fell inside a string: black sees it whole
            formatted[name] = _black(code, mode, name)
        _compile(formatted[name], name)
    return formatted


def black_mode(python_requires: str = ""):
    """black's settings for the project: its line length, and the versions it runs on."""
    import black

    return black.Mode(line_length=LINE_LENGTH,
                      target_versions=set(_target_versions(python_requires)))


def black_target_versions(python_requires: str) -> list[str]:
    """The ``target-version`` names (``py311``...) black reads ``python_requires`` as."""
    return [version.name.lower() for version in _target_versions(python_requires)]


def _target_versions(python_requires: str) -> list:
    from black.files import infer_target_version

    if not python_requires:
        return []
    try:
        found = infer_target_version({"project": {"requires-python": python_requires}})
    except ValueError:  # (packaging's InvalidSpecifier and InvalidVersion are ValueErrors)
        return []
    return sorted(found or [], key=lambda version: version.value)


def _black_in_parallel(files: dict[str, list[list[str]]], mode) -> dict[str, str | None]:
    """Each file's units formatted by worker processes and joined; None for a file with a
    piece that does not parse on its own. A unit is a run of top-level definitions, or one
    function cut into parts (its head, then stand-in functions of its later statements: see
    :func:`_parts`). The longest pieces go first, so no worker is left with a long one at the
    end."""
    import black  # noqa: F401 -- imported once, before the workers fork

    pieces = [(name, unit, at, part) for name, units in files.items()
              for unit, parts in enumerate(units) for at, part in enumerate(parts)]
    order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i][3]))
    done = dict(zip(order, map_in_forks(functools.partial(_black_once, mode=mode),
                                        [_standalone(*pieces[i][2:]) for i in order]),
                    strict=True))
    formatted: dict[str, list[list[str | None]]] = {name: [[] for _ in units]
                                                    for name, units in files.items()}
    for index, (name, unit, at, _) in enumerate(pieces):
        formatted[name][unit].append(done[index] if at == 0 else _without_stand_in(done[index]))
    return {name: _joined(files[name], formatted[name], mode) for name in files}


def _joined(units: list[list[str]], formatted: list[list[str | None]], mode) -> str | None:
    """A file's formatted units joined as black lays them out: two blank lines before each
    top-level definition; None when a unit did not parse on its own."""
    if len(units) == 1 and len(units[0]) == 1:
        return formatted[0][0]  # (the file whole: as black gave it, "" for an empty one)
    joined = []
    for unit, parts in zip(units, formatted, strict=True):
        if None in parts:  # a cut inside a function that was no statement boundary after all
            parts = [_black_once("".join(unit), mode)]
            if parts[0] is None:
                return None
        joined.append("".join(parts).strip("\n"))
    return "\n\n\n".join(joined) + "\n"


def _black_once(code: str, mode) -> str | None:
    """:func:`_black_once_collecting` with the cyclic garbage collector paused (see there)."""
    with _collector_paused():
        return _black_once_collecting(code, mode)


@contextlib.contextmanager
def _collector_paused():
    """black's syntax trees are cyclic (each node points to its parent), and Python's collector
    re-scans them on every full collection while black works: a third of black's time on a
    large module. Paused while black formats; the tree, left young, goes in the next young
    collection."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _black_once_collecting(code: str, mode) -> str | None:
    """What black makes of a piece, formatting most of it once. ``black.format_str`` formats a
    second time whenever the first pass changed anything, because a trailing comma the first
    pass added can change the second pass's layout; on a large module that doubles the cost.
    Here only the top-level definitions whose first pass left a trailing comma before a closing
    bracket are formatted again (each on its own, as black lays them out)."""
    import black

    # (a lone \r ends a line to Python, not to _lines; formatting switched off reaches past
    # a definition: such code is formatted as black does)
    whole = "\r" in code or "fmt:" in code or "yapf:" in code
    once = None if whole else getattr(black, "_format_str_once", None)
    try:
        if once is None:
            return black.format_str(code, mode=mode)
        formatted = once(code, mode=mode)
        if formatted == code:
            return formatted
        return "".join(_settled(unit, once, mode) for unit in _units(formatted))
    except RecursionError:
        return code
    except (black.InvalidInput, SyntaxError, ValueError):  # (black parses what ast does not)
        return None


def _settled(unit: str, once, mode) -> str:
    """A formatted unit after black's second pass (only a trailing comma can change it)."""
    if not _TRAILING_COMMA.search(unit):
        return unit
    body = unit.rstrip("\n")
    return once(body + "\n", mode=mode).rstrip("\n") + unit[len(body):]


_TRAILING_COMMA = re.compile(r",\n\s*[\)\]\}]")


def _black(code: str, mode, name: str = "") -> str:
    import black

    try:
        with _collector_paused():
            return black.format_str(code, mode=mode)
    except RecursionError:
        return code  # black gives up on deep expressions; the code itself stays valid
    except black.InvalidInput as exc:
        raise FormatError(f"would not parse ({exc})", name) from None


def _compile(code: str, name: str) -> None:
    try:
        compile(code, name, "exec")
    except SyntaxError as exc:
        raise FormatError(f"would not compile ({exc.msg}, line {exc.lineno})", name) from None
    except (RecursionError, MemoryError):
        raise FormatError("is nested too deeply to compile", name) from None


def _pieces(code: str) -> list[list[str]]:
    """``code`` cut into about PIECES_PER_WORKER pieces per core, as units to join: a unit is
    a run of top-level definitions (cut before one, with its decorators and the comments right
    above it), or one long function in parts (see :func:`_parts`); one unit of one piece when it
    cannot be cut. Cuts between definitions are found in the text (a parse of a large module
    costs a tenth of formatting it): a line inside a string that looks like a definition makes
    a piece that does not parse, and then black formats the whole file."""
    if "fmt:" in code or "yapf:" in code or "\f" in code or "\r" in code:
        # formatting switched off somewhere, a form feed (black keeps one where it stands
        # between definitions) or a carriage return (black ends every line as the first
        # line ends): black must see the whole file
        return [[code]]
    wanted = (os.cpu_count() or 1) * PIECES_PER_WORKER
    size = max(1, len(code) // wanted)
    units = [unit for piece in _cut(code, size) if piece.strip()
             for unit in _split_long(piece, size)]
    return units or [[code]]


def _split_long(piece: str, size: int) -> list[list[str]]:
    """A piece that ends in a function much longer than a worker's share, as units: the
    definitions before that function, and the function cut into parts."""
    if len(piece) < 2 * size:
        return [[piece]]
    try:
        tree = ast.parse(piece)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [[piece]]
    function = tree.body[-1] if tree.body else None
    lines = _lines(piece)
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or "".join(lines[function.end_lineno:]).strip():  # (comments after it: left whole)
        return [[piece]]
    start = _start(_first_line(function) - 1, lines)
    if start and lines[start - 1].strip():
        return [[piece]]  # (no blank line above it: see _cut)
    before = "".join(lines[:start])
    if _only_docstring(before):
        return [[before + "".join(lines[start:])]]  # (see _cut)
    return [*([[before]] if before.strip() else []), _parts(function, lines, start, size)]


def _parts(function: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str], start: int,
           size: int) -> list[str]:
    """A long function cut between statements of its body into parts of about ``size``
    characters: its head (decorators, signature, docstring, first statements), then runs of
    statements, each formatted inside a stand-in function (:data:`STAND_IN`). black gives each
    run what it gives it in place only where the cut is between two plain statements on
    adjacent lines: no blank line or comment between them (black would keep or cap those), none
    after an import, a definition or a string statement, or before one (black adds blank lines
    there, or reads a string first in a function as its docstring)."""
    cuts, length = [start], 0
    for earlier, later in itertools.pairwise(function.body):
        text = "".join(lines[earlier.lineno - 1:earlier.end_lineno])
        length += len(text)
        if length >= size and _plain_cut(earlier, later, text):
            cuts.append(later.lineno - 1)
            length = 0
    cuts.append(function.end_lineno)
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(cuts)]


def _plain_cut(earlier: ast.stmt, later: ast.stmt, earlier_text: str) -> bool:
    return (later.lineno == earlier.end_lineno + 1
            and not isinstance(earlier, (ast.Import, ast.ImportFrom))
            and not isinstance(later, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not _is_constant_statement(earlier) and not _is_constant_statement(later)
            and _DEFINITION_WORD.search(earlier_text) is None)


_DEFINITION_WORD = re.compile(r"\b(?:def|class)\b")  # a nested one: black adds a blank line after


def _is_constant_statement(node: ast.stmt) -> bool:
    """A string (read as a docstring first in a function), an f-string or ``...`` on its own."""
    return isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr))


STAND_IN = "def _nb2prod_part():\n"


def _standalone(at: int, part: str) -> str:
    """A part of a unit as black can take it alone: later parts of a function in a stand-in."""
    return part if at == 0 else STAND_IN + part


def _without_stand_in(formatted: str | None) -> str | None:
    if formatted is None or not formatted.startswith(STAND_IN):
        return None  # (black changed the stand-in itself: the function is formatted whole)
    return formatted[len(STAND_IN):]


def _only_docstring(text: str) -> bool:
    """``text`` is a module docstring alone: black puts one blank line, not two, between it and
    a decorated definition, so no cut goes there."""
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr) \
        and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)


def _lines(code: str) -> list[str]:
    """``code``'s lines, each with its ``\n``: ``str.splitlines`` also ends a line at a form
    feed, a U+2028 and other characters that are no line end to Python (nor to black)."""
    lines = code.split("\n")
    ends = [line + "\n" for line in lines[:-1]]
    return [*ends, lines[-1]] if lines[-1] else ends


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


def _units(code: str) -> list[str]:
    """Formatted code cut before each top-level definition. The cuts come from its syntax tree:
    a slice of a string that looks like a definition may parse on its own, and black would then
    change the string."""
    tree = ast.parse(code)
    lines = _lines(code)
    cuts = [0, *(_start(_first_line(node) - 1, lines)
                 for node in tree.body[1:] if isinstance(
                     node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(cuts) if b > a]


def _cut(code: str, size: int) -> list[str]:
    """``code`` cut before top-level definitions, each piece at least ``size`` characters. Only
    where a blank line is above the definition (and its comments): black puts two there, but
    keeps none where the user had none after a stub (``def f(): ...``), as overloads have."""
    lines = _lines(code)
    pieces, start, length = [], 0, 0
    for index, line in enumerate(lines):
        if index and length >= size and line.startswith(_DEFINITION) \
                and not lines[index - 1].startswith("@"):
            cut = _start(index, lines)
            if cut > start and not lines[cut - 1].strip() \
                    and not (start == 0 and _only_docstring("".join(lines[:cut]))):
                pieces.append("".join(lines[start:cut]))
                start, length = cut, sum(map(len, lines[cut:index]))
        length += len(line)
    pieces.append("".join(lines[start:]))
    return pieces


_DEFINITION = ("def ", "async def ", "class ", "@")


def _start(index: int, lines: list[str]) -> int:
    """Index of the first line of the definition at ``index``: its first decorator, or the
    comment lines directly above it (black keeps those with it)."""
    first = index
    while first > 0 and lines[first - 1].startswith(("#", "@")):
        first -= 1
    return first
