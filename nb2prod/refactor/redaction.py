"""The last pass of the plan: no secret from the notebook reaches a generated file.

Secrets win over every other rule, comment keeping included. Code keeps its shape: only comments
and the insides of string literals are redacted, so the result still parses. Prose (the title and
description copied into the README, the notebook's recorded stdout, warnings) is redacted as text.
What was redacted is recorded by kind and place, never by value.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import tokenize
from dataclasses import dataclass

from nb2prod.processes import can_fork, map_in_forks
from nb2prod.redact import OBVIOUS_PLACEHOLDER, REDACTED, may_hold_secret, redact, redact_tokens
from nb2prod.refactor.plan import ConversionPlan


@dataclass(frozen=True)
class Redaction:
    where: str  # "step load_data", "the notebook's printed output", "README.md"...
    kind: str  # "GitHub token", "value of password"... never the value

    def describe(self) -> str:
        return f"{self.kind} in {self.where}"


def redact_code(source: str, named_in_strings: bool = True) -> tuple[str, list[str]]:
    """``source`` with secrets removed from its comments and string literals (in strings, values
    next to sensitive names too, unless ``named_in_strings`` is false: code nb2prod itself ships,
    such as its own redaction patterns)."""
    try:
        return _redacted_tokens(source, named_in_strings)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return redact_tokens(source)


def _redacted_tokens(source: str, named_in_strings: bool = True,
                     tokens: list[tokenize.TokenInfo] | None = None) -> tuple[str, list[str]]:
    """:func:`redact_code`, raising tokenize's errors; ``tokens``: the source's, when they are
    known already."""
    if not may_hold_secret(source):  # most code: no need to cut it into tokens
        return source, []
    if tokens is None:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    kinds: list[str] = []
    lines = source.splitlines(keepends=True)
    # edits from the end, so earlier positions stay valid
    for token in reversed(tokens):
        if token.type not in (tokenize.COMMENT, tokenize.STRING):
            continue
        strings = redact if named_in_strings else redact_tokens
        new, found = (redact if token.type == tokenize.COMMENT else strings)(token.string)
        if not found:
            continue
        kinds += found
        (start_row, start_col), (end_row, end_col) = token.start, token.end
        head = lines[start_row - 1][:start_col]
        tail = lines[end_row - 1][end_col:]
        lines[start_row - 1:end_row] = [head + new + tail]
    return "".join(lines), kinds


_CREDENTIAL_MENTION = re.compile(
    r"(?i)\b(?P<name>pass(?:word|wd)?|pwd|secret|token|api[_ -]?key)(?P<sep>\s*(?:is\s*)?[:=]\s*)"
    r"(?P<value>\S+)")


def redact_heading(text: str) -> tuple[str, list[str]]:
    """A heading or title: redacted as prose, and any value written after `password:`-like words,
    even one that looks like code (a heading holds no code; its words become names)."""
    text, kinds = redact(text)

    def value(match: re.Match[str]) -> str:
        if match.group("value").startswith(REDACTED) or OBVIOUS_PLACEHOLDER.match(match.group("value")):
            return match.group(0)
        kinds.append(f"value of {match.group('name')}")
        return f"{match.group('name')}{match.group('sep')}{REDACTED}"

    return _CREDENTIAL_MENTION.sub(value, text), kinds


def redact_plan(plan: ConversionPlan) -> tuple[ConversionPlan, tuple[Redaction, ...]]:
    """The plan with every secret in code, prose and recorded output replaced."""
    found: list[Redaction] = []

    def code(text: str, where: str) -> str:
        new, kinds = redact_code(text)
        found.extend(Redaction(where, kind) for kind in kinds)
        return new

    def prose(text: str, where: str, redactor=redact) -> str:
        new, kinds = redactor(text)
        found.extend(Redaction(where, kind) for kind in kinds)
        return new

    steps = []
    for number, step in enumerate(plan.steps, 1):
        title, title_kinds = redact_heading(step.title)
        # a name made from a secret-bearing heading or tag would carry the secret into code
        name = f"step_{number}_redacted" if title_kinds or redact_tokens(step.name)[1] else step.name
        where = f"step {name}"
        found.extend(Redaction(where, kind) for kind in title_kinds)
        steps.append(dataclasses.replace(step, name=name, title=title, body=code(step.body, where),
                                         doc=prose(step.doc, where)))
    redacted = dataclasses.replace(
        plan, title=prose(plan.title, "the title", redact_heading),
        description=prose(plan.description, "the README"),
        steps=tuple(steps),
        imports=tuple(code(line, "imports") for line in plan.imports),
        definitions=tuple(code(d, "a function or class definition") for d in plan.definitions),
        config=tuple(dataclasses.replace(
            f, value=code(f.value, f"config field {f.name}"),
            comments=tuple(code(c, f"config field {f.name}") for c in f.comments))
            for f in plan.config),
        expected_stdout=(prose(plan.expected_stdout, "the notebook's printed output")
                         if plan.expected_stdout else plan.expected_stdout),
        warnings=tuple(dataclasses.replace(w, message=prose(w.message, "a warning"))
                       for w in plan.warnings),
        changes=tuple(dataclasses.replace(c, what=prose(c.what, "the list of changes"),
                                          why=prose(c.why, "the list of changes"))
                      for c in plan.changes),
        missing_inputs=tuple(prose(p, "the missing input files") for p in plan.missing_inputs),
    )
    return redacted, tuple(found)


def sweep_files(files: dict[str, str | bytes]) -> tuple[dict[str, str | bytes], tuple[Redaction, ...]]:
    """A safety net over the rendered project: a template may print plan text nb2prod never saw
    as such. Python files are redacted as code, other text files for credential formats only."""
    found: list[Redaction] = []
    swept: dict[str, str | bytes] = {}
    code = {path: content for path, content in files.items() if path.endswith(".py")
            and isinstance(content, str) and not path.startswith("tests/data/")}
    early = _swept_in_parallel(code) if sum(map(len, code.values())) >= PARALLEL_FROM \
        and can_fork() else {}
    for path, content in files.items():
        if isinstance(content, bytes) or path.startswith("tests/data/"):
            swept[path] = content
            continue
        # the plan's code was redacted in full already: here, token formats in strings only
        new, kinds = (early.get(path) or redact_code(content, named_in_strings=False)
                      if path.endswith(".py") else redact_tokens(content))
        found.extend(Redaction(path, kind) for kind in kinds)
        swept[path] = new
    return swept, tuple(found)


PARALLEL_FROM = 200_000  # characters of Python: below this, a second process costs more
_PIECES_PER_WORKER = 4
_DEFINITION = ("def ", "async def ", "class ", "@")


def _swept_in_parallel(code: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """The large files' code redacted (as the sweep does) by worker processes, piece by piece:
    tokenizing a large module alone costs half a second. A file with a piece that does not
    tokenize on its own is left out (the sweep redacts it whole)."""
    workers = os.cpu_count() or 1
    pieces = [(path, piece) for path, text in code.items() if len(text) >= PARALLEL_FROM
              for piece in _cut(text, len(text) // (workers * _PIECES_PER_WORKER) + 1)]
    if not pieces:
        return {}
    results = map_in_forks(_swept_piece, [piece for _, piece in pieces])
    joined: dict[str, tuple[str, list[str]]] = {}
    failed = {path for (path, _), result in zip(pieces, results, strict=True) if result is None}
    for (path, _), result in zip(pieces, results, strict=True):
        if path not in failed:
            text, kinds = joined.get(path, ("", []))
            joined[path] = (text + result[0], kinds + result[1])
    return joined


def _swept_piece(piece: str) -> tuple[str, list[str]] | None:
    """A piece redacted as the sweep redacts code; None when it does not tokenize alone. Every
    piece that does ends outside any string or bracket (tokenize refuses to end inside one), so
    the next piece starts where a statement does: each piece is tokenized, a piece with nothing
    like a secret in it too (else a cut inside a string would go unseen)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(piece).readline))
        return _redacted_tokens(piece, named_in_strings=False, tokens=tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def _cut(code: str, size: int) -> list[str]:
    """``code`` cut before top-level definitions into pieces of at least ``size`` characters
    (lines end at ``\\n`` only, as tokenize reads them)."""
    pieces, start, length, at = [], 0, 0, 0
    for line in code.split("\n"):
        if length >= size and line.startswith(_DEFINITION):
            pieces.append(code[start:at])
            start, length = at, 0
        length += len(line) + 1
        at += len(line) + 1
    pieces.append(code[start:])
    return [piece for piece in pieces if piece]
