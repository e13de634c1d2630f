"""The dagster template: one asset per step output, wired from the plan's step graph (the
independent branches are not chained), values kept by an IO manager through the serialization
layer; where an environment with Dagster is given, the project's own tests materialize the
assets in process."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from tests.engines.helpers import (
    EXAMPLES,
    assert_clean,
    convert,
)

ENGINE_PYTHON = os.environ.get("NB2PROD_DAGSTER_PYTHON", "")


def _assets(project: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Each multi-asset: {input: upstream asset key} and its plain dependencies."""
    module = next((project / "src").glob("*/definitions.py"))
    found = {}
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            call = node.decorator_list[0]
            options = {k.arg: k.value for k in call.keywords}
            ins = {ast.literal_eval(key): ast.literal_eval(value.keywords[0].value)
                   for key, value in zip(options["ins"].keys, options["ins"].values, strict=True)}
            found[node.name] = (ins, ast.literal_eval(options["deps"]))
    return found


def test_the_assets_follow_the_step_graph(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "branches" / "branches.ipynb", tmp_path / "branches-assets",
                      "dagster")
    assets = _assets(project)
    assert assets["spend_by_age_band"] == ({"customers": "make_customer_table__customers"}, [])
    assert assets["spend_against_income"] == ({"customers": "make_customer_table__customers"}, [])
    assert assets["compute_report"][0] == {"spend_by_age": "spend_by_age_band__spend_by_age",
                                           "slope": "spend_against_income__slope"}
    # the serialization layer is nb2prod's own module, rendered (and black-formatted), not a copy
    storage = next((project / "src").glob("*/storage.py")).read_text()
    source = (Path(__file__).resolve().parents[2] / "nb2prod" / "storage.py").read_text()
    assert ast.dump(ast.parse(storage)) == ast.dump(ast.parse(source))
    assert 'dagster = ["dagster>=1,<2"' in (project / "pyproject.toml").read_text()
    assert_clean(project)




def test_values_no_file_can_hold_are_named_at_convert_time(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.helpers import code, markdown, notebook_dict

    notebook = tmp_path / "gen.ipynb"
    notebook.write_text(json.dumps(notebook_dict([
        markdown("## Make rows"), code("rows = (n * n for n in range(3))"),
        markdown("## Sum rows"), code("total = sum(rows)\nprint(total)")])))
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(notebook), "-o",
                             str(tmp_path / "out"), "--template", "dagster"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ("warning: step make_rows returns 'rows', a generator: the dagster template saves "
            "values between steps and cannot save it; make it a list") in result.stdout
    assert "- `rows` from `make_rows`: a generator; make it a list" in (
        tmp_path / "out" / "README.md").read_text()


def test_one_asset_group_per_notebook(tmp_path: Path) -> None:
    project = convert(EXAMPLES / "orders", tmp_path / "orders-assets", "dagster")
    text = next((project / "src").glob("*/definitions.py")).read_text()
    for module in ("get_data", "features", "train"):
        assert f'group_name="{module}"' in text
    assert_clean(project)
