"""Pass 4 — describe: what the project says about itself — title, description, Python,
dependencies (from ``pin``), the input files it ships or asks for, the notebook's trustworthy
stdout and its checksum."""

from __future__ import annotations

import ast
import collections
import hashlib
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nb2prod.analysis.astutil import all_nodes, called_name
from nb2prod.notebook.model import Notebook
from nb2prod.notebook.printed import printed_outside_ipython, recorded_stdout
from nb2prod.pin.mapping import Environment
from nb2prod.pin.resolve import pin_notebooks
from nb2prod.redact import is_sensitive_name, redact
from nb2prod.refactor.plan import DataFile, Dependency
from nb2prod.refactor.relpath import READ_CALLS, WRITE_CALLS, opens_for_writing, stays_inside
from nb2prod.refactor.steps import clean_title
from nb2prod.rules.hygiene import ABSOLUTE_PATH

MAX_DATA_FILE = 10 * 1024 * 1024
MAX_DATA_TOTAL = 50 * 1024 * 1024
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
CREDENTIAL_FILE = re.compile(r"^\s*(?:.*\.env(?:\..*)?|.*\.(?:pem|key|p12|pfx|jks)|credentials.*|"
                             r"id_(?:rsa|dsa|ecdsa|ed25519).*|\.netrc.*|\.pgpass.*|\.pypirc.*|"
                             r".*secrets?\.(?:json|ya?ml|toml))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Description:
    title: str
    description: str
    notebook_sha256: str
    python_requires: str
    dependencies: tuple[Dependency, ...]
    data_files: tuple[DataFile, ...]
    missing_inputs: tuple[str, ...]  # relative input files the notebook reads that are not there
    expected_stdout: str | None
    stdout_note: str  # why expected_stdout is None ('' when it is not)
    environment_note: str = ""  # why nb2prod's environment gave no versions ('' when it did)
    unresolved_imports: tuple[str, ...] = ()  # imports pin could not map to a distribution


def describe(notebook: Notebook, environment: Environment, path_reads: Mapping[str, str],
             modules: tuple[Notebook, ...] = ()) -> Description:
    """``modules``: the notebook's own modules it ships, whose imports are dependencies too."""
    title, description = _title_and_description(notebook)
    dependencies, environment_note, unresolved = _dependencies(notebook, environment, modules)
    expected_stdout, stdout_note = _stdout_reference(notebook)
    return Description(
        title=title, description=description, notebook_sha256=_sha256(notebook.path),
        python_requires=_python_requires(notebook.python_version),
        dependencies=dependencies, data_files=_data_files(notebook, path_reads),
        missing_inputs=_missing_inputs(notebook, path_reads),
        expected_stdout=expected_stdout, stdout_note=stdout_note,
        environment_note=environment_note,
        unresolved_imports=unresolved)


def _missing_inputs(notebook: Notebook, path_reads: Mapping[str, str]) -> tuple[str, ...]:
    """Relative input files the notebook reads that are not next to it (tests skip, naming them)."""
    folder = Path(notebook.path).resolve().parent
    written = _written_files(notebook)
    missing = {value for value in [*path_reads.values(), *_joined_reads(notebook)]
               if not os.path.isabs(value) and not value.startswith("~")
               and not ABSOLUTE_PATH.match(value) and not probe(folder / value, Path.exists)
               and not _among(value, written)}
    return tuple(sorted(missing))


def _written_files(notebook: Notebook) -> set[str]:
    """The files the notebook writes (``df.to_csv(data_out + "hotels_work.csv")``): one it
    reads later is its own, not an input to provide."""
    assigned: dict[str, list[ast.expr]] = {}
    written: set[str] = set()
    calls = []
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree is not None else ():
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, ast.Call) and node.args and (
                    WRITE_CALLS.match(called_name(node.func)) or (
                        called_name(node.func) in {"open", "ZipFile"}
                        and opens_for_writing(node))):
                calls.append(node)
    only = {name: values[0] for name, values in assigned.items() if len(values) == 1}
    for call in calls:
        first = call.args[1] if called_name(call.func) in {"dump", "to_pickle"} \
            and len(call.args) > 1 else call.args[0]
        value = only.get(first.id, first) if isinstance(first, ast.Name) else first
        built = _built_path(value, only)
        if built is not None and built[1]:
            written.add(posixpath.normpath(built[1]))
    return written


def _among(path: str, written: set[str]) -> bool:
    """Whether ``path`` is one of the ``written`` files; a path under a folder computed in code
    matches by its last parts."""
    path = posixpath.normpath(path)
    return any(path == w or w.endswith("/" + path) or path.endswith("/" + w) for w in written)


def _joined_reads(notebook: Notebook) -> set[str]:
    """Files read through a path built in code: a join on a computed folder (CS109A hubway:
    ``DATA_HOME = os.getcwd()``, ``TRIPS = os.path.join(DATA_HOME, 'trips.csv')``,
    ``pd.read_csv(TRIPS)``), which the run looks for where it runs; or on a literal folder
    (hackoregon: ``Path('../data/raw') / '01SEP2017.csv'``, ``DATA + 'x.csv'``)."""
    assigned: dict[str, list[ast.expr]] = {}
    read: list[ast.expr] = []
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree is not None else ():
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, ast.Call) and node.args and READ_CALLS.match(
                    called_name(node.func)) and not opens_for_writing(node) \
                    and not isinstance(node.args[0], ast.Constant) \
                    and not (isinstance(node.func, ast.Name) and node.func.id == "Image"):
                read.append(node.args[0])  # (a literal read is the cell transforms' to find;
                # IPython's Image(...) only shows a file in the notebook)
    only = {name: values[0] for name, values in assigned.items() if len(values) == 1}
    found = set()
    for arg in read:
        value = only.get(arg.id) if isinstance(arg, ast.Name) else arg
        built = _built_path(value, only) if value is not None else None
        if built is None:
            continue
        literal, tail = built
        if _looks_like_path(tail) and "://" not in tail and "." in tail.rsplit("/", 1)[-1] and (
                stays_inside(tail) if not literal else not _outside_any_folder(tail)):
            found.add(tail)
    return found


def _built_path(node: ast.expr, only: dict[str, ast.expr], depth: int = 0
                ) -> tuple[bool, str] | None:
    """(whether it starts at a literal folder, the path) of a path built from literal parts on a
    folder: ``os.path.join(folder, "sub", "x.csv")``, ``Path(folder) / "x.csv"``,
    ``Path(folder).joinpath("x.csv")``, ``folder + "x.csv"``. A folder computed in code is left
    out (``sub/x.csv``); a folder named by one string literal leads. None for anything else."""
    if depth > 8:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True, node.value
    if isinstance(node, ast.Name):
        lead = only.get(node.id)
        return _built_path(lead, only, depth + 1) if lead is not None else (False, "")
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)) \
            and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
        base = _built_path(node.left, only, depth + 1)
        if base is None:
            return None
        separator = "/" if isinstance(node.op, ast.Div) else ""
        return base[0], _joined(base[1], node.right.value, separator)
    if isinstance(node, ast.Attribute):
        return False, ""  # a folder computed elsewhere (`args.data_dir`)
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    name = called_name(node.func)
    if name in {"Path", "PurePath"} and len(node.args) == 1:
        return _built_path(node.args[0], only, depth + 1)
    folder, parts = _folder_and_parts(node, name)
    if folder is None:
        return False, ""  # a folder a call computes (`os.getcwd()`)
    if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) and p.value
               for p in parts):
        return None
    base = _built_path(folder, only, depth + 1) or (False, "")
    path = base[1]
    for part in parts:
        path = _joined(path, part.value, "/")
    return base[0], path


def _folder_and_parts(call: ast.Call, name: str) -> tuple[ast.expr | None, list[ast.expr]]:
    """``os.path.join(a, b, c)`` -> (a, [b, c]); ``Path(a).joinpath(b)`` -> (Path(a), [b])."""
    if name == "joinpath" and isinstance(call.func, ast.Attribute) and call.args:
        return call.func.value, list(call.args)
    owner = call.func.value if isinstance(call.func, ast.Attribute) else None
    if name == "join" and len(call.args) >= 2 and (
            (isinstance(owner, ast.Name) and owner.id in {"path", "osp"})
            or (isinstance(owner, ast.Attribute) and owner.attr == "path")):
        return call.args[0], list(call.args[1:])
    return None, []


def _joined(folder: str, part: str, separator: str) -> str:
    """A folder and a part as one relative path (``.`` and empty parts dropped)."""
    if not folder.strip("/") or folder.strip("/") == ".":
        return part.lstrip("/") if separator else part
    return f"{folder.rstrip('/')}/{part.strip('/')}" if separator else folder + part


def _outside_any_folder(path: str) -> bool:
    """An absolute path, or one in a user's home: no file the project can be given."""
    return os.path.isabs(path) or path.startswith(("~", "\\")) or bool(ABSOLUTE_PATH.match(path))


def probe(path: Path, test) -> bool:
    """``test(path)``, False when the path cannot even be asked about (a name too long...)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


_PLACEHOLDER_TITLES = frozenset({"title", "untitled", "notebook", "step", ""})


def _title_and_description(notebook: Notebook) -> tuple[str, str]:
    """The notebook's title heading (else a title made from its file name) and its first two
    paragraphs."""
    paragraphs: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for block in re.split(r"\n\s*\n", cell.source.strip()):
            if block.strip() and not re.match(r"^#+\s", block.strip()) and len(paragraphs) < 2 \
                    and not block.lstrip().startswith("<"):
                paragraphs.append(" ".join(block.split()))
    return _title_heading(notebook) or _file_title(notebook.path), "\n\n".join(paragraphs)


def _title_heading(notebook: Notebook) -> str:
    """The first heading, when it is the notebook's title: above all code, and of a level no other
    heading has (``### Map`` then ``### Reduce`` are sections; ``# Title`` is a placeholder)."""
    headings: list[tuple[int, str, bool]] = []  # (level, text, above all code)
    code_seen = False
    for cell in notebook.cells:
        code_seen = code_seen or (cell.is_code and bool(cell.source.strip()))
        if cell.cell_type == "markdown":
            headings += [(len(m[1]), m[2].strip(), not code_seen)
                         for m in re.finditer(r"(?m)^(#{1,6})\s+(.+)$", cell.source)]
    if not headings or not headings[0][2]:
        return ""
    level, text, _ = headings[0]
    if any(other <= level for other, _, _ in headings[1:]):
        return ""
    title = clean_title(text)
    return "" if title.lower() in _PLACEHOLDER_TITLES else title


def _file_title(path: str) -> str:
    """``Owner__repo__02_train-model.ipynb`` -> ``Train model``."""
    stem = Path(path).stem.split("__")[-1]
    words = [w for w in re.split(r"[\W_]+", stem) if w]
    while len(words) > 1 and words[0].isdigit():
        words.pop(0)
    text = " ".join(words) or "Notebook"
    return text[0].upper() + text[1:]


_FLOOR = (3, 10)  # the generated code uses zip(strict=...) and typing.Annotated


def _older_than_the_floor(version: str | None) -> bool:
    """The notebook last ran on a Python older than the project needs: its exact pins are of
    another era (a 2018 pandas does not install on Python 3.10)."""
    return bool(version) and tuple(int(p) for p in version.split(".")[:2]) < _FLOOR


def _python_requires(version: str | None) -> str:
    floor = _FLOOR
    if version:
        major, minor = (int(p) for p in version.split(".")[:2])
        floor = max(floor, (major, minor))
    return f">={floor[0]}.{floor[1]}"


def _dependencies(notebook: Notebook, environment: Environment, modules: tuple[Notebook, ...]
                  ) -> tuple[tuple[Dependency, ...], str, tuple[str, ...]]:
    """The project's dependencies as ``pin`` finds them, why the environment's installed versions
    were not evidence ('' when they were), and the imports pin could not map."""
    result = pin_notebooks([notebook, *modules], environment)
    older = _older_than_the_floor(notebook.python_version)
    deps = [Dependency(r.distribution, r.version, r.line(), r.reason, r.imports)
            if not (older and r.version)
            else Dependency(r.distribution, r.version, f"{r.distribution}{r.extras}>={r.version}",
                            f"{r.evidence}; was =={r.version}, a lower bound here: that release "
                            f"ran on Python {notebook.python_version} and may not install on "
                            f"Python {_FLOOR[0]}.{_FLOOR[1]}+", r.imports)
            for r in result.requirements]
    if not any(d.distribution.lower() == "typer" for d in deps):
        deps.append(Dependency("typer", None, "typer>=0.9", "the generated command line uses it"))
    unresolved = tuple(u.import_name for u in result.unresolved)
    return (tuple(sorted(deps, key=lambda d: d.distribution.lower())), result.environment_note,
            unresolved)


def _data_files(notebook: Notebook, path_reads: Mapping[str, str] | None = None
                ) -> tuple[DataFile, ...]:
    """Files the notebook reads, and which of them may be shipped in the project's tests/data:
    only regular files inside the notebook's folder tree (never through a symlink that leaves it),
    never credentials, within the size limits. A folder it reads files from by a computed name
    (``f"data/{name}.csv"``) ships the files directly in it."""
    folder = Path(notebook.path).resolve().parent
    found: list[str] = [path for value in (path_reads or {}).values() if value.endswith("/")
                        for path in _files_in(folder, value)]
    constants = collections.Counter(_string_constants(notebook))
    written, reads = _written_files(notebook), set((path_reads or {}).values())
    for value in constants:
        if not _looks_like_path(value):
            continue
        # a file the notebook only writes, named once, is an output (its last run left it
        # there), not an input: only the folder it goes in is shipped
        output = constants[value] == 1 and posixpath.normpath(value) in written \
            and value not in reads
        if not output and probe(folder / value, Path.is_file):
            found.append(Path(value).as_posix())
        elif "/" in value.replace("\\", "/").rstrip("/") and Path(value).parent != Path(".") \
                and probe(folder / Path(value).parent, Path.is_dir):
            # a folder the notebook writes into (plt.savefig("pie/%i.png")): ship it, empty
            found.append(Path(value).parent.as_posix() + "/")
    return data_files(folder, found)


MAX_FOLDER_FILES = 200


def _files_in(folder: Path, relative: str) -> list[str]:
    """The regular files directly in a folder the notebook reads (at most MAX_FOLDER_FILES)."""
    if os.path.isabs(relative) or not stays_inside(relative):
        return []
    try:
        names = sorted(os.listdir(folder / relative))[:MAX_FOLDER_FILES]
    except (OSError, ValueError):
        return []
    return [f"{relative.rstrip('/')}/{name}" for name in names
            if probe(folder / relative / name, Path.is_file)]


def data_files(folder: Path, paths: list[str]) -> tuple[DataFile, ...]:
    """Which of these files (a trailing ``/``: a folder, shipped empty) inside ``folder`` may be
    shipped, and why not the others."""
    found: dict[str, tuple[int, str]] = {}
    for path in paths:
        candidate = folder / path.rstrip("/")
        size = 0 if path.endswith("/") else probe(candidate, lambda p: p.stat().st_size) or 0
        found.setdefault(path, (size, refusal(candidate, folder)))
    total, files = 0, []
    for path, (size, why) in sorted(found.items()):
        if not why and (size > MAX_DATA_FILE or total + size > MAX_DATA_TOTAL):
            why = f"too large to ship ({size / 1e6:.1f} MB)"
        total += 0 if why else size
        files.append(DataFile(path, size, not why, why))
    return tuple(files)


def refusal(candidate: Path, folder: Path) -> str:
    """Why a file the notebook reads must not be copied into the project ('' when it may)."""
    where = location_refusal(candidate, folder)
    if where:
        return where
    return "it holds a secret, never shipped" if _holds_secret(candidate) else ""


def location_refusal(candidate: Path, folder: Path) -> str:
    """Why a file must not be copied for where it is or what it is called, before it is read:
    outside the folder, through a link out of it, a credentials file ('' when none)."""
    if not Path(os.path.normpath(candidate)).is_relative_to(folder):
        return "outside the notebook's folder"
    if not candidate.resolve().is_relative_to(folder):
        return "a symlink that leads outside the notebook's folder"
    if CREDENTIAL_FILE.match(candidate.name) or CREDENTIAL_FILE.match(candidate.resolve().name):
        return "a credentials file, never shipped"
    return ""


def _holds_secret(path: Path) -> bool:
    """A text file with a credential in it (binary and oversized files are not read)."""
    try:
        if path.stat().st_size > MAX_DATA_FILE:
            return False
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if path.suffix.lower() in {".csv", ".tsv", ".txt"}:  # a table with a password column
        header = re.split(r"[,;\t|]", text.split("\n", 1)[0])
        if any(is_sensitive_name(column.strip().strip("\"'")) for column in header):
            return True
    return bool(redact(text)[1])


def _string_constants(notebook: Notebook):
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value


def _looks_like_path(value: str) -> bool:
    return 0 < len(value) < 260 and "\n" not in value and not value.startswith(("/", "~", "http")) \
        and not re.match(r"^[A-Za-z]:[\\/]", value) and "." in value


def _stdout_reference(notebook: Notebook) -> tuple[str | None, str]:
    """What the notebook's Python printed (not IPython's own syntax: timings, pip's progress),
    when the notebook was run once top to bottom without errors; else None, and why its
    recorded stdout is no reference for the project's."""
    code = [c for c in notebook.code_cells if c.source.strip()]
    if not code:
        return None, "the notebook has no code"
    if [c.execution_count for c in code] != list(range(1, len(code) + 1)):
        return None, ("its recorded output is not from one top-down run (execution counts "
                      "1, 2, 3... from the first cell)")
    if any(o.get("output_type") == "error" for c in code for o in c.outputs):
        return None, "a cell of its recorded run ended in an error"
    parts = []
    for cell in notebook.code_cells:
        text, what = printed_outside_ipython(cell.source, recorded_stdout(cell.outputs))
        if what:
            return None, (f"cell {cell.index} printed through {what}, which the pipeline does "
                          "not print")
        parts.append(text)
    text = "".join(parts)
    if not text.strip():
        return None, "it printed nothing"
    if _ADDRESS.search(text):
        return None, "its output holds memory addresses, which change every run"
    return text, ""


def _sha256(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""
