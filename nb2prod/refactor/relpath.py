"""Paths the notebook names: whether they stay inside its folder, and which calls read them.

Pure: nothing here looks at the file system.
"""

from __future__ import annotations

import ast
import re

# calls that read the file they are given first (`open` only in a reading mode)
READ_CALLS = re.compile(r"^(?:read_\w+|load\w*|loadtxt|genfromtxt|imread|open|Image|ZipFile)$")
# calls that delete the file or folder they are given
DELETE_CALLS = frozenset({"remove", "unlink", "rmtree", "rmdir", "removedirs"})
# calls that write (or delete) the file they are given (`open` in a writing mode too)
WRITE_CALLS = re.compile(r"^(?:to_\w+|save\w*|savefig|savetxt|dump|imwrite|makedirs|mkdir|"
                         + "|".join(sorted(DELETE_CALLS)) + ")$")


def stays_inside(path: str) -> bool:
    """A relative path that stays inside the folder it is relative to (``out/a.png``, not
    ``../shared/out.csv``, ``/data/x`` or ``~/x``): the only paths nb2prod creates folders for
    or lists files in."""
    parts = path.replace("\\", "/").split("/")
    return not path.startswith(("/", "~", "\\")) and ".." not in parts


def opens_for_writing(call: ast.Call) -> bool:
    """``open(path, "w")``, ``open(path, mode="r+")``, ``ZipFile(path, "a")``,
    ``Path(p).open("w")``: a mode that writes, or one held in a variable (``open(p, m)``), which
    may."""
    position = 0 if _opens_its_receiver(call) else 1
    modes = [*call.args[position:position + 1],
             *(k.value for k in call.keywords if k.arg == "mode")]
    if not modes:
        return False
    if not (isinstance(modes[0], ast.Constant) and isinstance(modes[0].value, str)):
        return True
    return writing_mode(modes[0].value)


def _opens_its_receiver(call: ast.Call) -> bool:
    """``Path(p).open(mode)``, ``(ROOT / "x").open(mode)``: a path object's own ``open``, whose
    first argument is the mode (``gzip.open(p, mode)`` is a module's: the path comes first)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "open" and not (
        isinstance(func.value, ast.Name) and func.value.id in _MODULES_WITH_OPEN)


_MODULES_WITH_OPEN = frozenset({"io", "os", "gzip", "bz2", "lzma", "codecs", "tarfile", "zipfile",
                                "fsspec", "smart_open", "h5py", "builtins", "webbrowser", "Image",
                                "tokenize", "dbm", "shelve", "wave", "aifc", "sunau"})


def writing_mode(mode: str) -> bool:
    return any(flag in mode for flag in WRITING_FLAGS)


WRITING_FLAGS = "wax+"
# keywords that name the file a call reads or writes: open(file=...), df.to_csv(path_or_buf=...)
FILE_KEYWORDS = frozenset({"file", "path", "path_or_buf", "filepath_or_buffer", "fname",
                           "filename", "io", "excel_writer"})
