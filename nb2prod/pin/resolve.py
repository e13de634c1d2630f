"""From what a notebook imports and installs to requirements with versions and their evidence."""

from __future__ import annotations

from dataclasses import dataclass, replace

from nb2prod import __version__
from nb2prod.analysis.installs import OtherSource, is_pinned
from nb2prod.notebook.model import Notebook
from nb2prod.pin.collect import InstallSpec, collect
from nb2prod.pin.era import RunDate
from nb2prod.pin.evidence import PACKAGE_LIST, OutputVersion, output_versions
from nb2prod.pin.mapping import Environment, ImportMapping, map_import, normalize


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

    @property
    def source_notes(self) -> tuple[str, ...]:
        """One line per install source pin does not read, saying what to do."""
        return tuple(
            f"cell {s.cell} installs from the {s.kind} {_one_line(s.value)!r}, which pin does not "
            f"{'read' if s.kind.endswith('file') else 'resolve'}: add what it provides to "
            "requirements.in" for s in self.other_sources)

    @property
    def without_evidence(self) -> tuple[Requirement, ...]:
        """Requirements with neither a version nor a date to resolve them as of."""
        if self.as_of is not None:
            return ()
        return tuple(r for r in self.requirements if not r.version and not r.specifier)


def pin_notebooks(notebooks: list[Notebook], environment: Environment,
                  use_environment_versions: bool = True, as_of: RunDate | None = None) -> PinResult:
    """Requirements of one or more notebooks, merged."""
    python = next((nb.python_version for nb in notebooks if nb.python_version), None)
    note = environment.versions_apply_to(python) if use_environment_versions else ""
    use_environment_versions = use_environment_versions and not note
    collected = [collect(nb) for nb in notebooks]
    installs = [spec for c in collected for spec in c.installs]
    installed_names = frozenset(normalize(s.name) for s in installs)
    outputs = [v for nb in notebooks for v in output_versions(nb)]
    printed_names = frozenset(normalize(v.name) for v in outputs if v.how == PACKAGE_LIST)
    mapped: dict[str, tuple[ImportMapping, bool, tuple[str, ...]]] = {}
    unresolved: dict[str, Unresolved] = {}
    for collection in collected:
        for site in collection.imports:
            _add(mapped, unresolved, site, map_import(
                site.module, environment, installed_names, collection.extends_sys_path,
                printed_names))
    requirements = [
        _requirement(mapping, optional, names, installs, outputs, environment,
                     use_environment_versions)
        for mapping, optional, names in mapped.values()
    ]
    requirements += _installed_but_not_imported(installs, mapped, outputs, environment,
                                                use_environment_versions)
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
    )


def _dated(requirement: Requirement, as_of: RunDate) -> Requirement:
    if requirement.version or requirement.specifier:
        return requirement
    return replace(requirement, evidence=f"no version evidence: the lock takes the release "
                   f"current on {as_of.day} ({as_of.how})")


def _add(mapped: dict, unresolved: dict, site, mapping: ImportMapping) -> None:
    """Record one import's mapping; several imports of one distribution make one requirement."""
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
                 installs: list[InstallSpec], outputs: list[OutputVersion],
                 environment: Environment, use_environment: bool) -> Requirement:
    distribution = mapping.distribution or ""
    version, specifier, extras, evidence = _version(distribution, names, installs, outputs,
                                                    environment, use_environment)
    return Requirement(distribution, names, version, specifier, extras, evidence, optional,
                       mapping.guessed, mapping.source,
                       mapping.candidates if mapping.ambiguous else (), mapping.reason)


def _installed_but_not_imported(installs, mapped, outputs, environment, use_environment):
    extra = {}
    for spec in installs:
        key = normalize(spec.name)
        if key in mapped or key in extra:
            continue
        version, specifier, extras, evidence = _version(spec.name, (), installs, outputs,
                                                        environment, use_environment)
        extra[key] = Requirement(spec.name, (), version, specifier, extras, evidence,
                                 mapped_by="install")
    return list(extra.values())


def _version(distribution: str, import_names: tuple[str, ...], installs: list[InstallSpec],
             outputs: list[OutputVersion], environment: Environment,
             use_environment: bool) -> tuple[str | None, str, str, str]:
    """(version, specifier, extras, evidence): the best evidence first."""
    key = normalize(distribution)
    specs = [s for s in installs if normalize(s.name) == key]
    extras = next((s.extras for s in specs if s.extras), "")
    for spec in specs:
        if is_pinned(spec):
            where = "%conda install" if spec.conda else "pip install"
            return spec.specifier.lstrip("=").strip(), "", extras, \
                f"pinned by {where} in cell {spec.cell}"
    names = {key} | {normalize(n) for i in import_names for n in (i, i.split(".")[0])}
    for printed in outputs:
        if normalize(printed.name) in names or normalize(printed.name.split(".")[0]) in names:
            return printed.version, "", extras, f"{printed.how} (cell {printed.cell})"
    if use_environment:
        installed = environment.version_of(distribution)
        if installed:
            return installed, "", extras, f"installed in the {environment.label}"
    for spec in specs:
        if spec.specifier:
            return None, spec.specifier, extras, f"range from the install command in cell {spec.cell}"
    return None, "", extras, "no version evidence"


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
        origin = f"import {', '.join(req.imports)}" if req.imports else "installed in the notebook"
        notes = [origin, req.evidence]
        if req.alternatives:
            notes.insert(0, f"AMBIGUOUS import: also shipped by {', '.join(req.alternatives)}")
        if req.guessed:
            notes.insert(0, "UNCHECKED distribution name (from pigar's list of PyPI uploads)"
                         if req.mapped_by == "pigar" else
                         "GUESSED distribution name: check it is the right project")
        if req.optional:
            notes.append("optional (imported under try/except ImportError)")
        lines.append(_one_line(f"{req.line()}  # {'; '.join(notes)}"))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """A requirements.in line never spans lines: a newline in notebook-derived text would start
    a line pip reads as an option (``--index-url ...``)."""
    return " ".join(text.splitlines())
