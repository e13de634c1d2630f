"""The files a notebook reads and writes: how the notebooks of a folder hand work to each other.

Pure analysis over the cells' syntax trees (never runs them). A path counts when it is a string
literal, or a name the notebook binds once to one at the top level (``RAW = "raw.csv"``), in a
call that reads or writes a file: pandas ``read_*``/``to_*``, ``open`` by its mode, numpy's
``load``/``save``, ``savefig``, ``joblib.dump(obj, path)``, ``Path(p).write_text`` and the like.
Paths are kept as the notebook wrote them, relative to its folder.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nb2prod.analysis.astutil import called_name

if TYPE_CHECKING:
    from nb2prod.notebook.model import Notebook

_READS = re.compile(r"^(?:read_\w+|load|loadtxt|genfromtxt|fromfile|imread|read_text|read_bytes)$")
_WRITES = re.compile(r"^(?:to_(?!dict|list|numpy|string|period|timestamp|frame|records|"
                     r"datetime|numeric|markdown|latex)\w+|save|savez\w*|savetxt|savefig|tofile|"
                     r"imwrite|imsave|write_text|write_bytes)$")
_MAY_USE_FILES = re.compile(r"read_|to_|open|load|save|dump|write_|imwrite|imsave|imread|"
                            r"fromfile|tofile|genfromtxt")
_DUMPS = frozenset({"dump"})  # joblib.dump(value, "model.joblib"): the path comes second
_PATH_WRAPPERS = frozenset({"Path", "PurePath", "PosixPath"})
_NUMPY_SUFFIX = {"save": ".npy", "savez": ".npz", "savez_compressed": ".npz"}
# looks like a file: a name with an extension, or a folder path; never a URL
_FILE_LIKE = re.compile(r"^(?![a-z][a-z0-9+.-]*://)[\w .@/\\-]*\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class FileUse:
    path: str  # as the notebook wrote it
    cell: int
    line: int


@dataclass(frozen=True)
class Exchange:
    """The files one notebook reads and writes, first use of each."""

    reads: tuple[FileUse, ...]
    writes: tuple[FileUse, ...]

    def read_paths(self) -> set[str]:
        return {use.path for use in self.reads}

    def written_paths(self) -> set[str]:
        return {use.path for use in self.writes}


def file_exchange(notebook: Notebook) -> Exchange:
    constants = _string_constants(notebook)
    reads: dict[str, FileUse] = {}
    writes: dict[str, FileUse] = {}
    for cell in notebook.cells:
        if cell.tree is None or not _MAY_USE_FILES.search(cell.source):
            continue  # most cells touch no file: `check FOLDER` stays as fast as `check`
        for node in ast.walk(cell.tree):
            if not isinstance(node, ast.Call):
                continue
            for kind, path in _file_uses(node, constants):
                found = writes if kind == "write" else reads
                found.setdefault(path, FileUse(path, cell.index, cell.original_line(node.lineno)))
    return Exchange(tuple(reads.values()), tuple(writes.values()))


def _string_constants(notebook: Notebook) -> dict[str, str]:
    """Top-level names bound exactly once, to a string literal."""
    values: dict[str, str | None] = {}
    for cell in notebook.cells:
        if cell.tree is None:
            continue
        for statement in cell.tree.body:
            for name, value in _assigned_strings(statement):
                values[name] = value if name not in values else None
    return {name: value for name, value in values.items() if value is not None}


def _assigned_strings(statement: ast.stmt) -> Iterator[tuple[str, str | None]]:
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):
                yield target.id, _string(statement.value, {})
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        yield statement.target.id, _string(statement.value, {}) if statement.value else None


def _file_uses(call: ast.Call, constants: dict[str, str]) -> Iterator[tuple[str, str]]:
    name = called_name(call.func)
    if name == "open":
        path = _argument(call, 0, "file", constants)
        if path:
            yield ("write" if any(flag in _open_mode(call) for flag in "wax") else "read"), path
    elif name in _DUMPS:
        path = _argument(call, 1, "filename", constants)
        if path:
            yield "write", path
    elif _READS.match(name) or _WRITES.match(name):
        kind = "read" if _READS.match(name) else "write"
        path = _receiver_path(call.func, constants) if name.endswith(("_text", "_bytes")) else \
            _argument(call, 0, "path", constants,
                      _NUMPY_SUFFIX.get(name, "") if _on_numpy(call) else "")
        if path:
            yield kind, path


def _open_mode(call: ast.Call) -> str:
    mode = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return "r"
    return mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else ""


def _argument(call: ast.Call, position: int, keyword: str,
              constants: dict[str, str], suffix: str = "") -> str | None:
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return _path(call.args[position], constants, suffix)
    for item in call.keywords:
        if item.arg in (keyword, "path_or_buf", "fname", "filepath_or_buffer", "fp", "file"):
            return _path(item.value, constants, suffix)
    return None


def _on_numpy(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
        and call.func.value.id in {"np", "numpy"}


def _receiver_path(func: ast.expr, constants: dict[str, str]) -> str | None:
    """``Path("x.txt").write_text(...)``, ``(out / "x.txt").read_text()``: the path the method
    is called on."""
    if isinstance(func, ast.Attribute) and (
            _is_path_expression(func.value) or isinstance(func.value, ast.BinOp)):
        return _path(func.value, constants)
    return None


def _path(node: ast.expr, constants: dict[str, str], suffix: str = "") -> str | None:
    value = _string(node, constants)
    if value and suffix and not value.endswith(suffix):  # np.save("arr", a) writes arr.npy
        value += suffix
    return normalised(value) if value and _FILE_LIKE.match(value) else None


def _string(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The text an expression surely has: a literal, a constant name, an f-string, a join or
    ``Path(...) / ...`` of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [_string(v.value if isinstance(v, ast.FormattedValue) and not v.format_spec
                         and v.conversion == -1 else v, constants) for v in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and called_name(node.func) in _PATH_WRAPPERS | {"join"} \
            and node.args and not node.keywords:
        if called_name(node.func) == "join" and not _is_os_path(node.func):
            return None
        parts = [_string(arg, constants) for arg in node.args]
        return "/".join(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        # `a / "x.csv"` only runs when `a` is a path: a name bound to Path(...) will do
        left, right = _string(node.left, constants), _string(node.right, constants)
        return f"{left}/{right}" if left is not None and right is not None else None
    return None


def _is_os_path(func: ast.expr) -> bool:
    """``os.path.join`` or ``path.join`` (not ``",".join``)."""
    return isinstance(func, ast.Attribute) and (
        (isinstance(func.value, ast.Attribute) and func.value.attr == "path")
        or (isinstance(func.value, ast.Name) and func.value.id in {"path", "osp"}))


def _is_path_expression(node: ast.expr) -> bool:
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        node = node.left
    return isinstance(node, ast.Call) and called_name(node.func) in _PATH_WRAPPERS


def normalised(path: str) -> str:
    """``./data//x.csv`` and ``data/x.csv`` are one file."""
    import posixpath

    text = posixpath.normpath(path.replace("\\", "/"))
    return text[2:] if text.startswith("./") else text
