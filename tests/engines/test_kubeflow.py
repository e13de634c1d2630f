"""The kubeflow template: a Kubeflow Pipelines v2 pipeline, one component per step with typed
artifacts, wired by the plan's step graph; where an environment with kfp is given, the project's
own tests compile it and run it with kfp.local's subprocess runner, and the compiled YAML keeps
the two branches of the branches example apart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.engines.helpers import (
    EXAMPLES,
    assert_clean,
    convert,
    install_project,
    run_in_engine,
)

ENGINE_PYTHON = os.environ.get("NB2PROD_KFP_PYTHON", "")


def test_the_pipeline_is_generated_clean(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "branches-kfp",
                      "kubeflow")
    source = next((project / "src").glob("*/kfp_pipeline.py")).read_text()
    assert "def spend_by_age_band(in_customers: Input[Artifact], out_spend_by_age: Output[Artifact])" \
        in source
    assert 'kubeflow = ["kfp>=2,<3"' in (project / "pyproject.toml").read_text()
    assert_clean(project)


@pytest.mark.engine
@pytest.mark.skipif(not ENGINE_PYTHON, reason="set NB2PROD_KFP_PYTHON to a Python with kfp 2")
def test_the_compiled_pipeline_runs_the_branches_side_by_side(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "kfpproject",
                      "kubeflow")
    site = tmp_path / "site"
    install_project(ENGINE_PYTHON, project, site)
    compiled = tmp_path / "pipeline.yaml"
    run_in_engine(ENGINE_PYTHON, site, "from kfpproject.kfp_pipeline import main\n"
                  f"main([{str(compiled)!r}])", project)
    tasks = yaml.safe_load(compiled.read_text())["root"]["dag"]["tasks"]
    depends = {name: sorted(task.get("dependentTasks", [])) for name, task in tasks.items()}
    assert depends == {"make-customer-table": [],
                       "spend-by-age-band": ["make-customer-table"],
                       "spend-against-income": ["make-customer-table"],
                       "compute-report": ["spend-against-income", "spend-by-age-band"]}

