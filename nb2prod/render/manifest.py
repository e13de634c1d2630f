"""Template manifests (``template.toml``) and where templates are found.

Templates come from the folder shipped with nb2prod and from third-party packs registered under
the ``nb2prod.templates`` entry point group; an entry point names a folder holding template
folders (or a module, whose own folder is used).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from nb2prod import templates_dir
from nb2prod.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANIFEST = "template.toml"
ENTRY_POINT_GROUP = "nb2prod.templates"


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    description: str
    path: Path
    required_variables: tuple[str, ...] = ()
    extends: str = ""  # the template it builds on: its files, unless this one has the same path
    saves_values: bool = False  # its engine saves values between steps (in files)
    # where the notebook's own modules (helpers.py beside it) go; None: as the template it extends
    modules_dir: str | None = None
    # the templates it builds on, nearest first (filled in by resolve_template)
    bases: tuple[TemplateInfo, ...] = ()

    @property
    def chain(self) -> tuple[TemplateInfo, ...]:
        """This template, then the ones it extends, nearest first."""
        return (self, *self.bases)

    @property
    def module_folder(self) -> str:
        """The project folder the notebook's own modules are shipped in ("." for its root)."""
        return next((t.modules_dir for t in self.chain if t.modules_dir is not None), "src")


def read_manifest(folder: Path) -> TemplateInfo:
    manifest = folder / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{folder}: not a template (no {MANIFEST})") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{manifest}: cannot read template manifest ({exc})") from None
    name = data.get("name", folder.name)
    description = data.get("description", "")
    required = data.get("required_variables", [])
    extends = data.get("extends", "")
    saves = data.get("saves_values", False)
    modules_dir = data.get("modules_dir")
    if not all(isinstance(v, str) for v in (name, description, extends)) or not (
        isinstance(required, list) and all(isinstance(v, str) for v in required)
    ) or not isinstance(saves, bool) or not _folder_inside(modules_dir):
        raise ConfigError(f"{manifest}: name, description and extends must be strings, "
                          "required_variables a list of strings, saves_values true or false, "
                          "modules_dir a relative folder inside the project")
    return TemplateInfo(name, description, folder, tuple(required), extends, saves, modules_dir)


def _folder_inside(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or value.startswith(("/", "\\")) or ":" in value:
        return False
    return all(part not in ("", "..") for part in value.replace("\\", "/").split("/"))


def template_roots() -> list[Path]:
    """Folders that hold template folders: the bundled one first, then registered packs."""
    roots = [templates_dir()]
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = entry.load()
        except Exception:  # a broken third-party pack must not break nb2prod
            continue
        path = Path(getattr(target, "__file__", None) or str(target))
        roots.append(path.parent if path.is_file() else path)
    return roots


def available_templates() -> list[TemplateInfo]:
    """Every template found, by name; the first root that defines a name wins."""
    found: dict[str, TemplateInfo] = {}
    bundled = templates_dir()
    for root in template_roots():
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()):
            try:
                info = read_manifest(folder)
            except ConfigError:
                if root == bundled:
                    raise
                continue  # a broken third-party pack must not break nb2prod (nor other packs)
            found.setdefault(info.name, info)
    # the default first: what convert uses when asked for none
    return sorted(found.values(), key=lambda t: (t.name != "default", t.name))


def resolve_template(name_or_path: str) -> TemplateInfo:
    """A template by name (bundled or from a pack) or by folder path, with the templates it
    extends (by name) resolved."""
    template = _find_template(name_or_path)
    bases: list[TemplateInfo] = []
    seen = [template.name]
    current = template
    while current.extends:
        if current.extends in seen:
            raise ConfigError(f"{template.path / MANIFEST}: templates extend each other in a "
                              f"circle: {' -> '.join([*seen, current.extends])}")
        try:
            current = _find_template(current.extends, by_name_only=True)
        except ConfigError as exc:
            raise ConfigError(f"{current.path / MANIFEST}: extends {current.extends!r}: {exc}") \
                from None
        seen.append(current.name)
        bases.append(current)
    return TemplateInfo(template.name, template.description, template.path,
                        tuple(dict.fromkeys(v for t in (template, *bases)
                                            for v in t.required_variables)),
                        template.extends, template.saves_values, template.modules_dir,
                        tuple(bases))


def _find_template(name_or_path: str, by_name_only: bool = False) -> TemplateInfo:
    folder = Path(name_or_path)
    if not by_name_only and (folder / MANIFEST).is_file():
        return read_manifest(folder)
    templates = available_templates()
    for template in templates:
        if template.name == name_or_path:
            return template
    names = ", ".join(t.name for t in templates) or "none"
    raise ConfigError(f"unknown template {name_or_path!r} (available: {names}; or a folder with "
                      f"a {MANIFEST})")
