"""In-notebook suppressions: ``# nb2prod: noqa[: CODES]`` comments and ``nb2prod-ignore`` cell tags."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from nb2prod.findings import Finding
from nb2prod.notebook.model import Notebook

_NOQA = re.compile(r"#\s*(?:nb2prod:\s*)?noqa(?::\s*(?P<codes>NB\d+(?:\s*,\s*NB\d+)*))?",
                   re.IGNORECASE)
_PLAIN_NOQA = re.compile(r"#\s*nb2prod:\s*noqa\b(?!:)", re.IGNORECASE)
TAG_ALL = "nb2prod-ignore"


def without_suppressed(notebook: Notebook, findings: Iterable[Finding]) -> Iterator[Finding]:
    """Drop findings silenced by a cell tag or a noqa comment on their line."""
    cells = {cell.index: cell for cell in notebook.cells}
    for finding in findings:
        cell = cells.get(finding.cell)
        if cell is None or not (_tag_suppresses(cell.tags, finding.code)
                                or _line_suppresses(cell.source_lines, finding)):
            yield finding


def _tag_suppresses(tags: tuple[str, ...], code: str) -> bool:
    for tag in tags:
        if tag == TAG_ALL:
            return True
        if tag.startswith(TAG_ALL + "-") and code.startswith(tag[len(TAG_ALL) + 1 :].upper()):
            return True
    return False


def _line_suppresses(lines: list[str], finding: Finding) -> bool:
    if not 1 <= finding.line <= len(lines):
        return False
    text = lines[finding.line - 1]
    if _PLAIN_NOQA.search(text):
        return True
    for match in _NOQA.finditer(text):
        codes = match["codes"]
        if codes and any(finding.code.startswith(c.strip().upper()) for c in codes.split(",")):
            return True
    return False
