"""The default AntidoteClassifier against scikit-learn's tabular models on small tables.

A data scientist with a few thousand noisy rows compares a new classifier with what they
already use. For each data set (adult, letter), training-set size (a random subsample of
the shared 70 % training split: 1,000, 3,000 or 10,000 rows), symmetric noise rate (0, 20
or 40 %) and seed, every method is trained on the same noisy rows and scored on the clean
30 % test split:

* ``antidote``: ``AntidoteClassifier(random_state=seed)`` with every default (in
  particular ``forget_rate="auto"``: the user gives no noise rate, the classifier
  estimates it in the same run);
* ``logistic_regression``: ``LogisticRegression(max_iter=1000)``;
* ``hist_gradient_boosting``: ``HistGradientBoostingClassifier(random_state=seed)``.

The features are those of :func:`benchmarks.datasets.load_split` (adult: standardised
numeric and one-hot categorical columns; letter: standardised), the same for every method.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from benchmarks.datasets import add_noise, load_split
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteClassifier

DATASETS = ("adult", "letter")
SIZES = (1000, 3000, 10000)
RATES = (0.0, 0.2, 0.4)
METHODS = ("antidote", "logistic_regression", "hist_gradient_boosting")
FIELDS = (
    "dataset", "n_train", "rate", "seed", "method", "accuracy", "seconds", "actual_noise",
    "estimated_noise",
)
KEY = ("dataset", "n_train", "rate", "seed", "method")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])


def cells(args: argparse.Namespace) -> list[Cell]:
    return [
        {"dataset": dataset, "n_train": n, "rate": rate, "seed": seed, "method": method}
        for dataset in args.datasets for n in args.sizes for rate in args.rates
        for seed in args.seeds for method in args.methods
    ]


def estimator(method: str, seed: int):
    """The method's unfitted estimator."""
    if method == "antidote":
        return AntidoteClassifier(random_state=seed, device="cpu")
    if method == "logistic_regression":
        return LogisticRegression(max_iter=1000)
    return HistGradientBoostingClassifier(random_state=seed)


def run_cell(cell: Cell) -> list[Row]:
    """Fit one method on a noisy subsample; its accuracy on the clean test labels."""
    torch.set_num_threads(1)
    seed, n = cell["seed"], cell["n_train"]
    split = load_split(cell["dataset"], seed)
    y_noisy, _ = add_noise(split, "sym", cell["rate"], seed)
    # The subsample is drawn after the noise, so the noise has exactly the nominal rate
    # over the whole split and about it over the subsample, as in a table that was
    # mislabeled before anyone sampled it.
    rows = np.random.default_rng(seed).permutation(len(y_noisy))[:n]
    model = estimator(cell["method"], seed)
    start = time.perf_counter()
    model.fit(split.X_train[rows], y_noisy[rows])
    seconds = time.perf_counter() - start
    return [{
        **cell,
        "accuracy": model.score(split.X_test, split.y_test),
        "seconds": seconds,
        "actual_noise": float(np.mean(y_noisy[rows] != split.y_train[rows])),
        # The classifier's estimate of the noise rate, made in the same run.
        "estimated_noise": getattr(model, "noise_rate_", np.nan),
    }]


def summary(rows: list[Row]) -> str:
    return f"accuracy {rows[0]['accuracy']:.4f} ({rows[0]['seconds']:.1f} s)"


EXPERIMENT = Experiment(
    name="small_tables", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "small_tables.csv",
    report=lambda args: "small_tables",
)
