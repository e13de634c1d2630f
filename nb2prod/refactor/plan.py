"""The conversion plan: pure data that templates render (and ``--dry-run`` prints, and verify reads).

Everything a template receives is here; README.md documents the fields for template authors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConvertWarning:
    """Something the conversion could not carry over exactly; each also becomes a TODO in code."""

    cell: int
    line: int
    message: str
    notebook: str = ""  # which notebook, in a project made from several ('' for one)
    code_left_out: bool = False  # code that ran in the notebook is a TODO comment in the project


@dataclass(frozen=True)
class Change:
    """One change nb2prod made to the notebook's code (everything else is moved, not rewritten)."""

    cell: int
    line: int
    what: str  # "removed `df.head()`"
    why: str  # "it only displayed a value"
    notebook: str = ""  # which notebook, in a project made from several ('' for one)


@dataclass(frozen=True)
class ConfigField:
    """A value the pipeline reads from its config (papermill parameters, literal constants, paths)."""

    name: str
    value: str  # Python source of the default value
    type: str  # annotation source: int, float, str, bool, list, dict, tuple, Any
    source: str  # why it is configurable: "parameters cell", "constant", "absolute path"
    cell: int
    mutable: bool = False  # list/dict defaults need a default_factory
    comments: tuple[str, ...] = ()  # the notebook's comments on the assignment it came from
    required: bool = False  # no default: a name no cell defines (--force); the run must set it
    notebook: str = ""  # the notebook of `cell`, in a project made from several ('' for one)
    # a constant the notebook passes to a file call (DATA_PATH = "x.csv"): a relative value
    # resolves against data_dir, as file path fields do
    is_path: bool = False
    makes_folder: bool = False  # a path the notebook writes into a folder: the step creates it
    folder: bool = False  # the value is a folder (of a formatted path: f"plots/{col}.png")
    # an absolute path the notebook writes (on its own machine): the generated tests write it
    # under their own folder instead
    host_write: bool = False
    host_read: bool = False  # an absolute path the notebook reads: the tests need it there


@dataclass(frozen=True)
class Step:
    """One function of the pipeline, made from consecutive cells."""

    name: str
    title: str
    cells: tuple[int, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config_fields: tuple[str, ...]  # config values the body reads (unpacked at its start)
    body: str  # the function body (Python source, not indented)
    doc: str = ""
    nondeterministic: str = ""  # why its values change from run to run ('' when they do not)
    # the steps it must run after (data flow, in-place changes, files, shared state): engines
    # run steps that do not follow each other in parallel
    after: tuple[str, ...] = ()
    # inputs it may change in place: engines that pass values as files save them again after it
    changes: tuple[str, ...] = ()
    module: str = ""  # the module of its notebook, in a project made from several ('' for one)
    # why it cannot run again after the whole run ('' when it can): it deletes or moves files
    not_replayable: str = ""


@dataclass(frozen=True)
class Unsavable:
    """A step output no file can hold: an engine that saves values between steps fails on it."""

    step: str
    value: str
    kind: str  # "a generator"
    fix: str  # "make it a list: [... for ...]"


@dataclass(frozen=True)
class DataFile:
    """An input file the notebook reads, relative to the notebook's folder."""

    path: str
    size: int
    copied: bool  # shipped in tests/data
    reason: str = ""  # why it was not shipped


@dataclass(frozen=True)
class ModuleFile:
    """A file of a module the notebook imports from its own folder, shipped as it is."""

    source: str  # relative to the notebook's folder (the project's folder, for several notebooks)
    target: str  # relative to the folder the template keeps modules in: helpers.py, utils/io.py

    @property
    def top(self) -> str:
        """What it installs at the top level: ``helpers.py`` (a py-module) or ``utils`` (a
        package)."""
        return self.target.split("/")[0]

    @property
    def module(self) -> str:
        """The top-level module name it provides: ``helpers``, ``utils``."""
        return self.top.removesuffix(".py")


@dataclass(frozen=True)
class Dependency:
    distribution: str
    version: str | None
    requirement: str  # the requirements.in line
    evidence: str
    imports: tuple[str, ...] = ()  # the imports that need it (none: installed by the notebook)


@dataclass(frozen=True)
class Download:
    """A place the notebook reads from the network (only the host: a URL may hold a token)."""

    host: str
    port: int
    call: str  # read_csv(), urlretrieve(), !wget
    cell: int
    line: int
    # what the project's code must still hold for the download to be made: the host of a URL
    # (empty), or the function of a library's dataset download (no URL in the code)
    shown_by: str = ""

    def describe(self) -> str:
        return f"{self.host}: {self.call} (cell {self.cell}, line {self.line})"


@dataclass(frozen=True)
class ConversionPlan:
    project: str  # distribution name, e.g. churn-model
    package: str  # import name, e.g. churn_model
    title: str
    description: str
    notebook: str  # the source notebook's file name
    notebook_sha256: str
    nb2prod_version: str
    date: str
    python_requires: str
    imports: tuple[str, ...]  # module-level import statements of the pipeline
    definitions: tuple[str, ...]  # functions and classes the notebook defines, as source
    config: tuple[ConfigField, ...]
    steps: tuple[Step, ...]
    dependencies: tuple[Dependency, ...]
    secrets: tuple[str, ...]  # environment variables the pipeline reads credentials from
    data_files: tuple[DataFile, ...]
    missing_inputs: tuple[str, ...]  # input files the notebook reads that are not in its folder
    expected_stdout: str | None  # the notebook's recorded stdout, when it is a trustworthy reference
    warnings: tuple[ConvertWarning, ...] = ()
    changes: tuple[Change, ...] = ()  # every change to user code, in cell order
    helpers: tuple[str, ...] = field(default=())  # helper names the pipeline needs (save_figure...)
    # modules the project imports that are not on PyPI as far as nb2prod knows (a helper found
    # through a sys.path change, a local file that was not shipped): the user provides them
    local_modules: tuple[str, ...] = ()
    # the notebook's own modules (helpers.py beside it), shipped beside the package
    module_files: tuple[ModuleFile, ...] = ()
    # step outputs that cannot cross a process boundary (what the engine templates that save
    # values between steps warn about)
    unsavable: tuple[Unsavable, ...] = ()
    # a project made from several notebooks: this plan's module ("get_data"), the names it
    # imports from the shared helpers' module, and (on the project's plan) one plan per module,
    # in the order they run, the shared helpers' module ("common", no steps) among them
    module: str = ""
    shared: tuple[str, ...] = ()
    parts: tuple[ConversionPlan, ...] = ()
    # the project's notebook graph: (notebook, module, the notebooks it needs) in run order
    notebook_graph: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # calls that write outside the project's folder (df.to_sql() (cell 7, line 2)): the
    # generated tests run the pipeline only when asked to
    external_writes: tuple[str, ...] = ()
    # why no test compares the printed output with the notebook's ('' when one does)
    stdout_note: str = ""
    # what the notebook downloads: the generated tests run the pipeline only where the hosts
    # can be reached
    downloads: tuple[Download, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
