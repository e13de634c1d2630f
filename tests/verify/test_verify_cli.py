"""`nb2prod verify` on real runs: agreement, a broken step, tolerance, failing and slow notebooks,
and values that differ between two runs of the notebook itself."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.errors import UsageError
from nb2prod.verify.execute import _load_dumps
from tests.helpers import code, markdown, stream, write

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def nb2prod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True,
                          cwd=cwd, check=False, timeout=300)


def make(tmp_path: Path, cells) -> tuple[Path, Path]:
    notebook = write(tmp_path, "analysis.ipynb", cells)
    project = tmp_path / "project"
    result = nb2prod("convert", str(notebook), "-o", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return notebook, project


CELLS = [
    markdown("## Data"), code("values = [1.5, 2.5, 3.5]\nprint(len(values))", 1),
    markdown("## Scale"), code("scaled = [v * 2 for v in values]\ntotal = sum(scaled)\nprint(total)", 2),
]


def test_same_values_exit_0(tmp_path: Path) -> None:
    notebook, project = make(tmp_path, CELLS)
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {(r["step"], r["name"]): r["status"] for r in json.loads(result.stdout)}
    assert rows == {("data", "values"): "equal", ("scale", "scaled"): "equal",
                    ("scale", "total"): "equal", ("(all)", "stdout"): "equal"}


def test_a_broken_step_is_detected_and_tolerance_applies(tmp_path: Path) -> None:
    notebook, project = make(tmp_path, CELLS)
    pipeline = project / "src" / "project" / "pipeline.py"
    pipeline.write_text(pipeline.read_text().replace("v * 2", "v * 2.0000001"))
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert "DIFFERENT" in result.stdout and "scaled" in result.stdout
    loose = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--rtol", "1e-5",
                    "--format", "json", cwd=tmp_path)
    rows = {r["name"]: r["status"] for r in json.loads(loose.stdout)}
    assert rows["scaled"] == "equal" and rows["total"] == "equal"
    assert rows["stdout"] == "differs"  # the printed total shows the change
    assert loose.returncode == 1


def test_a_failing_notebook_is_reported_with_its_cell(tmp_path: Path) -> None:
    # verify gave up at the first failure; what ran before it is now compared
    cells = [code("x = [1, 2]\nprint(len(x))", 1, [stream("2\n")]),
             code("y = {}\nprint(y['missing'])", 2), code("z = len(x) + 1\nprint(z)", 3)]
    notebook, project = make(tmp_path, cells)
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json",
                     cwd=tmp_path)
    assert result.returncode == 1
    rows = {r["name"]: (r["status"], r["detail"]) for r in json.loads(result.stdout)}
    assert rows["x"] == ("equal", "")
    assert rows["z"] == ("not comparable", "not compared: the notebook stopped before this step")
    assert ("the notebook itself fails at cell 1: KeyError: 'missing'; the values captured "
            "before it were compared") in result.stderr
    assert "Traceback" not in result.stderr
    text = nb2prod("verify", str(notebook), str(project), "--runs", "1", cwd=tmp_path)
    assert "INCOMPLETE: 1 equal, 0 different" in text.stdout and text.returncode == 1


def test_a_project_that_stops_early_is_compared_up_to_there(tmp_path: Path) -> None:
    cells = [code("x = [1, 2]\nprint(len(x))", 1, [stream("2\n")]),
             code("z = len(x) + 1\nprint(z)", 2, [stream("3\n")])]
    notebook, project = make(tmp_path, cells)
    pipeline = next(project.glob("src/*/pipeline.py"))
    pipeline.write_text(pipeline.read_text().replace("z = len(x) + 1", "z = len(x) + {}['k']"))
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json",
                     cwd=tmp_path)
    assert result.returncode == 1
    rows = {r["name"]: (r["status"], r["detail"]) for r in json.loads(result.stdout)}
    assert rows["x"] == ("equal", "") and rows["z"] == ("missing", "the project stopped before "
                                                        "this step")
    assert "the generated project fails: KeyError: 'k'" in result.stderr


def test_a_slow_cell_times_out(tmp_path: Path) -> None:
    cells = [code("import time\ntime.sleep(30)", 1)]
    notebook, project = make(tmp_path, cells)
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--cell-timeout", "2",
                     cwd=tmp_path)
    assert result.returncode == 1 and "timeout" in result.stderr


def test_values_that_change_between_notebook_runs_are_marked_not_failed(tmp_path: Path) -> None:
    cells = [code("import random\nsample = random.random()", 1), code("doubled = sample * 2", 2)]
    notebook, project = make(tmp_path, cells)
    result = nb2prod("verify", str(notebook), str(project), "--format", "json", cwd=tmp_path)
    rows = {r["name"]: r["status"] for r in json.loads(result.stdout)}
    assert rows["sample"] == "non-deterministic"
    assert result.returncode == 0


def test_a_folder_that_is_not_a_converted_project(tmp_path: Path) -> None:
    notebook = write(tmp_path, "a.ipynb", CELLS)
    result = nb2prod("verify", str(notebook), str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "not a project made by `nb2prod convert`" in result.stderr


def test_instances_of_notebook_classes_compare_by_state(tmp_path: Path) -> None:
    cells = [code("class Box:\n    def __init__(self, v):\n        self.v = v", 1),
             code("box = Box([1, 2])\nprint(box.v)", 2), code("size = len(box.v)", 3)]
    notebook, project = make(tmp_path, cells)
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json", cwd=tmp_path)
    rows = {r["name"]: r["status"] for r in json.loads(result.stdout)}
    assert rows["box"] == "equal" and result.returncode == 0, result.stdout + result.stderr


def test_files_the_runs_write_are_compared(tmp_path: Path) -> None:
    cells = [code("total = sum([1, 2, 3])", 1),
             code("with open('result.txt', 'w') as fh:\n    fh.write(str(total))", 2)]
    notebook, project = make(tmp_path, cells)
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json", cwd=tmp_path)
    files = {r["name"]: r["status"] for r in json.loads(result.stdout) if r["step"] == "(files)"}
    assert files == {"result.txt": "equal"} and result.returncode == 0
    pipeline = project / "src" / "project" / "pipeline.py"
    pipeline.write_text(pipeline.read_text().replace("fh.write(str(total))", "fh.write(str(total + 1))"))
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json", cwd=tmp_path)
    files = {r["name"]: r["status"] for r in json.loads(result.stdout) if r["step"] == "(files)"}
    assert files == {"result.txt": "differs"} and result.returncode == 1
    assert not (notebook.parent / "result.txt").exists()  # runs happen in copies


def test_values_needing_a_library_this_python_lacks_stop_with_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # new-user review: with --python naming an environment that has pandas, and nb2prod's own
    # without it, every value was reported "missing" and the conversion looked broken
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "absentlib.py").write_text(
        "def make(n):\n    return Frame(n)\n\n\nclass Frame:\n    def __init__(self, n):\n"
        "        self.n = n\n\n    def __reduce__(self):\n        return make, (self.n,)\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    import absentlib  # (a library the runs' Python has)

    (tmp_path / "dumps").mkdir()
    (tmp_path / "dumps" / "load.pkl").write_bytes(pickle.dumps({"df": absentlib.Frame(1)}))
    monkeypatch.delitem(sys.modules, "absentlib")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path / "lib")])
    with pytest.raises(UsageError, match=r"the captured values need absentlib, which nb2prod's "
                                         r"own Python .* cannot import: install absentlib there"):
        _load_dumps(tmp_path / "dumps")


def test_timings_are_not_compared_and_a_whos_table_makes_stdout_not_comparable(
        tmp_path: Path) -> None:
    # %time printed CPU and wall times the project does not print: verify said DIFFERENT; a
    # cell that printed through %whos leaves the notebook's output no reference at all
    timed = tmp_path / "timed"
    timed.mkdir()
    notebook, project = make(timed, [code("%time values = [1.5, 2.5]\nprint(len(values))", 1)])
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json",
                     cwd=timed)
    rows = {r["name"]: (r["status"], r["detail"]) for r in json.loads(result.stdout)}
    assert rows["stdout"] == ("equal", ""), result.stdout
    listed = tmp_path / "listed"
    listed.mkdir()
    notebook, project = make(listed, [code("values = [1.5, 2.5]\nprint(len(values))", 1),
                                      code("%whos", 2)])
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", "--format", "json",
                     cwd=listed)
    rows = {r["name"]: (r["status"], r["detail"]) for r in json.loads(result.stdout)}
    assert rows["stdout"] == ("not comparable", "not compared: a cell printed through `%whos`, "
                              "which the project does not print"), result.stdout
