"""Grouping cells into pipeline steps, naming them, and the dataflow between them."""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass, field

from nb2prod.analysis.dataflow import BUILTIN_NAMES, is_builtin
from nb2prod.analysis.events import BIND, READ, module_events
from nb2prod.notebook.model import Notebook

_HEADING = re.compile(r"^\s{0,3}(#{1,3})\s+(?P<title>.+?)\s*#*\s*$", re.M)
_STEP_TAG = re.compile(r"^step:(?P<name>[A-Za-z_]\w*)$")
_COMMENT_TITLE = re.compile(r"^\s*#+\s*(?P<title>[A-Za-z][^\n]{2,60})$")


@dataclass
class StepDraft:
    title: str
    cells: list[int] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # body source chunks, in order
    name: str = ""


def group_cells(notebook: Notebook, cells: list[int]) -> list[StepDraft]:
    """Steps from markdown headings, or ``step:<name>`` cell tags; else one step per code cell."""
    tagged = any(_STEP_TAG.match(t) for c in notebook.cells for t in c.tags)
    headed = any(c.cell_type == "markdown" and _HEADING.search(c.source) for c in notebook.cells)
    drafts: list[StepDraft] = []
    current = StepDraft("setup")
    wanted = set(cells)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and headed and not tagged:
            heading = _HEADING.search(cell.source)
            if heading:
                drafts.append(current)
                current = StepDraft(_clean_title(heading["title"]))
            continue
        if cell.index not in wanted:
            continue
        tag = next((match for t in cell.tags if (match := _STEP_TAG.match(t))), None)
        if tag:
            drafts.append(current)
            current = StepDraft(tag["name"])
        elif not headed and not tagged:
            drafts.append(current)
            comment = _COMMENT_TITLE.match(cell.source.splitlines()[0] if cell.source else "")
            current = StepDraft(_clean_title(comment["title"]) if comment else f"step {cell.index}")
        current.cells.append(cell.index)
    drafts.append(current)
    return [d for d in drafts if d.cells]


def name_steps(drafts: list[StepDraft], taken: set[str]) -> None:
    """Give each step a unique function name from its title."""
    used = set(taken)
    for position, draft in enumerate(drafts, 1):
        base = identifier(draft.title, fallback=f"step_{position}")
        if base in used or keyword.iskeyword(base) or is_builtin(base):
            base = f"{base}_step"
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        draft.name = name


def identifier(text: str, fallback: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    name = ""
    for word in words:
        if len(name) + len(word) + 1 > 40:
            break
        name = f"{name}_{word}" if name else word
    if not name:
        return fallback
    return f"step_{name}" if name[0].isdigit() else name


def _clean_title(title: str) -> str:
    title = re.sub(r"<[^>]+>|[*_`\[\]]|\(http[^)]*\)", "", title)
    return " ".join(title.split()) or "step"


@dataclass(frozen=True)
class StepFlow:
    reads: tuple[str, ...]  # names read before the step binds them, in first-read order
    binds: tuple[str, ...]  # names the step binds, in first-bind order


def step_flow(body: str, ignore: set[str], deferred: tuple[str, ...] = ()) -> StepFlow:
    """What a step body reads from outside and binds, ignoring module-level names.

    ``deferred`` are names functions defined inside the step read when called: when the step does
    not bind them itself, they must come in from earlier steps too.
    """
    events = module_events(ast.parse(body))
    bound_anywhere = {e.name for e in events if e.kind == BIND}
    reads: dict[str, None] = dict.fromkeys(n for n in deferred if n not in bound_anywhere
                                           and n not in ignore and n not in BUILTIN_NAMES)
    binds: dict[str, None] = {}
    for event in events:
        if event.name in ignore or event.name in BUILTIN_NAMES:
            continue  # only true builtins: IPython's names (`_`, `display`) do not exist in a module
        if event.kind == READ and event.name not in binds:
            if event.guarded and event.name in bound_anywhere:
                continue  # carried around a loop, or guarded by try/except NameError
            reads.setdefault(event.name)
        elif event.kind == BIND:
            binds.setdefault(event.name)
    return StepFlow(tuple(reads), tuple(binds))
