"""Indent Python code without touching the text of its strings.

Jinja's ``indent`` filter puts spaces before every line, the lines inside a triple-quoted string
too: ``print(\"\"\"\\nMean: %.5f\\n\"\"\")`` moved into a step function would print ``    Mean``. The
templates' ``indent`` is this one instead: the same for text, and for Python (text that parses)
it leaves the lines that start inside a string as they are.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

_STRING_STARTS = {tokenize.STRING, getattr(tokenize, "FSTRING_START", tokenize.STRING)}
_STRING_ENDS = {tokenize.STRING, getattr(tokenize, "FSTRING_END", tokenize.STRING)}


def indent_code(text: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """``text`` indented like jinja's ``indent(width, first, blank)``, strings' lines kept."""
    prefix = width if isinstance(width, str) else " " * width
    inside = _lines_inside_strings(str(text))
    # lines end at "\n" only, as the tokenizer counts them (str.splitlines also splits at a form
    # feed or U+2028, which may sit inside a string)
    lines = re.findall(r"[^\n]*\n|[^\n]+$", str(text))
    out = []
    for number, line in enumerate(lines, 1):
        skip = (number == 1 and not first) or number in inside or (not blank and not line.strip())
        out.append(line if skip else prefix + line)
    return "".join(out)


def _lines_inside_strings(text: str) -> set[int]:
    """The (1-based) lines that start inside a multi-line string literal; none for text that is
    not Python."""
    if '"""' not in text and "'''" not in text and "\\\n" not in text:
        return set()  # no triple quote, no continued line: no string spans lines (most steps)
    try:
        ast.parse(text)
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return set()
    inside: set[int] = set()
    depth, start = 0, 0
    for token in tokens:
        if token.type in _STRING_STARTS and depth == 0:
            start = token.start[0]
        if token.type == getattr(tokenize, "FSTRING_START", None):
            depth += 1
        if token.type == getattr(tokenize, "FSTRING_END", None):
            depth -= 1
        if token.type in _STRING_ENDS and depth == 0:
            inside.update(range(start + 1, token.end[0] + 1))
    return inside


def under_docstring(body: str) -> str:
    """A step's body as it goes under its function's docstring. A body of only comments (a step
    of notes and magics) ends in the ``pass`` a function without a docstring needs; under one,
    that ``pass`` is a statement the notebook never wrote."""
    lines = body.rstrip("\n").split("\n")
    if lines[-1] == "pass" and all(not line.strip() or line.lstrip().startswith("#")
                                   for line in lines[:-1]):
        return "".join(f"{line}\n" for line in lines[:-1])
    return body
