"""Property tests: random notebooks never crash check; clean top-down notebooks are never flagged."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod.api import check_notebook
from nb2prod.config import Settings
from nb2prod.rules import ALL_RULES
from tests.helpers import code, load, markdown

SNIPPETS = [
    "x = 1", "y = x + 1", "print(z)", "def f(a):\n    return a + x", "f(2)", "del x",
    "%matplotlib inline", "!pip install pandas", "files = !ls", "%%time\nq = [i for i in range(3)]",
    "df = df.dropna()", "for i in range(3):\n    total = i", "class K:\n    v = x", "import os.path",
    "from math import *", "if x:\n    w = 1\nelse:\n    print(w)", "lambda: undefined", "def f(:",
    "%%bash\necho hi", "x?", "/print x", "try:\n    u\nexcept NameError:\n    u = 0", "(a := 3)",
    "match x:\n    case [p, *r]:\n        print(p)", "global g\ng = 1", "async def h():\n    await k",
    "'''\n%not magic\n'''", "x += 1", "import numpy as np\nnp.random.rand()", "input()", "",
]

cells_strategy = st.lists(
    st.tuples(st.sampled_from(SNIPPETS), st.one_of(st.none(), st.integers(-1, 60)),
              st.booleans()),
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells_strategy)
def test_random_notebooks_never_crash(cells) -> None:
    built = [markdown("# note") if is_md else code(src, count) for src, count, is_md in cells]
    result = check_notebook(load(built), Settings(frozenset(ALL_RULES)))
    assert all(finding.code in ALL_RULES for finding in result)


@st.composite
def clean_notebooks(draw):
    """Cells run 1..n top to bottom, each reading only names bound in a cell above it."""
    defined: list[str] = []
    sources = []
    for index in range(draw(st.integers(1, 15))):
        kind = draw(st.sampled_from(["assign", "use", "function", "loop", "comprehension"]))
        used = draw(st.lists(st.sampled_from(defined), max_size=3)) if defined else []
        expression = " + ".join(used) or str(index)
        name = f"v{index}"
        if kind == "assign" or not defined:
            sources.append(f"{name} = {expression}")
            defined.append(name)
        elif kind == "use":
            sources.append(f"print({expression})")
        elif kind == "function":
            sources.append(f"def {name}(a):\n    return a + {expression}\n\nr{index} = {name}(1)")
            defined += [name, f"r{index}"]
        elif kind == "loop":
            sources.append(f"acc{index} = 0\nfor item in range(3):\n    acc{index} += item + {expression}")
            defined += [f"acc{index}", "item"]
        else:
            sources.append(f"{name} = [k * ({expression}) for k in range(2)]")
            defined.append(name)
    return [code(src, n) for n, src in enumerate(sources, 1)]


@settings(max_examples=150, deadline=None)
@given(clean_notebooks())
def test_clean_top_down_notebooks_have_no_hidden_state_findings(cells) -> None:
    codes = frozenset(c for c in ALL_RULES if c.startswith(("NB1", "NB2")))
    assert check_notebook(load(cells), Settings(codes)) == ()
