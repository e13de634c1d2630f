"""A fix plan applied to the notebook's own text: only the fix changes, never the formatting.

``.ipynb``: the JSON is loaded in its key order and written back with the indentation, key
order, ASCII escaping and trailing newline the file had (Jupyter's own: one space, sorted keys,
non-ASCII as is), so a git diff shows only moved cells and cleared outputs. Jupytext percent
files: the ``# %%`` blocks are moved as text.
"""

from __future__ import annotations

import json
import re
import secrets

from nb2prod.fix.plan import FixPlan


class FormattingError(ValueError):
    """The file's JSON formatting cannot be reproduced: rewriting it would reformat it."""


def fixed_ipynb(text: str, plan: FixPlan) -> str:
    raw = json.loads(text)
    style = _json_style(text, raw)
    cells = raw["cells"]
    for index in plan.cleared:
        if cells[index].get("cell_type") == "code":
            cells[index]["outputs"] = []
            cells[index]["execution_count"] = None
    new_cells = {new.before: _new_code_cell(new.source, raw, cells) for new in plan.inserted}
    ordered = []
    for index in plan.order:
        if index in new_cells:
            ordered.append(new_cells[index])
        ordered.append(cells[index])
    raw["cells"] = ordered
    return _dumps(raw, style)


def _json_style(text: str, raw) -> dict:
    """The json.dumps arguments that write ``text`` back byte for byte."""
    indent_match = re.search(r"\n( +)\"", text)
    indent = len(indent_match.group(1)) if indent_match else 1
    ending = "\n" if text.endswith("\n") else ""
    for sort_keys in (False, True):
        for ensure_ascii in (False, True):
            style = {"indent": indent, "sort_keys": sort_keys, "ensure_ascii": ensure_ascii,
                     "ending": ending}
            if _dumps(raw, style) == text:
                return style
    raise FormattingError("its JSON formatting is not one json.dumps writes; rewriting it "
                          "would reformat the whole file (save it from Jupyter first)")


def _dumps(raw, style: dict) -> str:
    return json.dumps(raw, indent=style["indent"], sort_keys=style["sort_keys"],
                      ensure_ascii=style["ensure_ascii"], separators=(",", ": ")) + style["ending"]


def _new_code_cell(source: str, raw, cells) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    if (raw.get("nbformat"), raw.get("nbformat_minor", 0)) >= (4, 5):
        taken = {c.get("id") for c in cells}
        cell["id"] = next(i for i in iter(lambda: secrets.token_hex(4), None) if i not in taken)
    return cell


def fixed_percent(text: str, plan: FixPlan, cell_lines: list[int], marker_lines: set[int]) -> str:
    """Move the ``# %%`` blocks of a percent file: ``cell_lines`` are each cell's first body
    line (1-based), ``marker_lines`` the lines holding a cell marker."""
    lines = text.splitlines(keepends=True)
    if not cell_lines:
        return text
    starts = [line - 1 if line - 1 in marker_lines else line for line in cell_lines]
    ends = [*starts[1:], len(lines) + 1]
    blocks = ["".join(lines[start - 1:end - 1]) for start, end in zip(starts, ends, strict=True)]
    # blocks keep their text; the blank line between cells goes with the position
    blank = sum(b.endswith("\n\n") for b in blocks[:-1]) * 2 >= len(blocks) - 1
    ending = blocks[-1][len(blocks[-1].rstrip("\n")):] if blocks else ""
    separator = "\n\n" if blank else "\n"
    blocks[-1] = blocks[-1].rstrip("\n") + separator  # it may not stay last
    pieces = [f"# %%\n{new.source}{separator}" for new in plan.inserted]
    inserted = dict(zip((new.before for new in plan.inserted), pieces, strict=True))
    body = [piece for i in plan.order for piece in (inserted.get(i), blocks[i]) if piece]
    body[-1] = body[-1].rstrip("\n") + ending
    head = "".join(lines[:starts[0] - 1]) if starts else text
    return head + "".join(body)
