"""Hoisted imports: deduplicated, grouped (stdlib, third party, local), sorted, unused dropped."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping

from nb2prod.analysis.astutil import all_nodes, import_bindings, parsed, query_names

ISORT_LINE_LENGTH = 88  # ruff's default, which `ruff check --isolated` uses


def binding_names(statement: str) -> set[str]:
    node = ast.parse(statement).body[0]
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]) for a in node.names}
    if isinstance(node, ast.ImportFrom):
        return {(a.asname or a.name) for a in node.names}
    return set()


def bound_targets(statement: str) -> dict[str, str]:
    """Name -> the module or object an import statement binds it to (see
    :func:`nb2prod.analysis.astutil.import_bindings`)."""
    return import_bindings(ast.parse(statement).body[0])


def _alias(prefix: str, alias: ast.alias) -> str:
    return f"{prefix}{alias.name}" + (f" as {alias.asname}" if alias.asname else "")


def split_import(statement: str) -> list[str]:
    """One statement per imported name, so duplicates and unused names can be dropped one by one."""
    node = ast.parse(statement).body[0]
    if isinstance(node, ast.Import):
        return [_alias("import ", a) for a in node.names]
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        return [f"from {module} " + _alias("import ", a) for a in node.names]
    return [statement]


def organise(statements: Iterable[str], referenced: set[str],
             comments: Mapping[str, list[str]] | None = None,
             first_party: Iterable[str] = ()) -> tuple[str, ...]:
    """The module's import block, laid out as isort (and ruff's ``I`` rules) would: sections
    (standard library, third party, local) apart; in each, ``import x`` lines before ``from x
    import ...`` lines, modules compared case-insensitively, one ``from`` line per module with its
    names ordered by type. Only imports that bind a referenced name stay (star imports always);
    ``__future__`` imports go (the generated module has its own). ``comments`` are the notebook's
    comments on an import, kept above it; ``first_party``: the top-level modules the project
    itself has (its package, the notebook's own modules), a section after third party. Returns
    lines, with "" between sections."""
    statements = list(statements)
    kept = _kept(statements, referenced)
    comments = _comments_on_kept(statements, comments, set(kept))
    headers = _block_headers(comments)
    ours = frozenset(first_party)
    result: list[str] = []
    for section in sorted({_section(s, ours) for s in kept}):
        if result:
            result.append("")
        result += _section_lines([s for s in kept if _section(s, ours) == section], comments)
    return (*headers, *result) if result else ()


# a comment about the imports as a whole (`## Imports`, `# Import necessary libraries`)
_ABOUT_IMPORTS = re.compile(r"^#+\s*(?:(?:the\s+)?(?:imports?|libraries|packages|modules|"
                            r"dependencies)\b|import\w*\s+(?:\w+\s+)?(?:libraries|packages|"
                            r"modules|dependencies)\b)", re.IGNORECASE)


def _block_headers(comments: dict[str, list[str]]) -> list[str]:
    """The comments about the whole import block, taken off the import they were above: sorted
    in among the others, they would head an arbitrary one. They go first, once each."""
    headers: dict[str, None] = {}
    for statement, texts in comments.items():
        if texts and _ABOUT_IMPORTS.match(texts[0]):
            taken = 1
            while taken < len(texts) and _ABOUT_IMPORTS.match(texts[taken]):
                taken += 1
            headers.update(dict.fromkeys(texts[:taken]))
            comments[statement] = texts[taken:]
    return list(headers)


def imported_modules(sources: Iterable[str]) -> set[str]:
    """Top-level modules the code in ``sources`` imports by absolute name (a package's own
    relative imports say nothing of what it needs)."""
    found: set[str] = set()
    for tree in _trees_mentioning(sources, "import"):
        for node in all_nodes(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def _trees_mentioning(sources: Iterable[str], word: str) -> Iterable[ast.Module]:
    """The syntax trees of the sources whose text has ``word`` (those that parse)."""
    for source in sources:
        if word not in source:
            continue
        try:
            yield parsed(source)
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            continue


def names_in_formulas(sources: Iterable[str]) -> set[str]:
    """Names a model formula uses by name (``"y ~ lspline(x, [2]) + np.log(z)"`` -> lspline,
    np): patsy, statsmodels and pyfixest look them up where the formula is evaluated, and no
    syntax tree shows them."""
    names: set[str] = set()
    for tree in _trees_mentioning(sources, "~"):
        for node in all_nodes(tree):
            if node.__class__ is ast.Constant and isinstance(node.value, str) \
                    and "~" in node.value and len(node.value) < 2000:
                names.update(_FORMULA_NAME.findall(node.value))
    return names - _FORMULA_BUILTINS


_FORMULA_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*[(.]")
# what patsy itself provides in a formula
_FORMULA_BUILTINS = frozenset({"C", "I", "Q", "bs", "cr", "cc", "te", "center", "standardize",
                               "scale", "Treatment", "Sum", "Poly", "Diff", "Helmert", "T"})


def names_read(sources: Iterable[str]) -> set[str]:
    """Every name the code in ``sources`` mentions (what decides which imports stay)."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = parsed(source)
        except SyntaxError:
            continue
        nodes = all_nodes(tree)
        names |= {n.id for n in nodes if n.__class__ is ast.Name}
        names.update(name for n in nodes if n.__class__ is ast.Call for name in query_names(n))
    return names


def merged(lines: Iterable[str], extra: Iterable[str],
           first_party: Iterable[str] = ()) -> tuple[str, ...]:
    """An organised import block (as :func:`organise` returns) with more imports laid in, each
    kept: what a template adds for its own code (``import sys as _sys``). A comment at the end
    of an import (``# noqa: F401``) stays on the line that binds its names."""
    statements: list[str] = []
    comments: dict[str, list[str]] = {}
    trailing: dict[str, str] = {}  # a bound name -> the comment at the end of its line
    pending: list[str] = []
    for line in lines:
        if line.startswith("#"):
            pending.append(line)
        elif line.strip():
            line = "\n".join(_without_trailing(part, trailing) for part in line.split("\n"))
            statement = one_line_import(line)
            statements.append(statement)
            if pending:
                comments[statement], pending = pending, []
    statements += list(extra)
    names = {name for statement in statements for name in binding_names(statement)}
    organised = organise(statements, names, comments, first_party)
    if not trailing:
        return organised
    return tuple("\n".join(_with_trailing(part, trailing) for part in line.split("\n"))
                 for line in organised)


def one_line_import(text: str) -> str:
    """A wrapped ``from m import (\n    a,\n    b,\n)`` as one statement: ``from m import a, b``
    (its comments left out first)."""
    return " ".join(text.replace("(", " ").replace(")", " ").replace(",\n", ", ").split()) \
        .replace(" ,", ",").rstrip(",")


def _without_trailing(part: str, trailing: dict[str, str]) -> str:
    """One line of an import without its end comment, which ``trailing`` records by the names
    the line binds."""
    code, mark, comment = part.partition("  #")
    if mark:
        for name in _names_on(code):
            trailing.setdefault(name, f"#{comment}")
    return code


def _with_trailing(part: str, trailing: dict[str, str]) -> str:
    if part.lstrip().startswith("#") or "  #" in part:
        return part
    comment = next((trailing[n] for n in _names_on(part) if n in trailing), None)
    return f"{part}  {comment}" if comment else part


def _names_on(part: str) -> set[str]:
    """The names one line of an import binds: a whole statement, or a wrapped line (``a,``)."""
    code = part.strip().rstrip(",").rstrip("(").strip()
    if code.startswith(("import ", "from ")):
        return binding_names(code) if not code.endswith(" import") else set()
    return {code.split(" as ")[-1].strip()} if code.replace(" as ", "").replace(".", "") \
        .replace("_", "a").isalnum() else set()


def unused_imports(statements: Iterable[str], referenced: set[str]) -> list[str]:
    """The statements (as written) none of whose names the project uses: :func:`organise` drops
    them (``__future__`` imports too)."""
    statements = list(dict.fromkeys(statements))
    kept = set(_kept(statements, referenced))
    return [s for s in statements if not any(part in kept for part in split_import(s))]


def _kept(statements: list[str], referenced: set[str]) -> list[str]:
    """One import per name, those that bind a referenced name (star imports always)."""
    single = dict.fromkeys(s for statement in statements for s in split_import(statement))
    last_binder = {}
    for statement in single:  # two imports of one name: the later one wins, as in the notebook
        for name in binding_names(statement):
            last_binder[name] = statement
    return [s for s in single if _section(s) != 0 and ("*" in s or any(
        (last_binder.get(n) == s or _loads_submodule(s, last_binder.get(n, "")))
        and n in referenced for n in binding_names(s)))]


def _loads_submodule(statement: str, last: str) -> bool:
    """``import xml.dom.minidom`` binds ``xml`` as ``import xml`` does, but also loads the
    submodule the code reaches through it: it stays beside a later import of ``xml`` itself
    (not beside one that binds the name to something else)."""
    def plain(line: str) -> bool:
        return line.startswith("import ") and " as " not in line and "," not in line

    return plain(statement) and "." in statement and plain(last) \
        and last.split()[1].split(".")[0] == statement.split()[1].split(".")[0]


def _comments_on_kept(statements: list[str], comments: Mapping[str, list[str]] | None,
                      kept: set[str]) -> dict[str, list[str]]:
    """Comments on an import statement, moved to the first of its names that stays."""
    placed: dict[str, list[str]] = {}
    ordered = [s for statement in dict.fromkeys(statements) for s in split_import(statement)]
    for statement in dict.fromkeys(statements):
        texts = (comments or {}).get(statement)
        if not texts:
            continue
        # on its own import, else (it went unused) the next import that stays, else the last
        start = ordered.index(split_import(statement)[0])
        target = next((s for s in ordered[start:] if s in kept),
                      next((s for s in reversed(ordered) if s in kept), None))
        if target and target not in split_import(statement):  # its import went unused
            texts = [*texts, f"# (nb2prod: the comment above was on `{statement}`, removed "
                             "as unused)"]
        if target:
            placed.setdefault(target, []).extend(t for t in texts if t not in placed.get(target, []))
    return placed


def _section_lines(statements: list[str], comments: Mapping[str, list[str]]) -> list[str]:
    plain = sorted((s for s in statements if s.startswith("import ")), key=_plain_key)
    by_module: dict[str, list[str]] = {}
    for statement in statements:
        if statement.startswith("from "):
            by_module.setdefault(statement.split()[1], []).append(statement)
    lines: list[str] = []
    blocks = [(comments.get(s, []), [s]) for s in plain] + [
        ([c for s in by_module[m] for c in comments.get(s, [])], _from_lines(m, by_module[m]))
        for m in sorted(by_module, key=_module_key)]
    for above, statements in blocks:
        if above and lines:  # isort sets a commented import apart with an empty line
            lines.append("")
        lines += [*above, *statements]
    return lines


def _from_lines(module: str, statements: list[str]) -> list[str]:
    """``from m import a`` lines of one module merged; aliased names keep their own line."""
    names = [s.split(" import ", 1)[1] for s in statements]
    if "*" in names:
        return [f"from {module} import *"]
    plain = sorted((n for n in names if " as " not in n), key=_member_key)
    aliased = sorted((n for n in names if " as " in n), key=_member_key)
    lines = [f"from {module} import {', '.join(plain)}"] if plain else []
    lines += [f"from {module} import {name}" for name in aliased]
    lines.sort(key=lambda line: _member_key(line.split(" import ", 1)[1]))
    return [wrapped_import(line) for line in lines]


def wrapped_import(line: str, width: int = ISORT_LINE_LENGTH) -> str:
    """isort's wrap (ruff's) for a ``from`` line past ``width`` characters, one name too, which
    black then leaves alone. An end-of-line comment counts unless it is a ``# noqa``; it goes
    after its one name, or after the parenthesis that opens several."""
    code, mark, comment = line.partition("  #")
    comment = f"#{comment}" if mark else ""
    measured = code if comment.startswith("# noqa") else line
    if len(measured) <= width or not code.startswith("from ") or code.endswith(" *"):
        return line
    head, names = code.split(" import ", 1)
    names = names.split(", ")
    if comment and len(names) == 1:
        return f"{head} import (\n    {names[0]},  {comment}\n)"
    opening = f"{head} import (" + (f"  {comment}" if comment else "")
    return opening + "\n" + "".join(f"    {n},\n" for n in names) + ")"


def _section(statement: str, first_party: frozenset[str] = frozenset()) -> int:
    module = statement.split()[1]
    top = module.lstrip(".").split(".")[0]
    if module.startswith("."):
        return 4
    if top == "__future__":
        return 0
    if top in first_party:
        return 3
    return 1 if top in sys.stdlib_module_names else 2


def _plain_key(statement: str) -> tuple[str, str, str]:
    parts = statement.split()
    alias = parts[3] if len(parts) > 3 else ""
    return (*_module_key(parts[1]), alias.lower())


def _module_key(module: str) -> tuple[tuple, str]:
    if module.startswith("."):  # relative: the furthest first (`..` before `.`), as ruff does
        rest = module.lstrip(".")
        return ((-(len(module) - len(rest)), *_natural(rest.lower())), module)
    return (_natural(module.lower()), module)


def _member_key(name: str) -> tuple[int, tuple, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then everything else."""
    bare = name.split(" as ")[0]
    if bare.isupper() and len(bare) > 1:
        kind = 0
    elif bare[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, _natural(bare.lower()), name)


def _natural(text: str) -> tuple:
    """ruff's natural order: runs of digits compare as numbers (``x_6`` before ``x_10``)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text) if part)


_EXPORTS_PROBE = (
    "import importlib, json, sys\n"
    "try:\n"
    "    module = importlib.import_module(sys.argv[1])\n"
    "except ImportError:\n"
    "    sys.exit(3)\n"
    "names = getattr(module, '__all__', None) or [n for n in dir(module) if not n.startswith('_')]\n"
    "print(json.dumps(sorted(set(map(str, names)))))\n"
)
_NOT_IMPORTABLE = 3  # the probe's exit code when the module, or what it needs, is not there


class ExportsUnknown(Exception):
    """The installed module could not be asked for its names (its import took too long, or
    crashed); ``str(error)`` says why."""


def star_exports(module: str, timeout: int = 60) -> list[str] | None:
    """The names ``from module import *`` binds, asked of the installed module in a subprocess
    (library code, never the notebook's); None when it cannot be imported here: not installed,
    or its import failed twice. Raises :class:`ExportsUnknown` when the import neither worked
    nor failed (it timed out, or crashed) twice. Every failure is tried again: on a loaded
    machine one attempt can fail where the next works, and a guess then would make convert's
    output depend on the load."""
    if not _installed(module):
        return None
    why, failed = "", False
    for _ in range(2):
        try:
            names = _probe_exports(module, timeout)
        except ExportsUnknown as error:
            why = str(error)
            continue
        if names is not None:
            return names
        failed = True
    if failed:
        return None
    raise ExportsUnknown(why)


def _installed(module: str) -> bool:
    """Whether the top-level package is there to import (looked up, nothing run)."""
    import importlib.util

    top = module.lstrip(".").split(".")[0]
    try:
        return bool(top) and not module.startswith(".") and importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _probe_exports(module: str, timeout: int) -> list[str] | None:
    import json
    import os
    import subprocess
    import sys

    environment = {**os.environ, "MPLBACKEND": "Agg"}  # (no display backend to start)
    try:
        result = subprocess.run([sys.executable, "-I", "-c", _EXPORTS_PROBE, module],
                                capture_output=True, text=True, timeout=timeout, check=False,
                                env=environment)
    except subprocess.TimeoutExpired:
        raise ExportsUnknown(f"importing it took over {timeout} s") from None
    except OSError as error:
        raise ExportsUnknown(f"no Python to ask ({error.strerror})") from None
    if result.returncode == _NOT_IMPORTABLE:
        return None
    lines = result.stdout.strip().splitlines()
    try:
        if result.returncode == 0 and lines:
            return list(json.loads(lines[-1]))
    except ValueError:
        pass
    error = (result.stderr.strip().splitlines() or ["it printed no names"])[-1]
    raise ExportsUnknown(f"importing it failed ({error[:200]})")
