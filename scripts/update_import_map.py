"""Extend nb2prod/pin/import_map.tsv from an environment's installed package metadata.

    python scripts/update_import_map.py [--python PATH] [--write]

Reads `importlib.metadata.packages_distributions()` of the given interpreter (default: this one)
and lists the import names whose distribution has a different name and that the table lacks.
With --write, adds them to the table (sorted); review the diff before committing: only entries a
single distribution provides are proposed, and private or local packages must not be added.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from nb2prod.pin.mapping import looks_local

TABLE = Path(__file__).resolve().parent.parent / "nb2prod" / "pin" / "import_map.tsv"
PROBE = ("import json, importlib.metadata as m; "
         "print(json.dumps({k: sorted(set(v)) for k, v in m.packages_distributions().items()}))")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    packages = json.loads(subprocess.run([args.python, "-c", PROBE], capture_output=True,
                                         text=True, check=True).stdout)
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    known = {line.split("\t")[0] for line in lines if line and not line.startswith("#")}
    proposed = sorted(
        f"{name}\t{dists[0]}" for name, dists in packages.items()
        if len(dists) == 1 and name.isidentifier() and not name.startswith("_")
        and "__mypyc" not in name and name not in known and _norm(name) != _norm(dists[0])
        and not looks_local(name)
    )
    for line in proposed:
        print(line)
    if args.write and proposed:
        header = [line for line in lines if line.startswith("#")]
        body = sorted({*(line for line in lines if line and not line.startswith("#")), *proposed},
                      key=lambda line: line.split("\t")[0].lower())
        TABLE.write_text("\n".join(header + body) + "\n", encoding="utf-8")
        print(f"added {len(proposed)} entries to {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
