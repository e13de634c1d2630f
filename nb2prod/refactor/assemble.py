"""Pass 3 — assemble: cells grouped into steps, named, wired by the values they pass, and
finished (dead code out, config values unpacked, results returned).

A name a step reads that no earlier step binds (only under --force) becomes a required config
field with a TODO: the run stops at once with a message naming it, never with a None that fails
far away.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

from nb2prod.analysis.astutil import all_nodes, called_name, dotted_parts, parsed, query_names
from nb2prod.notebook.model import Notebook
from nb2prod.project.exchange import file_exchange
from nb2prod.refactor.dead import drop_dead
from nb2prod.refactor.imports import binding_names, names_read
from nb2prod.refactor.inline import deferred_reads
from nb2prod.refactor.inline import module_names as all_module_names
from nb2prod.refactor.locate import Unplaced, located, one_line, unused_import
from nb2prod.refactor.pieces import (
    CLASHING,
    DEFINITION_MARK,
    IMPORT_MARK,
    PATH_SOURCE,
    STEP_RESERVED,
    Collected,
    marked_import,
    removed_import_note,
)
from nb2prod.refactor.plan import Change, ConfigField, ConvertWarning, Step
from nb2prod.refactor.probes import quiet_unbound_probes
from nb2prod.refactor.steps import (
    StepDraft,
    group_cells,
    name_steps,
    renamed_for_code,
    split_long_sections,
    step_flow,
)
from nb2prod.rules.hygiene import unseeded_randomness

UNDEFINED_SOURCE = "TODO: no notebook cell defines it; set it"


@dataclass(frozen=True)
class Assembled:
    steps: tuple[Step, ...]
    required: tuple[ConfigField, ...]  # names no cell defines (--force): config without default
    warnings: tuple[ConvertWarning, ...]
    changes: tuple[Change, ...]
    star_names: frozenset[str] = frozenset()  # names read that only a kept star import binds


def assemble(notebook: Notebook, collected: Collected) -> Assembled:
    module_names = all_module_names(collected)
    drafts = [d for d in group_cells(notebook, list(collected.cells))
              if any(collected.bodies.get(i) for i in d.cells)]
    used = _loaded_names(collected)
    changes: list[Change] = []
    cell_code = {i: [code for chunk in collected.bodies.get(i, ())
                     if (code := _expand(chunk, collected, used, i, changes))]
                 for draft in drafts for i in draft.cells}
    for draft in drafts:
        draft.statements = [code for i in draft.cells for code in cell_code[i]]
    drafts = split_long_sections(drafts, cell_code, module_names)
    drafts = _merge_for_late_binding(_merge_comment_only(drafts), module_names)
    flows = [step_flow("".join(d.statements), module_names,
                       deferred_reads("".join(d.statements), module_names)) for d in drafts]
    # a step's function name must not be a value's: run() binds the values by their names
    values = {name for flow in flows for name in (*flow.reads, *flow.binds)}
    used = name_steps(drafts, module_names | set(collected.config) | STEP_RESERVED | values)
    inputs, producers, required = _inputs(drafts, flows, collected)
    from_stars = _starred_names(flows, collected) if _kept_stars(collected) else set()
    required = [f for f in required if f.name not in from_stars]
    config = {**collected.config, **{f.name: f for f in required}}
    outputs = _outputs(drafts, producers)
    exchange = file_exchange(notebook)
    written = {use.path: (use.cell, use.line) for use in exchange.writes}
    reads_by_cell: dict[int, list] = {}
    for use in exchange.reads:
        reads_by_cell.setdefault(use.cell, []).append(use)
    steps = []
    own = set(collected.definitions)  # (their names say nothing of a clock or a file)
    for draft, flow, step_inputs in zip(drafts, flows, inputs, strict=True):
        ordered_outputs = [n for n in flow.binds if n in outputs[draft.name]
                           and n not in flow.deleted]
        cleaned = drop_dead(draft.statements, set(ordered_outputs))
        changes += located(cleaned.changes, [collected.cells[i] for i in draft.cells
                                             if i in collected.cells])
        body, config_reads, quieted = _finish_body(cleaned.code, ordered_outputs,
                                                   [n for n in flow.reads if n in config], config)
        body, starred = quiet_star_reads(body, from_stars)
        body, probes = quiet_unbound_probes(body, module_names | set(step_inputs))
        quieted += starred + probes
        changes += located(quieted, [collected.cells[i] for i in draft.cells
                                     if i in collected.cells])
        name, title = renamed_for_code(draft, cleaned.code, used)
        steps.append(Step(name, title, tuple(draft.cells), tuple(step_inputs),
                          tuple(ordered_outputs), tuple(config_reads), body,
                          nondeterministic=unseeded_randomness(parsed(body))
                          or varies_between_runs(parsed(body), own)
                          or _rewritten_input([use for cell in draft.cells
                                               for use in reads_by_cell.get(cell, ())],
                                              written),
                          not_replayable=removes_files(parsed(body), own)))
    warnings = tuple(ConvertWarning(f.cell, 1, f"'{f.name}' is read but no cell defines it; it is "
                                    "now a required config field") for f in required)
    if not steps:
        warnings += (ConvertWarning(-1, 0, "the notebook has no code to convert: the project has "
                                    "no steps"),)
    return Assembled(tuple(_fold_empty_steps(steps)), tuple(required), warnings, tuple(changes),
                     frozenset(from_stars))


def _kept_stars(collected: Collected) -> list[str]:
    """The star imports hoist could not make explicit (their modules' names are unknown)."""
    return [line for line in collected.imports if line.endswith("import *")]


def _starred_names(flows, collected: Collected) -> set[str]:
    """Names read that nothing in the notebook binds, while a star import stays: they are taken
    to come from it (as they did when the notebook ran), not asked for as required config."""
    bound = {name for flow in flows for name in flow.binds} | set(collected.config) \
        | set(collected.definitions)
    # (`run`, `config`, `checkpoint`: the generated module's own names would shadow them, so
    # they stay required fields, and the run says so before it starts)
    return {name for flow in flows for name in flow.reads} - bound - STEP_RESERVED - CLASHING


_STAR_READ = "  # noqa: F405"
_NOQA = re.compile(r"#\s*noqa:\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*")


def quiet_star_reads(code: str, names: set[str]) -> tuple[str, list[Unplaced]]:
    """``code`` with ``# noqa: F405`` on each line that reads one of ``names`` (provided by a
    star import whose names are unknown), and those changes. Only on a line that is a whole
    statement, short enough that black leaves it as it is: on a line that continues (a
    backslash, an open bracket, a string) a comment would break the code or move off its line
    (ruff then reports F405 there still)."""
    if not names:
        return code, []
    nodes = all_nodes(parsed(code))
    whole, comments = _whole_lines(code)
    reading = sorted({n.lineno for n in nodes if n.__class__ is ast.Name and n.id in names
                      and n.ctx.__class__ is ast.Load} & whole)
    lines = code.splitlines(keepends=True)
    quieted = []
    for number in reading:
        line = lines[number - 1].rstrip("\n")
        at, comment = comments.get(number, (len(line), ""))
        existing = _NOQA.search(comment)
        if existing:  # ruff reads the first noqa of a line only: one list of codes
            new = line[:at + existing.end()] + ", F405" + line[at + existing.end():]
        elif "noqa" in comment or len(line) + len(_STAR_READ) + 4 > 100:
            continue  # (a bare noqa covers it; a longer line black would wrap)
        else:
            new = line + _STAR_READ
        lines[number - 1] = new + "\n"
        quieted.append(Unplaced(line.strip(), f"`{one_line(line)}` got `# noqa: F405`",
                                "it reads a name that only a star import nb2prod could not "
                                "resolve can provide"))
    return "".join(lines), quieted


def _whole_lines(code: str) -> tuple[set[int], dict[int, tuple[int, str]]]:
    """Numbers of the lines that hold a whole logical line (no continuation onto the next), and
    each line's comment (its column and text: a ``#`` inside a string is none)."""
    import io
    import tokenize

    whole, comments, start = set(), {}, None
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = (token.start[1], token.string)
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.type == tokenize.NEWLINE:
                if start == token.start[0]:
                    whole.add(start)
                start = None
            elif start is None:
                start = token.start[0]
    except (tokenize.TokenError, SyntaxError):
        return set(), {}
    return whole, comments


def _fold_empty_steps(steps: list[Step]) -> list[Step]:
    """A step left with nothing but comments (its code was display-only, dead or hoisted) is no
    function: its comments and cells open the next step (or close the previous one)."""
    folded: list[Step] = []
    pending: Step | None = None
    for step in steps:
        if pending is not None:
            step = dataclasses.replace(step, cells=(*pending.cells, *step.cells),
                                       body=_comments(pending.body) + step.body)
            pending = None
        if _empty(step.body) and len(steps) > 1:
            pending = step
            continue
        folded.append(step)
    if pending is not None and folded:
        last = folded[-1]
        folded[-1] = dataclasses.replace(last, cells=(*last.cells, *pending.cells),
                                         body=last.body + _comments(pending.body))
    return folded


def _empty(body: str) -> bool:
    statements = parsed(body).body
    return all(isinstance(s, ast.Pass) for s in statements)


def _comments(body: str) -> str:
    return "".join(line.strip() + "\n" for line in body.splitlines() if line.strip().startswith("#"))


def _outputs(drafts: list[StepDraft], producers: list[dict[str, str]]) -> dict[str, list[str]]:
    """Per step, the names later steps take from it; the last step returns its results too (what
    run() hands back, what verify compares)."""
    outputs: dict[str, list[str]] = {d.name: [] for d in drafts}
    for step_inputs in producers:
        for name, producer in step_inputs.items():
            if name not in outputs[producer]:
                outputs[producer].append(name)
    if drafts:
        outputs[drafts[-1].name] += [n for n in _final_results("".join(drafts[-1].statements))
                                     if n not in outputs[drafts[-1].name]]
    return outputs


def _inputs(drafts: list[StepDraft], flows, collected: Collected):
    """Per step: names it takes from earlier steps and which step produced each; and the names
    no step binds before they are read, as required config fields."""
    last_binder: dict[str, str] = {}
    all_inputs, all_producers, required = [], [], {}
    for draft, flow in zip(drafts, flows, strict=True):
        step_inputs, producers = [], {}
        for name in flow.reads:
            if name in collected.config or name in required:
                continue
            if name in last_binder:
                step_inputs.append(name)
                producers[name] = last_binder[name]
            else:
                required[name] = ConfigField(name, "", "Any", UNDEFINED_SOURCE, draft.cells[0],
                                             required=True)
        for name in flow.binds:
            last_binder[name] = draft.name
        for name in flow.deleted:  # `del tmp`: later steps cannot take it from here
            last_binder.pop(name, None)
        all_inputs.append(step_inputs)
        all_producers.append(producers)
    return all_inputs, all_producers, list(required.values())


def _finish_body(body: str, outputs: list[str], config_reads: list[str],
                 config) -> tuple[str, list[str], list[Unplaced]]:
    """The step's function body, the config fields it still reads once dead code is gone, and
    the ``noqa`` comments it got (a value only a pandas expression string reads is, to ruff and
    pyflakes, assigned and never used: F841)."""
    nodes = all_nodes(parsed(body))
    loaded = {n.id for n in nodes if n.__class__ is ast.Name and n.ctx.__class__ is not ast.Store}
    in_strings = {name for n in nodes if n.__class__ is ast.Call for name in query_names(n)}
    config_reads = [name for name in config_reads if name in loaded | in_strings]
    body, quieted = _quiet_string_reads(body, in_strings - loaded)
    unpack = "".join(_unpack(config[name], name not in loaded) for name in config_reads)
    if outputs:
        body = body.rstrip("\n") + f"\nreturn {', '.join(outputs)}\n"
    elif not parsed(unpack + body).body:
        # only comments: a function needs a statement (under a docstring it is dropped again:
        # the `under_docstring` filter of the templates)
        body += "pass\n"
    return unpack + body, config_reads, quieted


_STRING_READ = "  # noqa: F841 (read in a pandas expression string)"


def _quiet_string_reads(body: str, names: set[str]) -> tuple[str, list[Unplaced]]:
    """The body with ``# noqa: F841`` on each top-level assignment of ``names`` (read only
    inside ``df.query("a > @limit")``), and those changes."""
    if not names:
        return body, []
    lines = body.splitlines(keepends=True)
    quieted = []
    for node in parsed(body).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in names \
                and "#" not in lines[node.lineno - 1]:
            line = lines[node.lineno - 1]
            lines[node.lineno - 1] = line.rstrip("\n") + _STRING_READ + "\n"
            quieted.append(Unplaced(line.strip(), f"`{node.targets[0].id} = ...` got "
                                    "`# noqa: F841`", "only a pandas expression string reads it, "
                                    "which ruff and pyflakes do not look into"))
    return "".join(lines), quieted


def _unpack(field: ConfigField, string_read: bool = False) -> str:
    if field.required:
        return (f"# TODO(nb2prod): no notebook cell defines '{field.name}'; set it in the config\n"
                f"{field.name} = config.{field.name}\n")
    if field.makes_folder:  # a fresh checkout lacks the folders the notebook's folder had
        # (`or "."`: a file name set without a folder is written where the pipeline runs)
        folder = field.name if field.folder else f"os.path.dirname({field.name})"
        return (f"{field.name} = config.path(config.{field.name})\n"
                f'os.makedirs({folder} or ".", exist_ok=True)\n')
    if field.source == PATH_SOURCE or field.is_path:
        return f"{field.name} = config.path(config.{field.name})\n"
    return f"{field.name} = config.{field.name}{_STRING_READ if string_read else ''}\n"


def varies_between_runs(tree: ast.AST, own: set[str] = frozenset()) -> str:
    """Why code gives other values on every run besides random numbers: it reads the clock, makes
    a temporary file's name or a UUID ('' when it does none of these). ``own``: the notebook's
    functions, whose names (``def time(x)``) say nothing of a clock."""
    nodes = all_nodes(tree)
    own = _with_local_definitions(own, nodes)
    for node in nodes:
        if node.__class__ is not ast.Call:
            continue
        name = called_name(node.func)
        why = _VARYING_CALLS.get(name)
        if name in _TIME_PARSERS and _says_now(node):  # pd.Timestamp("now")
            why = _CLOCK
        if why is None or (node.func.__class__ is ast.Name and name in own) or (
                node.func.__class__ is ast.Attribute and name in _COMMON_WORDS
                and not set(dotted_parts(node.func)[1:]) & _CLOCK_MODULES):
            continue
        return why.format(call=f"{name}()")
    return ""


def removes_files(tree: ast.AST, own: set[str] = frozenset()) -> str:
    """Why a step cannot run again once the whole run has (it deletes or moves a file or a
    folder, which is gone by then); '' when it does neither. ``own``: the notebook's functions
    (its own ``def remove(df, col)`` deletes no file)."""
    nodes = all_nodes(tree)
    own = _with_local_definitions(own, nodes)
    for node in nodes:
        if node.__class__ is not ast.Call:
            continue
        if node.func.__class__ is ast.Name:  # from os import remove; from shutil import rmtree
            if node.func.id in _REMOVES_BY_NAME and node.func.id not in own:
                return _REMOVING.format(call=f"{node.func.id}()")
            continue
        if node.func.__class__ is not ast.Attribute:
            continue
        name, owner = node.func.attr, dotted_parts(node.func)[1:]
        if (owner in (["os"], ["shutil"], ["path", "os"]) and name in _REMOVES) or (
                name in ("unlink", "rmdir") and owner[-1:] not in (["os"], ["shutil"])):
            return _REMOVING.format(call=".".join([*reversed(owner), name]) + "()")
        if name in _RUNS_COMMANDS and any(_shell_removes(arg) for arg in node.args):
            return _REMOVING.format(call="a shell command")  # !rm x (subprocess.run(["rm", ...]))
    return ""


def _with_local_definitions(own: set[str], nodes) -> set[str]:
    """``own`` and the functions and classes the code defines itself: their names (``def
    time(x)``, ``def remove(df, col)``) say nothing of a clock or a file."""
    return set(own) | {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _shell_removes(argument: ast.AST) -> bool:
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return bool(_SHELL_REMOVES.search(argument.value))
    return isinstance(argument, ast.List) and bool(argument.elts) and isinstance(
        argument.elts[0], ast.Constant) and argument.elts[0].value in ("rm", "mv", "rmdir")


_REMOVING = "it deletes or moves files ({call}), which the whole run already did"
# os./shutil. functions that delete or move what they are given, and those often imported bare
_REMOVES = frozenset({"remove", "unlink", "rmtree", "rmdir", "removedirs", "move", "rename",
                      "replace"})
_REMOVES_BY_NAME = frozenset({"rmtree", "unlink", "removedirs", "remove"})
_RUNS_COMMANDS = frozenset({"system", "run_cell_magic", "run", "call", "check_call",
                            "check_output", "Popen"})
_SHELL_REMOVES = re.compile(r"(?:^|[\s;&|(])(?:rm|mv|rmdir)\s")


def _says_now(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant) \
        and str(call.args[0].value).strip().lower() in ("now", "today")


_TIME_PARSERS = frozenset({"Timestamp", "to_datetime", "datetime64", "Period"})


_CLOCK = "it reads the clock ({call}), which differs on every run"
_VARYING_CALLS = {
    **dict.fromkeys(["time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic",
                     "process_time", "now", "utcnow", "today"], _CLOCK),
    **dict.fromkeys(["mkdtemp", "mkstemp", "mktemp", "NamedTemporaryFile", "TemporaryDirectory",
                     "TemporaryFile", "SpooledTemporaryFile"],
                    "it makes a temporary file or folder ({call}), whose name differs on every run"),
    **dict.fromkeys(["uuid1", "uuid4", "urandom", "token_hex", "token_bytes", "token_urlsafe",
                     "getpid"], "it draws an identifier ({call}), which differs on every run"),
}
# method names other objects have too (a frame's .time, a user's .today): only on a clock module
_COMMON_WORDS = frozenset({"time", "now", "today"})
_CLOCK_MODULES = frozenset({"time", "datetime", "date", "dt", "pd", "pandas", "Timestamp",
                            "arrow", "pendulum"})


def _rewritten_input(reads, written: dict[str, tuple[int, int]]) -> str:
    """Why a step's values differ when it is replayed after a whole run: it reads (``reads``: the
    file reads of its cells) a file the notebook writes (``written``: file -> where) at or after
    that read ('' when it reads none)."""
    for use in reads:
        if use.path in written and written[use.path] >= (use.cell, use.line):
            return (f"it reads {use.path}, which the notebook writes again afterwards: replayed "
                    "after a whole run, it reads the rewritten file")
    return ""


def _final_results(body: str) -> list[str]:
    """Names a step assigns at its top level (plain assignments), in order."""
    names: dict[str, None] = {}
    for node in parsed(body).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in ast.walk(target):
                    if isinstance(element, ast.Name) and not element.id.startswith("_"):
                        names.setdefault(element.id)
    return list(names)


def _merge_for_late_binding(drafts: list[StepDraft], module_names: set[str]) -> list[StepDraft]:
    """A function or class kept in a step that reads a name only a later step binds (late
    binding, as notebooks allow) must share one function with that binding: merge those steps.
    One pass: a step grows over the later steps its functions need, then over those that the
    grown step's functions need, and so on; steps before it are settled."""
    binds, deferred = [], []
    for draft in drafts:  # each step parsed once: a merged step's flow is the union of its parts'
        text = "".join(draft.statements)
        binds.append(set(step_flow(text, module_names).binds))
        deferred.append(set(deferred_reads(text, module_names)))
    last_binder: dict[str, int] = {}
    for position, names in enumerate(binds):
        last_binder.update(dict.fromkeys(names, position))
    merged: list[StepDraft] = []
    earlier: set[str] = set()
    start = 0
    while start < len(drafts):
        end, bound, wanted = start, set(binds[start]), set(deferred[start])
        while True:
            later = max((last_binder.get(name, -1) for name in wanted - bound - earlier),
                        default=-1)
            if later <= end:
                break
            for position in range(end + 1, later + 1):
                bound |= binds[position]
                wanted |= deferred[position]
            end = later
        merged.append(drafts[start] if end == start else _combined(drafts[start:end + 1]))
        earlier |= bound
        start = end + 1
    return merged


def _combined(drafts: list[StepDraft]) -> StepDraft:
    combined = StepDraft(drafts[0].title)
    for draft in drafts:
        combined.cells += draft.cells
        combined.statements += draft.statements
    return combined


def _expand(chunk: str, collected: Collected, used: set[str], cell: int,
            changes: list[Change]) -> str:
    """A body chunk as it goes into its step: marked imports and definitions only if they stay
    (an import that stays in its step but binds nothing the project reads goes, reported)."""
    line = marked_import(chunk)
    if line:
        if line not in collected.inline_imports:
            return ""
        if not binding_names(line) & (used | {"*"}):
            changes += unused_import(line, collected.cells[cell])
            return removed_import_note(line, collected.import_comments.get(line, []),
                                       "nothing in the project uses it")
        return "".join(f"{c}\n" for c in collected.import_comments.get(line, [])) + line + "\n"
    if chunk.startswith(DEFINITION_MARK):
        return collected.inline_definitions.get(chunk[len(DEFINITION_MARK):].strip(), "")
    return chunk


def _loaded_names(collected: Collected) -> set[str]:
    """Every name the project's code reads: step code, definitions, config values."""
    sources = [chunk for chunks in collected.bodies.values() for chunk in chunks
               if not chunk.startswith((IMPORT_MARK, DEFINITION_MARK))]
    return names_read([*sources, *collected.definitions.values(),
                       *collected.inline_definitions.values(),
                       *(f.value for f in collected.config.values())])


def _merge_comment_only(drafts: list[StepDraft]) -> list[StepDraft]:
    """A step would hold only comments (a cell of notes): they open the next step instead, or
    close the previous one when none follows."""
    merged: list[StepDraft] = []
    pending: StepDraft | None = None
    for draft in drafts:
        if pending is not None:
            draft.cells[:0], draft.statements[:0] = pending.cells, pending.statements
            pending = None
        if all(_only_comments(s) for s in draft.statements):
            pending = draft
            continue
        merged.append(draft)
    if pending is not None and merged:
        merged[-1].cells += pending.cells
        merged[-1].statements += pending.statements
    elif pending is not None:  # nothing but notes (a cell kept as comments): still a step
        merged.append(pending)
    return merged


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines())
