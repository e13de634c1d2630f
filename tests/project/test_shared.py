"""Helpers several notebooks define alike go to common.py, once; the rest stay where they were."""

from __future__ import annotations

from nb2prod.project.shared import shared_helpers

ZSCORE = "def zscore(s):\n    # scale\n    return (s - s.mean()) / s.std()"
ZSCORE_REFORMATTED = "def zscore( s ):\n    return (s - s.mean())/s.std()"


def test_the_same_helper_formatted_differently_is_shared_once() -> None:
    found = shared_helpers({"a": (ZSCORE,), "b": (ZSCORE_REFORMATTED,), "c": ()},
                           {"a": (), "b": (), "c": ()})
    assert found.names == {"zscore"}
    assert found.sources == (ZSCORE,)  # the first notebook's, comments and all
    assert found.differing == ()


def test_a_helper_defined_differently_stays_and_is_reported() -> None:
    other = "def zscore(s):\n    return (s - s.median()) / s.std()"
    found = shared_helpers({"a": (ZSCORE,), "b": (other,)}, {"a": (), "b": ()})
    assert found.names == frozenset() and found.differing == (("zscore", ("a", "b")),)


def test_names_a_helper_reads_must_mean_the_same_in_each_notebook() -> None:
    helper = "def norm(x):\n    return np.asarray(x) / np.linalg.norm(x)"
    same = shared_helpers({"a": (helper,), "b": (helper,)},
                          {"a": ("import numpy as np",), "b": ("import numpy as np",)})
    assert same.names == {"norm"} and same.imports == ("import numpy as np",)
    different = shared_helpers({"a": (helper,), "b": (helper,)},
                               {"a": ("import numpy as np",), "b": ("import jax.numpy as np",)})
    assert different.names == frozenset()


def test_a_helper_reading_notebook_state_or_an_unshared_helper_is_not_shared() -> None:
    scale = "def scale(x):\n    return x * FACTOR"
    uses = "def both(x):\n    return helper(x) + 1"
    helper_a, helper_b = "def helper(x):\n    return x", "def helper(x):\n    return -x"
    counter = "def bump():\n    global count\n    count += 1"
    found = shared_helpers({"a": (scale, helper_a, uses, counter), "b": (scale, helper_b, uses, counter)},
                           {"a": (), "b": ()})
    assert found.names == frozenset()
    assert [name for name, _ in found.differing] == ["helper"]
