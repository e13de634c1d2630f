"""Parse jupytext's percent format (``# %%`` cell markers) without depending on jupytext."""

from __future__ import annotations

import json
import re
from typing import Any

_MARKER = re.compile(r"^#\s*%%(?!%)(?P<rest>.*)$")
_CELL_KIND = re.compile(r"\[(?P<kind>markdown|md|raw)\]")
_TAGS = re.compile(r"tags\s*=\s*(?P<tags>\[[^\]]*\])")
# jupytext comments out magics in percent files; this brings them back (its own convention)
_COMMENTED_MAGIC = re.compile(r"^(?P<indent>\s*)# ?(?P<magic>%{1,2}[A-Za-z]|![A-Za-z./~$])")
_LANGUAGE = re.compile(r"^#\s+language:\s*(?P<language>\S+)")


def parse_percent(text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Split a percent-format script into cell dicts and notebook metadata."""
    lines = text.splitlines()
    header_end, metadata = _parse_header(lines)
    cells: list[dict[str, Any]] = []
    kind, tags, body = "code", [], []
    seen_marker = False
    start = header_end + 1  # 1-based file line of the current cell's first body line
    for number, line in enumerate(lines[header_end:], header_end + 1):
        match = _MARKER.match(line)
        if match:
            if seen_marker or any(s.strip() for s in body):
                cells.append(_make(kind, tags, body, start))
            kind, tags, body = _describe_marker(match["rest"])
            seen_marker = True
            start = number + 1
            continue
        body.append(line)
    if seen_marker or any(s.strip() for s in body):
        cells.append(_make(kind, tags, body, start))
    return cells, metadata


def _parse_header(lines: list[str]) -> tuple[int, dict[str, Any]]:
    if not lines or lines[0].strip() != "# ---":
        return 0, {}
    for end in range(1, len(lines)):
        if lines[end].strip() == "# ---":
            language = next(
                (m["language"] for m in map(_LANGUAGE.match, lines[1:end]) if m), None
            )
            metadata = {"kernelspec": {"language": language}} if language else {}
            return end + 1, metadata
    return 0, {}


def _describe_marker(rest: str) -> tuple[str, list[str], list[str]]:
    kind_match = _CELL_KIND.search(rest)
    kind = "code"
    if kind_match:
        kind = "raw" if kind_match["kind"] == "raw" else "markdown"
    tags: list[str] = []
    tags_match = _TAGS.search(rest)
    if tags_match:
        try:
            parsed = json.loads(tags_match["tags"])
            tags = [str(t) for t in parsed] if isinstance(parsed, list) else []
        except json.JSONDecodeError:
            tags = []
    return kind, tags, []


def _make(kind: str, tags: list[str], body: list[str], start: int) -> dict[str, Any]:
    while body and not body[-1].strip():
        body = body[:-1]
    while body and not body[0].strip():
        body = body[1:]
        start += 1
    if kind == "code":
        lines = [_COMMENTED_MAGIC.sub(r"\g<indent>\g<magic>", line) for line in body]
    else:
        lines = [_uncomment(line) for line in body]
    return {
        "cell_type": kind,
        "source": "\n".join(lines),
        "metadata": {"tags": tags} if tags else {},
        "execution_count": None,
        "outputs": (),
        "file_line": start,
    }


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line
