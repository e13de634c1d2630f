"""Every orchestrator template, on its own engine: the generated project's tests run it on the
engine's local runner (churn, branches and the orders folder), and `nb2prod verify` runs the churn
notebook and the project through the engine and finds them the same. Each engine's Python comes
from an environment variable (`.ci/run` builds the environments); without it the test skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.engines.helpers import EXAMPLES, convert, run_project_tests, verify_on_engine

# template -> (the variable naming a Python with its engine, the engine as verify names it)
ENGINES = {"prefect": ("NB2PROD_PREFECT_PYTHON", "prefect"),
           "dagster": ("NB2PROD_DAGSTER_PYTHON", "dagster"),
           "airflow": ("NB2PROD_AIRFLOW_PYTHON", "airflow"),
           "kubeflow": ("NB2PROD_KFP_PYTHON", "kubeflow")}


def engine_python(template: str) -> str:
    python = os.environ.get(ENGINES[template][0], "")
    if not python:
        pytest.skip(f"set {ENGINES[template][0]} to a Python with the {template} engine")
    return python


# the examples (orders: three notebooks as one project, each waiting for the files of the one
# before), and a step that changes a value in place (df.insert) without returning it: an
# engine that passes values as files must save it again for the step after it
NOTEBOOKS = [EXAMPLES / "churn" / "churn.ipynb", EXAMPLES / "branches" / "branches.ipynb",
             EXAMPLES / "orders",
             Path(__file__).resolve().parents[1] / "data" / "inplace" / "inplace.ipynb"]


@pytest.mark.engine
@pytest.mark.parametrize("template", ENGINES)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_generated_project_runs_on_its_engine(tmp_path: Path, template: str,
                                                  notebook: Path) -> None:
    python = engine_python(template)
    project = convert(notebook, tmp_path / "engineproject", template)
    run_project_tests(python, project, tmp_path / "site")


@pytest.mark.engine
@pytest.mark.parametrize("template", ENGINES)
def test_verify_runs_the_project_through_its_engine(tmp_path: Path, template: str) -> None:
    verify_on_engine(engine_python(template), tmp_path, template, ENGINES[template][1])
