"""Collecting imports and installs, and mapping imports to distributions, on real notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.analysis.installs import parse_install_command
from nb2prod.notebook import load_notebook
from nb2prod.pin.collect import collect
from nb2prod.pin.evidence import output_versions
from nb2prod.pin.mapping import Environment, map_import, parse_table
from nb2prod.pin.resolve import pin_notebooks, requirements_in
from tests.helpers import DATA, code, load, ran, stream, write

BARE = Environment()


def test_real_notebook_imports_without_stdlib() -> None:
    collected = collect(load_notebook(DATA / "real" / "t_test_clean.ipynb"))
    assert [s.module.split(".")[0] for s in collected.imports] == ["pandas", "numpy", "scipy"]


def test_import_forms_optional_and_local(tmp_path: Path) -> None:
    (tmp_path / "helpers_local.py").write_text("X = 1\n")
    path = write(tmp_path, "nb.ipynb", ran(
        "import os, json\nimport numpy as np\nfrom sklearn.svm import SVC",
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None",
        "import importlib\nyaml = importlib.import_module('yaml')",
        "from helpers_local import X\nfrom . import sibling",
        "def f():\n    import torch\n    return torch",
    ))
    collected = collect(load_notebook(path))
    modules = {s.module: s.optional for s in collected.imports}
    assert modules == {"numpy": False, "sklearn.svm.SVC": False, "ujson": True, "yaml": False,
                       "torch": False}
    assert collected.local_modules == ("helpers_local",)


@pytest.mark.parametrize(("command", "expected"), [
    ("pip install pandas==2.2.2 'scikit-learn>=1.3' requests[socks]",
     [("pandas", "", "==2.2.2"), ("scikit-learn", "", ">=1.3"), ("requests", "[socks]", "")]),
    ("python -m pip install -q -U --index-url https://x/simple xgboost", [("xgboost", "", "")]),
    ("pip install -r requirements.txt && pip install seaborn", []),
    ("conda install -y -c conda-forge scipy=1.11 numpy", [("scipy", "", "==1.11"), ("numpy", "", "")]),
])
def test_install_commands(command: str, expected: list) -> None:
    specs = parse_install_command(command)
    assert [(s.name, s.extras, s.specifier) for s in specs] == expected


@pytest.mark.parametrize(("module", "distribution", "source"), [
    ("sklearn.linear_model", "scikit-learn", "table"),
    ("cv2", "opencv-python", "table"),
    ("PIL.Image", "Pillow", "table"),
    ("google.cloud.bigquery", "google-cloud-bigquery", "table"),
    ("mpl_toolkits.mplot3d", "matplotlib", "table"),
    ("somethingnew", "somethingnew", "guessed"),
])
def test_table_and_guess_in_a_bare_environment(module: str, distribution: str, source: str) -> None:
    mapping = map_import(module, BARE, frozenset())
    assert (mapping.distribution, mapping.source) == (distribution, source)
    assert mapping.guessed == (source == "guessed")


@pytest.mark.parametrize("module", ["google.colab", "en_core_web_sm", "utils", "helpers",
                                    "da_helper_functions", "kaggle_secrets"])
def test_never_maps_non_pypi_or_local_looking_names(module: str) -> None:
    mapping = map_import(module, BARE, frozenset())
    assert mapping.distribution is None and mapping.reason


def test_unknown_import_in_a_notebook_that_extends_sys_path_is_unresolved() -> None:
    assert map_import("mystuff", BARE, frozenset(), extends_sys_path=True).distribution is None


def test_environment_metadata_wins_and_ambiguity_is_reported() -> None:
    env = Environment(packages={"cv2": ("opencv-python-headless",),
                                "foo": ("foo-a", "foo-b")})
    assert map_import("cv2", env, frozenset()).distribution == "opencv-python-headless"
    ambiguous = map_import("foo", env, frozenset())
    assert ambiguous.distribution is None and ambiguous.candidates == ("foo-a", "foo-b")


def test_install_line_chooses_between_candidates() -> None:
    mapping = map_import("cv2", BARE, frozenset({"opencv-contrib-python"}))
    assert (mapping.distribution, mapping.source) == ("opencv-contrib-python", "install")


def test_namespace_package_narrowed_by_installed_files() -> None:
    env = Environment(packages={"google": ("google-cloud-storage", "protobuf")},
                      files={"google-cloud-storage": ("google/cloud/storage",),
                             "protobuf": ("google/protobuf",)})
    assert map_import("google.protobuf.message", env, frozenset()).distribution == "protobuf"


def test_shipped_table_is_well_formed() -> None:
    from importlib import resources

    text = resources.files("nb2prod.pin").joinpath("import_map.tsv").read_text(encoding="utf-8")
    table = parse_table(text)
    assert len(table) > 20000
    known_sources = {"curated", "pipreqs", "debian", "pigar", "environment"}
    for name, entry in table.items():
        assert all(part.isidentifier() for part in name.split(".")), name
        assert entry.builds and all(d == "-" or d.replace("-", "").replace("_", "")
                                    .replace(".", "").isalnum()
                                    for d in (*entry.builds, *entry.rivals)), name
        assert set(entry.sources) <= known_sources, name
    # reviewed sources agree on the names everyone imports
    for name, distribution in {"sklearn": "scikit-learn", "yaml": "PyYAML", "PIL": "Pillow",
                               "bs4": "beautifulsoup4"}.items():
        assert table[name].default == distribution, name
        assert len(table[name].sources) >= 2, name
    assert table["gi"].default == "PyGObject" and "debian" in table["gi"].sources
    with pytest.raises(ValueError, match=r"import_map\.tsv:2"):
        parse_table("# header\nbroken-line-without-tab\n")


def test_versions_from_outputs() -> None:
    notebook_cells = [
        code("import pandas as pd\nimport sklearn\nprint(pd.__version__)\nprint(sklearn.__version__)",
             1, [{"output_type": "stream", "name": "stdout", "text": "2.2.2\n1.5.0\n"}]),
        code("!pip freeze", 2, [{"output_type": "stream", "name": "stdout",
                                 "text": "numpy==1.26.4\nscipy==1.13.0\n"}]),
        code("%watermark -p seaborn", 3, [{"output_type": "stream", "name": "stdout",
                                           "text": "seaborn: 0.13.2\n"}]),
    ]
    from tests.helpers import load

    versions = {(v.name, v.version) for v in output_versions(load(notebook_cells))}
    assert {("pandas", "2.2.2"), ("sklearn", "1.5.0"), ("numpy", "1.26.4"),
            ("scipy", "1.13.0"), ("seaborn", "0.13.2")} <= versions


def test_version_evidence_order_and_requirements_in() -> None:
    from tests.helpers import load, ran_on

    cells = [
        code("!pip install pandas==2.1.0", 1),
        code("import pandas as pd\nimport numpy as np\nimport scipy\nimport newthing\nprint(np.__version__)",
             2, [{"output_type": "stream", "name": "stdout", "text": "1.26.4\n"}]),
        code("!pip install 'requests>=2'", 3),
    ]
    env = Environment(versions={"numpy": "2.0.0", "scipy": "1.11.0", "pandas": "9.9.9"},
                      python="3.11")
    result = pin_notebooks([load(cells, **ran_on("3.11.4"))], env)
    found = {r.distribution: (r.version, r.specifier, r.evidence.split(" ")[0]) for r in result.requirements}
    assert found == {
        "pandas": ("2.1.0", "", "pinned"),          # the notebook's own install line first
        "numpy": ("1.26.4", "", "__version__"),     # then what its outputs printed
        "scipy": ("1.11.0", "", "installed"),       # then the environment
        "newthing": (None, "", "no"),
        "requests": (None, ">=2", "range"),
    }
    text = requirements_in(result)
    assert "numpy==1.26.4  # import numpy; __version__ printed in the output (cell 1)" in text
    assert "newthing  # GUESSED distribution name" in text
    assert "requests>=2  # installed in the notebook" in text


def test_an_environment_of_another_python_is_no_version_evidence() -> None:
    from tests.helpers import load, ran_on

    env = Environment(versions={"scipy": "1.11.0"}, python="3.11", label="current environment")
    for metadata, why in [(ran_on("3.6.9"), "the notebook last ran on Python 3.6"),
                          ({}, "the notebook does not record which Python it last ran on")]:
        result = pin_notebooks([load([code("import scipy", 1)], **metadata)], env)
        [scipy] = result.requirements
        assert (scipy.version, scipy.evidence) == (None, "no version evidence")
        assert result.environment_note == ("versions installed in the current environment "
                                           f"(Python 3.11) were not used: {why}"
                                           if metadata else f"versions installed in the current "
                                           f"environment were not used: {why}")
        assert "# Versions installed in the current environment" in requirements_in(result)


def test_json_lists_one_entry_per_import(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write(tmp_path, "nb.ipynb", ran("import pylab\nimport mpl_toolkits\nimport google.colab"))
    result = subprocess.run([sys.executable, "-m", "nb2prod", "pin", "--no-compile", "--no-env",
                             "--format", "json", str(path)], capture_output=True, text=True)
    data = json.loads(result.stdout)
    assert {(r["import"], r["distribution"]) for r in data["requirements"]} == {
        ("pylab", "matplotlib"), ("mpl_toolkits", "matplotlib")}
    assert [u["import"] for u in data["unresolved"]] == ["google.colab"]
    assert (tmp_path / "requirements.in").read_text().count("matplotlib") == 1


def test_a_build_the_notebook_installs_is_the_distribution_its_printed_version_belongs_to() -> None:
    from tests.helpers import load, ran_on

    # shawlu95/Data-Science-Toolbox keras/105_regularization: `!pip install tf_nightly`, then
    # `print(tf.__version__)` printed 1.14.1-dev20190429, a tf-nightly version
    notebook = load([code("!pip install tf_nightly", 1),
                     code("import tensorflow as tf\nprint(tf.__version__)", 2,
                          [{"output_type": "stream", "name": "stdout",
                            "text": "1.14.1-dev20190429\n"}])], **ran_on("3.7.3"))
    [requirement] = pin_notebooks([notebook], Environment()).requirements
    assert (requirement.distribution, requirement.version) == ("tf-nightly", "1.14.1-dev20190429")


def test_a_fallback_import_is_an_alternative_not_a_requirement() -> None:
    from tests.helpers import load, ran, ran_on

    notebook = load(ran("try:\n    from PIL import Image\nexcept ImportError:\n    import Image\n"
                        "try:\n    import tqdm\nexcept ImportError:\n    tqdm = None"),
                    **ran_on("3.11.1"))
    found = {r.distribution: r.optional for r in pin_notebooks([notebook], Environment()).requirements}
    assert found == {"Pillow": False, "tqdm": True}  # no stranger named `Image`


def test_rival_projects_make_an_import_ambiguous_until_evidence_picks_one() -> None:
    ambiguous = map_import("jwt", BARE, frozenset())
    assert (ambiguous.distribution, ambiguous.ambiguous) == ("PyJWT", True)
    assert "jwt" in ambiguous.candidates and "ambiguous" in ambiguous.reason
    installed = map_import("jwt", BARE, frozenset({"jwt"}))
    assert (installed.distribution, installed.source, installed.ambiguous) == ("jwt", "install", False)
    printed = map_import("attr", BARE, frozenset(), printed_names=frozenset({"attr"}))
    assert (printed.distribution, printed.source) == ("attr", "output")


def test_names_only_pigar_knows_resolve_but_are_marked_unchecked() -> None:
    samgeo = map_import("samgeo", BARE, frozenset())
    assert (samgeo.distribution, samgeo.source, samgeo.guessed) == ("segment-geospatial", "pigar", True)
    # the author's own module names never become a stranger's package, whatever pigar lists
    assert map_import("my_helpers", BARE, frozenset()).distribution is None
    assert map_import("samgeo", BARE, frozenset(), extends_sys_path=True).distribution is None


def test_ambiguity_reaches_requirements_in_and_the_pip_list_settles_it() -> None:
    plain = pin_notebooks([load(["import jwt"])], BARE)
    assert "PyJWT  # AMBIGUOUS import: also shipped by jwt" in requirements_in(plain)
    listed = load([code("import jwt\n!pip list", 1, [stream("jwt    1.3.1\n")])])
    result = pin_notebooks([listed], BARE)
    assert [(r.distribution, r.version, r.alternatives) for r in result.requirements] == [
        ("jwt", "1.3.1", ())]


def test_install_sources_pin_cannot_read_are_named_never_written_as_requirements() -> None:
    cells = ran("!pip install -q --no-cache-dir -r requirements.txt --index-url https://i.example/simple\n"
                "!pip install -e . git+https://user:ghp_secret123@github.com/x/y.git ./pkg.whl numpy==1.2")
    result = pin_notebooks([load(cells)], BARE)
    assert [(s.kind, s.value) for s in result.other_sources] == [
        ("requirements file", "requirements.txt"), ("editable project", "."),
        ("URL", "git+https://***@github.com/x/y.git"), ("local path", "./pkg.whl")]
    text = requirements_in(result)
    assert "ghp_secret123" not in text and "i.example" not in text
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body == ["numpy==1.2  # installed in the notebook; pinned by pip install in cell 0"]
    assert "# note: cell 0 installs from the requirements file 'requirements.txt'" in text


def test_versions_from_package_folders_in_a_traceback() -> None:
    cell = code("model.fit(df)", 1)
    cell["outputs"] = [{"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": [
        "\x1b[0;32m/opt/conda/lib/python3.6/site-packages/pandas-0.23.4-py3.6-linux-x86_64.egg"
        "/pandas/core/frame.py\x1b[0m in \x1b[0;36m__getitem__\x1b[0m",
        "/home/u/miniconda3/pkgs/scikit-learn-0.19.1-py36h7aa7ec6_0/lib/python3.6/site-packages/"
        "sklearn/base.py in fit", "~/work/v-1.2/helpers.py in load"]}]
    found = [(v.name, v.version, v.how) for v in output_versions(load([cell]))]
    assert found == [("pandas", "0.23.4", "a package path in a traceback"),
                     ("scikit-learn", "0.19.1", "a package path in a traceback")]


def test_a_database_url_requires_the_driver_sqlalchemy_loads_for_it() -> None:
    # shawlu95 case_study/shutterfly/split.ipynb: create_engine('mysql+mysqldb://...') and no
    # import of MySQLdb; the pipeline needs mysqlclient all the same
    result = pin_notebooks([load_notebook(DATA / "real" / "mysql_split.ipynb")], BARE)
    driver = next(r for r in result.requirements if r.distribution == "mysqlclient")
    assert driver.imports == () and "mysql+mysqldb:// database URL" in driver.needed_for
    assert "mysqlclient  # the driver a mysql+mysqldb:// database URL needs (cell 1)" \
        in requirements_in(result)


def test_database_drivers_come_from_urls_and_magics_once() -> None:
    notebook = load(ran("import psycopg2\nimport pandas as pd\n"
                        "a = pd.read_sql('q', 'postgresql://u@h/d')\n"
                        "b = 'jdbc:mysql://h/d'\nc = 'https://example.com'",
                        "%sql mssql+pymssql://u@h/d",
                        "e = create_engine('oracle+cx_oracle://u@h')\nf = 'unknown+x://h'"))
    result = pin_notebooks([notebook], BARE)
    drivers = {r.distribution: r.needed_for for r in result.requirements if r.needed_for}
    # psycopg2 is imported: no second requirement for it, but SQLAlchemy 2.1 loads psycopg 3 for
    # the bare URL; a JDBC URL is Spark's, not SQLAlchemy's; pandas opens a URL with SQLAlchemy
    assert sorted(drivers) == ["SQLAlchemy", "cx-Oracle", "psycopg", "pymssql"]
    assert drivers["pymssql"] == "the driver a mssql+pymssql:// database URL needs (cell 1)"
    assert drivers["SQLAlchemy"] == "it opens the postgresql:// database URL (cell 0)"
    psycopg = next(r for r in result.requirements if r.distribution == "psycopg")
    assert psycopg.extras == "[binary]" and "2.1 and later psycopg 3" in psycopg.needed_for
