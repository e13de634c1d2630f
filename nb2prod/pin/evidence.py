"""Version evidence a notebook carries in its own outputs.

What people print: ``pd.__version__``, ``print(np.__version__)``, ``!pip freeze``, ``!pip list``,
``%watermark -p pandas,numpy`` and ``%watermark --iversions``. Each gives distribution versions
with the cell they came from.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nb2prod.analysis.astutil import all_nodes, import_bindings
from nb2prod.notebook.model import Cell, Notebook

_VERSION = r"\d+(?:\.\d+)+(?:[.+-]?(?:a|b|rc|dev|post)\d*)?(?:\+[\w.]+)?"
_VERSION_TOKEN = re.compile(rf"(?<![\w.]){_VERSION}(?![\w])")
_NAME_VERSION_LINE = re.compile(
    rf"^\s*(?P<name>[A-Za-z][A-Za-z0-9._-]*)(?:\s*(?:==|:)\s*|\s+)(?P<version>{_VERSION})\s*$"
)


PACKAGE_LIST = "a package list in the output"
DUNDER = "__version__ printed in the output"  # names a module, not a distribution


@dataclass(frozen=True)
class OutputVersion:
    name: str  # an import alias's module or a distribution name, as printed
    version: str
    cell: int
    how: str


def output_versions(notebook: Notebook) -> list[OutputVersion]:
    """Versions printed in the outputs, by module (``__version__``) or distribution name."""
    aliases = _import_aliases(notebook)
    found: list[OutputVersion] = []
    for cell in notebook.code_cells:
        text = output_text(cell)
        if not text:
            continue
        found += _dunder_versions(cell, text, aliases)
        found += _listed_versions(cell, text)
        found += _pip_install_versions(cell, text)
    for cell in notebook.code_cells:
        found += [OutputVersion(m["name"], m["version"], cell.index, TRACEBACK_PATH)
                  for m in _VERSIONED_PATH.finditer(_traceback_text(cell))]
    return found


TRACEBACK_PATH = "a package path in a traceback"
# site-packages/pandas-0.23.4-py3.6-linux-x86_64.egg/..., pkgs/pandas-0.23.4-py36he6710b0_0/...,
# site-packages/pandas-0.23.4.dist-info: the folder names the version that raised
_VERSIONED_PATH = re.compile(
    rf"[/\\](?P<name>[A-Za-z][A-Za-z0-9_.-]*?)-(?P<version>{_VERSION})"
    r"(?=-py\d|\.egg|\.dist-info)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _traceback_text(cell: Cell) -> str:
    frames = [line for output in cell.outputs if output.get("output_type") == "error"
              for line in (output.get("traceback") or []) if isinstance(line, str)]
    return _ANSI.sub("", "\n".join(frames))


_FREEZE_LINE = re.compile(rf"^\s*(?P<name>[A-Za-z][A-Za-z0-9._-]*)==(?P<version>{_VERSION})\s*$")
_LIST_HEADER = re.compile(r"^\s*(?:Package|Name)\s+Version\b", re.MULTILINE)
_LISTING_COMMAND = re.compile(r"\b(?:pip3?|conda|mamba)\s+(?:list|freeze|show)\b|%watermark|"
                              r"\bpip\.get_installed_distributions|\bwatermark\b")
_MAX_LINE = 300  # longer lines are data, not a package listing (and would cost regex time)


def _listed_versions(cell: Cell, text: str) -> list[OutputVersion]:
    """``name==1.2`` lines (pip freeze) anywhere; ``name 1.2`` / ``name: 1.2`` lines only from
    a cell that lists packages (pip list, conda list, %watermark) or under a ``Package Version``
    header: a printed pandas Series (``numpy    0.25``) is no package list."""
    watermark = any(magic.name == "watermark" for magic in cell.magics)
    listing = watermark or bool(_LISTING_COMMAND.search(cell.source) or _LIST_HEADER.search(text))
    how = "printed by %watermark" if watermark else PACKAGE_LIST
    found = []
    for line in text.splitlines():
        if len(line) > _MAX_LINE:
            continue
        match = _FREEZE_LINE.match(line) or (_NAME_VERSION_LINE.match(line) if listing else None)
        if match:
            found.append(OutputVersion(match["name"], match["version"], cell.index, how))
    return found


_ALREADY_SATISFIED = re.compile(
    rf"Requirement already satisfied: (?P<name>[A-Za-z][A-Za-z0-9._-]*)[^\n]* \((?P<version>{_VERSION})\)")
_SUCCESSFULLY_INSTALLED = re.compile(r"Successfully installed (?P<packages>[^\n]+)")
_NAME_DASH_VERSION = re.compile(rf"(?P<name>[A-Za-z][A-Za-z0-9._-]*?)-(?P<version>{_VERSION})$")


def _pip_install_versions(cell: Cell, text: str) -> list[OutputVersion]:
    """What pip said it installed or found: the last word on what the kernel imported."""
    how = "pip's install output"
    found = [OutputVersion(m["name"], m["version"], cell.index, how)
             for m in _ALREADY_SATISFIED.finditer(text)]
    for line in _SUCCESSFULLY_INSTALLED.finditer(text):
        for word in line["packages"].split()[:2000]:
            match = _NAME_DASH_VERSION.match(word)
            if match:
                found.append(OutputVersion(match["name"], match["version"], cell.index, how))
    return found


def _dunder_versions(cell: Cell, text: str, aliases: dict[str, str]) -> list[OutputVersion]:
    """``x.__version__`` read in a cell, paired in order with the versions its output shows."""
    if cell.tree is None:
        return []
    modules = []
    for node in sorted((n for n in all_nodes(cell.tree) if isinstance(n, ast.Attribute)
                        and n.attr == "__version__" and isinstance(n.value, ast.Name)),
                       key=lambda n: (n.lineno, n.col_offset)):
        modules.append(aliases.get(node.value.id, node.value.id))
    versions = _VERSION_TOKEN.findall(text)
    if not modules or len(versions) != len(modules):
        return []
    return [OutputVersion(module, version, cell.index, DUNDER)
            for module, version in zip(modules, versions, strict=True)]


def _import_aliases(notebook: Notebook) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for cell in notebook.code_cells:
        if cell.tree is None:
            continue
        imports = [n for n in all_nodes(cell.tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in sorted(imports, key=lambda n: (n.lineno, n.col_offset)):  # the last one wins
            aliases.update(import_bindings(node, relative=False))
    return aliases


def output_text(cell: Cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.get("output_type") == "stream":
            parts.append(_joined(output.get("text", "")))
        elif output.get("output_type") in {"execute_result", "display_data"}:
            data = output.get("data") or {}
            parts.append(_joined(data.get("text/plain", "")))
    return "\n".join(parts).replace("'", " ").replace('"', " ")


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
