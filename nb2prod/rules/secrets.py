"""NB402: credentials written into a notebook's code or saved in its outputs.

Messages name the kind of secret and where it is, never the secret itself: findings end up in CI
logs and pull-request annotations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nb2prod.findings import ERROR, Finding
from nb2prod.notebook.model import Cell
from nb2prod.rules.base import Rule, RuleContext

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

TOKEN_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (marker, kind, re.compile(pattern))
    for marker, kind, pattern in [
        ("A", "AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
        ("-----BEGIN", "private key", r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
        ("gh", "GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("github_pat_", "GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
        ("xox", "Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
        ("AIza", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("sk-", "OpenAI-style secret key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{32,}\b"),
        ("sk_live_", "Stripe secret key", r"\b[sr]k_live_[0-9a-zA-Z]{20,}\b"),
        ("hf_", "Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("://", "password in a URL", r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:[^\s:/@'\"]{3,}@[\w.-]+"),
    ]
)
SENSITIVE_NAME = re.compile(
    r"(?:^|_)(?:pass(?:word|wd)?|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
    r"auth_?token|credentials?|client_secret)(?:$|_)", re.IGNORECASE,
)
PLACEHOLDER = re.compile(
    r"^(?:|x+|\*+|\.+|<.*>|\{.*\}|\$\{?\w+\}?|your[\s_-].*|.*(?:here|example|changeme|"
    r"placeholder|dummy|redacted|xxxx|todo|none|null|test|secret|password|token).*)$",
    re.IGNORECASE,
)
_URLPLACEHOLDER = re.compile(r"://[^:/@]+:(?:\*+|x+|<[^>]*>|\{[^}]*\}|\$\w+|password|pass|pwd)@",
                              re.IGNORECASE)


def check(context: RuleContext) -> Iterator[Finding]:
    for cell in context.notebook.code_cells:
        seen_lines: set[int] = set()
        for line_no, kind in _source_secrets(cell, context.nodes(cell)):
            if line_no not in seen_lines:
                seen_lines.add(line_no)
                yield NB402.at(context.notebook, cell, line_no, 1,
                               f"{kind} hard-coded in the source; read it from the environment "
                               "(os.environ) and revoke this one")
        kind = _output_secret(cell)
        if kind:
            yield NB402.at(context.notebook, cell, 1, 1,
                           f"{kind} printed in this cell's saved output; clear the output and "
                           "revoke the secret")


def find_token(text: str) -> str | None:
    """The kind of the first credential-looking token in ``text``."""
    for marker, kind, pattern in TOKEN_PATTERNS:
        if marker in text:
            for match in pattern.finditer(text):
                if kind == "password in a URL" and _URLPLACEHOLDER.search(match.group(0)):
                    continue
                return kind
    return None


def _source_secrets(cell: Cell, nodes: tuple[ast.AST, ...]) -> Iterator[tuple[int, str]]:
    if find_token(cell.source):  # cheap whole-cell test first: most cells hold no token
        for number, line in enumerate(cell.source_lines, 1):
            kind = find_token(line)
            if kind:
                yield number, kind
    for node in nodes:
        for name, value in _named_string_values(node):
            if (SENSITIVE_NAME.search(name) and len(value.value) >= 6
                    and " " not in value.value.strip() and not PLACEHOLDER.match(value.value)):
                yield cell.original_line(value.lineno), f"string assigned to '{name}'"


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
