"""Rebuild the churn example: synthetic data, the clean notebook and its messy twin, both executed.

    python examples/churn/generate.py        (needs pandas, scikit-learn, nbformat, nbclient, ipykernel)

The data is generated here with a fixed seed (no licence questions, under 200 KB). The clean
notebook runs top to bottom. The messy one is the same analysis as a person really left it: the
test-size constant was added in a scratch cell at the bottom and run before the training cell, so
its saved outputs only exist because of that order (`nb2prod check` reports NB101 and NB201).
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENTS = ["card", "bank-transfer", "electronic-check", "mailed-check"]


def write_data(path: Path, rows: int = 1200, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "tenure_months", "monthly_charges", "total_charges",
                         "contract", "payment_method", "support_calls", "churned"])
        for i in range(rows):
            tenure = rng.randint(0, 72)
            monthly = round(rng.uniform(18, 120), 2)
            contract = rng.choices(CONTRACTS, weights=[5, 3, 2])[0]
            payment = rng.choice(PAYMENTS)
            calls = min(int(rng.expovariate(0.6)), 9)
            score = (-1.2 - 0.04 * tenure + 0.012 * monthly + 0.35 * calls
                     - 1.1 * CONTRACTS.index(contract) + 0.5 * (payment == "electronic-check"))
            churned = int(rng.random() < 1 / (1 + math.exp(-score)))
            total = "" if rng.random() < 0.03 else round(tenure * monthly * rng.uniform(0.95, 1.05), 2)
            writer.writerow([f"C{i:05d}", tenure, monthly, total, contract, payment, calls, churned])
            if rng.random() < 0.02:  # exported twice by the CRM: a duplicate row to clean
                writer.writerow([f"C{i:05d}", tenure, monthly, total, contract, payment, calls, churned])


MD_INTRO = """# Customer churn model

Predict which customers cancel their subscription from tenure, charges, contract and support
history. Trains a random forest and writes the model and its test metrics to `outputs/`."""

IMPORTS = """import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split"""

PARAMETERS_CLEAN = """DATA_PATH = "customers.csv"
OUTPUT_DIR = "outputs"
TEST_SIZE = 0.25
SEED = 42"""

PARAMETERS_MESSY = """DATA_PATH = "customers.csv"
OUTPUT_DIR = "outputs"
SEED = 42"""

LOAD = """df = pd.read_csv(DATA_PATH)
print(f"{len(df)} rows, {df['customer_id'].nunique()} customers")
df.head()"""

CLEAN = """df = df.drop_duplicates(subset="customer_id")
df["total_charges"] = df["total_charges"].fillna(df["monthly_charges"] * df["tenure_months"])
print(f"{len(df)} customers after cleaning, churn rate {df['churned'].mean():.3f}")"""

FEATURES = """def add_features(frame):
    frame = frame.copy()
    # customers in their first month have no history: avoid dividing by zero
    frame["charges_per_month"] = frame["total_charges"] / frame["tenure_months"].clip(lower=1)
    frame["is_long_term"] = (frame["contract"] != "month-to-month").astype(int)
    return frame


features = add_features(df)
X = pd.get_dummies(
    features.drop(columns=["customer_id", "churned"]),
    columns=["contract", "payment_method"],
    dtype=float,
)
y = features["churned"]
X.shape"""

TRAIN = """X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=TEST_SIZE, random_state=SEED, stratify=y
)
model = RandomForestClassifier(n_estimators=200, max_depth=6, random_state=SEED)
model.fit(X_train, y_train)"""

EVALUATE = """pred = model.predict(X_test)
proba = model.predict_proba(X_test)[:, 1]
metrics = {
    "accuracy": round(float(accuracy_score(y_test, pred)), 4),
    "roc_auc": round(float(roc_auc_score(y_test, proba)), 4),
    "n_test": int(len(y_test)),
}
print(json.dumps(metrics, indent=2))"""

SAVE = """out = Path(OUTPUT_DIR)
out.mkdir(exist_ok=True)
with open(out / "model.pkl", "wb") as fh:
    pickle.dump(model, fh)
(out / "metrics.json").write_text(json.dumps(metrics, indent=2))
print("saved model and metrics to", out)"""

SCRATCH = """# scratch: try a bigger test set
TEST_SIZE = 0.25"""


def build(messy: bool) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    parameters = v4.new_code_cell(PARAMETERS_MESSY if messy else PARAMETERS_CLEAN)
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        v4.new_markdown_cell(MD_INTRO), v4.new_code_cell(IMPORTS), parameters,
        v4.new_markdown_cell("## Load the data"), v4.new_code_cell(LOAD),
        v4.new_markdown_cell("## Clean"), v4.new_code_cell(CLEAN),
        v4.new_markdown_cell("## Feature engineering"), v4.new_code_cell(FEATURES),
        v4.new_markdown_cell("## Train"), v4.new_code_cell(TRAIN),
        v4.new_markdown_cell("## Evaluate"), v4.new_code_cell(EVALUATE),
        v4.new_markdown_cell("## Save"), v4.new_code_cell(SAVE),
    ]
    if messy:
        cells.append(v4.new_code_cell(SCRATCH))
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def execute(notebook: nbformat.NotebookNode, order: list[int]) -> None:
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(HERE)}})
    with client.setup_kernel():
        for index in order:
            client.execute_cell(notebook.cells[index], index)


def main() -> None:
    write_data(HERE / "customers.csv")
    clean = build(messy=False)
    NotebookClient(clean, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(clean, HERE / "churn.ipynb")

    messy = build(messy=True)
    code = [i for i, c in enumerate(messy.cells) if c.cell_type == "code"]
    scratch = code[-1]
    train = messy.cells.index(next(c for c in messy.cells if c.source == TRAIN))
    order = [i for i in code if i < train] + [scratch] + [i for i in code if train <= i < scratch]
    execute(messy, order)
    messy.metadata["language_info"] = clean.metadata.get("language_info", {})
    nbformat.write(messy, HERE / "churn_messy.ipynb")


if __name__ == "__main__":
    main()
