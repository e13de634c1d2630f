"""``nb2prod templates list``: the project templates ``convert`` can render."""

from __future__ import annotations

import sys

from nb2prod.errors import EXIT_OK
from nb2prod.render.manifest import available_templates


def run_templates_list() -> int:
    templates = available_templates()
    if not templates:
        sys.stdout.write("no templates found\n")
    for template in templates:
        based = f", extends {template.extends}" if template.extends else ""
        sys.stdout.write(f"{template.name:<12} {template.description}  ({template.path}{based})\n")
    return EXIT_OK
