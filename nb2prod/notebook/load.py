"""Read ``.ipynb`` and jupytext percent-format ``.py`` files into a :class:`Notebook`.

JSON is parsed and checked here with the standard library: nbformat's full schema validation costs
seconds on large notebooks and says little a user can act on. nbformat is imported (lazily) only to
upgrade notebooks older than version 4.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nb2prod.errors import NotebookReadError, UnsupportedNotebookError
from nb2prod.limits import MAX_NOTEBOOK_BYTES
from nb2prod.notebook.model import CELL_TYPES, CODE, Cell, Notebook, make_cell
from nb2prod.notebook.percent import parse_percent

NOTEBOOK_SUFFIXES = (".ipynb", ".py")


def load_notebook(path: str | os.PathLike[str]) -> Notebook:
    """Load one notebook file, raising :class:`NotebookReadError` with a user-facing reason."""
    return parse_notebook(read_text(path), path)


def parse_notebook(text: str, path: str | os.PathLike[str]) -> Notebook:
    """A notebook from the text of its file (``.py``: jupytext percent format)."""
    display = str(path)
    if str(path).endswith(".py"):
        cells, metadata = parse_percent(text)
        notebook = Notebook(display, _build_cells(cells, display), metadata=metadata,
                            source_format="percent",
                            file_lines=tuple((c["file_line"], True) for c in cells))
    else:
        notebook = loads_ipynb(text, display)
    _require_python(notebook)
    return notebook


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text, or a one-line reason why it cannot be read."""
    file = Path(path)
    try:
        status = file.stat()
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block or never end
            raise NotebookReadError(path, "not a regular file")
        if status.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookReadError(path, f"larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        data = file.read_bytes()
    except FileNotFoundError:
        raise NotebookReadError(path, "no such file") from None
    except IsADirectoryError:
        raise NotebookReadError(path, "is a directory, not a notebook file") from None
    except PermissionError:
        raise NotebookReadError(path, "permission denied") from None
    except OSError as exc:
        raise NotebookReadError(path, f"cannot read file ({exc.strerror or exc})") from None
    return decode_text(data, path)


def decode_text(data: bytes, path: str | os.PathLike[str]) -> str:
    """A notebook file's bytes as text, or a one-line reason why they are not."""
    if not data.strip():
        raise NotebookReadError(path, "file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookReadError(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "notebooks must be saved as UTF-8"
        ) from None


def loads_ipynb(text: str, path: str = "<notebook>") -> Notebook:
    """Parse the JSON text of an ``.ipynb`` file."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookReadError(
            path, f"not valid JSON ({exc.msg}; line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise NotebookReadError(path, "not a notebook: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise NotebookReadError(path, f"not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise NotebookReadError(
            path, f"not a notebook: expected a JSON object, found a {_json_type(raw)}"
        )
    if _UNENCODABLE.search(text):
        raw = _scrub(raw)
    raw = _upgrade(raw, text, path)
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise NotebookReadError(path, "not a notebook: no 'cells' list")
    metadata = _checked_metadata(raw.get("metadata"))
    return Notebook(
        path,
        _build_cells([_check_cell(c, i, path) for i, c in enumerate(cells)], path),
        nbformat=int(raw.get("nbformat", 4)),
        nbformat_minor=_int_or(raw.get("nbformat_minor"), 0),
        metadata=metadata,
        file_lines=_source_file_lines(text, len(cells)),
    )


def _source_file_lines(text: str, cell_count: int) -> tuple[tuple[int, bool], ...]:
    """Where each cell's source starts in the JSON text, for annotations on the file's own lines.

    Jupyter writes one source line per JSON line (``"source": [`` then the lines); when the file
    does not look like that (a different writer, "source" keys elsewhere) the answer is unknown.
    """
    found = []
    line, position = 1, 0
    key = '"source":'
    start = text.find(key)
    while start != -1:
        line += text.count("\n", position, start)
        position = start
        rest = text[start + len(key) : start + len(key) + 8].strip(" \t")
        one_line_each = rest.startswith("[") and rest[1:2] in ("\n", "\r")
        found.append((line + 1, True) if one_line_each else (line, False))
        start = text.find(key, start + len(key))
    return tuple(found) if len(found) == cell_count else ()


def _upgrade(raw: dict[str, Any], text: str, path: str) -> dict[str, Any]:
    version = raw.get("nbformat")
    if version is None:
        raise NotebookReadError(path, "not a notebook: no 'nbformat' version field")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotebookReadError(path, f"not a notebook: 'nbformat' is {version!r}, not a number")
    if version == 4:
        return raw
    if version > 4:
        raise NotebookReadError(
            path, f"nbformat {version} is not supported (nb2prod reads nbformat 3 and 4)"
        )
    return _upgrade_with_nbformat(text, path, version)


def _upgrade_with_nbformat(text: str, path: str, version: int) -> dict[str, Any]:
    import nbformat  # only old notebooks pay for this import

    try:
        upgraded = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many types for bad old notebooks
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotebookReadError(path, f"cannot upgrade nbformat {version} notebook: {reason}") from None
    return json.loads(json.dumps(upgraded))


# JSON escapes of lone surrogates and null bytes: text no file or parser downstream accepts
_UNENCODABLE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_SURROGATE_OR_NULL = re.compile("[\ud800-\udfff\x00]")


def _scrub(value: Any) -> Any:
    """Lone surrogates and null bytes become U+FFFD, so every later step can encode the text
    (code that held them no longer parses: reported as NB001, like any syntax error)."""
    if isinstance(value, str):
        return _SURROGATE_OR_NULL.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def _checked_metadata(metadata: Any) -> dict[str, Any]:
    """Notebook metadata with the tables nb2prod reads dropped when they are not tables."""
    if not isinstance(metadata, dict):
        return {}
    return {k: v for k, v in metadata.items()
            if k not in {"language_info", "kernelspec"} or isinstance(v, dict)}


def _checked_output(output: dict[str, Any]) -> dict[str, Any]:
    """An output whose ``data`` bundle is not a mapping, or whose text is not text, loses it.
    (Checked cheaply: this runs on every output of every notebook ``check`` reads.)"""
    data = output.get("data")
    if data is not None and not isinstance(data, dict):
        output = {k: v for k, v in output.items() if k != "data"}
    elif data and not all(isinstance(v, (str, dict)) or _is_text_lines(v) for v in data.values()):
        output = {**output, "data": {k: v for k, v in data.items()
                                     if isinstance(v, (str, dict)) or _is_text_lines(v)}}
    text = output.get("text")
    if text is not None and not isinstance(text, str) and not _is_text_lines(text):
        output = {k: v for k, v in output.items() if k != "text"}
    return output


def _is_text_lines(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_cell(cell: Any, index: int, path: str) -> dict[str, Any]:
    where = f"cell {index}"
    if not isinstance(cell, dict):
        raise NotebookReadError(path, f"{where}: expected an object, found a {_json_type(cell)}")
    cell_type = cell.get("cell_type")
    if cell_type not in CELL_TYPES:
        raise NotebookReadError(
            path, f"{where}: unknown cell_type {cell_type!r} (expected code, markdown or raw)"
        )
    if "source" not in cell:
        raise NotebookReadError(path, f"{where}: 'source' is missing")
    source = cell["source"]
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookReadError(path, f"{where}: 'source' must be a string or a list of strings")
    outputs = cell.get("outputs", []) if cell_type == CODE else []
    if not isinstance(outputs, list):
        raise NotebookReadError(path, f"{where}: 'outputs' must be a list")
    count = cell.get("execution_count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise NotebookReadError(path, f"{where}: 'execution_count' must be a number or null")
    if count is not None and count <= 0:
        count = None  # IPython counts from 1; course and clearing tools write 0 for "not run"
    metadata = cell.get("metadata")
    return {
        "cell_type": cell_type,
        "source": source,
        "id": cell.get("id") if isinstance(cell.get("id"), str) else None,
        "execution_count": count if cell_type == CODE else None,
        "outputs": tuple(_checked_output(o) for o in outputs if isinstance(o, dict)),
        "metadata": metadata if isinstance(metadata, dict) else {},
    }


def _build_cells(cells: list[dict[str, Any]], path: str) -> tuple[Cell, ...]:
    return tuple(
        make_cell(
            index,
            cell["cell_type"],
            cell["source"],
            cell_id=cell.get("id"),
            execution_count=cell.get("execution_count"),
            outputs=cell.get("outputs", ()),
            metadata=cell.get("metadata", {}),
        )
        for index, cell in enumerate(cells)
    )


def _require_python(notebook: Notebook) -> None:
    language = kernel_language(notebook.metadata)
    if language and not language.startswith(("python", "ipython")):
        raise UnsupportedNotebookError(
            notebook.path,
            f"kernel language is {language!r}; nb2prod works on Python notebooks only",
        )


def kernel_language(metadata: Mapping[str, Any]) -> str:
    """The notebook's kernel language, lower-cased, or '' when the file does not say."""
    kernelspec = metadata.get("kernelspec")
    language_info = metadata.get("language_info")
    for table in (kernelspec, language_info):
        if isinstance(table, dict):
            value = table.get("language") or (table is language_info and table.get("name"))
            if isinstance(value, str) and value:
                return value.lower()
    return ""


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
