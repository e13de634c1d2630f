"""Inputs that used to crash nb2prod (exit 3) now get a clean answer: 0 converted (with warnings),
1 findings or refused, 2 unreadable; never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import code, markdown, notebook_dict


def _with(cells, **metadata) -> dict:
    return notebook_dict(cells, **metadata)


DEEP_IF = "".join("    " * i + "if True:\n" for i in range(99)) + "    " * 99 + "x = 1\nprint(x)"
CASES = {
    # name: (notebook, exit of `check`, exit of `convert` without --force)
    "output-data-string": (_with([code("x = 1\nx", 1, [{"output_type": "execute_result",
                                                         "execution_count": 1, "metadata": {},
                                                         "data": "oops"}])]), 0, 0),
    "output-data-list-of-lists": (_with([code("x = 1\nx", 1, [
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": [["a"], ["b"]]}},
        {"output_type": "display_data", "metadata": {}, "data": [["a"], ["b"]]}])]), 0, 0),
    "language-info-string": (_with([code("x = 1\nprint(x)", 1)], language_info="python"), 0, 0),
    "language-info-list": (_with([code("x = 1\nprint(x)", 1)], language_info=[3, 6]), 0, 0),
    "lone-surrogate-heading": (_with([markdown("# Title \ud800 here"), code("x = 1\nprint(x)", 1)]),
                               0, 0),
    "lone-surrogate-code": (_with([code("x = 'a\udfff'\nprint(x)", 1)]), 0, 0),
    "null-byte": (_with([code("x = 1\x00\nprint(x)", 1)]), 1, 1),
    "lambda-2000-deep": (_with([code("f = " + "lambda: " * 2000 + "1\nprint(f)", 1)]), 1, 1),
    "if-99-deep": (_with([code(DEEP_IF, 1)]), 0, 0),
}


def nb2prod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True,
                          cwd=cwd, check=False, timeout=300)


@pytest.mark.parametrize("name", sorted(CASES))
def test_crash_class_gets_a_clean_answer(tmp_path: Path, name: str) -> None:
    raw, check_code, convert_code = CASES[name]
    notebook = tmp_path / "nb" / f"{name}.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps(raw), encoding="utf-8")  # \ud800 stays an escape, as in the wild
    checked = nb2prod("check", str(notebook), cwd=tmp_path)
    assert checked.returncode == check_code, checked.stdout + checked.stderr
    pinned = nb2prod("pin", str(notebook), "--no-compile", "--no-env", "--dry-run", cwd=tmp_path)
    assert pinned.returncode == 0, pinned.stderr
    out = tmp_path / "out"
    converted = nb2prod("convert", str(notebook), "-o", str(out), cwd=tmp_path)
    assert converted.returncode == convert_code, converted.stdout + converted.stderr
    forced = nb2prod("convert", str(notebook), "-o", str(out), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    for result in (checked, pinned, converted, forced):
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for path in out.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_deep_nesting_is_kept_as_comments_with_a_warning(tmp_path: Path) -> None:
    notebook = tmp_path / "nb" / "deep.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps(CASES["if-99-deep"][0]), encoding="utf-8")
    result = nb2prod("convert", str(notebook), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0 and "blocks deep" in result.stdout, result.stdout + result.stderr
    pipeline = next((tmp_path / "out").glob("src/*/pipeline.py")).read_text()
    assert "# TODO(nb2prod): cell 0 nested" in pipeline


def test_verify_survives_dangling_and_looping_symlinks(tmp_path: Path) -> None:
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    folder = tmp_path / "nb"
    folder.mkdir()
    notebook = folder / "nb.ipynb"
    notebook.write_text(json.dumps(_with([code("x = 2\nprint(x)", 1)])), encoding="utf-8")
    (folder / "dangling").symlink_to(tmp_path / "nowhere")
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "escape").symlink_to(tmp_path)
    out = tmp_path / "out"
    assert nb2prod("convert", str(notebook), "-o", str(out), cwd=tmp_path).returncode == 0
    result = nb2prod("verify", str(notebook), str(out), "--runs", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SAME" in result.stdout


@pytest.mark.parametrize("args", [("check", "--bogus", "x.ipynb"), ("pin",),
                                  ("pin", "x.ipynb", "--force"), ("convert", "x.ipynb", "--nope")])
def test_command_line_mistakes_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = nb2prod(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("plan", ['"x"', "[]", '{"package": "p", "steps": "x"}',
                                  '{"package": null, "steps": []}',
                                  '{"package": "p", "steps": [{"name": 1}]}', "[" * 100000])
def test_verify_rejects_a_damaged_plan(tmp_path: Path, plan: str) -> None:
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps(_with([code("x = 1", 1)])), encoding="utf-8")
    (tmp_path / "proj" / ".nb2prod").mkdir(parents=True)
    (tmp_path / "proj" / ".nb2prod" / "plan.json").write_text(plan)
    result = nb2prod("verify", str(notebook), str(tmp_path / "proj"), cwd=tmp_path)
    assert result.returncode == 2 and "internal error" not in result.stderr, result.stderr


def test_huge_integers_and_symlink_loops_are_unreadable_input(tmp_path: Path) -> None:
    big = tmp_path / "big.ipynb"
    big.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": '
                   '"code", "execution_count": ' + "9" * 5000 + ', "metadata": {}, "outputs": [], '
                   '"source": "x = 1"}]}')
    loop = tmp_path / "loop.ipynb"
    loop.symlink_to(loop)
    for path in (big, loop):
        for args in (("check", str(path)), ("convert", str(path), "-o", str(tmp_path / "o"))):
            result = nb2prod(*args, cwd=tmp_path)
            assert result.returncode == 2 and "internal error" not in result.stderr, result.stderr


def test_verify_copies_inside_links_and_skips_the_rest(tmp_path: Path) -> None:
    from nb2prod.verify.execute import copy_folder

    folder = tmp_path / "nb"
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / "x.csv").write_text("a\n")
    (folder / "data").symlink_to(folder / "raw")  # an alias inside: its content is copied
    (folder / "raw" / "up").symlink_to(folder)  # a link back up: not followed forever
    (folder / "out").symlink_to(tmp_path)  # leaves the folder: skipped
    (folder / "dangling").symlink_to(tmp_path / "nowhere")
    work = tmp_path / "work"
    copy_folder(folder, work)
    assert (work / "data" / "x.csv").read_text() == "a\n"
    assert (work / "raw" / "x.csv").read_text() == "a\n"
    assert not (work / "out").exists() and not (work / "dangling").exists()
