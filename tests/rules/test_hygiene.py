"""NB301 unpinned installs, NB302 absolute paths, NB303 unseeded randomness, NB304 blocking input."""

from __future__ import annotations

import pytest

from tests.helpers import findings, ran


@pytest.mark.parametrize(("source", "expected"), [
    ("!pip install pandas", [("NB301", 0, 1)]),
    ("%pip install -q pandas scikit-learn==1.5.0", [("NB301", 0, 1)]),
    ("pip install seaborn", [("NB301", 0, 1)]),
    ("!{sys.executable} -m pip install xgboost", [("NB301", 0, 1)]),
    ("x = 1\n%conda install -y scipy", [("NB301", 0, 2)]),
    ("!pip install pandas==2.2.2 'numpy>=1,<2' ", [("NB301", 0, 1)]),
    ("!pip install pandas==2.2.2 scikit-learn===1.5.0", []),
    ("!pip install -r requirements.txt", []),
    ("!pip install git+https://github.com/org/pkg.git ./local_pkg", []),
    ("%conda install scipy=1.11", []),
    ("import pip  # not an install", []),
])
def test_unpinned_installs(source: str, expected: list) -> None:
    assert findings(ran(source), "NB301") == expected


@pytest.mark.parametrize(("source", "expected"), [
    ('df = pd.read_csv("/Users/ana/Downloads/churn.csv")', [("NB302", 0, 1)]),
    ('p = "C:\\\\Users\\\\bob\\\\data.xlsx"', [("NB302", 0, 1)]),
    ("p = '~/data/x.csv'", [("NB302", 0, 1)]),
    ("p = '/home/jo/x.parquet'", [("NB302", 0, 1)]),
    ("import pandas as pd\n\ndf = pd.read_csv('/data/shared/train.csv')", [("NB302", 0, 3)]),
    ("%cd /Users/ana/project", [("NB302", 0, 1)]),
    ("url = 'https://example.com/Users/x'", []),
    ("route = '/api/v1/items'", []),
    ("df = pd.read_csv('data/train.csv')", []),
])
def test_absolute_paths(source: str, expected: list) -> None:
    assert findings(ran(source), "NB302") == expected


def test_unseeded_randomness() -> None:
    assert findings(ran("import numpy as np", "a = np.random.rand(3)", "b = np.random.rand(2)"),
                    "NB303") == [("NB303", 1, 1)]  # once per notebook: one seed fixes them all
    assert findings(ran("import numpy as np", "np.random.seed(0)", "a = np.random.rand(3)"),
                    "NB303") == []
    assert findings(ran("import numpy as np", "rng = np.random.default_rng(42)"), "NB303") == []
    assert findings(ran("split = train_test_split(X, y)"), "NB303") == [("NB303", 0, 1)]
    assert findings(ran("split = train_test_split(X, y, random_state=0)"), "NB303") == []
    assert findings(ran("import random", "random.shuffle(xs)"), "NB303") == [("NB303", 1, 1)]



def test_scikit_learn_takes_numpy_s_global_seed_and_an_exact_pca_is_not_random() -> None:
    # Harvard-IACS 2021-CS109A lab 9: np.random.seed(40), then DecisionTreeClassifier() (its
    # random_state=None draws from numpy's seeded generator); PCA() keeps every component exactly
    tree = "from sklearn.tree import DecisionTreeClassifier\nclf = DecisionTreeClassifier(max_depth=2)"
    assert findings(ran("import numpy as np\nnp.random.seed(40)", tree), "NB303") == []
    assert findings(ran("import random\nrandom.seed(40)", tree), "NB303") == [("NB303", 1, 2)]
    assert findings(ran("from sklearn.decomposition import PCA\npca = PCA().fit(X)"), "NB303") == []
    assert findings(ran("pca = PCA(n_components=2, svd_solver='full')"), "NB303") == []
    assert findings(ran("pca = PCA(n_components=2)"), "NB303") == [("NB303", 0, 1)]


def test_interactive_input() -> None:
    assert findings(ran("x = input('value? ')"), "NB304") == [("NB304", 0, 1)]
    assert findings(ran("from getpass import getpass\npw = getpass()"), "NB304") == [("NB304", 0, 2)]
    assert findings(ran("from ipywidgets import interact\ninteract(f, x=3)"), "NB304") == [
        ("NB304", 0, 2)]
    assert findings(ran("value = parameters['x']"), "NB304") == []


def test_pandas_sample_without_random_state_is_unseeded() -> None:
    # shawlu95 case_study/shutterfly/split.ipynb shuffles with df.sample(frac=1)
    assert findings(ran("df = df.sample(frac=1)"), "NB303") == [("NB303", 0, 1)]
    assert findings(ran("df = df.sample(frac=1, random_state=0)"), "NB303") == []
    assert findings(ran("import numpy as np\nnp.random.seed(0)\ndf = df.sample(frac=1)"),
                    "NB303") == []
