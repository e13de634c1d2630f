"""Render findings as text, JSON, SARIF 2.1.0 or GitHub workflow commands. Pure: returns strings."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from nb2prod import __version__
from nb2prod.findings import ERROR, INFO, WARNING, Finding
from nb2prod.rules import ALL_RULES

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}
_GITHUB_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "notice"}


def render(output_format: str, findings: Sequence[Finding], sources: Mapping[str, list[list[str]]],
           show_source: bool = False) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: render_text(findings, sources if show_source else None),
        "json": lambda: render_json(findings),
        "sarif": lambda: render_sarif(findings),
        "github": lambda: render_github(findings),
    }
    return renderers[output_format]()


def render_text(findings: Sequence[Finding], sources: Mapping[str, list[list[str]]] | None) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.path}:cell {f.cell}:line {f.line}:col {f.column}: {f.code} {f.message}")
        if sources is not None:
            lines.extend(_snippet(f, sources))
    return "\n".join(lines)


def _snippet(finding: Finding, sources: Mapping[str, list[list[str]]]) -> list[str]:
    cells = sources.get(finding.path) or []
    cell_lines = cells[finding.cell] if 0 <= finding.cell < len(cells) else []
    if not 1 <= finding.line <= len(cell_lines):
        return []
    text = cell_lines[finding.line - 1]
    gutter = f"{finding.line:>5} | "
    caret = " " * (len(gutter) + max(finding.column - 1, 0)) + "^"
    return [gutter + text, caret]


def summary_line(findings: Sequence[Finding], files: int, unreadable: int) -> str:
    counts = Counter(f.severity for f in findings)
    if not findings and not unreadable:
        return f"All checks passed ({files} notebook{'s' if files != 1 else ''})."
    if not findings and not files:
        return f"No notebook checked: {unreadable} file{'s' if unreadable != 1 else ''} could not be read."
    parts = [f"{counts[s]} {name}{'s' if counts[s] != 1 else ''}"
             for s, name in ((ERROR, "error"), (WARNING, "warning"), (INFO, "info"))
             if counts[s]]
    text = f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}"
    text += f" ({', '.join(parts)})" if parts else ""
    text += f" in {files} notebook{'s' if files != 1 else ''}"
    if unreadable:
        text += f"; {unreadable} file{'s' if unreadable != 1 else ''} could not be read"
    return text + "."


def render_statistics(findings: Sequence[Finding]) -> str:
    counts = Counter(f.code for f in findings)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = ALL_RULES[code]
        lines.append(f"{count:>6}  {code}  [{rule.severity}] {rule.name}")
    return "\n".join(lines)


def finding_to_dict(f: Finding) -> dict[str, object]:
    return {
        "path": f.path,
        "cell": f.cell,
        "cell_id": f.cell_id,
        "line": f.line,
        "column": f.column,
        "code": f.code,
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "related": [{"cell": r.cell, "line": r.line, "name": r.name} for r in f.related],
        "file_line": f.file_line,
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([finding_to_dict(f) for f in findings], indent=2)


def render_github(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        title = _escape_property(f"{f.code} {f.rule}")
        message = _escape_data(f"cell {f.cell}, line {f.line}: {f.message}")
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity]} file={_escape_property(f.path)},"
            f"line={f.file_line or 1},col={f.column},title={title}::{message}"
        )
    return "\n".join(lines)


def render_sarif(findings: Sequence[Finding]) -> str:
    codes = sorted({f.code for f in findings} | set(ALL_RULES))
    rule_index = {code: i for i, code in enumerate(codes)}
    rules = [_sarif_rule(ALL_RULES[code]) for code in codes]
    results = [_sarif_result(f, rule_index[f.code]) for f in findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nb2prod",
                "version": __version__,
                "informationUri": "https://github.com/nb2prod/nb2prod",
                "rules": rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2)


def _sarif_rule(rule) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.what.split())},
        "help": {"text": rule.docs()},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }


def _sarif_result(f: Finding, rule_index: int) -> dict[str, object]:
    return {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f"cell {f.cell}, line {f.line}: {f.message}"},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": f.file_line or 1, "startColumn": f.column},
            },
            "logicalLocations": [{"name": f"cell {f.cell}", "kind": "module"}],
        }],
        "properties": {"cell": f.cell, "cellId": f.cell_id, "cellLine": f.line},
    }


def _uri(path: str) -> str:
    file = Path(path)
    return file.as_uri() if file.is_absolute() else file.as_posix()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
