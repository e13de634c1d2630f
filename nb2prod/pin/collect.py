"""What a notebook imports and installs, read statically from its cells (never executed)."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from nb2prod.analysis.astutil import all_nodes, walk
from nb2prod.analysis.events import handler_catches
from nb2prod.analysis.installs import (
    InstallSpec,
    OtherSource,
    install_commands,
    other_install_sources,
    parse_install_command,
)
from nb2prod.notebook.model import Notebook

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
@dataclass(frozen=True)
class ImportSite:
    """One imported module: its full dotted name, where, and whether the code copes without it."""

    module: str
    cell: int
    line: int
    optional: bool = False


@dataclass(frozen=True)
class Collected:
    imports: tuple[ImportSite, ...]
    installs: tuple[InstallSpec, ...]
    local_modules: tuple[str, ...]
    extends_sys_path: bool = False  # sys.path.append(...): imports may come from other folders
    other_sources: tuple[OtherSource, ...] = ()  # -r files, -e projects, URLs: not read


def collect(notebook: Notebook, python_version: str | None = None) -> Collected:
    """Third-party imports (stdlib and local modules removed), install specs, local module names."""
    local = local_module_names(Path(notebook.path).parent)
    imports = [site for site in _import_sites(notebook)
               if not _is_stdlib(site.module) and site.module.split(".")[0] not in local]
    installs = [spec for cell in notebook.code_cells for spec in _install_specs(cell)]
    used_local = sorted({s.module.split(".")[0] for s in _import_sites(notebook)} & local)
    others = [source for cell in notebook.code_cells for line, command in install_commands(cell)
              for source in other_install_sources(command, cell.index, line)]
    return Collected(tuple(imports), tuple(installs), tuple(used_local),
                     _extends_sys_path(notebook), tuple(others))


def _extends_sys_path(notebook: Notebook) -> bool:
    for cell in notebook.code_cells:
        if any(m.name in {"run", "cd"} for m in cell.magics):
            return True
        if cell.tree is None:
            continue
        for node in all_nodes(cell.tree):
            if (isinstance(node, ast.Attribute) and node.attr in {"append", "insert", "extend"}
                    and isinstance(node.value, ast.Attribute) and node.value.attr == "path"
                    and isinstance(node.value.value, ast.Name) and node.value.value.id == "sys"):
                return True
            if isinstance(node, ast.Attribute) and node.attr in {"addsitedir", "chdir"}:
                return True
    return False


def _import_sites(notebook: Notebook) -> list[ImportSite]:
    sites: list[ImportSite] = []
    for cell in notebook.code_cells:
        if cell.tree is None:
            sites += _lenient_import_sites(cell)
            continue
        optional_lines, fallback_lines = _guarded_imports(cell.tree)
        for node in all_nodes(cell.tree):
            if getattr(node, "lineno", 0) in fallback_lines:
                continue
            for module in _modules_of(node):
                line = cell.original_line(node.lineno)
                sites.append(ImportSite(module, cell.index, line, node.lineno in optional_lines))
    sites.sort(key=lambda s: (s.cell, s.line, s.module))
    return sites


_IMPORT_LINE = re.compile(r"^\s*(?:import\s+(?P<names>[\w., \t]+?)|from\s+(?P<module>[A-Za-z_][\w.]*)"
                          r"\s+import\s+[\w*(, \t]+?)\s*(?:#.*)?$")


def _lenient_import_sites(cell) -> list[ImportSite]:
    """Imports of a cell that does not parse (Python 2 ``print "x"``, a typo): read line by line,
    so one bad line does not hide the cell's dependencies."""
    sites = []
    for number, text in enumerate(cell.source.splitlines(), 1):
        match = _IMPORT_LINE.match(text)
        if match is None:
            continue
        modules = ([match["module"]] if match["module"] else
                   [part.split(" as ")[0].strip() for part in match["names"].split(",")])
        sites += [ImportSite(m, cell.index, number) for m in modules
                  if _DOTTED_NAME.fullmatch(m) and m != "__future__"]
    return sites


def _modules_of(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module or node.module == "__future__":
            return []  # relative imports are the notebook's own package
        # `from google.cloud import bigquery` may import the submodule google.cloud.bigquery
        return [f"{node.module}.{alias.name}" if alias.name != "*" else node.module
                for alias in node.names]
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str) and _is_import_module_call(node.func)):
        name = node.args[0].value  # a string: only a dotted name is an import (no injection)
        return [name] if _DOTTED_NAME.fullmatch(name) else []
    return []


_DOTTED_NAME = re.compile(r"[A-Za-z_]\w{0,99}(?:\.[A-Za-z_]\w{0,99}){0,20}")


def _is_import_module_call(func: ast.AST) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module" or func.attr == "__import__"
    return isinstance(func, ast.Name) and func.id in {"import_module", "__import__"}


def _guarded_imports(tree: ast.Module) -> tuple[set[int], set[int]]:
    """Lines of optional imports (a ``try`` whose ``except ImportError`` imports nothing else)
    and of fallbacks (``try: from PIL import Image / except ImportError: import Image``: the
    handler's import is an alternative, not a requirement; the body's is the one to install)."""
    optional: set[int] = set()
    fallback: set[int] = set()
    for node in all_nodes(tree):
        if not isinstance(node, ast.Try):
            continue
        handlers = [h for h in node.handlers if handler_catches(h, _IMPORT_ERRORS)]
        if not handlers:
            continue
        alternatives = {n.lineno for h in handlers for n in walk(h)
                        if isinstance(n, (ast.Import, ast.ImportFrom))}
        if alternatives:
            fallback |= alternatives
        else:
            for stmt in node.body:
                optional |= {n.lineno for n in walk(stmt) if hasattr(n, "lineno")}
    return optional, fallback


def _install_specs(cell) -> list[InstallSpec]:
    return [spec for line, command in install_commands(cell)
            for spec in parse_install_command(command, cell.index, line)]


def local_module_names(folder: Path) -> frozenset[str]:
    """Modules importable from the notebook's own folder: sibling ``.py`` files and packages."""
    names = set()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return frozenset()
    for entry in entries:
        if entry.suffix == ".py" and entry.stem.isidentifier():
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier() and (
            (entry / "__init__.py").is_file() or any(entry.glob("*.py"))
        ):
            names.add(entry.name)
    return frozenset(names)


def _is_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top in {"__main__", "__future__"}
