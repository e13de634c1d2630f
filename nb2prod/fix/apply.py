"""A fix plan applied to the notebook's own text: only the fix changes, never the formatting.

``.ipynb``: the JSON is loaded in its key order and written back with the indentation, key
order, ASCII escaping and trailing newline the file had (Jupyter's own: one space, sorted keys,
non-ASCII as is), so a git diff shows only moved cells and cleared outputs. Jupytext percent
files: the ``# %%`` blocks are moved as text.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re

from nb2prod.fix.plan import FixPlan


class FormattingError(ValueError):
    """The file's JSON formatting cannot be reproduced: rewriting it would reformat it."""


def fixed_ipynb(text: str, plan: FixPlan) -> str:
    raw = json.loads(text)
    if not isinstance(raw.get("cells"), list):
        raise FormattingError(f"nbformat {raw.get('nbformat', '?')} notebook: open and save it in "
                              "Jupyter (which upgrades it to nbformat 4) first")
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
    """A code cell with its keys in the order the notebook's own code cells have them, and an
    id derived from its text (the same in ``--diff`` and ``--fix``) that no cell has yet."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    if (raw.get("nbformat"), raw.get("nbformat_minor", 0)) >= (4, 5):
        taken = {c.get("id") for c in cells}
        cell["id"] = next(candidate for n in itertools.count()
                          if (candidate := hashlib.sha1(f"{n}:{source}".encode()).hexdigest()[:8])
                          not in taken)
    model = next((list(c) for c in cells if c.get("cell_type") == "code"), [])
    rank = {key: at for at, key in enumerate(model)}
    return dict(sorted(cell.items(), key=lambda item: rank.get(item[0], len(rank))))


def fixed_percent(text: str, plan: FixPlan, cell_lines: list[int]) -> str:
    """Move the ``# %%`` blocks of a percent file (``cell_lines``: each cell's first body line,
    1-based). The result must parse into the same cells in the new order, or it is refused."""
    from nb2prod.notebook.percent import _MARKER, parse_percent

    lines = text.splitlines(keepends=True)
    if not cell_lines:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    starts = [_block_start(lines, n, _MARKER) for n in cell_lines]
    ends = [*starts[1:], len(lines) + 1]
    raw = ["".join(lines[start - 1:end - 1]) for start, end in zip(starts, ends, strict=True)]
    blocks = [b.rstrip("\r\n") for b in raw]
    # each block keeps the blank lines that followed it, so unmoved neighbours keep theirs
    gaps = [r[len(b):] for r, b in zip(raw, blocks, strict=True)]
    usual = max(set(gaps[:-1]), key=gaps[:-1].count) if len(gaps) > 1 else newline * 2
    gaps[-1] = usual  # the file's ending goes after whichever block ends up last
    # a block without a marker (code above the first one) gets one when it moves
    blocks = [b if _MARKER.match(b.split("\n", 1)[0].rstrip("\r")) else f"# %%{newline}{b}"
              for b in blocks]
    inserted = {new.before: f"# %%{newline}{newline.join(new.source.splitlines())}"
                for new in plan.inserted}
    body = [piece for i in plan.order for piece in (
        (inserted[i], usual) if i in inserted else None, (blocks[i], gaps[i])) if piece]
    ending = text[len(text.rstrip("\r\n")):]
    text_body = "".join(block + gap for block, gap in body)
    result = "".join(lines[:starts[0] - 1]) + text_body.rstrip("\r\n") + ending
    expected = [_cell_text(c) for c in _planned_cells(parse_percent(text)[0], plan)]
    if [_cell_text(c) for c in parse_percent(result)[0]] != expected:
        raise FormattingError("moving its # %% blocks would merge or split cells")
    return result


def _block_start(lines: list[str], first_body_line: int, marker) -> int:
    """The line of a cell's ``# %%`` marker (blank lines may sit between it and the body), or
    the body's first line when no marker precedes it."""
    line = first_body_line - 1
    while line >= 1 and not lines[line - 1].strip():
        line -= 1
    return line if line >= 1 and marker.match(lines[line - 1].rstrip("\r\n")) else first_body_line


def _planned_cells(cells: list[dict], plan: FixPlan) -> list[dict]:
    new = {n.before: {"cell_type": "code", "source": n.source} for n in plan.inserted}
    return [cell for i in plan.order for cell in (new.get(i), cells[i]) if cell]


def _cell_text(cell: dict) -> tuple[str, str]:
    source = cell["source"]
    source = "".join(source) if isinstance(source, list) else source
    return cell["cell_type"], source.replace("\r\n", "\n").strip()
