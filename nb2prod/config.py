"""``[tool.nb2prod]`` in pyproject.toml and rule selection by code prefix."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KNOWN_KEYS = frozenset({"select", "ignore", "per-file-ignores", "extra-builtins", "builtins"})


@dataclass(frozen=True)
class Settings:
    """What ``check`` runs: the enabled codes and the per-file exceptions."""

    codes: frozenset[str]
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    extra_builtins: frozenset[str] = frozenset()
    root: Path = field(default_factory=Path.cwd)

    def codes_for(self, path: str) -> frozenset[str]:
        """The enabled codes for one file, after ``per-file-ignores``."""
        codes = self.codes
        if not self.per_file_ignores:
            return codes
        relative = _relative_posix(path, self.root)
        for pattern, ignored in self.per_file_ignores:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
                codes = codes - ignored
        return codes


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.nb2prod]`` table, from ``start`` upwards."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def load_table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    table = data.get("tool", {}).get("nb2prod", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nb2prod] must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS - {"convert", "pin", "verify"})
    if unknown:
        raise ConfigError(f"{path}: unknown key in [tool.nb2prod]: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS))})")
    return table


def build_settings(
    all_codes: Iterable[str],
    table: Mapping[str, Any],
    cli_select: Iterable[str] = (),
    cli_ignore: Iterable[str] = (),
    root: Path | None = None,
    source: str = "pyproject.toml",
) -> Settings:
    """Combine the config table with command-line options (``--select`` replaces, ``--ignore`` adds)."""
    codes = frozenset(all_codes)
    select = _split(cli_select) or _list_of_str(table, "select", source) or ["NB"]
    ignore = _list_of_str(table, "ignore", source) + _split(cli_ignore)
    enabled = expand(select, codes) - expand(ignore, codes)
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{source}: per-file-ignores must be a table of glob = [codes]")
    per_file_ignores = tuple(
        (pattern, expand(_as_list(value, f"per-file-ignores.{pattern}", source), codes))
        for pattern, value in per_file.items()
    )
    builtins = (_list_of_str(table, "extra-builtins", source)
                + _list_of_str(table, "builtins", source))
    return Settings(enabled, per_file_ignores, frozenset(builtins), root or Path.cwd())


def expand(prefixes: Iterable[str], codes: frozenset[str]) -> frozenset[str]:
    """Codes matching any prefix; an unknown prefix is a usage error, not silently nothing."""
    result: set[str] = set()
    for prefix in prefixes:
        prefix = prefix.strip().upper()
        if prefix in {"ALL", ""}:
            result |= codes
            continue
        matched = {code for code in codes if code.startswith(prefix)}
        if not matched:
            raise UsageError(f"unknown rule code or prefix {prefix!r} (see `nb2prod rule --all`)")
        result |= matched
    return frozenset(result)


def _split(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in value.split(",") if part.strip()]


def _list_of_str(table: Mapping[str, Any], key: str, source: str) -> list[str]:
    return _as_list(table.get(key, []), key, source)


def _as_list(value: Any, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: [tool.nb2prod] {key} must be a list of strings")
    return list(value)


def _has_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.nb2prod" in text


def _relative_posix(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
