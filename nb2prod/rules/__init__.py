"""The rule registry: every rule family, listed explicitly, and the table of codes.

Codes are a public contract (users select, ignore and suppress them): never reuse or renumber one.
"""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.findings import Finding
from nb2prod.rules import execution, hidden_state, hygiene, outputs, project, secrets, syntax
from nb2prod.rules.base import Rule, RuleContext

FAMILIES = (syntax, execution, hidden_state, hygiene, outputs, secrets, project)
ALL_RULES: dict[str, Rule] = {
    rule.code: rule for family in FAMILIES for rule in family.RULES
}


def run_rules(context: RuleContext, codes: frozenset[str]) -> Iterator[Finding]:
    """Findings of the families that own at least one code in ``codes``, filtered to ``codes``."""
    for family in FAMILIES:
        if any(rule.code in codes for rule in family.RULES):
            for finding in family.check(context):
                if finding.code in codes:
                    yield finding


def get_rule(code: str) -> Rule | None:
    return ALL_RULES.get(code.strip().upper())


__all__ = ["ALL_RULES", "FAMILIES", "Rule", "RuleContext", "get_rule", "run_rules"]
