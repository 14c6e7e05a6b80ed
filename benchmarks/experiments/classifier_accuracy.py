"""Accuracy of the default AntidoteClassifier under synthetic label noise.

For each task (data set + noise model), seed and method, a
``make_pipeline(StandardScaler(), AntidoteClassifier(random_state=seed))`` with the
classifier's *default* hyperparameters is trained on the shared split of
:mod:`benchmarks.datasets` with corrupted training labels and scored on the clean test
labels. The scaler is part of the method, as in the committed results (which standardised
the raw digits pixels; standardising is the same on raw and on divided pixels). Methods:

* ``antidote``: ``forget_rate`` = the true noise rate;
* ``ce``: the same network and training with plain cross-entropy (``forget_rate=0``);
* ``clean``: plain cross-entropy on the clean training labels (an upper reference).

``--set name=value`` overrides a default of every classifier (for tuning experiments;
the committed results use none); the overrides are a column of the CSV and part of a
cell's key.
"""

from __future__ import annotations

import argparse
import ast
import time

import numpy as np
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.datasets import add_noise, load_split
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteClassifier

#: name -> (data set, noise model, noise rate, target test accuracy of ANTIDOTE)
TASKS = {
    "digits-sym-40": ("digits", "sym", 0.4, 0.90),
    "digits-pair-40": ("digits", "pair", 0.4, 0.80),
    "letter-sym-40": ("letter", "sym", 0.4, 0.935),
}
METHODS = ("antidote", "ce", "clean")
FIELDS = (
    "task", "method", "seed", "overrides", "accuracy", "seconds", "actual_noise",
    "weight_noisy", "weight_clean",
)
KEY = ("task", "method", "seed", "overrides")


def parse_overrides(items: list[str]) -> dict:
    """``["name=value", ...]`` as keyword arguments (values as Python literals if they parse)."""
    overrides = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    return overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override a classifier default (tuning only)")


def cells(args: argparse.Namespace) -> list[Cell]:
    overrides = repr(parse_overrides(args.set))
    return [
        {"task": task, "method": method, "seed": seed, "overrides": overrides}
        for task in args.tasks for method in args.methods for seed in args.seeds
    ]


def run_cell(cell: Cell) -> list[Row]:
    """Fit one pipeline; its clean test accuracy and how its weights separate the noise."""
    torch.set_num_threads(1)
    task, method, seed = cell["task"], cell["method"], cell["seed"]
    dataset, noise, rate, _ = TASKS[task]
    split = load_split(dataset, seed, dtype=np.float64)
    y_noisy, is_noisy = add_noise(split, noise, rate, seed)
    params = ast.literal_eval(cell["overrides"])
    params["forget_rate"] = rate if method == "antidote" else 0.0
    y_fit = split.y_train if method == "clean" else y_noisy
    clf = make_pipeline(StandardScaler(), AntidoteClassifier(random_state=seed, **params))
    start = time.perf_counter()
    clf.fit(split.X_train, y_fit)
    seconds = time.perf_counter() - start
    weights = clf[-1].sample_weights_
    noisy_labels = method != "clean"
    return [{
        **cell,
        "accuracy": clf.score(split.X_test, split.y_test),
        "seconds": seconds,
        "actual_noise": is_noisy.mean(),
        # How well the final ANTIDOTE weights separate wrong from right labels.
        "weight_noisy": weights[is_noisy].mean() if noisy_labels else np.nan,
        "weight_clean": weights[~is_noisy].mean() if noisy_labels else np.nan,
    }]


def summary(rows: list[Row]) -> str:
    return f"accuracy {rows[0]['accuracy']:.4f} ({rows[0]['seconds']:.1f} s)"


EXPERIMENT = Experiment(
    name="classifier_accuracy", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "classifier_accuracy.csv",
    report=lambda args: "classifier_accuracy",
)
