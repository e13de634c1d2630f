"""Where a path the notebook wrote points: the one test of "inside the notebook's folder".

Pure text: nothing here looks at the file system.
"""

from __future__ import annotations


def stays_inside(path: str) -> bool:
    """A relative path that stays inside the folder it is relative to (``out/a.png``, not
    ``../shared/out.csv``, ``/data/x`` or ``~/x``): the only paths nb2prod creates folders for
    or lists files in."""
    parts = path.replace("\\", "/").split("/")
    return not path.startswith(("/", "~", "\\")) and ".." not in parts
