"""The airflow template: an Airflow 3 TaskFlow DAG whose edges are the plan's step graph (the
independent branches are not chained), values exchanged as files through the serialization
layer; where an environment with Airflow is given, the project's own tests run the DAG with
`dag.test()` on a SQLite metadata database."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from tests.engines.helpers import (
    EXAMPLES,
    assert_clean,
    convert,
    install_project,
    run_in_engine,
)

ENGINE_PYTHON = os.environ.get("NB2PROD_AIRFLOW_PYTHON", "")


def _graph(project: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    module = next((project / "src").glob("*/dag.py"))
    value = next(node.value for node in ast.parse(module.read_text()).body
                 if isinstance(node, ast.AnnAssign) and node.target.id == "GRAPH")
    return ast.literal_eval(value)


def test_the_dag_follows_the_step_graph(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "branches-dag",
                      "airflow")
    graph = _graph(project)
    assert graph["spend_by_age_band"][1] == graph["spend_against_income"][1] == [
        "make_customer_table"]
    assert 'airflow = ["apache-airflow>=3,<4"' in (project / "pyproject.toml").read_text()
    assert_clean(project)


@pytest.mark.engine
@pytest.mark.skipif(not ENGINE_PYTHON, reason="set NB2PROD_AIRFLOW_PYTHON to a Python with Airflow 3")
def test_airflow_builds_the_branches_side_by_side(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "dagproject", "airflow")
    site = tmp_path / "site"
    install_project(ENGINE_PYTHON, project, site)
    home = tmp_path / "home"
    upstream = json.loads(run_in_engine(ENGINE_PYTHON, site, (
        f"import os, json; os.environ['AIRFLOW_HOME'] = {str(home)!r}\n"
        "from dagproject.dag import pipeline_dag\n"
        "print(json.dumps({t.task_id: sorted(t.upstream_task_ids) "
        "for t in pipeline_dag.tasks}))"), project))
    assert upstream == {"make_customer_table": [],
                        "spend_by_age_band": ["make_customer_table"],
                        "spend_against_income": ["make_customer_table"],
                        "compute_report": ["spend_against_income", "spend_by_age_band"]}



def test_a_notebooks_tasks_wait_for_the_notebooks_whose_files_it_reads(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "orders", tmp_path / "orders-dag", "airflow")
    graph = _graph(project)
    assert graph["train_step"][1] == ["features_step"]
    assert graph["features_step"][1] == ["get_data_step"]
    module = next((project / "src").glob("*/dag.py"))
    groups = next(node.value for node in ast.parse(module.read_text()).body
                  if isinstance(node, ast.AnnAssign) and node.target.id == "GROUPS")
    assert ast.literal_eval(groups) == {"get_data_step": "get_data", "features_step": "features",
                                        "train_step": "train"}  # a task group per notebook
    assert_clean(project)
