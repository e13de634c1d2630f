"""NB501-NB503: problems between the notebooks of a folder, only when check is given a folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import write


def check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", "check", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "analysis"
    folder.mkdir()
    write(folder, "01_train.ipynb", ["import pandas as pd", "f = pd.read_csv('features.csv')",
                                     "f.to_csv('model.csv')"])
    write(folder, "02_features.ipynb", ["import pandas as pd", "r = pd.read_csv('raw.csv')",
                                        "r.to_csv('features.csv')"])
    write(folder, "03_report.ipynb", ["import pandas as pd", "m = pd.read_csv('model.csv')",
                                      "s = pd.read_csv('styles.csv')"])
    (folder / "styles.csv").write_text("a\n1\n")
    return folder


def test_a_folder_reports_missing_producers_and_reads_before_writes(tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = check("analysis", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        "analysis/01_train.ipynb:cell 1:line 1:col 1: NB502 reads 'features.csv', which "
        "02_features.ipynb writes, but comes before 02_features.ipynb by file name",
        "analysis/02_features.ipynb:cell 1:line 1:col 1: NB501 reads 'raw.csv', which no notebook "
        "in analysis writes and which is not there",
    ]
    # styles.csv is there, model.csv is written by a notebook named before the reader
    assert "styles.csv" not in result.stdout and "model.csv" not in result.stdout
    (folder / "raw.csv").write_text("a\n1\n")
    assert "NB501" not in check("analysis", "--no-cache", cwd=tmp_path).stdout


def test_single_files_as_a_pre_commit_hook_passes_them_get_no_folder_rules(tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = check(*sorted(p.name for p in folder.glob("*.ipynb")), cwd=folder)
    assert result.returncode == 0, result.stdout
    assert "NB50" not in result.stdout


def test_a_cycle_is_reported_on_both_notebooks_also_from_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "loop"
    folder.mkdir()
    write(folder, "a.ipynb", ["import pandas as pd", "x = pd.read_csv('b.csv')", "x.to_csv('a.csv')"])
    write(folder, "b.ipynb", ["import pandas as pd", "x = pd.read_csv('a.csv')", "x.to_csv('b.csv')"])
    first = check("loop", "--format", "json", cwd=tmp_path)
    again = check("loop", "--format", "json", cwd=tmp_path)  # answered from .nb2prod_cache
    assert (tmp_path / ".nb2prod_cache").is_dir()
    for result in (first, again):
        found = json.loads(result.stdout)
        assert [(f["code"], Path(f["path"]).name) for f in found] == [("NB503", "a.ipynb"),
                                                                      ("NB503", "b.ipynb")]
        assert result.returncode == 1


def test_folder_rules_follow_select_and_ignore(tmp_path: Path) -> None:
    project(tmp_path)
    assert "NB50" not in check("analysis", "--ignore", "NB5", "--no-cache", cwd=tmp_path).stdout
    only = check("analysis", "--select", "NB501", "--no-cache", cwd=tmp_path)
    assert [line.split(": ")[1].split()[0] for line in only.stdout.splitlines()[:-1]] == ["NB501"]
