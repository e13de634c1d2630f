"""Shared by the engine template tests: convert an example with a template, and run the
generated project's own tests in an environment that has the engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def convert(notebook: Path, out: Path, template: str) -> Path:
    """Convert a copy of the notebook's folder (or of a folder of notebooks: one project)."""
    work = out.parent / f"{notebook.stem}-src"
    shutil.copytree(notebook if notebook.is_dir() else notebook.parent, work)
    source = work if notebook.is_dir() else work / notebook.name
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(source),
                             "-o", str(out), "--template", template],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out


def assert_clean(project: Path) -> None:
    clean = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select",
                            "F,I,E9", "."], cwd=project, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout


def install_project(python: str, project: Path, site: Path) -> None:
    """Install the project (--no-deps) into ``site``, beside the engine's environment."""
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--no-build-isolation", "--target", str(site), str(project)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr


def run_project_tests(python: str, project: Path, site: Path) -> str:
    """Install the project beside the engine and run its tests; their output."""
    install_project(python, project, site)
    run = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests"],
                         cwd=project, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stdout[-3000:]
    assert "skipped" not in run.stdout  # the engine test ran, it was not skipped
    return run.stdout


def run_in_engine(python: str, site: Path, code: str, cwd: Path) -> str:
    """Run ``code`` with the engine's Python and the installed project; its stdout."""
    run = subprocess.run([python, "-c", code], cwd=cwd, capture_output=True, text=True,
                         timeout=600, env={**os.environ, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def verify_on_engine(python: str, tmp_path: Path, template: str, engine: str) -> None:
    """`nb2prod verify` runs the churn notebook and the project through ``engine`` (with the
    engine's Python) and finds them the same, value by value."""
    project = convert(EXAMPLES / "churn" / "churn.ipynb", tmp_path / "verified", template)
    notebook = tmp_path / "churn-src" / "churn.ipynb"  # the copy convert read
    result = subprocess.run([sys.executable, "-m", "nb2prod", "verify", str(notebook),
                             str(project), "--python", python], capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].startswith("SAME:")
    assert f"the steps ran on {engine}" in " ".join(result.stdout.split())
