"""The README's generated parts stay true; the pre-commit hook manifest works as pre-commit runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nb2prod.commands.rule import rules_markdown
from nb2prod.rules import ALL_RULES
from tests.helpers import ran, write

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    start = README.index("<!-- rules-table")
    start = README.index("\n", start) + 1
    end = README.index("<!-- end rules-table -->")
    assert README[start:end].strip() == rules_markdown(), "run `nb2prod rule --markdown`"


def test_every_rule_has_complete_docs() -> None:
    for rule in ALL_RULES.values():
        assert all([rule.summary, rule.what.strip(), rule.why.strip(), rule.example.strip(),
                    rule.instead.strip()]), rule.code
        assert rule.severity in {"error", "warning", "info"}


def test_readme_test_command_is_what_ci_runs() -> None:
    marker = README.index("<!-- test-command")
    block = README[marker:].split("```bash\n", 1)[1].split("\n", 1)[0]
    assert block == 'pip install -e ".[test]" && pytest -q'
    assert "test-command" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _hook() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "nb2prod-check"]
    return hook


def test_pre_commit_hook_manifest() -> None:
    hook = _hook()
    assert hook["types"] == ["jupyter"]
    assert hook["language"] == "python"
    assert hook["entry"].split()[0] == "nb2prod"


def test_pre_commit_hook_entry_fails_on_findings_and_passes_clean(tmp_path: Path) -> None:
    """pre-commit runs `entry` with the staged notebooks appended: do exactly that."""
    entry = _hook()["entry"].split()
    command = [sys.executable, "-m", "nb2prod", *entry[1:]]
    bad = write(tmp_path, "bad.ipynb", ran("print(df)", "df = 1"))
    good = write(tmp_path, "good.ipynb", ran("df = 1", "print(df)"))
    failed = subprocess.run([*command, str(bad), str(good)], capture_output=True, text=True)
    assert failed.returncode == 1 and "bad.ipynb:cell 0:line 1:col 7: NB201" in failed.stdout
    passed = subprocess.run([*command, str(good)], capture_output=True, text=True)
    assert passed.returncode == 0


@pytest.mark.skipif(not shutil.which("pre-commit") or not shutil.which("git"),
                    reason="pre-commit is not installed")
@pytest.mark.network
def test_pre_commit_try_repo(tmp_path: Path) -> None:  # pragma: no cover - needs the network
    """The real thing: `pre-commit try-repo` installs nb2prod from this checkout (network)."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    write(tmp_path, "bad.ipynb", ran("print(df)", "df = 1"))
    subprocess.run(["git", "add", "bad.ipynb"], cwd=tmp_path, check=True)
    result = subprocess.run(["pre-commit", "try-repo", str(ROOT), "nb2prod-check", "--all-files"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and "NB201" in result.stdout
