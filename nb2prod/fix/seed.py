"""The seed cell ``--fixes seed`` inserts: one line per random generator the notebook imports."""

from __future__ import annotations

import ast

from nb2prod.analysis.astutil import walk
from nb2prod.notebook.model import Notebook

# imported module -> how to seed it through the name the notebook bound it to
_SEEDERS = {"random": "{name}.seed(0)", "numpy": "{name}.random.seed(0)",
            "torch": "{name}.manual_seed(0)", "tensorflow": "{name}.random.set_seed(0)"}


def seed_cell(notebook: Notebook):
    """(NewCell, what it seeds) above the first cell with unseeded randomness, or (None, why
    not). The generators must be imported above that cell, so the new cell can use them."""
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings
    from nb2prod.fix.plan import NewCell

    # only the draws a seed fixes: "without random_state" needs an argument, not a seed cell
    # (and counting it would insert another seed cell on every run)
    flagged = [f.cell for f in check_notebook(notebook, Settings(frozenset({"NB303"})))
               if "without a seed" in f.message]
    if not flagged:
        return None, ""
    first = notebook.cells[min(flagged)]
    rebound = _rebound(notebook)  # `torch = None` after a failed import: torch.seed would fail
    aliases = {module: name for module, name in _imported_above(notebook, first.index).items()
               if name not in rebound}
    lines = [template.format(name=aliases[module]) for module, template in _SEEDERS.items()
             if module in aliases]
    if not lines:
        return None, (f"no seed cell: cell {first.index} uses randomness, but random, numpy, "
                      "torch or tensorflow is not imported in a cell above it")
    seeded = ", ".join(module for module in _SEEDERS if module in aliases)
    source = "# nb2prod: seeded so results repeat (change 0 to vary them)\n" + "\n".join(lines)
    return NewCell(first.index, source), seeded


def _imported_above(notebook: Notebook, limit: int) -> dict[str, str]:
    """Seedable module -> the name a cell above ``limit`` bound it to (``np`` for numpy)."""
    found: dict[str, str] = {}
    for cell in notebook.code_cells:
        if cell.index >= limit or cell.tree is None:
            continue
        for node in walk(cell.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in _SEEDERS and (alias.asname or "." not in alias.name):
                        found.setdefault(alias.name, alias.asname or alias.name)
    return found


def _rebound(notebook: Notebook) -> set[str]:
    """Names some cell binds other than by importing them."""
    from nb2prod.analysis.events import BIND, DELETE, cell_flow

    return {event.name for cell in notebook.code_cells for event in cell_flow(cell).events
            if event.kind in (BIND, DELETE) and not event.imported}
