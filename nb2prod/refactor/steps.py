"""Grouping cells into pipeline steps, naming them, and the dataflow between them."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from nb2prod.analysis.astutil import all_nodes, parsed
from nb2prod.analysis.dataflow import BUILTIN_NAMES
from nb2prod.analysis.events import BIND, DELETE, READ, module_events
from nb2prod.analysis.scopes import free_names
from nb2prod.notebook.model import Notebook
from nb2prod.refactor.inline import deferred_reads
from nb2prod.refactor.naming import code_name, is_meta_heading, title_name, unique_name

_HEADING = re.compile(r"^\s{0,3}(?P<level>#{1,6})\s+(?P<title>.+?)\s*#*\s*$", re.M)
STEP_LEVELS = 3  # headings down to ### open steps; a notebook whose headings are all deeper
# (`####` only) uses its own top level
_STEP_TAG = re.compile(r"^step:(?P<name>[A-Za-z_]\w*)$")
_TOC = re.compile(r"^(?:table of contents?|contents|toc|outline|agenda|index)\W*$", re.I)
_COMMENT_TITLE = re.compile(r"^\s*#+\s*(?P<title>[A-Za-z][^\n]{2,60})$")


@dataclass
class StepDraft:
    title: str
    cells: list[int] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # body source chunks, in order
    name: str = ""
    code_name: str | None = None  # the name its code gave ('' none), when no heading named it


def group_cells(notebook: Notebook, cells: list[int]) -> list[StepDraft]:
    """Steps from markdown headings, or ``step:<name>`` cell tags; else one step per code cell.

    A step's title is its heading (the last one of its markdown cell: the one nearest the code),
    its tag, or its cell's opening comment; '' leaves the name to what the code does. A table of
    contents is not a heading: it would swallow the notebook into its first step.
    """
    tagged = any(_STEP_TAG.match(t) for c in notebook.cells for t in c.tags)
    levels = [len(m["level"]) for c in notebook.cells if c.cell_type == "markdown"
              for m in _headings(c.source)]
    deepest = max(STEP_LEVELS, min(levels, default=STEP_LEVELS))
    headed = any(_step_heading(c, deepest) for c in notebook.cells)
    drafts: list[StepDraft] = []
    current = StepDraft("")
    wanted = set(cells)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and headed and not tagged:
            heading = _step_heading(cell, deepest)
            if heading:
                drafts.append(current)
                current = StepDraft(heading)
            continue
        if cell.index not in wanted:
            continue
        tag = next((match for t in cell.tags if (match := _STEP_TAG.match(t))), None)
        if tag:
            drafts.append(current)
            current = StepDraft(tag["name"])
        elif not headed and not tagged:
            drafts.append(current)
            current = StepDraft(_comment_title(cell.source))
        current.cells.append(cell.index)
    drafts.append(current)
    return [d for d in drafts if d.cells]


MAX_SECTION_LINES = 80  # a heading section longer than this is split at its cells' boundaries
MIN_PART_LINES = 20  # no part shorter than this: a few lines make no step of their own


def split_long_sections(drafts: list[StepDraft], cell_code: dict[int, list[str]],
                        ignore: set[str]) -> list[StepDraft]:
    """Steps whose heading section runs past MAX_SECTION_LINES, split between cells where the
    fewest values cross (a part's inputs are the earlier part's outputs): a 300-line function
    is no step a reader can follow. The first part keeps the heading; later parts are named
    by the comment that opens them when it reads as a title, else from what their code does.
    ``cell_code``: each cell's code chunks, as the steps take them."""
    split: list[StepDraft] = []
    for draft in drafts:
        lines = [sum(chunk.count("\n") for chunk in cell_code.get(i, ())) for i in draft.cells]
        if sum(lines) <= MAX_SECTION_LINES or len(draft.cells) < 2:
            split.append(draft)
            continue
        cells = {i: _CellFlow(lines[at], "".join(cell_code.get(i, ())), ignore)
                 for at, i in enumerate(draft.cells)}  # (read once, whatever the cuts)
        split += _parts(draft, cells, cell_code)
    return split


class _CellFlow:
    """A cell's size and data flow, as the cuts between cells weigh them."""

    def __init__(self, lines: int, code: str, ignore: set[str]) -> None:
        flow = step_flow(code, ignore)
        self.lines = lines
        self.binds, self.reads = set(flow.binds), set(flow.reads)
        # what its functions, classes, lambdas and generators read when they run, later
        self.deferred = set(deferred_reads(code, ignore)) | _read_later(code)


def _parts(draft: StepDraft, cells: dict[int, _CellFlow],
           cell_code: dict[int, list[str]]) -> list[StepDraft]:
    flows = [cells[i] for i in draft.cells]
    if sum(f.lines for f in flows) <= MAX_SECTION_LINES or len(flows) < 2:
        return [draft]
    cut = _best_cut(flows)
    if cut is None:
        return [draft]
    first = StepDraft(draft.title, draft.cells[:cut])
    # a later part opening with a title-like comment (`## Number of reviews`) is named by it
    opening = _comment_title("".join(cell_code.get(draft.cells[cut], ())))
    rest = StepDraft("" if is_meta_heading(opening) else opening, draft.cells[cut:])
    for part in (first, rest):
        part.statements = [code for i in part.cells for code in cell_code.get(i, ())]
    return [*_parts(first, cells, cell_code), *_parts(rest, cells, cell_code)]


def _best_cut(flows: list[_CellFlow]) -> int | None:
    """Where to cut: fewest values crossing, then the most even parts; never where a part
    would be under MIN_PART_LINES, nor where a function of the earlier part reads a name the
    later part binds again (it would read its own part's value). None when nowhere will do."""
    made, deferred, left = [set()], [set()], [0]  # before each cut
    for flow in flows:
        made.append(made[-1] | flow.binds)
        deferred.append(deferred[-1] | flow.deferred)
        left.append(left[-1] + flow.lines)
    binds, reads = [set()], [set()]  # from each cut on, built from the end
    for flow in reversed(flows):
        binds.append(binds[-1] | flow.binds)
        reads.append(reads[-1] | flow.reads)
    binds.reverse()
    reads.reverse()
    best = None
    for cut in range(1, len(flows)):
        right = left[-1] - left[cut]
        if min(left[cut], right) < MIN_PART_LINES or binds[cut] & deferred[cut]:
            continue
        score = (len(made[cut] & reads[cut]), abs(left[cut] - right))
        if best is None or score < best[0]:
            best = (score, cut)
    return None if best is None else best[1]


def _read_later(code: str) -> set[str]:
    """Free names of the lambdas and generator expressions in ``code`` (functions and classes:
    see deferred_reads): read when they run, which may be after a later part has bound them
    again."""
    reads: dict[str, int] = {}
    for node in all_nodes(parsed(code)):
        if isinstance(node, (ast.Lambda, ast.GeneratorExp)):
            free_names(node, reads, set(), set())
    return set(reads)


def _comment_title(source: str) -> str:
    """A cell's opening comment when it reads like a title (``# Load the data``), not prose
    (``# There's ~54 million here!``) or commented-out code (``# df.head()``)."""
    match = _COMMENT_TITLE.match(source.splitlines()[0] if source else "")
    if not match:
        return ""
    title = match["title"].strip()
    if title.endswith(("!", "?")) or re.search(r"[=()\[\]{}]|^(?:import|from|print)\b", title) \
            or len(title.split()) > 8:
        return ""
    return clean_title(title)


def _step_heading(cell, deepest: int = STEP_LEVELS) -> str:
    """The heading a markdown cell opens a step with ('' for none, or a table of contents)."""
    if cell.cell_type != "markdown":
        return ""
    headings = [clean_title(m["title"]) for m in _headings(cell.source)
                if len(m["level"]) <= deepest]
    headings = [h for h in headings if h and not _TOC.match(h)]
    if not headings or _is_link_list(cell.source):
        return ""
    return headings[-1]


def _is_link_list(source: str) -> bool:
    """Mostly a list of in-page links: a table of contents, whatever its heading says."""
    items = [line for line in source.splitlines() if re.match(r"^\s*(?:[-*+]|\d+\.)\s", line)]
    links = [line for line in items if "](#" in line or 'href="#' in line]
    return len(links) >= 3 and len(links) >= len(items) / 2


def name_steps(drafts: list[StepDraft], taken: set[str]) -> set[str]:
    """Give each step a unique function name from its title, or else from what its code does;
    returns every name now taken."""
    used = set(taken)
    for draft in drafts:
        code, subject = code_name("".join(draft.statements))
        base = title_name(draft.title)
        if not base or base[0].isdigit():  # a title of numbers only ("2019") says too little
            base = code or (f"part_{base}" if base else "run_cells")
        draft.name = unique_name(base, subject, used, code if code != base else "",
                                 "".join(draft.statements))
        used.add(draft.name)
        if not draft.title or is_meta_heading(draft.title):  # "Hints:" names no step
            draft.title = _title_of(draft.name)
            draft.code_name = code
    return used


def renamed_for_code(draft: StepDraft, code: str, used: set[str]) -> tuple[str, str]:
    """(name, title) of a step named from its code, named again from the code it ships: dead
    code gone, ``compute_test_frac`` whose ``test_frac`` nothing read names nothing there."""
    if draft.code_name is None:
        return draft.name, draft.title
    wanted, subject = code_name(code)
    if not wanted or draft.name == wanted or draft.name.startswith(f"{wanted}_") \
            or wanted == draft.code_name:
        return draft.name, draft.title  # (a numbered or call_ name stays: the code is the same)
    used.discard(draft.name)
    name = unique_name(wanted, subject, used, "", code)
    used.add(name)
    return name, _title_of(name)


def _title_of(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _headings(source: str) -> list[re.Match[str]]:
    """A markdown cell's headings, not the comments of a fenced code block in it (a ``# Returns
    Series`` in a Python example is no heading)."""
    return list(_HEADING.finditer(_FENCED.sub("", source)))


_FENCED = re.compile(r"^\s{0,3}(```|~~~).*?^\s{0,3}\1[^\n]*$", re.M | re.S)


def clean_title(title: str) -> str:
    """Markdown and HTML markup out of a heading; underscores inside words stay (they may be
    part of a credential the redaction pass must still recognise: `sk_live_...`)."""
    title = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~])", r"\1", title)  # `.loc\[\]`: escapes
    kept, at = [], 0
    for span in _SPANS.finditer(title):
        kept.append(_MARKUP.sub("", title[at:span.start()]))
        code, math = span.group("code"), span.group("math")
        if code is not None:  # `$HOME`: a code span's text as written
            kept.append(code)
        elif _LATEX.search(math) or not re.search(r"\s", math):  # $[]$, $\alpha_i$, $x$
            kept.append(re.sub(r"\\([a-zA-Z]+)|[{}]", r"\1", math))
        else:  # `($M) vs cost ($K)`: dollars
            kept.append(_MARKUP.sub("", span.group()))
        at = span.end()
    kept.append(_MARKUP.sub("", title[at:]))
    return " ".join("".join(kept).split()) or "step"


_MARKUP = re.compile(r"<[^>]+>|[*`\[\]]|(?<!\w)_+|_+(?!\w)|\(http[^)]*\)")
# a code span, or inline math (`$5 and $10` is no math: a digit follows its closing dollar)
_SPANS = re.compile(r"`(?P<code>[^`]+)`|\$\$?(?=\S)(?P<math>[^$]*?\S)\$\$?(?!\d)")
_LATEX = re.compile(r"[\\^_{}\[\]=]")


@dataclass(frozen=True)
class StepFlow:
    reads: tuple[str, ...]  # names read before the step binds them, in first-read order
    binds: tuple[str, ...]  # names the step binds, in first-bind order
    deleted: frozenset[str] = frozenset()  # bound names the step deletes last (`del tmp`)


def step_flow(body: str, ignore: set[str], deferred: tuple[str, ...] = ()) -> StepFlow:
    """What a step body reads from outside and binds, ignoring module-level names.

    ``deferred`` are names functions defined inside the step read when called: when the step does
    not bind them itself, they must come in from earlier steps too.
    """
    events = module_events(parsed(body))
    bound_anywhere = {e.name for e in events if e.kind == BIND}
    reads: dict[str, None] = dict.fromkeys(n for n in deferred if n not in bound_anywhere
                                           and n not in ignore and n not in BUILTIN_NAMES)
    binds: dict[str, None] = {}
    last: dict[str, str] = {}  # name -> its last bind or delete
    for event in events:
        if event.kind in (BIND, DELETE):
            last[event.name] = event.kind
        if event.name in ignore or event.name in BUILTIN_NAMES:
            continue  # only true builtins: IPython's names (`_`, `display`) do not exist in a module
        if event.kind == READ and event.name not in binds:
            if event.guarded and event.name in bound_anywhere:
                continue  # carried around a loop, or guarded by try/except NameError
            reads.setdefault(event.name)
        elif event.kind == BIND:
            binds.setdefault(event.name)
    return StepFlow(tuple(reads), tuple(binds),
                    frozenset(n for n, kind in last.items() if kind == DELETE))
