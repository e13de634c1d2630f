"""What the first passes of the planner hand each other: the notebook's code sorted by where it
goes (module-level imports and definitions, config fields, step code per cell).

:class:`Collected` is the frozen result a pass returns; a pass that changes it works on a
:class:`Pieces` copy (``thaw``) and returns a new one (``freeze``), so no pass edits another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from nb2prod.notebook.model import Cell
from nb2prod.refactor.plan import Change, ConfigField, ConvertWarning

# Names the generated modules define themselves; notebook names may not take them.
RESERVED = frozenset({"Config", "config", "run", "main", "save_figure", "checkpoint", "STEPS"})
# names run() binds itself: never a step's (a user's variable of that name is fine)
STEP_RESERVED = RESERVED | {"trace", "values", "NOTEBOOKS"}
# generated names a notebook name would shadow: the step's own parameters and the helpers
CLASHING = RESERVED | {"trace", "step", "outputs"}
# Where a cell had an import or a definition: hoisted to module level, unless it must stay put.
IMPORT_MARK = "# nb2prod-import: "
DEFINITION_MARK = "# nb2prod-definition: "
PATH_SOURCE = "file path"
DATA_DIR_SOURCE = "folder that relative file paths resolve against"


def import_marker(line: str) -> str:
    """The body chunk that holds an import's place in its cell."""
    return f"{IMPORT_MARK}{line}\n"


def marked_import(chunk: str) -> str:
    """The import a marker chunk stands for ('' for any other chunk)."""
    return chunk[len(IMPORT_MARK):].strip() if chunk.startswith(IMPORT_MARK) else ""


def removed_import_note(line: str, comments, why: str) -> str:
    """What stays where an import the project does not need was: the notebook's comments on it,
    then what became of it ('' when it had no comments: the change list says the rest)."""
    if not comments:
        return ""
    return "".join(f"{c}\n" for c in comments) + f"# (nb2prod: removed `{line}`: {why})\n"


@dataclass(frozen=True)
class Collected:
    """The notebook's code, sorted; read-only."""

    cells: Mapping[int, Cell]
    imports: tuple[str, ...]
    import_comments: Mapping[str, tuple[str, ...]]  # import -> the notebook's comments on it
    definitions: Mapping[str, str]  # hoisted functions and classes, by name
    definition_cells: Mapping[str, int]
    inline_definitions: Mapping[str, str]  # definitions that stay inside their step
    inline_imports: frozenset[str]  # imports that stay inside their step
    config: Mapping[str, ConfigField]
    bodies: Mapping[int, tuple[str, ...]]  # per cell, the code chunks that go into its step
    stdlib_needed: frozenset[str]  # modules the transforms' code needs (os, subprocess...)
    secrets: tuple[str, ...]
    path_reads: Mapping[str, str]  # config field -> the file path it reads
    warnings: tuple[ConvertWarning, ...]
    changes: tuple[Change, ...]
    folder: str = ""  # the notebook's folder: where its own modules are read from
    versioned: frozenset[str] = frozenset()  # earlier versions of a name defined again (`f_v1`)

    def thaw(self) -> Pieces:
        return Pieces(**{f.name: _thawed(getattr(self, f.name)) for f in fields(self)})


@dataclass
class Pieces:
    """A pass's working copy of :class:`Collected`."""

    cells: dict[int, Cell] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    import_comments: dict[str, list[str]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    definition_cells: dict[str, int] = field(default_factory=dict)
    inline_definitions: dict[str, str] = field(default_factory=dict)
    inline_imports: set[str] = field(default_factory=set)
    config: dict[str, ConfigField] = field(default_factory=dict)
    bodies: dict[int, list[str]] = field(default_factory=dict)
    stdlib_needed: set[str] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    path_reads: dict[str, str] = field(default_factory=dict)
    warnings: list[ConvertWarning] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    folder: str = ""
    versioned: set[str] = field(default_factory=set)

    def freeze(self) -> Collected:
        return Collected(**{f.name: _frozen(getattr(self, f.name)) for f in fields(self)})


def _frozen(value):
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def _thawed(value):
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return list(value)
    if isinstance(value, frozenset):
        return set(value)
    return value
