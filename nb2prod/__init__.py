"""nb2prod: turn real Jupyter notebooks into production code."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

__all__ = ["__version__", "templates_dir"]


def templates_dir() -> Path:
    """The folder holding the bundled project templates.

    An installed wheel carries them as ``nb2prod/templates``; a source checkout or an
    editable install keeps them in the top-level ``templates/`` folder next to the package.
    """
    packaged = Path(__file__).resolve().parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"
