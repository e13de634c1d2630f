"""black-format generated Python, and prove it compiles.

black costs about as much as everything else convert does together, so a large module (a
notebook of thousands of cells) is cut at top-level ``def``/``class`` boundaries and its pieces
formatted in parallel: black lays out each top-level definition on its own and puts exactly two
blank lines before it, so the joined pieces are what black makes of the whole file.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import itertools
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor

LINE_LENGTH = 100
PARALLEL_FROM = 200_000  # characters: below this, starting workers costs more than it saves
PIECES_PER_WORKER = 8  # small pieces even out the workers' shares


class FormatError(Exception):
    """The code would not parse or compile; ``message`` says why."""


def format_python(code: str, name: str) -> str:
    """``code`` formatted by black (unchanged when black gives up on deep nesting)."""
    pieces = _pieces(code) if len(code) >= PARALLEL_FROM and _can_fork() else [code]
    formatted = _black(code) if len(pieces) == 1 else _black_in_parallel(pieces)
    if formatted is None:  # a cut fell inside a string: black must see the whole file
        formatted = _black(code)
    _compile(formatted, name)
    return formatted


def _black_in_parallel(pieces: list[str]) -> str | None:
    """The pieces formatted by worker processes and joined; None when a piece does not parse on
    its own. The longest pieces go first, so no worker is left with a long one at the end."""
    import black  # noqa: F401 -- imported once, before the workers fork

    order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i]))
    workers = min(os.cpu_count() or 1, len(pieces))
    context = multiprocessing.get_context("fork")
    # the workers inherit convert's whole heap; frozen, their garbage collector leaves it alone
    # instead of touching (and so copying) every page of it
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = dict(zip(order, pool.map(_black_once, [pieces[i] for i in order]),
                            strict=True))
    finally:
        gc.unfreeze()
    if any(part is None for part in done.values()):
        return None
    return "\n\n\n".join(done[i].strip("\n") for i in range(len(pieces))) + "\n"


def _black_once(code: str) -> str | None:
    """:func:`_black_once_collecting` with the cyclic garbage collector paused (see there)."""
    with _collector_paused():
        return _black_once_collecting(code)


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


def _black_once_collecting(code: str) -> str | None:
    """What black makes of a piece, formatting most of it once. ``black.format_str`` formats a
    second time whenever the first pass changed anything, because a trailing comma the first
    pass added can change the second pass's layout; on a large module that doubles the cost.
    Here only the top-level definitions whose first pass left a trailing comma before a closing
    bracket are formatted again (each on its own, as black lays them out)."""
    import black

    once = getattr(black, "_format_str_once", None)
    if once is None:
        return _black(code)
    mode = black.Mode(line_length=LINE_LENGTH)
    try:
        formatted = once(code, mode=mode)
        if formatted == code:
            return formatted
        return "".join(_settled(unit, once, mode) for unit in _units(formatted))
    except RecursionError:
        return code
    except black.InvalidInput:
        return None


def _settled(unit: str, once, mode) -> str:
    """A formatted unit after black's second pass (only a trailing comma can change it)."""
    if not _TRAILING_COMMA.search(unit):
        return unit
    body = unit.rstrip("\n")
    return once(body + "\n", mode=mode).rstrip("\n") + unit[len(body):]


_TRAILING_COMMA = re.compile(r",\n\s*[\)\]\}]")


def _black(code: str) -> str:
    import black

    try:
        with _collector_paused():
            return black.format_str(code, mode=black.Mode(line_length=LINE_LENGTH))
    except RecursionError:
        return code  # black gives up on deep expressions; the code itself stays valid
    except black.InvalidInput as exc:
        raise FormatError(f"would not parse ({exc})") from None


def _compile(code: str, name: str) -> None:
    try:
        compile(code, name, "exec")
    except SyntaxError as exc:
        raise FormatError(f"would not compile ({exc.msg}, line {exc.lineno})") from None
    except (RecursionError, MemoryError):
        raise FormatError("is nested too deeply to compile") from None


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _pieces(code: str) -> list[str]:
    """``code`` cut before top-level definitions (with their decorators and the comments right
    above them) into about PIECES_PER_WORKER pieces per core; one piece when it cannot be cut.
    Cuts are found in the text (a parse of a large module costs a tenth of formatting it): a
    line inside a string that looks like a definition makes a piece that does not parse, and
    then black formats the whole file."""
    if "fmt:" in code or "yapf:" in code:
        return [code]  # formatting switched off somewhere: black must see the whole file
    wanted = (os.cpu_count() or 1) * PIECES_PER_WORKER
    return [piece for piece in _cut(code, max(1, len(code) // wanted)) if piece.strip()]


def _units(code: str) -> list[str]:
    """Formatted code cut before each top-level definition. The cuts come from its syntax tree:
    a slice of a string that looks like a definition may parse on its own, and black would then
    change the string."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    cuts = [0, *(_start(min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1, lines)
                 for node in tree.body[1:] if isinstance(
                     node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(cuts) if b > a]


def _cut(code: str, size: int) -> list[str]:
    """``code`` cut before top-level definitions, each piece at least ``size`` characters."""
    lines = code.splitlines(keepends=True)
    pieces, start, length = [], 0, 0
    for index, line in enumerate(lines):
        if index and length >= size and line.startswith(_DEFINITION) \
                and not lines[index - 1].startswith("@"):
            cut = _start(index, lines)
            if cut > start:
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
