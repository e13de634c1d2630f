"""The prefect template: the flow's graph is the plan's step graph (independent branches are
not chained), the project is clean, and, where an environment with Prefect is given, the
generated project's own tests run the flow on Prefect's runner."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from tests.engines.helpers import (
    EXAMPLES,
    assert_clean,
    convert,
)

ENGINE_PYTHON = os.environ.get("NB2PROD_PREFECT_PYTHON", "")


def _graph(project: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    flow = next((project / "src").glob("*/flow.py"))
    tree = ast.parse(flow.read_text())
    value = next(node.value for node in tree.body if isinstance(node, ast.AnnAssign)
                 and isinstance(node.target, ast.Name) and node.target.id == "GRAPH")
    return ast.literal_eval(value)


def test_the_flow_runs_independent_branches_side_by_side(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "branches-flow",
                      "prefect")
    graph = _graph(project)
    assert graph["spend_by_age_band"] == ({"customers": "make_customer_table"},
                                          ["make_customer_table"])
    assert graph["spend_against_income"] == ({"customers": "make_customer_table"},
                                             ["make_customer_table"])
    assert graph["compute_report"][1] == ["spend_by_age_band", "spend_against_income"]
    # every task is submitted in the first loop; results are waited for only after it
    flow = ast.parse((project / "src" / "branches_flow" / "flow.py").read_text())
    function = next(n for n in flow.body if isinstance(n, ast.FunctionDef)
                    and n.name == "pipeline_flow")
    loops = [n for n in function.body if isinstance(n, ast.For)]
    assert len(loops) == 1 and "submit" in ast.unparse(loops[0])
    assert "result" not in ast.unparse(loops[0])
    assert "result" in ast.unparse(function.body[-1])  # the return, after the loop
    readme = (project / "README.md").read_text()
    assert "| `compute_report` | spend_by_age_band, spend_against_income |" in readme
    assert 'prefect = ["prefect>=3,<4"]' in (project / "pyproject.toml").read_text()
    assert_clean(project)




def test_a_notebooks_steps_wait_for_the_notebooks_whose_files_it_reads(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "orders", tmp_path / "orders-flow", "prefect")
    graph = _graph(project)
    assert graph["get_data_step"] == ({}, [])
    assert graph["features_step"] == ({}, ["get_data_step"])
    assert graph["train_step"] == ({}, ["features_step"])
    flow = next((project / "src").glob("*/flow.py")).read_text()
    assert '"tags": [GROUPS[name]]' in flow and '"train_step": "train"' in flow  # tag per notebook
    assert_clean(project)
