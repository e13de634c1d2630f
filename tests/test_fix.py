"""check --fix / --diff: safe fixes on real notebooks, only the fix in the diff, idempotent."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod.commands.fix import fix_file
from nb2prod.fix.order import fewest_moves
from tests.helpers import DATA, code, findings, markdown, notebook_dict, stream

ROOT = Path(__file__).resolve().parent.parent


def nb2prod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True,
                          cwd=cwd, check=False)


def codes(path: Path, prefixes: str = "NB201,NB203") -> set[str]:
    return {code for code, _, _ in findings(json.loads(path.read_text()), prefixes)}


def test_fix_moves_the_definition_up_on_the_messy_example(tmp_path: Path) -> None:
    notebook = tmp_path / "churn_messy.ipynb"
    shutil.copy(ROOT / "examples" / "churn" / "churn_messy.ipynb", notebook)
    original = notebook.read_text()
    preview = nb2prod("check", str(notebook), "--diff", cwd=tmp_path)
    assert preview.returncode == 1 and notebook.read_text() == original  # --diff writes nothing
    assert "would fix: moved cell 15 up: it defines 'TEST_SIZE', used above it" in preview.stdout
    fixed = nb2prod("check", str(notebook), "--fix", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr  # nothing left: NB201 and NB101 gone
    before, after = json.loads(original), json.loads(notebook.read_text())
    assert [c.get("id") for c in after["cells"]] != [c.get("id") for c in before["cells"]]
    assert sorted(json.dumps(c, sort_keys=True) for c in after["cells"]) == sorted(
        json.dumps(c, sort_keys=True) for c in before["cells"])  # moved, nothing else changed
    diff = [line for line in preview.stdout.splitlines() if line[:1] in "+-" and line[:3] not in
            ("+++", "---")]
    assert len(diff) == 36  # the moved cell's 18 lines out and in: formatting untouched
    assert nb2prod("check", str(notebook), "--diff", cwd=tmp_path).returncode == 0  # idempotent


def test_nothing_to_fix_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    for name in ("t_test_clean.ipynb", "tree_correlation.ipynb", "pca_zero_counts.ipynb"):
        notebook = tmp_path / name
        shutil.copy(DATA / "real" / name, notebook)
        before = notebook.read_bytes()
        result = fix_file(str(notebook), ("reorder", "outputs"), write=True)
        assert not result.changes and notebook.read_bytes() == before, name


def test_a_stale_output_is_cleared_and_a_moved_cell_keeps_one_that_is_not(tmp_path: Path) -> None:
    raw = notebook_dict([
        code("x = 1", 1), code("print(y)", 3, [stream("2\n")]),  # ran after y was bound: fine
        code("y = x + 1", 2),
        code("z = x * 10", 4), code("print(z)", 5, [stream("10\n")]),
        code("z = 99", 6)])  # cell 4's saved output predates nothing; 5 read z before cell 5 rebinds
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(raw, indent=1) + "\n")
    result = fix_file(str(path), ("reorder", "outputs"), write=True)
    assert result.changes == ("moved cell 2 up: it defines 'y', used above it",)
    cells = json.loads(path.read_text())["cells"]
    assert [c["source"] for c in cells][:3] == ["x = 1", "y = x + 1", "print(y)"]
    assert cells[2]["outputs"] and cells[2]["execution_count"] == 3
    assert "NB201" not in codes(path)


def test_ambiguous_rebinding_is_refused_with_the_reason(tmp_path: Path) -> None:
    raw = notebook_dict([code("print(df)", 1), code("df = 1", 2), code("df = 2", 3)])
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(raw, indent=1) + "\n")
    before = path.read_bytes()
    result = fix_file(str(path), ("reorder", "outputs"), write=True)
    assert result.refusals == ("cells not reordered: cell 0 reads 'df', which cells 1, 2 all "
                               "define: which one it needs is not clear",)
    assert path.read_bytes() == before


def test_markdown_travels_with_its_cell_and_the_seed_cell_is_opt_in(tmp_path: Path) -> None:
    raw = notebook_dict([markdown("# Title"), code("import numpy as np", 1),
                         code("noise = np.random.rand(3)\nprint(scale * noise)", 4),
                         markdown("## Scale"), code("scale = 2", 2)])
    raw["nbformat_minor"] = 5
    for index, cell in enumerate(raw["cells"]):
        cell["id"] = f"cell{index}"
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    result = fix_file(str(path), ("reorder", "outputs", "seed"), write=True)
    fixed = json.loads(path.read_text())["cells"]
    assert [c.get("id") for c in fixed][:4] == ["cell0", "cell1", "cell3", "cell4"]
    seed = fixed[4]
    assert seed["source"][-1] == "np.random.seed(0)" and len(seed["id"]) == 8
    assert "inserted a cell seeding numpy above cell 2" in result.changes
    assert not codes(path, "NB201,NB303")


def test_percent_files_are_fixed_as_text(tmp_path: Path) -> None:
    script = tmp_path / "analysis.py"
    script.write_text("# %% [markdown]\n# Analysis\n\n# %%\nprint(total)\n\n# %%\n"
                      "values = [1, 2]\n\n# %%\ntotal = sum(values)\n")
    result = nb2prod("check", str(script), "--fix", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert script.read_text() == ("# %% [markdown]\n# Analysis\n\n# %%\nvalues = [1, 2]\n\n"
                                  "# %%\ntotal = sum(values)\n\n# %%\nprint(total)\n")


def test_fewest_moves_is_exact() -> None:
    # cell 1 needs 3, and 3 needs 2: moving 1 down is one move; moving 2 and 3 up would be two
    assert fewest_moves((0, 1, 2, 3), frozenset({(3, 1), (2, 3)})) == ([0, 2, 3, 1], {1})
    assert fewest_moves((0, 1, 2), frozenset({(0, 1)})) == ([0, 1, 2], set())


NAMES = ("a", "b", "c", "d")


@st.composite
def shuffled_notebooks(draw):
    """A notebook whose cells each bind one name from what earlier cells bound, then shuffled."""
    size = draw(st.integers(2, 8))
    cells = []
    for index in range(size):
        reads = draw(st.lists(st.sampled_from(NAMES[:max(1, min(index, 4))]), max_size=2)) if index else []
        target = NAMES[index % 4] if index < 4 else f"v{index}"
        cells.append(f"{target} = {' + '.join(reads) or str(index)}")
    order = draw(st.permutations(range(size)))
    return [code(cells[i], n + 1) for n, i in enumerate(order)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=shuffled_notebooks())
def test_after_fix_no_name_is_used_before_its_definition(tmp_path: Path, cells) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook_dict(cells), indent=1) + "\n")
    before = path.read_bytes()
    result = fix_file(str(path), ("reorder", "outputs"), write=True)
    if result.refusals:
        assert path.read_bytes() == before
        return
    assert "NB201" not in codes(path)
    if not result.changes:
        assert path.read_bytes() == before
    again = fix_file(str(path), ("reorder", "outputs"), write=False)
    assert not again.changes
