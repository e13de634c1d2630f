"""scripts/update_import_map.py merges its sources into rows with provenance (tiny fake sources)."""

from __future__ import annotations

import gzip
import importlib.util
import sqlite3
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "update_import_map.py"


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("update_import_map", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = tmp_path / "import_map.tsv"
    table.write_text("# header\nattr\tattrs\tcurated\t\ngoogle.colab\t-\tonly in Colab\n",
                     encoding="utf-8")
    monkeypatch.setattr(module, "TABLE", table)
    return module


def _sources(folder: Path) -> Path:
    folder.mkdir()
    with zipfile.ZipFile(folder / "pipreqs-0.5.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("pipreqs/mapping", "yaml:PyYAML\nhydra:hydra-core\nutils:python-utils\n")
    database = folder / "db.sqlite3"
    connection = sqlite3.connect(database)
    connection.executescript(
        "create table distributions (id integer primary key, name text, version text);"
        "create table top_level_module_names (id integer primary key, distribution_id int, name text);")
    projects = [("segment-geospatial", "0.13.0", ["samgeo"]),
                ("segment-geospatial-uni", "0.0.2", ["samgeo"]),  # a fork and a placeholder
                ("earthengine-api", "1.6.15", ["ee"]), ("ee", "0.4", ["ee"]),
                ("Hydra", "2.5", ["hydra"]), ("attr", "0.3.2", ["attr"]),
                ("vendor-all", "1.0", [f"m{i}" for i in range(20)] + ["samgeo"])]  # a bundle
    for number, (name, version, modules) in enumerate(projects, 1):
        connection.execute("insert into distributions values (?, ?, ?)", (number, name, version))
        connection.executemany("insert into top_level_module_names (distribution_id, name) "
                               "values (?, ?)", [(number, m) for m in modules])
    connection.commit()
    connection.close()
    with zipfile.ZipFile(folder / "pigar-2.2.0-py3-none-any.whl", "w") as wheel:
        wheel.write(database, "pigar/.db.sqlite3")
    lines = ["usr/lib/python3/dist-packages/box/__init__.py   python/python3-box",
             "usr/lib/python3/dist-packages/python_box-3.4.6.egg-info/PKG-INFO python/python3-box",
             "usr/lib/python3/dist-packages/yaml/__init__.py   python/python3-yaml",
             "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA python/python3-yaml",
             "usr/share/doc/python3-yaml/copyright   doc/python3-yaml"]
    for arch in ("all", "amd64"):
        with gzip.open(folder / f"Contents-{arch}.gz", "wt") as contents:
            contents.write("\n".join(lines if arch == "all" else []) + "\n")
    return folder


def test_merge_keeps_curated_rows_and_records_where_each_row_comes_from(script, tmp_path: Path) -> None:
    rows = {row.split("\t")[0]: row.split("\t")[1:3] for row in script.merge(_sources(tmp_path / "s"))}
    assert rows["attr"] == ["attrs|attr", "curated"]  # a same-named project is a rival
    assert rows["google.colab"] == ["-", "curated"]
    assert rows["yaml"] == ["PyYAML", "pipreqs,debian"]  # sources agree
    assert rows["box"] == ["python-box", "debian"]
    assert rows["samgeo"] == ["segment-geospatial", "pigar"]  # fork, placeholder, bundle dropped
    assert rows["ee"] == ["earthengine-api|ee", "pigar"]
    assert rows["hydra"] == ["hydra-core|Hydra", "pipreqs"]  # pigar only agrees with reviewed rows
    assert "utils" not in rows  # the author's own module name, whatever a source lists


def test_written_table_parses_and_names_its_sources(script, tmp_path: Path) -> None:
    from nb2prod.pin.mapping import parse_table

    script.write_table(script.merge(_sources(tmp_path / "s")))
    text = script.TABLE.read_text(encoding="utf-8")
    assert "pipreqs==0.5.0, Apache-2.0" in text and "pigar==2.2.0, BSD-3-Clause" in text
    table = parse_table(text)
    assert table["ee"].rivals == ("ee",) and table["ee"].unchecked
    assert table["yaml"].sources == ("pipreqs", "debian") and not table["yaml"].unchecked
