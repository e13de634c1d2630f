"""NB101 out-of-order, NB102 skipped cell, NB103 count gaps."""

from __future__ import annotations

from tests.helpers import code, findings, markdown, ran, real


def test_clean_run_has_no_execution_findings() -> None:
    assert findings(real("t_test_clean.ipynb"), "NB1") == []
    assert findings(ran("a = 1", "b = a", "print(b)"), "NB1") == []


def test_real_out_of_order_notebook() -> None:
    assert findings(real("reduce_out_of_order.ipynb"), "NB101") == [("NB101", 10, 1)]


def test_out_of_order_reported_once_on_first_late_cell() -> None:
    cells = [markdown("# t"), code("a = 1", 1), code("b = 2", 5), code("c = 3", 2), code("d = 4", 3)]
    assert findings(cells, "NB101") == [("NB101", 3, 1)]


def test_skipped_cell_between_executed_ones() -> None:
    cells = [code("a = 1", 1), code("a = a + 1"), code("print(a)", 2), code("tail = 1")]
    assert findings(cells, "NB102") == [("NB102", 1, 1)]


def test_unexecuted_cells_after_the_last_run_are_not_skipped() -> None:
    assert findings([code("a = 1", 1), code("b = 2"), code("c = 3")], "NB102") == []


def test_gap_in_counts_and_late_start() -> None:
    assert findings([code("a = 1", 1), code("b = 2", 4)], "NB103") == [("NB103", 1, 1)]
    assert findings([code("a = 1", 7), code("b = 2", 8)], "NB103") == [("NB103", 0, 1)]


def test_zero_counts_from_course_tools_are_unexecuted() -> None:
    found = findings(real("pca_zero_counts.ipynb"), "NB1")
    assert ("NB101", 6, 1) not in found
    assert ("NB102", 6, 1) in found
