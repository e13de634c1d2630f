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
    """``open(path, "w")``, ``open(path, mode="r+")``, ``ZipFile(path, "a")``: a mode that
    writes."""
    modes = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "mode")]
    return bool(modes) and isinstance(modes[0], ast.Constant) and isinstance(
        modes[0].value, str) and writing_mode(modes[0].value)


def writing_mode(mode: str) -> bool:
    return any(flag in mode for flag in WRITING_FLAGS)


WRITING_FLAGS = "wax+"
# keywords that name the file a call reads or writes: open(file=...), df.to_csv(path_or_buf=...)
FILE_KEYWORDS = frozenset({"file", "path", "path_or_buf", "filepath_or_buffer", "fname",
                           "filename", "io", "excel_writer"})
