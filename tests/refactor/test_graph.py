"""The step graph the orchestrator templates run: edges from the data flow, and conservative
edges for in-place changes, files and shared state; independent steps stay unlinked."""

from __future__ import annotations

from pathlib import Path

from nb2prod.notebook import load_notebook
from nb2prod.refactor.graph import independent_pairs
from nb2prod.refactor.planner import PlanOptions, build_plan
from tests.helpers import code, load, markdown

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _after(cells) -> list[tuple[int, ...]]:
    """Each step's predecessors, as positions in the step list (names vary with the code)."""
    steps = build_plan(load(cells), PlanOptions("demo", "demo", date="2026-01-01")).steps
    position = {step.name: index for index, step in enumerate(steps)}
    return [tuple(position[name] for name in step.after) for step in steps]


def _plan(path: Path):
    return build_plan(load_notebook(str(path)), PlanOptions("demo", "demo", date="2026-01-01"))


def test_the_churn_example_is_a_chain_and_the_branches_example_forks() -> None:
    churn = _plan(EXAMPLES / "churn" / "churn.ipynb")
    assert [s.after for s in churn.steps] == [(), *((s.name,) for s in churn.steps[:-1])]
    assert independent_pairs(churn.steps) == []
    branches = _plan(EXAMPLES / "branches" / "branches.ipynb")
    after = {s.name: s.after for s in branches.steps}
    assert after == {"make_customer_table": (),
                     "spend_by_age_band": ("make_customer_table",),
                     "spend_against_income": ("make_customer_table",),
                     "compute_report": ("spend_by_age_band", "spend_against_income")}
    assert independent_pairs(branches.steps) == [("spend_by_age_band", "spend_against_income")]


def _two_readers(first: str, second: str) -> list[dict]:
    return [code("import numpy as np\nimport pandas as pd"),
            markdown("## Load"), code("df = pd.DataFrame({'a': [1, 2]})"),
            markdown("## First"), code(first),
            markdown("## Second"), code(second)]


def test_two_readers_of_one_value_are_independent() -> None:
    after = _after(_two_readers("total = df['a'].sum()\nprint(total)",
                                "top = df.sort_values('a').head(1)\nprint(top)"))
    assert after == [(), (0,), (0,)]


def test_an_in_place_change_orders_the_steps_sharing_the_value() -> None:
    assert _after(_two_readers("df['b'] = df['a'] * 2", "print(df.columns)")) == [(), (0,), (1,)]
    assert _after(_two_readers("print(df.columns)", "df.dropna(inplace=True)")) == [(), (0,), (1,)]


def test_shared_state_and_files_order_steps() -> None:
    chained = [(), (0,), (1,)]
    # one random generator: the draws depend on the order (neither step reads df)
    assert _after(_two_readers("a = np.random.rand()\nprint(a)",
                               "b = np.random.rand()\nprint(b)")) == [(), (), (1,)]
    assert _after(_two_readers("df.to_csv('out.csv')",
                               "back = pd.read_csv('out.csv')\nprint(back)")) == chained
    assert _after(_two_readers("df.plot()", "df.hist()")) == chained  # matplotlib's figure


# the hostile review's cases: a setup step, a step that changes something, a step that reads it
# (each would give another result if the last two ran side by side)
INTERACTIONS = {
    "an alias": ("a = [1]\nb = a", "a.append(10)", "print(len(b))"),
    "heapq": ("import heapq\nh = [5]", "heapq.heappush(h, 1)", "print(h[0])"),
    "an in-place shuffle": ("import numpy as np\narr = np.arange(5)", "np.random.shuffle(arr)",
                            "print(arr[0])"),
    "rows of a list": ("rows = [[1], [2]]", "for r in rows:\n    r.append(0)",
                       "print(len(rows[0]))"),
    "the environment": ("import os", "os.environ['MODE'] = 'prod'",
                        "print(os.environ.get('MODE'))"),
    "the working folder": ("import os", "os.chdir('sub')", "print(open('v.txt').read())"),
    "pandas options": ("import pandas as pd\ndf = pd.DataFrame({'a': [1.23456]})",
                       "pd.set_option('display.precision', 2)", "print(df.to_string())"),
    "a file": ("import os", "open('flag.txt', 'w').write('x')",
               "print(os.path.exists('flag.txt'))"),
    "a notebook function's global": (
        "REGISTRY = []\ndef register(x):\n    REGISTRY.append(x)", "register(1)",
        "print(len(REGISTRY))"),
}


def test_steps_that_interact_through_state_are_never_side_by_side() -> None:
    for case, (setup, change, read) in INTERACTIONS.items():
        cells = [markdown("## Setup"), code(setup), markdown("## Change"), code(change),
                 markdown("## Read"), code(read)]
        steps = build_plan(load(cells), PlanOptions("demo", "demo", date="2026-01-01")).steps
        changer = next(s for s in steps if s.name == "change")  # named from the headings
        reader = next(s for s in steps if s.name == "read")
        ancestors, todo = set(), list(reader.after)
        while todo:
            name = todo.pop()
            ancestors.add(name)
            todo += next(s for s in steps if s.name == name).after
        assert changer.name in ancestors, case
