"""The notebook model: the only package that knows the ``.ipynb`` and percent ``.py`` formats."""

from nb2prod.notebook.ipysyntax import Magic, Translation, translate
from nb2prod.notebook.load import NOTEBOOK_SUFFIXES, load_notebook, loads_ipynb
from nb2prod.notebook.model import Cell, CellSyntaxError, Notebook

__all__ = [
    "NOTEBOOK_SUFFIXES",
    "Cell",
    "CellSyntaxError",
    "Magic",
    "Notebook",
    "Translation",
    "load_notebook",
    "loads_ipynb",
    "translate",
]
