"""How the generated code reads: `nb2prod convert --force` on every corpus notebook, scored as the
engineer who receives the project would score it.

    python benchmarks/bench_convert_quality.py [ROOT ...] [--limit N] [--jobs N] [--show N]

Per notebook, and summed over the corpus:

- comments kept: each `#` comment of a kept code cell (its text, whitespace-normalised) must
  appear in the generated package (target >= 99%);
- steps named `step_N` or ending in a stop word (`..._the`, `..._with`) (target 0);
- invented `pass`: `pass` statements in the package beyond those the notebook wrote (target 0);
- `ruff check --isolated --select F,I,E9,B` clean (target >= 95%) and `black --check` clean;
- compiles and pyflakes-clean (target >= 97%).

Side by side, `jupyter nbconvert --to script` on the same notebooks (compiles and pyflakes-clean),
the peer most teams use today.
"""

from __future__ import annotations

import argparse
import ast
import collections
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
STOP_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by",
                        "at", "from", "as", "is", "are", "be", "than", "that", "this", "we", "it",
                        "our", "let", "s", "into", "all", "its", "then", "vs"})


@dataclass
class Score:
    notebook: str
    converted: bool = False
    comments: int = 0
    comments_kept: int = 0
    lost: list[str] = field(default_factory=list)
    steps: int = 0
    bad_names: list[str] = field(default_factory=list)
    invented_pass: int = 0
    ruff_clean: bool = False
    ruff_first: str = ""
    ruff_codes: list[str] = field(default_factory=list)
    black_clean: bool = False
    pyflakes_clean: bool = False
    pyflakes_first: str = ""
    peer_clean: bool = False
    error: str = ""


def notebook_comments(path: Path) -> tuple[list[str], int]:
    """Comment texts of the notebook's code cells, and its own `pass` statements."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    comments, passes = [], 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        comments += _comments(source)
        passes += len(re.findall(r"\bpass\b", source))
    return comments, passes


def _comments(source: str) -> list[str]:
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append(token.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        found = [line.strip() for line in source.splitlines() if line.strip().startswith("#")]
    texts = [" ".join(c.lstrip("#").split()) for c in found]
    return [t for t in texts if t and not t.startswith("!") and not t.startswith("%")]


def score_project(notebook: Path, project: Path, score: Score) -> None:
    sources = [p.read_text(encoding="utf-8") for p in (project / "src").rglob("*.py")]
    generated = " ".join(" ".join(sources).split())
    comments, own_passes = notebook_comments(notebook)
    score.comments = len(comments)
    for comment in comments:
        if comment in generated:
            score.comments_kept += 1
        else:
            score.lost.append(comment)
    plan = json.loads((project / ".nb2prod" / "plan.json").read_text())
    score.steps = len(plan["steps"])
    score.bad_names = [s["name"] for s in plan["steps"] if _bad_name(s["name"])]
    passes = sum(isinstance(n, ast.Pass) for s in sources for n in ast.walk(_parse(s)))
    score.invented_pass = max(0, passes - own_passes)
    ruff = subprocess.run(["ruff", "check", "--isolated", "--select", "F,I,E9,B", "--quiet",
                           "--output-format", "concise", "src", "tests"],
                          cwd=project, capture_output=True, text=True)
    score.ruff_clean = ruff.returncode == 0
    score.ruff_first = _first_line(ruff.stdout)
    score.ruff_codes = sorted(set(re.findall(r": ([A-Z]+[0-9]+) ", ruff.stdout)))
    black = subprocess.run([sys.executable, "-m", "black", "--check", "-q", "src", "tests"],
                           cwd=project, capture_output=True, text=True)
    score.black_clean = black.returncode == 0
    score.pyflakes_first = _pyflakes(list((project / "src").rglob("*.py")))
    score.pyflakes_clean = not score.pyflakes_first


def _bad_name(name: str) -> bool:
    words = name.split("_")
    return bool(re.fullmatch(r"step_\d+(_\w+)?", name)) or words[-1] in STOP_WORDS


def _parse(source: str) -> ast.AST:
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if ":" in line]
    return re.sub(r"^.*?:\d+:\d+: ", "", lines[0])[:90] if lines else ""


def _pyflakes(files: list[Path]) -> str:
    """'' when every file compiles and pyflakes is silent, else the first complaint."""
    if not files:
        return "no Python files"
    for file in files:
        try:
            compile(file.read_text(encoding="utf-8"), str(file), "exec")
        except SyntaxError as exc:
            return f"does not compile: {exc.msg}"
    flakes = subprocess.run([sys.executable, "-m", "pyflakes", *map(str, files)],
                            capture_output=True, text=True)
    if flakes.returncode == 0:
        return ""
    return re.sub(r"^.*?:\d+:\d+:? ", "", (flakes.stdout or flakes.stderr).strip().splitlines()[0])


def one(notebook: Path, scratch: Path, peer: bool) -> Score:
    score = Score(str(notebook))
    project = scratch / "project"
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(notebook), "-o",
                             str(project), "--force"], capture_output=True, text=True)
    if result.returncode != 0:
        score.error = (result.stderr.strip().splitlines() or ["?"])[-1][:100]
    else:
        score.converted = True
        try:
            score_project(notebook, project, score)
        except (OSError, ValueError, KeyError) as exc:
            score.error = f"scoring failed: {exc}"
    if peer:
        out = scratch / "peer"
        run = subprocess.run(["jupyter", "nbconvert", "--to", "script", str(notebook),
                              "--output-dir", str(out)], capture_output=True, text=True)
        score.peer_clean = run.returncode == 0 and not _pyflakes(list(out.glob("*.py")))
    shutil.rmtree(scratch, ignore_errors=True)
    return score


def report(scores: list[Score], show: int) -> None:
    total = len(scores)
    done = [s for s in scores if s.converted]
    comments = sum(s.comments for s in done)
    kept = sum(s.comments_kept for s in done)
    steps = sum(s.steps for s in done)
    bad = [n for s in done for n in s.bad_names]
    print(f"{total} notebooks, {len(done)} converted")
    print(f"comments kept:            {kept}/{comments} = {kept / max(comments, 1):.3f}")
    print(f"badly named steps:        {len(bad)}/{steps}  e.g. {bad[:5]}")
    print(f"invented pass:            {sum(s.invented_pass for s in done)} "
          f"(in {sum(bool(s.invented_pass) for s in done)} projects)")
    for label, attr in (("ruff F,I,E9,B clean", "ruff_clean"), ("black clean", "black_clean"),
                        ("compiles + pyflakes", "pyflakes_clean")):
        count = sum(getattr(s, attr) for s in done)
        print(f"{label + ':':<26}{count}/{total} = {count / max(total, 1):.3f}")
    peer = sum(s.peer_clean for s in scores)
    if shutil.which("jupyter"):
        print(f"nbconvert --to script compiles + pyflakes: {peer}/{total} = {peer / total:.3f}")
    codes = collections.Counter(code for s in done for code in s.ruff_codes)
    print("ruff rules broken, by projects:", ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    print("first ruff finding, most common:")
    for text, count in collections.Counter(
            re.sub(r"`[^`]*`", "`…`", s.ruff_first) for s in done if s.ruff_first).most_common(show):
        print(f"  {count:4}  {text}")
    print("first pyflakes complaint, most common:")
    for text, count in collections.Counter(
            re.sub(r"'[^']*'", "'…'", s.pyflakes_first) for s in done if s.pyflakes_first
    ).most_common(show):
        print(f"  {count:4}  {text}")
    errors = collections.Counter(s.error for s in scores if s.error)
    for text, count in errors.most_common(show):
        print(f"  {count:4}  convert error: {text}")
    lost = collections.Counter(c for s in done for c in s.lost)
    if lost:
        print("lost comments, e.g.:", list(lost)[:show])
    unclean = [s for s in done if not s.ruff_clean or not s.pyflakes_clean or s.invented_pass]
    if unclean:
        print("projects to look at (first finding):")
    for s in unclean[:show * 4]:
        finding = s.pyflakes_first or s.ruff_first or f"{s.invented_pass} invented pass"
        print(f"  {Path(s.notebook).name}: {finding}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(DEFAULT_ROOT)])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--show", type=int, default=8)
    parser.add_argument("--json", help="write every notebook's score to this file")
    args = parser.parse_args()
    notebooks = sorted(p for root in args.roots for p in Path(root).rglob("*.ipynb"))
    notebooks = notebooks[: args.limit] if args.limit else notebooks
    if not notebooks:
        sys.stderr.write(f"error: no notebooks under {', '.join(args.roots)}; pass the corpus "
                         "folder\n")
        return 2
    peer = shutil.which("jupyter") is not None
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        scores = list(pool.map(lambda pair: one(pair[1], Path(tmp) / str(pair[0]), peer),
                               enumerate(notebooks)))
    report(scores, args.show)
    if args.json:
        Path(args.json).write_text(json.dumps([s.__dict__ for s in scores], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
