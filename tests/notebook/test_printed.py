"""What of a cell's recorded stdout its Python prints, without IPython's own syntax's output."""

from __future__ import annotations

import pytest

from nb2prod.notebook.printed import printed_outside_ipython

PIP = ("Collecting seaborn\n  Downloading seaborn-0.13.2-py3-none-any.whl (294 kB)\n"
       "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 294.9/294.9 kB 5.1 MB/s eta 0:00:00\n"
       "Requirement already satisfied: numpy in /usr/lib/python3/dist-packages (1.26.4)\n"
       "Installing collected packages: seaborn\nSuccessfully installed seaborn-0.13.2\n"
       "Note: you may need to restart the kernel to use updated packages.\n")


@pytest.mark.parametrize(("source", "text", "printed", "unknown"), [
    ("%time x = sum(range(10))\nprint(x)",
     "CPU times: user 3 µs, sys: 1 µs, total: 4 µs\nWall time: 5.96 µs\n45\n", "45\n", ""),
    ("%%time\nprint(2)", "2\nCPU times: user 1 ms, sys: 0 ns, total: 1 ms\nWall time: 1.2 ms\n",
     "2\n", ""),
    ("%timeit x + 1", "10.2 ns ± 0.1 ns per loop (mean ± std. dev. of 7 runs, 100,000,000 loops "
     "each)\n", "", ""),
    ("%timeit -n 3 f()", "The slowest run took 4.52 times longer than the fastest. This could "
     "mean that an intermediate result is being cached.\n1000 loops, best of 3: 1.2 ms per loop\n",
     "", ""),
    ("!pip install seaborn", PIP, "", ""),  # a cell of only installs prints nothing of its own
    ("!pip install -q seaborn\nimport seaborn\nprint('ready')", PIP + "ready\n", "ready\n", ""),
    ("%pip install seaborn\nprint('ready')", PIP + "ready\n", "ready\n", ""),
    ("%pylab inline\nprint(1)",
     "Populating the interactive namespace from numpy and matplotlib\n1\n", "1\n", ""),
    ("%env DATA=/tmp\nprint(1)", "env: DATA=/tmp\n1\n", "1\n", ""),
    ("%matplotlib inline\nprint(1)", "1\n", "1\n", ""),
    ("%whos", "Variable   Type    Data/Info\n", "Variable   Type    Data/Info\n", "`%whos`"),
    ("!ls data\nprint(1)", "a.csv\n1\n", "a.csv\n1\n", "`!ls`"),
    ("%run helpers.py", "loaded\n", "loaded\n", "`%run`"),
    ("print('no magic')", "no magic\n", "no magic\n", ""),
    ("%%writefile plans.csv\nplan,price\nteam,60", "Overwriting plans.csv\n", "", ""),
    # the second hostile review: %%timeit prints its body's output as often as it runs it;
    # %%capture kept what the cell printed; pip-like lines of the user's own
    ("%%timeit -n 2 -r 1\nprint(x)", "3\n3\n1.2 µs ± 0 ns per loop (mean ± std. dev. of 1 run, "
     "2 loops each)\n", "3\n3\n", "`%%timeit`"),
    ("%%capture\nprint('x')", "", "", "`%%capture`"),
    ("!pip install -q requests\nprint('WARNING: n is small')", "WARNING: n is small\n",
     "WARNING: n is small\n", "`!pip`"),
    ("!pip install requests\nprint('Collecting data...')",
     "Requirement already satisfied: requests in /usr/lib (2.31)\nCollecting data...\n",
     "Collecting data...\n", "`!pip`"),
])
def test_ipythons_own_output_is_told_apart(source: str, text: str, printed: str,
                                           unknown: str) -> None:
    assert printed_outside_ipython(source, text) == (printed, unknown)
