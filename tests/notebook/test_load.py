"""Loading .ipynb (v4 and v3) and percent-format .py files into the notebook model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.errors import NotebookReadError, UnsupportedNotebookError
from nb2prod.notebook import load_notebook, loads_ipynb
from tests.helpers import DATA, code, markdown, notebook_dict

REAL = DATA / "real"


def test_real_notebook_cells_are_indexed_over_all_cells() -> None:
    notebook = load_notebook(REAL / "tree_correlation.ipynb")
    assert len(notebook.cells) == 23
    assert [c.index for c in notebook.cells] == list(range(23))
    assert notebook.cells[0].cell_type == "markdown"
    first_code = notebook.code_cells[0]
    assert (first_code.index, first_code.execution_count) == (3, 1)
    assert notebook.cells[5].source.startswith("# Read the dataset")
    assert notebook.python_version == "3.8"


def test_commented_out_shell_line_stays_a_comment() -> None:
    notebook = load_notebook(REAL / "tree_correlation.ipynb")
    assert notebook.cells[3].magics == ()
    assert notebook.cells[3].python.startswith("#!pip install -qq dtreeviz")


def test_leading_comma_inside_a_call_is_not_autocall() -> None:
    notebook = load_notebook(REAL / "tree_correlation.ipynb")
    assert notebook.cells[16].syntax_error is None


def test_zero_execution_counts_mean_not_executed() -> None:
    notebook = load_notebook(REAL / "pca_zero_counts.ipynb")
    counts = [c.execution_count for c in notebook.code_cells]
    assert counts == [1, 2, None, 3, None, 7, None]


def test_cell_fields_ids_tags_outputs() -> None:
    raw = notebook_dict([
        markdown("# Title"),
        {**code("x = 1", 3, [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
                tags=["parameters"]), "id": "abc"},
    ])
    notebook = loads_ipynb(json.dumps(raw))
    cell = notebook.cells[1]
    assert (cell.id, cell.execution_count, cell.tags) == ("abc", 3, ("parameters",))
    assert cell.outputs[0]["text"] == "1\n"
    assert notebook.cells[0].python == ""


def test_syntax_error_cell_is_kept_and_flagged_with_original_line() -> None:
    notebook = loads_ipynb(json.dumps(notebook_dict(["%matplotlib inline\nx = 1\ndef f(:\n"])))
    error = notebook.cells[0].syntax_error
    assert error is not None and error.line == 3
    assert notebook.cells[0].tree is None


def test_deeply_nested_code_is_a_syntax_finding_not_a_crash() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    notebook = loads_ipynb(json.dumps(notebook_dict([deep])))
    assert notebook.cells[0].syntax_error is not None


def test_nbformat_3_is_upgraded() -> None:
    v3 = {
        "nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
        "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Old"},
            {"cell_type": "code", "input": "x = 1\nprint(x)", "language": "python",
             "metadata": {}, "outputs": [], "prompt_number": 4},
        ]}],
    }
    notebook = loads_ipynb(json.dumps(v3))
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code"]
    assert notebook.cells[1].source == "x = 1\nprint(x)"
    assert notebook.cells[1].execution_count == 4


def test_percent_format_script(tmp_path: Path) -> None:
    script = tmp_path / "analysis.py"
    script.write_text(
        "# ---\n# jupyter:\n#   kernelspec:\n#     language: python\n#     name: python3\n# ---\n\n"
        "# %% [markdown]\n# # Churn\n# Some text\n\n"
        "# %% tags=[\"parameters\"]\nDATA = 'x.csv'\n\n"
        "# %%\n# %matplotlib inline\n# !pip install pandas\nimport pandas as pd\n",
        encoding="utf-8",
    )
    notebook = load_notebook(script)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code"]
    assert notebook.cells[0].source == "# Churn\nSome text"
    assert notebook.cells[1].tags == ("parameters",)
    assert [m.name for m in notebook.cells[2].magics] == ["matplotlib", "!"]
    assert notebook.source_format == "percent"
    assert notebook.file_line(2, 3) == 18  # "import pandas as pd"


def test_ipynb_cell_lines_map_to_file_lines() -> None:
    path = REAL / "tree_correlation.ipynb"
    notebook = load_notebook(path)
    file_lines = path.read_text(encoding="utf-8").splitlines()
    line = notebook.file_line(5, 3)
    assert line is not None
    assert "df = pd.read_csv" in file_lines[line - 1]


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "file is empty"),
    (b"this is not json {", "not valid JSON"),
    (b"[1, 2, 3]", "expected a JSON object, found a list"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(), "no 'cells' list"),
    (json.dumps({**notebook_dict([]), "nbformat": 99}).encode(), "nbformat 99 is not supported"),
    (bytes(range(256)) * 8, "not UTF-8"),
    ("{\"s\": \"caf\u00e9\"}".encode("latin-1"), "not UTF-8"),
    (json.dumps(notebook_dict([{"cell_type": "code", "metadata": {}, "outputs": []}])).encode(),
     "cell 0: 'source' is missing"),
    (json.dumps(notebook_dict([{**code("x"), "cell_type": "widget"}])).encode(),
     "cell 0: unknown cell_type 'widget'"),
])
def test_unreadable_files_give_one_line_reasons(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookReadError) as info:
        load_notebook(path)
    message = str(info.value)
    assert reason in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(NotebookReadError, match="no such file"):
        load_notebook(tmp_path / "missing.ipynb")
    (tmp_path / "folder.ipynb").mkdir()
    with pytest.raises(NotebookReadError, match="is a directory"):
        load_notebook(tmp_path / "folder.ipynb")


def test_r_kernel_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "r.ipynb"
    raw = notebook_dict(["x <- c(1, 2)"], kernelspec={"name": "ir", "language": "R"},
                        language_info={"name": "R"})
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(UnsupportedNotebookError, match="kernel language is 'r'"):
        load_notebook(path)
