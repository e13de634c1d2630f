"""The prefect template: the flow's graph is the plan's step graph (independent branches are
not chained), the project is clean, and, where an environment with Prefect is given, the
generated project's own tests run the flow on Prefect's runner."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENGINE_PYTHON = os.environ.get("NB2PROD_PREFECT_PYTHON", "")


def _convert(notebook: Path, out: Path) -> Path:
    work = out.parent / f"{notebook.stem}-src"
    shutil.copytree(notebook.parent, work)
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(work / notebook.name),
                             "-o", str(out), "--template", "prefect"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out


def _graph(project: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    flow = next((project / "src").glob("*/flow.py"))
    tree = ast.parse(flow.read_text())
    value = next(node.value for node in tree.body if isinstance(node, ast.AnnAssign)
                 and isinstance(node.target, ast.Name) and node.target.id == "GRAPH")
    return ast.literal_eval(value)


def test_the_flow_runs_independent_branches_side_by_side(tmp_path: Path) -> None:
    project = _convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "branches-flow")
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
    assert "submit" in ast.unparse(loops[0]) and "result" not in ast.unparse(loops[0])
    assert "result" in ast.unparse(loops[1])
    readme = (project / "README.md").read_text()
    assert "| `compute_report` | spend_by_age_band, spend_against_income |" in readme
    assert 'prefect = ["prefect>=3,<4"]' in (project / "pyproject.toml").read_text()
    clean = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select",
                            "F,I,E9", "."], cwd=project, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout


@pytest.mark.engine
@pytest.mark.skipif(not ENGINE_PYTHON, reason="set NB2PROD_PREFECT_PYTHON to a Python with Prefect 3")
@pytest.mark.parametrize("notebook", ["churn/churn.ipynb", "branches/branches.ipynb"])
def test_the_generated_flow_runs_on_prefect(tmp_path: Path, notebook: str) -> None:
    project = _convert(EXAMPLES / notebook, tmp_path / "flowproject")
    site = tmp_path / "site"
    install = subprocess.run([ENGINE_PYTHON, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--no-build-isolation", "--target", str(site), str(project)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    run = subprocess.run([ENGINE_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                          "tests"], cwd=project, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stdout[-3000:]
    assert "skipped" not in run.stdout  # the flow test ran on Prefect, not skipped
