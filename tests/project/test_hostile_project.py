"""Hostile inputs to several-notebook convert, verify and check: nothing outside the notebooks'
folder is shipped, a forged plan cannot point verify elsewhere, names never collide."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import write
from tests.project.test_convert_project import ORDERS, nb2prod


def run_tests(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=project, capture_output=True, text=True,
                          env={"PYTHONPATH": str(project / "src"), "PATH": "/usr/bin:/bin"})


def test_notebooks_from_unrelated_folders_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deep").mkdir(parents=True)
    secret = tmp_path / "b" / "secret.txt"
    secret.write_text("do not ship\n")
    first = write(tmp_path / "a", "01_a.ipynb", ["text = open('../b/secret.txt').read()"])
    second = write(tmp_path / "b" / "deep", "02_b.ipynb", ["print(1)"])
    out = tmp_path / "out"
    result = nb2prod("convert", str(first), str(second), "-o", str(out))
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.startswith("error: the notebooks are in different folders")


def test_links_leading_out_of_the_folder_ship_nothing(tmp_path: Path) -> None:
    folder, outside = tmp_path / "F", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "private.csv").write_text("token\nabc\n")
    write(outside, "02_b.ipynb", ["print(2)"])
    write(folder, "01_a.ipynb", ["import pandas as pd\ndf = pd.read_csv('data.csv')", "print(len(df))"])
    (folder / "data.csv").symlink_to(outside / "private.csv")
    (folder / "02_b.ipynb").symlink_to(outside / "02_b.ipynb")
    write(folder, "03_c.ipynb", ["print(3)"])
    out = tmp_path / "out"
    result = nb2prod("convert", str(folder), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "a link to a notebook outside" in result.stderr
    shipped = [p.name for p in (out / "tests").rglob("*") if p.is_file()]
    assert "data.csv" not in shipped and "private.csv" not in shipped
    assert not (out / "src" / "out" / "b.py").exists()


def test_a_forged_plan_cannot_send_verify_outside_the_folder(tmp_path: Path) -> None:
    source, victim = tmp_path / "orders", tmp_path / "victim"
    shutil.copytree(ORDERS, source)
    shutil.copytree(ORDERS, victim)
    project = tmp_path / "project"
    assert nb2prod("convert", str(source), "-o", str(project)).returncode == 0
    plan_file = project / ".nb2prod" / "plan.json"
    plan = json.loads(plan_file.read_text())
    before = sorted(os.listdir(victim))
    for graph in ([[str(victim / "01_get_data.ipynb"), "get_data", []]],
                  [["../victim/01_get_data.ipynb", "get_data", []]], [1], [["a.ipynb", "x"]]):
        plan_file.write_text(json.dumps({**plan, "notebook_graph": graph}))
        result = nb2prod("verify", str(source), str(project), "--runs", "1")
        assert result.returncode == 2, result.stderr
        assert "not a conversion plan nb2prod wrote" in result.stderr
    assert sorted(os.listdir(victim)) == before


def test_different_files_and_a_constant_never_share_a_field(tmp_path: Path) -> None:
    folder = tmp_path / "F"
    for year, rows in (("2023", 1), ("2024", 3)):
        (folder / year).mkdir(parents=True)
        (folder / year / "sales.csv").write_text("n\n" + "1\n" * rows)
    write(folder, "01_a.ipynb", ["import pandas as pd\nprint('a', len(pd.read_csv('2023/sales.csv')))"])
    write(folder, "02_b.ipynb", ["import pandas as pd\nprint('b', len(pd.read_csv('2024/sales.csv')))"])
    write(folder, "03_c.ipynb", ["sales_csv_path = 's3://bucket/x.csv'\nprint(sales_csv_path)"])
    out = tmp_path / "out"
    assert nb2prod("convert", str(folder), "-o", str(out)).returncode == 0
    run = subprocess.run([sys.executable, "-m", "out"], cwd=folder, capture_output=True, text=True,
                         env={"PYTHONPATH": str(out / "src"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["a 1", "b 3", "s3://bucket/x.csv"]


def test_names_that_would_hide_the_pipelines_own(tmp_path: Path) -> None:
    folder = tmp_path / "F"
    folder.mkdir()
    write(folder, "01_run.ipynb", ["# Trace\n", "x = 1\nprint(x)"])
    write(folder, "02_values.ipynb", ["print(2)"])
    write(folder, "03_out.ipynb", ["print(3)"])
    for template in ("default", "script"):
        out = tmp_path / template / "out"  # the package `out`: 03_out must not replace it
        result = nb2prod("convert", str(folder), "-o", str(out), "--template", template)
        assert result.returncode == 0, result.stderr
        names = {p.stem for p in out.rglob("*.py")}
        assert {"run_notebook", "values_notebook", "out_notebook"} <= names, names
    result = run_tests(tmp_path / "default" / "out")
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_file_read_then_written_back_is_shipped_and_the_tests_pass(tmp_path: Path) -> None:
    folder = tmp_path / "F"
    folder.mkdir()
    write(folder, "01_a.ipynb", ["import pandas as pd\ndf = pd.read_csv('state.csv')\n"
                                 "df['n'] = df['n'] + 1", "df.to_csv('state.csv', index=False)"])
    write(folder, "02_b.ipynb", ["print(2)"])
    (folder / "state.csv").write_text("n\n1\n2\n")
    out = tmp_path / "out"
    assert nb2prod("convert", str(folder), "-o", str(out)).returncode == 0
    assert (out / "tests" / "data" / "state.csv").is_file()
    result = run_tests(out)
    assert result.returncode == 0, result.stdout[-2000:]


def test_corrupt_cached_file_uses_are_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "P"
    folder.mkdir()
    write(folder, "a.ipynb", ["import pandas as pd\nd = pd.read_csv('missing.txt')"])
    first = subprocess.run([sys.executable, "-m", "nb2prod", "check", "P"], cwd=tmp_path,
                           capture_output=True, text=True)
    for entry in (tmp_path / ".nb2prod_cache").rglob("*.json"):
        data = json.loads(entry.read_text())
        data["files"]["reads"] = [["missing.txt", -5, -7]]
        entry.write_text(json.dumps(data))
    again = subprocess.run([sys.executable, "-m", "nb2prod", "check", "P", "--show-source"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == first.returncode == 1, again.stderr
    assert "cell 0:line 2" in again.stdout and "Traceback" not in again.stderr
