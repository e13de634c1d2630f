"""black-format generated Python, and prove it compiles.

black costs about as much as everything else convert does together, so a large module (a
notebook of thousands of cells) is cut at top-level ``def``/``class`` boundaries and its pieces
formatted in parallel: black lays out each top-level definition on its own and puts exactly two
blank lines before it, so the joined pieces are what black makes of the whole file.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

LINE_LENGTH = 100
PARALLEL_FROM = 200_000  # characters: below this, starting workers costs more than it saves
PIECES_PER_WORKER = 8  # small pieces even out the workers' shares


class FormatError(Exception):
    """The code would not parse or compile; ``message`` says why."""


def format_python(code: str, name: str) -> str:
    """``code`` formatted by black (unchanged when black gives up on deep nesting)."""
    pieces = _pieces(code) if len(code) >= PARALLEL_FROM and _can_fork() else [code]
    if len(pieces) == 1:
        formatted = _black(code)
    else:
        import black  # noqa: F401 -- imported once, before the workers fork

        workers = min(os.cpu_count() or 1, len(pieces))
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = list(pool.map(_black_once, pieces))
        formatted = "\n\n\n".join(part.strip("\n") for part in parts) + "\n"
    _compile(formatted, name)
    return formatted


def _black_once(code: str) -> str:
    """One black pass. ``black.format_str`` formats twice (the second pass settles a trailing
    comma the first one added, which is rare); on a module of many megabytes that doubles the
    cost, so pieces of a large module get the one pass, when this black has it."""
    import black

    once = getattr(black, "_format_str_once", None)
    if once is None:
        return _black(code)
    try:
        return once(code, mode=black.Mode(line_length=LINE_LENGTH))
    except RecursionError:
        return code
    except black.InvalidInput as exc:
        raise FormatError(f"would not parse ({exc})") from None


def _black(code: str) -> str:
    import black

    try:
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
    above them) into about PIECES_PER_WORKER pieces per core; one piece when it cannot be cut."""
    if "fmt:" in code or "yapf:" in code:
        return [code]  # formatting switched off somewhere: black must see the whole file
    try:
        tree = ast.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return [code]
    lines = code.splitlines(keepends=True)
    cuts = [_start(node, lines) for node in tree.body[1:]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    wanted = (os.cpu_count() or 1) * PIECES_PER_WORKER
    size = max(1, len(code) // wanted)
    pieces, start, length = [], 0, 0
    for cut in cuts:
        length = sum(len(line) for line in lines[start:cut])
        if length >= size:
            pieces.append("".join(lines[start:cut]))
            start = cut
    pieces.append("".join(lines[start:]))
    return [piece for piece in pieces if piece.strip()]


def _start(node: ast.stmt, lines: list[str]) -> int:
    """Index of the first line of a definition: its first decorator, or the comment lines
    directly above it (black keeps those with it)."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    while first > 0 and lines[first - 1].startswith("#"):
        first -= 1
    return first
