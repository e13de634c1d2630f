"""The last pass of the plan: no secret from the notebook reaches a generated file.

Secrets win over every other rule, comment keeping included. Code keeps its shape: only comments
and the insides of string literals are redacted, so the result still parses. Prose (the title and
description copied into the README, the notebook's recorded stdout, warnings) is redacted as text.
What was redacted is recorded by kind and place, never by value.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tokenize
from dataclasses import dataclass

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
    if not may_hold_secret(source):  # most code: no need to cut it into tokens
        return source, []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return redact_tokens(source)
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
    for path, content in files.items():
        if isinstance(content, bytes) or path.startswith("tests/data/"):
            swept[path] = content
            continue
        # the plan's code was redacted in full already: here, token formats in strings only
        new, kinds = (redact_code(content, named_in_strings=False) if path.endswith(".py")
                      else redact_tokens(content))
        found.extend(Redaction(path, kind) for kind in kinds)
        swept[path] = new
    return swept, tuple(found)
