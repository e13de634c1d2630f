"""Write nb2prod/notebook/pylab_names.tsv: every name `%pylab` (and `from pylab import *`) binds,
with the import that binds it explicitly.

    python scripts/update_pylab_names.py

Needs numpy and matplotlib installed. The table binds names as `from pylab import *` does (convert
writes `%pylab` as that plus `from numpy import *`). IPython's `%pylab` runs `from pylab import *`
and `from numpy import *` and adds `np`, `plt`, `mlab`, `pyplot`, `numpy`, `matplotlib`, `display`,
`figsize` and `getfigs`; matplotlib.pylab itself star-imports pyplot, then numpy, numpy.fft,
numpy.random and numpy.linalg (the last one wins), then restores the builtins numpy shadows.
Each name is traced to the first of those modules (in reverse import order) that holds the very
same object, so the explicit import binds what `%pylab` bound.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "nb2prod" / "notebook" / "pylab_names.tsv"
SOURCES = ("numpy.linalg", "numpy.random", "numpy.fft", "numpy", "matplotlib.pyplot")
IPYTHON_EXTRAS = {
    "np": "import numpy as np", "plt": "import matplotlib.pyplot as plt",
    "numpy": "import numpy", "matplotlib": "import matplotlib",
    "pyplot": "from matplotlib import pyplot", "mlab": "from matplotlib import mlab",
    "display": "from IPython.display import display",
    "figsize": "from IPython.core.pylabtools import figsize",
    "getfigs": "from IPython.core.pylabtools import getfigs",
}


def star_names(module) -> list[str]:
    return list(getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")])


def main() -> int:
    pylab = importlib.import_module("matplotlib.pylab")
    numpy = importlib.import_module("numpy")
    modules = [importlib.import_module(name) for name in SOURCES]
    names = set(star_names(pylab)) | set(star_names(numpy))
    rows = dict(IPYTHON_EXTRAS)
    for name in sorted(names - set(rows)):
        # `from pylab import *` binds pylab's object; %pylab then runs `from numpy import *`, which
        # convert writes as a second star import, resolved against numpy itself
        value = getattr(pylab, name) if name in star_names(pylab) else getattr(numpy, name)
        if getattr(builtins, name, object()) is value:
            continue  # pylab restores the builtins numpy shadows: nothing to import
        if inspect.ismodule(value) and value.__name__ == name:
            rows[name] = f"import {name}"
            continue
        source = next((m.__name__ for m in modules
                       if name in star_names(m) and getattr(m, name, None) is value), None)
        if source is None:
            source = "matplotlib.pylab"
        rows[name] = f"from {source} import {name}"
    lines = [f"{name}\t{statement}" for name, statement in sorted(rows.items())]
    header = ("# name<TAB>the import that binds it as %pylab does; written by "
              "scripts/update_pylab_names.py")
    TABLE.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    print(f"wrote {TABLE} ({len(lines)} names)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
