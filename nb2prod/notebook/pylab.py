"""What ``%pylab`` and ``from pylab import *`` bind: about 900 numpy and matplotlib names, read
from ``pylab_names.tsv`` (written by ``scripts/update_pylab_names.py``), each with the explicit
import that binds it the same way. ``check`` treats them as defined; ``convert`` writes the imports
a notebook's code actually uses."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

PYLAB_MODULES = frozenset({"pylab", "matplotlib.pylab"})


@lru_cache(maxsize=1)
def pylab_imports() -> dict[str, str]:
    """name -> the import statement that binds it as %pylab does."""
    text = resources.files("nb2prod.notebook").joinpath("pylab_names.tsv").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, statement = line.partition("\t")
            table[name] = statement
    return table


def pylab_names() -> tuple[str, ...]:
    return tuple(pylab_imports())
