"""NB402: credentials written into a notebook's code or saved in its outputs.

Messages name the kind of secret and where it is, never the secret itself: findings end up in CI
logs and pull-request annotations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nb2prod.findings import ERROR, Finding
from nb2prod.rules.base import Rule, RuleContext

if TYPE_CHECKING:
    from nb2prod.notebook.model import Cell

NB402 = Rule(
    code="NB402",
    name="hard-coded-secret",
    severity=ERROR,
    summary="A secret (API key, token, password, private key) in the notebook's code or outputs.",
    what="""
Looks for known credential formats (AWS, GitHub, Slack, Google, OpenAI, Stripe keys, private
keys, URLs with a password) in cell sources and saved outputs, and for string literals assigned to
names such as `password`, `api_key` or `token`.
""",
    why="""
Notebooks are shared, committed and published with their outputs. A key in one is a leaked key:
anyone who reads the file can use it, and it stays in the repository's history.
""",
    example='openai.api_key = "sk-..."',
    instead="""
Read it from the environment: `api_key = os.environ["OPENAI_API_KEY"]`. Revoke the leaked key,
and clear the outputs that printed it.
""",
)

RULES = (NB402,)

PLACEHOLDER = re.compile(
    r"^(?:|x+|\*+|\.+|<.*>|\{.*\}|\$\{?\w+\}?|your[\s_-].*|.*(?:here|example|changeme|"
    r"placeholder|dummy|redacted|xxxx|todo|none|null|test|secret|password|token).*)$",
    re.IGNORECASE,
)
def check(context: RuleContext) -> Iterator[Finding]:
    from nb2prod.redact import may_hold_token

    cells = context.notebook.code_cells
    # one test over the whole notebook first: most hold no token anywhere
    in_sources = may_hold_token("\n".join(cell.source for cell in cells))
    in_outputs = may_hold_token("\n".join(text for cell in cells for output in cell.outputs
                                           for text in _output_texts(output)))
    for cell in cells:
        seen_lines: set[int] = set()
        for line_no, kind in _source_secrets(cell, context.nodes_of(
                cell, ast.Assign, ast.keyword, ast.Dict), in_sources):
            if line_no not in seen_lines:
                seen_lines.add(line_no)
                yield NB402.at(context.notebook, cell, line_no, 1,
                               f"{kind} hard-coded in the source; read it from the environment "
                               "(os.environ) and revoke this one")
        kind = _output_secret(cell) if in_outputs else None
        if kind:
            yield NB402.at(context.notebook, cell, 1, 1,
                           f"{kind} printed in this cell's saved output; clear the output and "
                           "revoke the secret")


def _source_secrets(cell: Cell, nodes: list[ast.AST], tokens: bool = True
                    ) -> Iterator[tuple[int, str]]:
    from nb2prod.redact import find_token

    if tokens and find_token(cell.source):  # cheap whole-cell test first: most cells hold no token
        for number, line in enumerate(cell.source_lines, 1):
            kind = find_token(line)
            if kind:
                yield number, kind
    for node in nodes:
        for name, value in _named_string_values(node):
            if is_secret_literal(name, value.value):
                yield cell.original_line(value.lineno), f"string assigned to '{name}'"


def is_secret_literal(name: str, value: str) -> bool:
    """A string literal bound to a credential-like name that is not a placeholder or a pattern
    (``token_pattern=r'\\w{1,}'`` is scikit-learn's tokenizer, not a token)."""
    from nb2prod.redact import is_sensitive_name, looks_like_secret_value

    return (is_sensitive_name(name) and len(value) >= 6 and looks_like_secret_value(value)
            and not PLACEHOLDER.match(value))


def _named_string_values(node: ast.AST) -> Iterator[tuple[str, ast.Constant]]:
    """(name, string literal) pairs: `name = "..."`, `f(name="...")`, `{"name": "..."}`."""
    if isinstance(node, ast.Assign) and _is_str(node.value):
        for target in node.targets:
            name = target.id if isinstance(target, ast.Name) else (
                target.attr if isinstance(target, ast.Attribute) else None)
            if name:
                yield name, node.value
    elif isinstance(node, ast.keyword) and node.arg and _is_str(node.value):
        yield node.arg, node.value
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=False):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and _is_str(value):
                yield key.value, value


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _output_secret(cell: Cell) -> str | None:
    from nb2prod.redact import find_token

    for output in cell.outputs:
        for text in _output_texts(output):
            kind = find_token(text)
            if kind:
                return kind
    return None


def _output_texts(output) -> Iterator[str]:
    if "text" in output:
        yield _joined(output["text"])
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if mime.startswith("text/") or mime.endswith("json"):
                yield _joined(value)
    if output.get("output_type") == "error":
        yield _joined(output.get("evalue", ""))


def _joined(value) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)
