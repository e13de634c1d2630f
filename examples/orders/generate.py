"""Rebuild the orders example: three notebooks that hand their results on through files.

    python examples/orders/generate.py        (needs pandas, scikit-learn, nbformat, nbclient, ipykernel)

`01_get_data` reads the raw export (the only input file) and writes `clean_orders.csv`;
`02_features` reads it and writes `features.csv`; `03_train` reads that, fits a model and writes
`metrics.json`. Both later notebooks define the same `zscore` helper (copy-pasted, formatted
differently), as real project folders do. The notebooks are executed in a scratch copy of this
folder, so only the raw export is shipped here: the other files are what the notebooks make.
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
REGIONS = ["north", "south", "east", "west"]

GET_DATA = [
    "# Get the data\n\nThe raw order export from the shop, cleaned: one row per order.",
    "import pandas as pd",
    'RAW_PATH = "raw_orders.csv"\nMIN_AMOUNT = 1.0',
    "orders = pd.read_csv(RAW_PATH)\n# the export repeats an order when it was edited\n"
    'orders = orders.drop_duplicates(subset="order_id")\n'
    "orders = orders[orders[\"amount\"] >= MIN_AMOUNT]\n"
    'print(f"{len(orders)} orders from {orders[\'customer_id\'].nunique()} customers")',
    'orders.to_csv("clean_orders.csv", index=False)',
]

FEATURES = [
    "# Features\n\nOne row per customer: how much and how often they order.",
    "import pandas as pd",
    "def zscore(series):\n    # scale to mean 0 and standard deviation 1\n"
    "    return (series - series.mean()) / series.std()",
    'orders = pd.read_csv("clean_orders.csv")\n'
    'customers = orders.groupby("customer_id").agg(\n'
    '    total=("amount", "sum"), count=("order_id", "count"), region=("region", "first")\n'
    ").reset_index()\n"
    'customers["total_z"] = zscore(customers["total"])\n'
    'customers["loyal"] = (customers["count"] >= 4).astype(int)\n'
    'print(customers["loyal"].value_counts().sort_index().to_dict())',
    'customers.to_csv("features.csv", index=False)',
]

TRAIN = [
    "# Train\n\nPredict loyal customers from their spending.",
    "import json\n\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
    "def zscore( series ):\n    # scale to mean 0 and standard deviation 1\n"
    "    return (series - series.mean())/series.std()",
    'customers = pd.read_csv("features.csv")\n'
    'X = pd.get_dummies(customers[["total_z", "region"]], columns=["region"], dtype=float)\n'
    'X["count_z"] = zscore(customers["count"])\n'
    'y = customers["loyal"]',
    "model = LogisticRegression(C=1.0, max_iter=200)\nmodel.fit(X, y)\n"
    'metrics = {"accuracy": round(float(model.score(X, y)), 4), "customers": int(len(y))}\n'
    "print(metrics)",
    'with open("metrics.json", "w") as fh:\n    json.dump(metrics, fh, indent=2)',
]


def write_data(path: Path, rows: int = 600, seed: int = 11) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order_id", "customer_id", "region", "amount"])
        for i in range(rows):
            customer = rng.randint(1, 120)
            row = [f"O{i:05d}", f"C{customer:04d}", REGIONS[customer % 4],
                   round(rng.expovariate(1 / 40) + (customer % 7), 2)]
            writer.writerow(row)
            if rng.random() < 0.03:  # an edited order, exported twice
                writer.writerow(row)


def build(sources: list[str]) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(sources[0]), *(v4.new_code_cell(s) for s in sources[1:])]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def main() -> None:
    write_data(HERE / "raw_orders.csv")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(HERE / "raw_orders.csv", scratch)
        for name, sources in [("01_get_data", GET_DATA), ("02_features", FEATURES),
                              ("03_train", TRAIN)]:
            notebook = build(sources)
            NotebookClient(notebook, kernel_name="python3", timeout=600,
                           resources={"metadata": {"path": scratch}}).execute()
            nbformat.write(notebook, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
