"""Import name -> PyPI distribution, best evidence first, never a stranger's package by accident.

Order: the target environment's installed metadata (what really provides the import there), then
the curated table shipped with nb2prod (``import_map.tsv``), then the import name itself marked
``guessed``. Names that are no PyPI project (``google.colab``, spaCy models) and names that look
like the author's own modules (``utils``, ``helpers``) are reported unresolved, never guessed:
installing a same-named project from PyPI is how dependency confusion happens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

NOT_ON_PYPI = "-"
# Generic module names that are almost always the author's own files, not the PyPI projects
# that happen to share the name.
LOCAL_LOOKING = frozenset({
    "utils", "util", "helpers", "helper", "common", "config", "settings", "constants",
    "functions", "tools", "lib", "src", "data", "model", "models", "preprocessing", "features",
    "custom", "local", "project", "app", "main", "scripts", "modules", "my_utils", "myutils",
    "mylib", "mymodule", "module", "library", "misc", "core", "base", "tests", "test", "plots",
    "plotting", "metrics", "train", "training", "dataset", "datasets_local", "loader", "loaders",
})


@dataclass(frozen=True)
class ImportMapping:
    """How one import maps: a distribution, or the reason there is none."""

    import_name: str
    distribution: str | None
    source: str  # "environment", "table", "install", "guessed", or why unresolved
    guessed: bool = False
    candidates: tuple[str, ...] = ()  # other distributions that could be meant
    reason: str = ""
    ambiguous: bool = False  # rival projects ship this import and no evidence picked one


@dataclass(frozen=True)
class Environment:
    """What an interpreter has installed: import name -> distributions, distribution -> version."""

    packages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # dist -> module paths
    label: str = "current environment"
    python: str = ""  # its Python's major.minor

    def version_of(self, distribution: str) -> str | None:
        return self.versions.get(normalize(distribution))

    def versions_apply_to(self, notebook_python: str | None) -> str:
        """'' when this environment's installed versions are evidence for a notebook that last
        ran on ``notebook_python``; else why not (a 3.11 environment says nothing about a 3.6
        notebook: its packages are those of another era)."""
        if not self.versions:
            return ""
        if not notebook_python:
            return (f"versions installed in the {self.label} were not used: the notebook does not "
                    "record which Python it last ran on")
        if self.python != notebook_python:
            return (f"versions installed in the {self.label} (Python {self.python or '?'}) were "
                    f"not used: the notebook last ran on Python {notebook_python}")
        return ""


_PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?")


def is_project_name(name: str) -> bool:
    """A valid PyPI project name (PEP 508): never an option like ``--pre`` or ``-e``."""
    return bool(_PROJECT_NAME.fullmatch(name))


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class TableEntry:
    """One row of ``import_map.tsv``: the distributions that provide an import."""

    builds: tuple[str, ...]  # the default first, then other builds of the same project
    rivals: tuple[str, ...] = ()  # other projects that ship the same import name
    sources: tuple[str, ...] = ("curated",)
    note: str = ""

    @property
    def default(self) -> str:
        return self.builds[0]

    @property
    def unchecked(self) -> bool:
        """Only pigar's list of PyPI uploads names it: the project is probably right, but an
        upload is no review (squatters and forks upload too)."""
        return self.sources == ("pigar",)


class ImportTable(Mapping[str, TableEntry]):
    """``import_map.tsv`` read once: each row is parsed when first asked for (the table has
    tens of thousands of rows and a notebook asks for a few dozen)."""

    def __init__(self, text: str) -> None:
        self._rows: dict[str, tuple[int, str]] = {}
        self._parsed: dict[str, TableEntry] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            if raw and not raw.startswith("#"):
                key, _, rest = raw.partition("\t")
                self._rows[key.strip()] = (number, rest)

    def __getitem__(self, key: str) -> TableEntry:
        entry = self._parsed.get(key)
        if entry is None:
            number, rest = self._rows[key]
            entry = self._parsed[key] = _entry(number, key, rest)
        return entry

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@lru_cache(maxsize=1)
def curated_table() -> ImportTable:
    """The shipped table: import prefix -> its entry."""
    text = resources.files("nb2prod.pin").joinpath("import_map.tsv").read_text(encoding="utf-8")
    return ImportTable(text)


def known_import(top: str) -> bool:
    """A reviewed source names a PyPI project for ``top`` (pigar's uploads alone do not count)."""
    table = curated_table()
    return top in table and not table[top].unchecked


def parse_table(text: str) -> dict[str, TableEntry]:
    """Every row of a table's text, checked (a malformed row raises ValueError)."""
    table = ImportTable(text)
    return {key: table[key] for key in table}


def _entry(number: int, key: str, rest: str) -> TableEntry:
    parts = rest.split("\t")
    if not key or not parts[0]:
        raise ValueError(f"import_map.tsv:{number}: expected 'import<TAB>distributions'")
    projects = [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in parts[0].split("|")]
    rivals = tuple(project[0] for project in projects[1:] if project)
    sources = tuple(s for s in parts[1].split(",") if s) if len(parts) > 1 else ()
    return TableEntry(projects[0], rivals, sources or ("curated",),
                      parts[2].strip() if len(parts) > 2 else "")


_LOCAL_WORDS = frozenset({"helper", "helpers", "util", "utils", "functions", "funcs", "my"})


def looks_local(top: str) -> bool:
    """``utils``, ``helpers``, ``da_helper_functions``, ``my_plots``: the author's own modules."""
    return top.lower() in LOCAL_LOOKING or bool(set(top.lower().split("_")) & _LOCAL_WORDS)


def map_import(module: str, environment: Environment, installed_names: frozenset[str],
               extends_sys_path: bool = False,
               printed_names: frozenset[str] = frozenset()) -> ImportMapping:
    """Map one imported module path (``google.cloud.bigquery``, ``sklearn.svm``) to a distribution.

    ``installed_names`` are the distributions the notebook installs, ``printed_names`` those its
    outputs list (``pip list``): both pick between rival projects."""
    top = module.split(".")[0]
    key, entry = _longest_prefix(module)
    name = key or top
    if entry is not None and entry.builds == (NOT_ON_PYPI,):
        return ImportMapping(name, None, "not-on-pypi", reason=entry.note or "not a PyPI project")
    candidates = _environment_candidates(module, environment)
    table_candidates = (*entry.builds, *entry.rivals) if entry else ()
    for evidence, source in ((installed_names, "install"), (printed_names, "output")):
        chosen = [c for c in (*candidates, *table_candidates) if normalize(c) in evidence]
        if chosen:
            return ImportMapping(name, chosen[0], source)
    if len(candidates) == 1:
        return ImportMapping(name, candidates[0], "environment")
    if len(candidates) > 1:
        preferred = [c for c in table_candidates if normalize(c) in {normalize(x) for x in candidates}]
        if preferred:
            return ImportMapping(name, preferred[0], "environment", candidates=tuple(candidates))
        return ImportMapping(name, None, "ambiguous", candidates=tuple(candidates),
                        reason=f"several installed distributions provide it: {', '.join(candidates)}")
    if entry is not None and not (entry.unchecked and (looks_local(top) or extends_sys_path)):
        return _from_table(name, entry)
    return _without_table(top, installed_names, extends_sys_path)


def _from_table(name: str, entry: TableEntry) -> ImportMapping:
    source = "pigar" if entry.unchecked else "table"
    reason = ("only pigar's list of PyPI uploads maps it: check it is the right project"
              if entry.unchecked else "")
    if entry.rivals:
        rivals = ", ".join(entry.rivals)
        return ImportMapping(name, entry.default, source, guessed=entry.unchecked,
                             candidates=entry.rivals, ambiguous=True, reason=(
                                 f"ambiguous: other projects ship `{name}` too ({rivals}); "
                                 f"{entry.default} is the usual one. Install the one you use "
                                 "in the notebook (`%pip install NAME`) to settle it"))
    return ImportMapping(name, entry.default, source, guessed=entry.unchecked,
                         candidates=entry.builds[1:], reason=reason)


def _without_table(top: str, installed_names: frozenset[str],
                   extends_sys_path: bool) -> ImportMapping:
    if normalize(top) in installed_names:  # `!pip install foo` then `import foo`
        return ImportMapping(top, normalize(top), "install")
    if top.startswith("_") or not top.isascii():
        return ImportMapping(top, None, "not-on-pypi", reason="a private or non-ASCII module "
                             "name: no PyPI project is named like it")
    if looks_local(top) or not top.isidentifier():
        return ImportMapping(top, None, "local-looking",
                             reason="looks like the author's own module, but no such file is next "
                             "to the notebook; a PyPI project of that name would be a stranger's")
    if extends_sys_path:
        return ImportMapping(top, None, "local-looking",
                             reason="not a known PyPI import, and the notebook adds folders to "
                             "sys.path: probably the author's own module")
    if top.startswith(("en_core_", "de_core_", "fr_core_", "xx_ent_", "zh_core_")):
        return ImportMapping(top, None, "not-on-pypi", reason="spaCy model: use `spacy download`")
    return ImportMapping(top, top.replace("_", "-"), "guessed", guessed=True)


def _longest_prefix(module: str) -> tuple[str | None, TableEntry | None]:
    table = curated_table()
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        key = ".".join(parts[:size])
        if key in table:
            return key, table[key]
    return None, None


def _environment_candidates(module: str, environment: Environment) -> list[str]:
    """Installed distributions that provide ``module`` (narrowed by file paths for namespaces)."""
    top = module.split(".")[0]
    candidates = list(dict.fromkeys(environment.packages.get(top, ())))
    if len(candidates) <= 1 or "." not in module:
        return candidates
    parts = module.split(".")
    for size in range(len(parts), 1, -1):
        prefix = "/".join(parts[:size])
        owners = [d for d in candidates
                  if any(path.startswith(prefix) for path in environment.files.get(d, ()))]
        if owners:
            return owners
    return candidates
