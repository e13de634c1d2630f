"""Score `nb2prod check --fix` on the labelled hidden-state mutations of real notebooks.

    python ../shared/eval/mutate.py /tmp/bench ../shared/corpus/*/
    python benchmarks/bench_fix.py /tmp/bench

Each notebook is copied to a scratch folder and fixed with the default categories. Prints, per
mutation kind: how many were changed, how many still report the finding the fix is for (NB201
for the use-before-def kinds, NB203 for stale outputs), the reasons for the refusals, whether a
clean notebook was touched, whether a second `--fix` changes anything (it must not), and for
use-before-def how often the fix restored the author's own order (the `clean` file).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

TARGET = {"use-before-def": "NB201", "late-binding-use-before-def": "NB201",
          "stale-output": "NB203"}


def main(bench: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for notebook in sorted(bench.glob("*.ipynb")):
            shutil.copy(notebook, work / notebook.name)
        first = _fix(work)
        before = {p.name: p.read_bytes() for p in work.glob("*.ipynb")}
        _fix(work)
        unstable = [name for name, data in before.items() if (work / name).read_bytes() != data]
        findings = _findings(work)
        _report(bench, work, first, findings, unstable)


def _fix(work: Path) -> str:
    files = sorted(str(p) for p in work.glob("*.ipynb"))
    result = subprocess.run(["nb2prod", "check", "--fix", "--no-cache", "--select", "NB2",
                             *files], capture_output=True, text=True)
    return result.stderr


def _findings(work: Path) -> dict[str, set[str]]:
    files = sorted(str(p) for p in work.glob("*.ipynb"))
    result = subprocess.run(["nb2prod", "check", "--no-cache", "--format", "json", *files],
                            capture_output=True, text=True)
    found: dict[str, set[str]] = {Path(f).name: set() for f in files}
    for finding in json.loads(result.stdout or "[]"):
        found[Path(finding["path"]).name].add(finding["code"])
    return found


def _report(bench: Path, work: Path, log: str, findings: dict[str, set[str]],
            unstable: list[str]) -> None:
    kinds: Counter = Counter()
    changed: Counter = Counter()
    left: Counter = Counter()
    restored = 0
    for name, codes in sorted(findings.items()):
        kind = name.removesuffix(".ipynb").rsplit("__", 1)[-1]
        kinds[kind] += 1
        changed[kind] += (work / name).read_bytes() != (bench / name).read_bytes()
        left[kind] += TARGET.get(kind, "-") in codes
        if TARGET.get(kind) == "NB201":
            restored += _sources(work / name) == _sources(bench / name.replace(kind, "clean"))
    for kind in sorted(kinds):
        target = TARGET.get(kind)
        still = f", {left[kind]} still report {target}" if target else ""
        print(f"{kind:30} {kinds[kind]:4} notebooks, {changed[kind]:4} changed{still}")
    readers = sum(kinds[k] for k, code in TARGET.items() if code == "NB201")
    print(f"author's order restored exactly: {restored}/{readers}")
    print(f"changed by a second --fix: {len(unstable)}")
    refusals = Counter(line.split(": ", 2)[-1].split(":")[0] for line in log.splitlines()
                       if "not reordered" in line or "not fixed" in line)
    for reason, count in refusals.most_common():
        print(f"  refused {count}x: {reason}")


def _sources(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench"))
