"""NB401: error outputs saved in the notebook."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nb2prod.findings import WARNING, Finding
from nb2prod.rules.base import Rule, RuleContext

NB401 = Rule(
    code="NB401",
    name="saved-error-output",
    severity=WARNING,
    summary="The notebook was saved with an error (traceback) in a cell's output.",
    what="Reports code cells whose saved outputs contain an exception or a printed traceback.",
    why="""
A notebook that shows an error did not run to the end when it was saved: the outputs below may
come from an earlier, different run, and a top-down run may fail here too.
""",
    example="""
In [4]: df = pd.read_csv("data.csv")
FileNotFoundError: [Errno 2] No such file or directory: 'data.csv'
""",
    instead="Fix the error and re-run the notebook, or clear the output if the error is intended.",
)

RULES = (NB401,)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def check(context: RuleContext) -> Iterator[Finding]:
    for cell in context.notebook.code_cells:
        for output in cell.outputs:
            description = _error_of(output)
            if description:
                yield NB401.at(context.notebook, cell, 1, 1,
                               f"saved error output: {description[:160]}")
                break


def _error_of(output) -> str:
    if output.get("output_type") == "error":
        name = str(output.get("ename") or "Error")
        value = _ANSI.sub("", str(output.get("evalue") or "")).strip().splitlines()
        return f"{name}: {value[0]}" if value else name
    if output.get("output_type") == "stream" and output.get("name") == "stderr":
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        if "Traceback (most recent call last)" in text:
            last = [line for line in _ANSI.sub("", text).splitlines() if line.strip()]
            return f"traceback on stderr ({last[-1].strip()})" if last else "traceback on stderr"
    return ""
