"""The files notebooks read and write, and the notebook graph made from them."""

from __future__ import annotations

from pathlib import Path

from nb2prod.notebook import load_notebook
from nb2prod.project.exchange import file_exchange
from nb2prod.project.graph import notebook_graph
from tests.helpers import load

ORDERS = Path(__file__).resolve().parents[2] / "examples" / "orders"


def exchange(*sources: str):
    return file_exchange(load(list(sources)))


def test_reads_and_writes_of_the_common_file_calls() -> None:
    found = exchange(
        'RAW = "raw.csv"',
        "df = pd.read_csv(RAW)\nx = np.load('arr.npy')\ntext = Path('notes.txt').read_text()",
        "df.to_parquet('./out/clean.parquet')\nplt.savefig('fig.png')\njoblib.dump(m, 'm.joblib')",
        "with open('log.txt', 'w') as fh:\n    fh.write('x')\nwith open('cfg.json') as fh:\n    pass",
        "np.save('arr2.npy', x)\nPath('done.txt').write_text('ok')",
    )
    assert found.read_paths() == {"raw.csv", "arr.npy", "notes.txt", "cfg.json"}
    assert found.written_paths() == {"out/clean.parquet", "fig.png", "m.joblib", "log.txt",
                                     "arr2.npy", "done.txt"}
    first = next(use for use in found.reads if use.path == "raw.csv")
    assert (first.cell, first.line) == (1, 1)


def test_urls_conversions_and_rebound_names_are_not_files() -> None:
    found = exchange(
        "PATH = 'a.csv'", "PATH = 'b.csv'",  # bound twice: which file is unknown
        "df = pd.read_csv(PATH)\nurl = pd.read_csv('https://example.com/x.csv')",
        "rows = df.to_dict()\nvalues = df.to_numpy()\nname = f'{n}.csv'\ndf.to_csv(name)",
    )
    assert found.read_paths() == set() and found.written_paths() == set()


def test_the_orders_example_runs_in_file_name_order_with_one_input() -> None:
    names = ["01_get_data.ipynb", "02_features.ipynb", "03_train.ipynb"]
    graph = notebook_graph({n: file_exchange(load_notebook(ORDERS / n)) for n in names})
    assert graph.order == tuple(names) and not graph.cycle
    assert [(h.writer, h.reader, h.path) for h in graph.handoffs] == [
        ("01_get_data.ipynb", "02_features.ipynb", "clean_orders.csv"),
        ("02_features.ipynb", "03_train.ipynb", "features.csv")]
    assert [(o.reader, o.path) for o in graph.orphans] == [("01_get_data.ipynb", "raw_orders.csv")]
    assert graph.needs("03_train.ipynb") == ["02_features.ipynb"]
    assert graph.early_reads() == []


def test_the_writer_runs_first_whatever_the_names_say() -> None:
    graph = notebook_graph({
        "01_train.ipynb": exchange("f = pd.read_csv('features.csv')"),
        "02_features.ipynb": exchange("r.to_csv('features.csv')"),
    })
    assert graph.order == ("02_features.ipynb", "01_train.ipynb")
    assert [h.reader for h in graph.early_reads()] == ["01_train.ipynb"]


def test_paths_resolve_against_each_notebooks_folder() -> None:
    graph = notebook_graph({
        "prep/clean.ipynb": exchange("df.to_csv('../shared/clean.csv')"),
        "model/train.ipynb": exchange("df = pd.read_csv('../shared/clean.csv')"),
    })
    assert [(h.writer, h.path) for h in graph.handoffs] == [("prep/clean.ipynb", "shared/clean.csv")]
    assert graph.order == ("prep/clean.ipynb", "model/train.ipynb")


def test_a_cycle_is_named_and_the_rest_still_ordered() -> None:
    graph = notebook_graph({
        "a.ipynb": exchange("x = pd.read_csv('b.csv')\nx.to_csv('a.csv')"),
        "b.ipynb": exchange("x = pd.read_csv('a.csv')\nx.to_csv('b.csv')"),
        "c.ipynb": exchange("pd.DataFrame().to_csv('c.csv')"),
    })
    assert graph.cycle == ("a.ipynb", "b.ipynb")
    assert graph.order == ("c.ipynb", "a.ipynb", "b.ipynb")


def test_a_notebook_reading_its_own_output_needs_no_one() -> None:
    graph = notebook_graph({"a.ipynb": exchange("df.to_csv('cache.csv')\nd = pd.read_csv('cache.csv')")})
    assert graph.handoffs == () and graph.orphans == () and graph.order == ("a.ipynb",)


def test_paths_built_from_constants_are_files_too() -> None:
    found = exchange(
        "import os\nDATA = 'data'\nname = 'stats'\nout = Path('out')",
        "raw = pd.read_csv(os.path.join(DATA, 'raw.csv'))\nnp.save('arr', x)\n"
        "df.to_csv(f'{name}.csv')\ndf.to_parquet(out / 'feat.parquet')\n"
        "text = (Path(DATA) / 'notes.txt').read_text()\nlabel = ','.join(['a.csv', 'b.csv'])",
    )
    assert found.read_paths() == {"data/raw.csv", "data/notes.txt"}
    assert found.written_paths() == {"arr.npy", "stats.csv", "out/feat.parquet"}


def test_two_notebooks_that_each_read_back_their_own_file_are_no_cycle() -> None:
    lab = exchange("df.to_csv('awards.csv')", "again = pd.read_csv('awards.csv')")
    graph = notebook_graph({"lab.ipynb": lab, "lab_solutions.ipynb": lab})
    assert graph.cycle == () and graph.handoffs == () and graph.orphans == ()
    assert graph.rewritten == (("awards.csv", ("lab.ipynb", "lab_solutions.ipynb")),)


def test_module_names_drop_ordering_prefixes_and_avoid_what_they_would_hide() -> None:
    from nb2prod.project.discover import module_names

    assert module_names(["00a_Overview.ipynb", "06_2nd_stage.ipynb", "list.ipynb", "json.ipynb",
                         "pipeline.ipynb", "prep/01_clean.ipynb", "model/01_clean.ipynb",
                         "1.2-report.ipynb"]) == {
        "00a_Overview.ipynb": "overview", "06_2nd_stage.ipynb": "nb_2nd_stage",
        "list.ipynb": "list_notebook", "json.ipynb": "json_notebook",
        "pipeline.ipynb": "pipeline_notebook", "prep/01_clean.ipynb": "clean",
        "model/01_clean.ipynb": "model_clean", "1.2-report.ipynb": "report"}
