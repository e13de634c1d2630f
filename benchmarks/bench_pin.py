"""Import -> distribution mapping accuracy of `nb2prod pin`, beside pipreqs' offline mapping.

    python benchmarks/bench_pin.py [--truth ../shared/eval/pin_truth.py]

Builds a throwaway virtual environment holding only nb2prod (from this checkout), so the installed
metadata cannot help, and runs the team's truth list through `nb2prod pin --no-compile --format
json` there. The peer is pipreqs' own offline mapping table (`get_pkg_names`), when pipreqs is
installed in the current environment. Also times `nb2prod pin` per notebook on the corpus and
counts unresolved imports.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def load_truth(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    spec = importlib.util.spec_from_file_location("pin_truth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TRUTH, module.NOT_ON_PYPI


def norm(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


def score(got: dict[str, str], truth: dict[str, list[str]], not_on_pypi: list[str]) -> tuple[float, int]:
    ok = sum(1 for k, v in truth.items() if norm(got.get(k) or got.get(k.split(".")[0])) in v)
    confused = sum(1 for n in not_on_pypi if got.get(n))
    return ok / len(truth), confused


def nb2prod_mapping(python: Path, names: list[str], folder: Path) -> dict[str, str]:
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
            "source": "\n".join(f"import {n}" for n in names)}
    notebook = folder / "imports.ipynb"
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                    "cells": [cell]}))
    result = subprocess.run([str(python), "-m", "nb2prod", "pin", "--no-compile", "--format",
                             "json", str(notebook)], capture_output=True, text=True, cwd=folder)
    data = json.loads(result.stdout)
    return {r["import"]: r["distribution"] for r in data["requirements"]}


def pipreqs_mapping(names: list[str]) -> dict[str, str] | None:
    try:
        from pipreqs import pipreqs
    except ImportError:
        return None
    return {n: d for n in names for d in pipreqs.get_pkg_names([n]) if d != n or "." not in n}


def corpus_run(python: Path, corpus: Path) -> None:
    files = sorted(corpus.rglob("*.ipynb"))
    unresolved = guessed = requirements = 0
    start = time.perf_counter()
    for file in files:
        result = subprocess.run([str(python), "-m", "nb2prod", "pin", "--no-compile", "--dry-run",
                                 "--format", "json", str(file)], capture_output=True, text=True)
        if result.returncode not in (0, 1):
            print(f"  crash on {file}: {result.stderr.strip()[-200:]}")
            continue
        data = json.loads(result.stdout)
        requirements += len(data["requirements"])
        guessed += sum(1 for r in data["requirements"] if r["guessed"])
        unresolved += len(data["unresolved"])
    seconds = time.perf_counter() - start
    print(f"corpus: {len(files)} notebooks, {requirements} import mappings, {guessed} guessed, "
          f"{unresolved} unresolved, {1000 * seconds / max(len(files), 1):.0f} ms per notebook")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--truth", type=Path, default=SHARED / "eval" / "pin_truth.py")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    args = parser.parse_args()
    truth, not_on_pypi = load_truth(args.truth)
    names = list(truth) + not_on_pypi
    with tempfile.TemporaryDirectory() as folder:
        env = Path(folder) / "venv"
        venv.create(env, with_pip=True)
        python = env / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
        ours, confused = score(nb2prod_mapping(python, names, Path(folder)), truth, not_on_pypi)
        print(f"nb2prod (bare venv): mapping accuracy {ours:.3f}, "
              f"non-PyPI names mapped as certain: {confused}/{len(not_on_pypi)}")
        peer = pipreqs_mapping(names)
        if peer is None:
            print("pipreqs not installed: no comparison (pip install pipreqs)")
        else:
            theirs, peer_confused = score(peer, truth, not_on_pypi)
            print(f"pipreqs get_pkg_names:  mapping accuracy {theirs:.3f}, "
                  f"non-PyPI names mapped: {peer_confused}/{len(not_on_pypi)}")
            print(f"ratio of correct mappings nb2prod/pipreqs: {ours / theirs:.2f}")
        if args.corpus.is_dir():
            corpus_run(python, args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
