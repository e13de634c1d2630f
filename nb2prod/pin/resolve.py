"""From what a notebook imports and installs to requirements with versions and their evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nb2prod import __version__
from nb2prod.analysis.installs import OtherSource, is_pinned
from nb2prod.notebook.model import Notebook
from nb2prod.pin.collect import InstallSpec, collect
from nb2prod.pin.era import RunDate
from nb2prod.pin.evidence import DUNDER, OutputVersion, output_versions
from nb2prod.pin.mapping import (
    Environment,
    ImportMapping,
    is_project_name,
    map_import,
    normalize,
)
from nb2prod.redact import redact_tokens


@dataclass(frozen=True)
class Requirement:
    distribution: str
    imports: tuple[str, ...]  # empty for a package installed in the notebook but never imported
    version: str | None = None
    specifier: str = ""  # a range from an install line when no exact version is known
    extras: str = ""
    evidence: str = "no version evidence"
    optional: bool = False
    guessed: bool = False
    mapped_by: str = ""
    alternatives: tuple[str, ...] = ()  # rival projects that ship the same import (ambiguous)
    mapping_note: str = ""  # why the distribution name needs checking, if it does
    needed_for: str = ""  # why it is needed when no import names it (a database URL's driver)

    @property
    def reason(self) -> str:
        """Why it is required and what its version rests on: the evidence, after what needs it
        when no import names it."""
        return f"{self.needed_for}; {self.evidence}" if self.needed_for else self.evidence

    def line(self) -> str:
        """The requirement as a requirements.in line (without comment)."""
        pin = f"=={self.version}" if self.version else self.specifier
        return f"{self.distribution}{self.extras}{pin}"


@dataclass(frozen=True)
class Unresolved:
    import_name: str
    reason: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class PinResult:
    notebooks: tuple[str, ...]
    python: str | None
    requirements: tuple[Requirement, ...]
    unresolved: tuple[Unresolved, ...]
    local_modules: tuple[str, ...]
    environment_note: str = ""  # why the environment's versions were not evidence ('' if used)
    as_of: RunDate | None = None  # unpinned requirements resolve to releases before this date
    other_sources: tuple[OtherSource, ...] = ()  # installed from files, paths, URLs: not read

    conda_only: tuple[InstallSpec, ...] = ()  # conda packages no import maps to
    python_note: str = ""  # the notebooks ran on several Pythons

    @property
    def source_notes(self) -> tuple[str, ...]:
        """One line per install source pin does not read, saying what to do."""
        notes = [f"cell {s.cell} installs from the {s.kind} {s.value!r}, which pin does not "
                 f"{'read' if s.kind.endswith('file') else 'resolve'}: add what it provides to "
                 "requirements.in" for s in self.other_sources]
        notes += [f"cell {s.cell} installs {s.name!r} with conda, and no import needs it: a "
                  "conda package is no PyPI requirement (install it with conda, or add its PyPI "
                  "name)" for s in self.conda_only]
        return tuple(notes + ([self.python_note] if self.python_note else []))

    @property
    def without_evidence(self) -> tuple[Requirement, ...]:
        """Requirements with neither a version nor a date to resolve them as of."""
        if self.as_of is not None:
            return ()
        return tuple(r for r in self.requirements if not r.version and not r.specifier)


def pin_notebooks(notebooks: list[Notebook], environment: Environment,
                  use_environment_versions: bool = True, as_of: RunDate | None = None) -> PinResult:
    """Requirements of one or more notebooks, merged."""
    python, python_note = _newest_python(notebooks)
    note = environment.versions_apply_to(python) if use_environment_versions else ""
    use_environment_versions = use_environment_versions and not note
    collected = [collect(nb) for nb in notebooks]
    installs = [spec for c in collected for spec in c.installs]
    installed_names = frozenset(normalize(s.name) for s in installs)
    outputs = [v for nb in notebooks for v in output_versions(nb)]
    printed_names = frozenset(normalize(v.name) for v in outputs if v.how != DUNDER)
    mapped: dict[str, tuple[ImportMapping, bool, tuple[str, ...]]] = {}
    unresolved: dict[str, Unresolved] = {}
    for collection in collected:
        for site in collection.imports:
            _add(mapped, unresolved, site, map_import(
                site.module, environment, installed_names, collection.extends_sys_path,
                printed_names))
    evidence = _Evidence.build(installs, outputs, environment, use_environment_versions)
    requirements = [_requirement(mapping, optional, names, evidence)
                    for mapping, optional, names in mapped.values()]
    requirements += _installed_but_not_imported(installs, mapped, evidence)
    requirements += _drivers(notebooks, {normalize(r.distribution) for r in requirements},
                             evidence)
    if as_of is not None:
        requirements = [_dated(r, as_of) for r in requirements]
    return PinResult(
        notebooks=tuple(nb.path for nb in notebooks),
        python=python,
        requirements=tuple(sorted(requirements, key=lambda r: normalize(r.distribution))),
        unresolved=tuple(sorted(unresolved.values(), key=lambda u: u.import_name)),
        local_modules=tuple(sorted({m for c in collected for m in c.local_modules})),
        environment_note=note,
        as_of=as_of,
        other_sources=tuple(source for c in collected for source in c.other_sources),
        conda_only=tuple({normalize(s.name): s for s in installs if s.conda
                          and normalize(s.name) not in mapped}.values()),
        python_note=python_note,
    )


def _newest_python(notebooks: list[Notebook]) -> tuple[str | None, str]:
    """The newest Python the notebooks ran on (the project must run them all), and a note when
    they disagree."""
    versions = sorted({nb.python_version for nb in notebooks if nb.python_version},
                      key=lambda v: tuple(int(p) for p in v.split(".")[:2]))
    if len(versions) <= 1:
        return (versions[0] if versions else None), ""
    return versions[-1], (f"the notebooks ran on Python {', '.join(versions)}: the requirements "
                          f"are for Python {versions[-1]}, and pins from the older ones may not "
                          "install there")


def _dated(requirement: Requirement, as_of: RunDate) -> Requirement:
    if requirement.version or requirement.specifier:
        return requirement
    return replace(requirement, evidence=f"no version evidence; as of {as_of.day}")


def _add(mapped: dict, unresolved: dict, site, mapping: ImportMapping) -> None:
    """Record one import's mapping; several imports of one distribution make one requirement."""
    if mapping.distribution is not None and not is_project_name(mapping.distribution):
        mapping = ImportMapping(mapping.import_name, None, "invalid",
                                reason=f"{mapping.distribution!r} is no valid PyPI project name")
    if mapping.distribution is None:
        unresolved.setdefault(mapping.import_name, Unresolved(
            mapping.import_name, mapping.reason, mapping.candidates))
        return
    key = normalize(mapping.distribution)
    previous = mapped.get(key)
    optional = site.optional and (previous is None or previous[1])
    names = tuple(dict.fromkeys((*(previous[2] if previous else ()), mapping.import_name)))
    mapped[key] = (previous[0] if previous else mapping, optional, names)


def _requirement(mapping: ImportMapping, optional: bool, names: tuple[str, ...],
                 evidence: _Evidence) -> Requirement:
    distribution = mapping.distribution or ""
    version, specifier, extras, why = _version(distribution, names, evidence)
    return Requirement(distribution, names, version, specifier, extras, why, optional,
                       mapping.guessed, mapping.source,
                       mapping.candidates if mapping.ambiguous else (), mapping.reason)


def _installed_but_not_imported(installs, mapped, evidence: _Evidence) -> list[Requirement]:
    """Packages a pip install names that no import maps to. Conda packages are not among them:
    conda names are no PyPI names (``graphviz`` is the program there, a wrapper on PyPI)."""
    extra = {}
    for spec in installs:
        key = normalize(spec.name)
        if key in mapped or key in extra or spec.conda:
            continue
        version, specifier, extras, why = _version(spec.name, (), evidence)
        extra[key] = Requirement(spec.name, (), version, specifier, extras, why,
                                 mapped_by="install")
    return list(extra.values())


def _drivers(notebooks: list[Notebook], present: set[str], evidence: _Evidence
             ) -> list[Requirement]:
    """Database drivers the notebooks' connection URLs need that nothing else requires."""
    from nb2prod.pin.drivers import database_drivers

    found: dict[str, Requirement] = {}
    for notebook in notebooks:
        for need in database_drivers(notebook):
            key = normalize(need.distribution)
            if key in present or key in found:
                continue
            version, specifier, extras, why = _version(need.distribution, (), evidence)
            found[key] = Requirement(need.distribution, (), version, specifier,
                                     extras or need.extras, why,
                                     mapped_by="url", needed_for=need.why())
    return list(found.values())


@dataclass(frozen=True)
class _Evidence:
    """Version evidence indexed by normalised name, built once per pin (notebooks can name
    thousands of packages; a scan per requirement was quadratic)."""

    installs: dict[str, list[InstallSpec]]
    printed: dict[str, tuple[int, OutputVersion]]  # name -> (position, first printed)
    environment: Environment
    use_environment: bool

    @classmethod
    def build(cls, installs, outputs, environment, use_environment) -> _Evidence:
        by_name: dict[str, list[InstallSpec]] = {}
        for spec in installs:
            by_name.setdefault(normalize(spec.name), []).append(spec)
        printed: dict[str, tuple[int, OutputVersion]] = {}
        for position, version in enumerate(outputs):
            for name in (version.name, version.name.split(".")[0]):
                printed.setdefault(normalize(name), (position, version))
        return cls(by_name, printed, environment, use_environment)


def _version(distribution: str, import_names: tuple[str, ...],
             evidence: _Evidence) -> tuple[str | None, str, str, str]:
    """(version, specifier, extras, evidence): the best evidence first."""
    key = normalize(distribution)
    specs = evidence.installs.get(key, [])
    extras = next((s.extras for s in specs if s.extras), "")
    for spec in specs:
        version = safe_version(spec.specifier.lstrip("=").strip()) if is_pinned(spec) else None
        if version:
            where = "%conda install" if spec.conda else "pip install"
            return version, "", extras, f"pinned by {where} in cell {spec.cell}"
    names = {key} | {normalize(n) for i in import_names for n in (i, i.split(".")[0])}
    found = sorted((evidence.printed[name] for name in names if name in evidence.printed),
                   key=lambda item: item[0])
    for _, printed in found:
        version = safe_version(printed.version)
        if version:
            return version, "", extras, f"{printed.how} (cell {printed.cell})"
    if evidence.use_environment:
        installed = safe_version(evidence.environment.version_of(distribution) or "")
        if installed:
            return installed, "", extras, f"installed in the {evidence.environment.label}"
    for spec in specs:
        if spec.specifier and "+" not in spec.specifier:
            return None, spec.specifier, extras, f"range from the install command in cell {spec.cell}"
    return None, "", extras, "no version evidence"


_LOCAL_LABEL = re.compile(r"[a-z0-9]{1,12}(?:\.[a-z0-9]{1,12}){0,3}")


def safe_version(version: str) -> str | None:
    """A PEP 440 version fit for a requirement line, or None. A local label that is not a short
    build tag (``+cu118``, ``+cpu``) is dropped: printed text can carry a token there."""
    public, plus, local = version.partition("+")
    if plus and not _LOCAL_LABEL.fullmatch(local):
        version = public
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - packaging comes with pip-tools and black
        return version if re.fullmatch(r"[0-9][0-9A-Za-z.+!_-]{0,63}", version) else None
    try:
        Version(version)
    except InvalidVersion:
        return None
    return version


def requirements_in(result: PinResult) -> str:
    """The direct requirements as a requirements.in file, each with its evidence."""
    lines = [f"# Direct requirements of {', '.join(result.notebooks)}",
             f"# found by nb2prod {__version__} (nb2prod pin); edit freely, then re-lock."]
    if result.python:
        lines.append(f"# The notebook last ran on Python {result.python}.")
    if result.environment_note:
        lines.append(f"# {result.environment_note[0].upper()}{result.environment_note[1:]}.")
    if result.as_of:
        lines.append(_one_line(f"# Unpinned requirements resolve as of {result.as_of.day} "
                               f"({result.as_of.how}): lock with pip's --uploaded-prior-to "
                               f"{result.as_of.iso}."))
    lines += [f"# note: {note}" for note in result.source_notes]
    for unresolved in result.unresolved:
        lines.append(_one_line(f"# unresolved import {unresolved.import_name}: {unresolved.reason}"))
    lines.append("")
    for req in result.requirements:
        origin = (f"import {', '.join(req.imports)}" if req.imports
                  else req.needed_for or "installed in the notebook")
        notes = [origin, req.evidence]
        if req.alternatives:
            notes.insert(0, f"AMBIGUOUS import: also shipped by {', '.join(req.alternatives)}")
        if req.guessed:
            notes.insert(0, "UNCHECKED distribution name (from pigar's list of PyPI uploads)"
                         if req.mapped_by == "pigar" else
                         "GUESSED distribution name: check it is the right project")
        if req.optional:
            notes.append("optional (imported under try/except ImportError)")
        lines.append(f"{req.line()}  # {'; '.join(notes)}")
    return "\n".join(_clean(line) for line in lines) + "\n"


def _clean(line: str) -> str:
    """One line, no credential: notebook-derived text (paths, URLs, printed output) reaches
    these comments."""
    return redact_tokens(_one_line(line))[0]


def _one_line(text: str) -> str:
    """A requirements.in line never spans lines: a newline in notebook-derived text would start
    a line pip reads as an option (``--index-url ...``)."""
    return " ".join(text.splitlines())
