"""Install commands in notebooks (`!pip install`, `%pip install`, `%conda install`), parsed once
for the rules that flag unpinned installs and for `pin`, which records them as dependencies."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_PIP_INSTALL = re.compile(r"(?:^|[\s;&|/])(?:pip3?|-m\s+pip)\s+install\s+(?P<args>.*)$")
_CONDA_INSTALL = re.compile(r"(?:^|[\s;&|/])(?:conda|mamba)\s+install\s+(?P<args>.*)$")
_OPTIONS_WITH_VALUE = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                                 "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                                 "--target", "-t", "--prefix", "--root", "--channel", "-n",
                                 "--name", "-p", "--platform", "--python-version"})
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?"
                          r"(?P<spec>(?:[<>=!~]=?|===?)[^;]*)?$")


_EXTRAS = re.compile(r"(?:\[\s*[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*,\s*[A-Za-z0-9][A-Za-z0-9._-]*)*\s*\])?")
# PEP 440 clauses, comma-separated: what is not one (`==`, `=0.9`, `==1.0 --hash=...`) is no pin
_CLAUSE = r"\s*(?:===|==|~=|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!_-]*\s*"
_SPECIFIER = re.compile(rf"(?:{_CLAUSE}(?:,{_CLAUSE})*)?")


def _valid_specifier(specifier: str) -> bool:
    """PEP 440 (checked with ``packaging`` when it is there): what is not (`==`, `=0.9`,
    `==1.0 --hash=...`, `==1.2.3junk`) pins nothing, and never reaches a generated file."""
    if not _SPECIFIER.fullmatch(specifier):
        return False
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:
        return True
    try:
        SpecifierSet(specifier)
    except InvalidSpecifier:
        return False
    return True


@dataclass(frozen=True)
class InstallSpec:
    """A package named in ``!pip install`` / ``%pip install`` / ``%conda install``."""

    name: str
    extras: str
    specifier: str
    cell: int
    line: int
    conda: bool = False


def parse_install_command(command: str, cell: int = 0, line: int = 1) -> list[InstallSpec]:
    """Packages (with extras and version specifiers) named by one pip or conda install command."""
    match = _PIP_INSTALL.search(command)
    conda = match is None
    match = match or _CONDA_INSTALL.search(command)
    if match is None:
        return []
    specs, skip = [], False
    for token in _arguments(match["args"]):
        if skip or token.startswith("-") or "{" in token or "$" in token:
            skip = token in _OPTIONS_WITH_VALUE
            continue
        if conda and "=" in token and "==" not in token:
            name, _, version = token.partition("=")
            token = f"{name}=={version.rstrip('*').rstrip('.')}" if version else name
        parsed = _REQUIREMENT.match(token.strip())
        if parsed:
            specifier = (parsed["spec"] or "").strip()
            extras = parsed["extras"] or ""
            specs.append(InstallSpec(parsed["name"], extras if _EXTRAS.fullmatch(extras) else "",
                                     specifier if _valid_specifier(specifier) else "",
                                     cell, line, conda))
    return specs


@dataclass(frozen=True)
class OtherSource:
    """What an install command installs that is no ``name==version``: a requirements file
    (``-r``), an editable or local project (``-e .``, ``./pkg.whl``) or a URL (``git+https://``)."""

    kind: str  # "requirements file", "constraints file", "editable project", "local path", "URL"
    value: str
    cell: int
    line: int


_SOURCE_OPTIONS = {"-r": "requirements file", "--requirement": "requirements file",
                   "-c": "constraints file", "--constraint": "constraints file",
                   "-e": "editable project", "--editable": "editable project"}


def other_install_sources(command: str, cell: int = 0, line: int = 1) -> list[OtherSource]:
    """The sources in one pip install command that name no PyPI requirement."""
    match = _PIP_INSTALL.search(command)
    if match is None:
        return []
    found, pending, skip = [], None, False
    for token in _arguments(match["args"]):
        option, equals, value = token.partition("=")
        if pending:
            found.append(OtherSource(pending, _without_credentials(token), cell, line))
            pending = None
        elif skip:
            skip = False
        elif option in _OPTIONS_WITH_VALUE and option not in _SOURCE_OPTIONS:
            skip = not equals  # --index-url URL: where from, not what
        elif token[:2] in {"-r", "-c", "-e"} and len(token) > 2:  # -rreqs.txt
            found.append(OtherSource(_SOURCE_OPTIONS[token[:2]], _without_credentials(token[2:]),
                                     cell, line))
        elif option in _SOURCE_OPTIONS:
            if equals:
                found.append(OtherSource(_SOURCE_OPTIONS[option], _without_credentials(value),
                                         cell, line))
            else:
                pending = _SOURCE_OPTIONS[option]
        elif "://" in token:
            found.append(OtherSource("URL", _without_credentials(token), cell, line))
        elif not token.startswith("-") and token.startswith((".", "/", "~")):
            found.append(OtherSource("local path", token, cell, line))
    return found


def _without_credentials(value: str) -> str:
    """``git+https://user:token@host/x`` -> ``git+https://***@host/x``, ``…/a.whl?sig=…`` ->
    ``…/a.whl?***``: a token in an install URL is a secret and never reaches a generated file."""
    value = re.sub(r"(://)[^/\s]*@", r"\1***@", value)  # user:p@ss@host: up to the last @
    return re.sub(r"[?#].*", "?***", value)  # signed URLs carry their token in the query


def _arguments(args: str) -> list[str]:
    """An install command's arguments as the shell splits them, up to the next command."""
    try:
        tokens = shlex.split(args, comments=True)
    except ValueError:
        tokens = args.split()
    ends = [index for index, token in enumerate(tokens) if token in {"&&", "||", ";", "|"}]
    return tokens[:ends[0]] if ends else tokens


def is_pinned(spec: InstallSpec) -> bool:
    """An exact version (`==`, `===`); conda's `name=1.2` was normalised to `==` when parsed."""
    return bool(re.fullmatch(r"===?\s*[0-9][0-9A-Za-z.+!_-]*", spec.specifier))


def install_commands(cell) -> list[tuple[int, str]]:
    """(line, command) of each magic in a cell that could install packages (shell or %pip)."""
    commands = []
    for magic in cell.magics:
        if magic.kind == "shell":
            commands.append((magic.line, magic.args))
        elif magic.kind == "line" and magic.name in {"pip", "conda", "mamba"}:
            commands.append((magic.line, f"{magic.name} {magic.args}"))
    return commands
