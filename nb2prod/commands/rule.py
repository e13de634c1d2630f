"""``nb2prod rule``: print the documentation of one rule, or list them all."""

from __future__ import annotations

import sys

from nb2prod.errors import EXIT_OK, UsageError
from nb2prod.rules import ALL_RULES, get_rule


def run_rule(code: str | None, show_all: bool, markdown: bool = False) -> int:
    if markdown:
        sys.stdout.write(rules_markdown() + "\n")
        return EXIT_OK
    if show_all:
        sys.stdout.write("\n\n".join(rule.docs() for rule in ALL_RULES.values()) + "\n")
        return EXIT_OK
    if code is None:
        sys.stdout.write(rule_table() + "\n")
        return EXIT_OK
    rule = get_rule(code)
    if rule is None:
        raise UsageError(f"unknown rule {code!r}; known rules: {', '.join(ALL_RULES)}")
    sys.stdout.write(rule.docs() + "\n")
    return EXIT_OK


def rule_table() -> str:
    """One line per rule: code, severity, name and summary."""
    return "\n".join(
        f"{rule.code}  {rule.severity:<7}  {rule.name:<26} {rule.summary}"
        for rule in ALL_RULES.values()
    )


def rules_markdown() -> str:
    """The README's rule table, generated from the rules themselves."""
    rows = ["| code | name | severity | what it finds |", "|---|---|---|---|"]
    rows += [f"| {r.code} | {r.name} | {r.severity} | {r.summary} |" for r in ALL_RULES.values()]
    return "\n".join(rows)
