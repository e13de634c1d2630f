"""The command line as users and pre-commit see it: exit codes, stderr, formats."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import __version__
from nb2prod.cli import main
from tests.helpers import DATA, code, ran, write
from tests.malformed import write_cases

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "churn"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys)[:2] == (0, f"nb2prod {__version__}\n")
    code_, out, _ = run(["--help"], capsys)
    assert code_ == 0
    for command in ("check", "pin", "convert", "verify", "rule", "templates"):
        assert command in out


@pytest.mark.parametrize("args", [
    ["verify", "missing.ipynb", "project"], ["convert", "missing.ipynb", "-o", "out"],
    ["pin", "missing.ipynb"],
])
def test_missing_notebook_is_a_one_line_error(args: list[str], capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code_, out, err = run(args, capsys)
    assert code_ == 2 and out == ""
    assert err.startswith("error: missing.ipynb: no such") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_check_messy_example_reports_the_accident(capsys: pytest.CaptureFixture[str]) -> None:
    code_, out, _ = run(["check", str(EXAMPLES / "churn_messy.ipynb")], capsys)
    assert code_ == 1
    expected = "churn_messy.ipynb:cell 10:line 2:col 21: NB201 'TEST_SIZE' is used before cell 15 defines it"
    assert expected in out
    assert "NB101" in out


def test_check_clean_example_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code_, out, _ = run(["check", str(EXAMPLES / "churn.ipynb")], capsys)
    assert code_ == 0
    assert "All checks passed" in out


def test_info_findings_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "nb.ipynb", ran("import numpy as np", "x = np.random.rand(3)"))
    code_, out, _ = run(["check", str(path)], capsys)
    assert code_ == 0 and "NB303" in out


def test_exit_zero_select_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "nb.ipynb", ran("print(undefined)", "!pip install pandas"))
    assert run(["check", str(path), "--exit-zero"], capsys)[0] == 0
    code_, out, _ = run(["check", str(path), "--select", "NB3", "--format", "json"], capsys)
    assert code_ == 1 and [f["code"] for f in json.loads(out)] == ["NB301"]
    code_, out, _ = run(["check", str(path), "--ignore", "NB202,NB3", "--format", "json"], capsys)
    assert code_ == 0 and json.loads(out) == []


def test_unknown_code_prefix_is_a_usage_error(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "nb.ipynb", ran("x = 1"))
    code_, _, err = run(["check", str(path), "--select", "XX9"], capsys)
    assert code_ == 2 and "unknown rule code or prefix 'XX9'" in err


def test_folders_are_searched_and_checkpoints_skipped(tmp_path: Path, capsys) -> None:
    write(tmp_path, "a.ipynb", ran("print(missing)"))
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints", "a-checkpoint.ipynb", ran("print(missing)"))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.ipynb", ran("x = 1"))
    code_, out, _ = run(["check", str(tmp_path), "--format", "json"], capsys)
    assert code_ == 1
    assert [Path(f["path"]).name for f in json.loads(out)] == ["a.ipynb"]


def test_json_fields(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "nb.ipynb", [{**code("model.fit(1)", 2), "id": "cell-a"},
                                        code("model = object()", 1)])
    _, out, _ = run(["check", str(path), "--format", "json", "--select", "NB201"], capsys)
    [finding] = json.loads(out)
    assert finding == {
        "path": str(path), "cell": 0, "cell_id": "cell-a", "line": 1, "column": 1,
        "code": "NB201", "rule": "used-before-defined", "severity": "error",
        "message": "'model' is used before cell 1 defines it",
        "related": [{"cell": 1, "line": 1, "name": "model"}], "file_line": finding["file_line"],
    }


def test_github_annotations_point_at_the_notebook_file_line(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "nb.ipynb", ran("x = 1", "print(x)\nprint(y)"))
    _, out, _ = run(["check", str(path), "--format", "github"], capsys)
    file_line = [line.strip() for line in path.read_text().splitlines()].index('"print(y)"') + 1
    assert out.startswith(f"::error file={path},line={file_line},col=7,title=NB202 undefined-name::"
                          "cell 1, line 2: 'y' is not defined")


def test_show_source_snippet(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "nb.ipynb", ran("a = 1\nb = c + a"))
    _, out, _ = run(["check", str(path), "--show-source"], capsys)
    assert "    2 | b = c + a\n" in out
    assert "\n" + " " * 12 + "^\n" in out


def test_statistics(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "nb.ipynb", ran("print(a)", "print(b)"))
    _, out, _ = run(["check", str(path), "--statistics"], capsys)
    assert out.strip() == "2  NB202  [error] undefined-name"


def test_jobs_give_the_same_findings(capsys) -> None:
    _, one, _ = run(["check", str(DATA / "real"), "--format", "json"], capsys)
    _, two, _ = run(["check", str(DATA / "real"), "--format", "json", "--jobs", "2"], capsys)
    assert one == two and json.loads(one)


def test_every_malformed_input_is_one_line_and_the_right_exit_code(tmp_path: Path, capsys) -> None:
    for path, kind in write_cases(tmp_path):
        code_, out, err = run(["check", str(path)], capsys)
        if kind == "unreadable":
            assert code_ == 2, path
            assert err.count("\n") == 1 and err.startswith(f"error: {path}: "), err
        elif kind == "finding":
            assert code_ == 1 and err == "", path
        else:
            assert code_ in (0, 1) and err == "", (path, err)
        assert "Traceback" not in out + err


def test_unreadable_file_does_not_stop_the_others(tmp_path: Path, capsys) -> None:
    good = write(tmp_path, "good.ipynb", ran("print(missing)"))
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{", encoding="utf-8")
    code_, out, err = run(["check", str(bad), str(good)], capsys)
    assert code_ == 2 and "NB202" in out and "bad.ipynb: not valid JSON" in err


def test_missing_path_and_permission_denied(tmp_path: Path, capsys) -> None:
    code_, _, err = run(["check", str(tmp_path / "nope.ipynb")], capsys)
    assert code_ == 2 and err.strip().endswith("nope.ipynb: no such file")
    locked = write(tmp_path, "locked.ipynb", ran("x = 1"))
    locked.chmod(0)
    try:
        if locked.stat().st_mode and not Path(locked).exists():  # pragma: no cover
            return
        code_, _, err = run(["check", str(locked)], capsys)
        readable_anyway = code_ == 0  # root reads everything
        assert readable_anyway or (code_ == 2 and "permission denied" in err)
    finally:
        locked.chmod(0o644)


def test_internal_errors_exit_3_with_a_short_message(monkeypatch, capsys, tmp_path) -> None:
    import nb2prod.api

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(nb2prod.api, "check_paths", explode)
    code_, _, err = run(["check", str(tmp_path)], capsys)
    assert code_ == 3
    assert err.startswith("error: internal error: RuntimeError: boom.") and err.count("\n") == 1


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EDQUOT, errno.EROFS])
def test_a_full_disk_is_the_users_to_fix_not_an_internal_error(monkeypatch, capsys, tmp_path,
                                                               number: int) -> None:
    import nb2prod.api

    def full(*args, **kwargs):
        raise OSError(number, os.strerror(number), str(tmp_path / "project" / "README.md"))

    monkeypatch.setattr(nb2prod.api, "check_paths", full)
    code_, _, err = run(["check", str(tmp_path)], capsys)
    assert code_ == 2
    assert err == (f"error: {os.strerror(number)} ({tmp_path / 'project' / 'README.md'}): make "
                   "room or choose another folder, and run again\n")

    def stdout_full(*args, **kwargs):  # (the report itself did not fit: no file to name)
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(nb2prod.api, "check_paths", stdout_full)
    assert run(["check", str(tmp_path)], capsys)[2] == (
        f"error: {os.strerror(number)}: make room, and run again\n")


def test_check_piped_into_a_reader_that_left_still_exits_with_its_findings(
        tmp_path: Path) -> None:
    # `nb2prod check *.ipynb | head -1` exited 0 or 1 depending on when head closed the pipe
    cells = [code(f"print(undefined_{i})", i + 1) for i in range(400)]
    notebook = write(tmp_path, "many.ipynb", cells)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "nb2prod", "check", "--no-cache",
                                    str(notebook)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        process.stdout.close()  # the reader is gone before the first line is written
        _, err = process.communicate()
        assert process.returncode == 1, err
        assert err == b""


def test_check_with_stdout_or_stderr_closed_still_exits_with_its_findings(
        tmp_path: Path) -> None:
    # `nb2prod check x >&-` was an internal error, `2>&-` an exit 1 for a clean notebook: the
    # stream is None then
    notebook = write(tmp_path, "one.ipynb", [code("print(undefined_name)", 1)])
    result = subprocess.run(f"'{sys.executable}' -m nb2prod check --no-cache '{notebook}' >&-",
                            shell=True, capture_output=False, stderr=subprocess.PIPE, text=True)
    assert (result.returncode, result.stderr) == (1, "")
    clean = write(tmp_path, "clean.ipynb", [code("x = 1\nprint(x)", 1)])
    result = subprocess.run(f"'{sys.executable}' -m nb2prod check --no-cache '{clean}' 2>&-",
                            shell=True, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "All checks passed (1 notebook).\n")


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "nb2prod", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"nb2prod {__version__}"


def test_rule_docs(capsys) -> None:
    code_, out, _ = run(["rule", "nb201"], capsys)
    assert code_ == 0
    for heading in ("NB201 (used-before-defined) [error]", "What it does", "Why is this bad?",
                    "Example", "Use instead"):
        assert heading in out
    assert run(["rule", "NB999"], capsys)[0] == 2
    code_, out, _ = run(["rule"], capsys)
    assert code_ == 0 and out.count("\n") >= 15


def test_templates_list(capsys) -> None:
    code_, out, _ = run(["templates", "list"], capsys)
    assert code_ == 0
    assert out.startswith("default") and "\nscript" in out
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["default", "airflow", "dagster", "kubeflow", "prefect", "script"]
    assert "extends default" in out.splitlines()[1]


@pytest.mark.parametrize("args, code_", [
    (["--version"], 0),
    (["check", "missing.ipynb"], 2),
    (["convert", "missing.ipynb", "-o", "out"], 2),
])
def test_the_console_script_ends_at_once_with_its_code_and_runs_exit_handlers(
        tmp_path: Path, args: list[str], code_: int) -> None:
    # the console script skips taking the heap apart at exit (most of a second after a large
    # convert): its exit code, its output and the exit handlers (temporary folders) must stay
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('exit handler ran'))\n"
             f"sys.argv = ['nb2prod', *{args!r}]\n"
             "from nb2prod.entry import main\n"
             "main()\n"
             "print('not reached')\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == code_, result.stderr
    assert result.stdout.endswith("exit handler ran\n") and "not reached" not in result.stdout
    assert (code_ == 0) == (result.stderr == "")
