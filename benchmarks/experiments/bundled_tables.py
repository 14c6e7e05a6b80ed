"""The default classifier on tables outside the suite: what the noise estimate gets right.

The suite's tables (digits, letter, adult) shaped the estimate's rules; these did not. For
scikit-learn's bundled breast-cancer (569 rows, 2 classes) and wine (178 rows, 3 classes)
tables, three ``make_classification`` tables of 4,000 rows (5 overlapping classes; 2
classes at 80/20; 50 classes of 80 rows each, which the network learns only in part) and
two tables of 4,000 rows whose classes are not linear (``make_moons`` with noise 0.3: two
interleaved half-moons in 2 features that overlap, so that about a tenth of the clean
labels disagree with the best classifier; ``make_gaussian_quantiles``: 3 classes as
nested shells of a 4-dimensional Gaussian),
with symmetric, class-conditional (:func:`skantidote.noise.
class_conditional_noise`) and instance-dependent (:func:`skantidote.noise.instance_noise`:
the rows that look most like another class flip most) noise at 30 %, and clean labels,
three classifiers are trained in a ``StandardScaler`` pipeline on the same noisy 70 %
(stratified split per seed) and scored on the clean 30 %:

* ``ce``: ``AntidoteClassifier(forget_rate=0)``, plain cross-entropy;
* ``auto``: ``AntidoteClassifier()``, every default (the rate estimated in the run);
* ``true_rate``: ``AntidoteClassifier(forget_rate=<the actual fraction of wrong labels>)``;
* ``auto_chi2``, ``true_rate_chi2``: the same two with ``divergence="chi2"`` instead of
  the default KL (the suite's candidate for short runs, tried at the default epochs);
* ``auto_nce_rce``: ``auto`` reweighting the bounded NCE+RCE loss instead of
  cross-entropy (``criterion__sample_loss="nce+rce"``; the suite's best on adult, two
  classes, at 100 epochs);
* ``auto_es``: ``auto`` with ``early_stopping=True`` (trained on 90 % of the training
  rows, stopped where the reweighted objective on the other 10 % no longer falls);
* ``auto_per_class``: ``auto`` with ``per_class=True`` (one ball per class at that class's
  estimated rate, each class keeping the share of the rows its ball keeps; no confident
  floor).
* ``auto_no_floor``: ``auto`` with the confident floor removed after every epoch
  (:class:`benchmarks.micro.memorisation.WithoutFloor`): the estimate alone sets the
  forgetting.

Everything else is the classifier's default (100 epochs, batch 128, one torch thread).
For ``auto`` the rows also record the share of training rows the estimate is blind to
(``unsure_disagreement_`` of its :class:`~skantidote.callbacks.NoiseRateEstimate`) and
which of the estimate's warnings the fit raised.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import (
    load_breast_cancer,
    load_wine,
    make_classification,
    make_gaussian_quantiles,
    make_moons,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.estimate_warnings import raised_estimate_warnings, unsure_disagreement
from benchmarks.micro.memorisation import WithoutFloor
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteClassifier
from skantidote.noise import class_conditional_noise, instance_noise, symmetric_noise

DATASETS = (
    "breast_cancer", "wine", "overlap5", "imbalanced2", "classes50", "moons", "quantiles3"
)
#: (noise, rate): clean labels, and each kind of noise at 30 %.
NOISES = (("sym", 0.0), ("sym", 0.3), ("classcond", 0.3), ("instance", 0.3))
METHODS = (
    "ce", "auto", "true_rate", "auto_chi2", "true_rate_chi2", "auto_nce_rce", "auto_es",
    "auto_per_class", "auto_no_floor",
)
#: The methods of the main table (every default but the rate), and the chi2 pair.
KL_METHODS = METHODS[:3]
CHI2_METHODS = METHODS[3:5]
FIELDS = (
    "dataset", "noise", "rate", "seed", "method", "n_train", "accuracy", "seconds",
    "actual_noise", "estimated_noise", "unsure_disagreement", "warnings",
)
KEY = ("dataset", "noise", "rate", "seed", "method")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])


def cells(args: argparse.Namespace) -> list[Cell]:
    return [
        {"dataset": dataset, "noise": noise, "rate": rate, "seed": seed, "method": method}
        for dataset in args.datasets for noise, rate in NOISES
        for seed in args.seeds for method in args.methods
    ]


def load(dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The table's features and clean labels (the synthetic ones drawn from ``seed``)."""
    if dataset == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if dataset == "wine":
        return load_wine(return_X_y=True)
    if dataset == "overlap5":
        return make_classification(
            4000, 20, n_informative=10, n_classes=5, class_sep=1.5, flip_y=0.0,
            random_state=100 + seed,
        )
    if dataset == "imbalanced2":
        return make_classification(
            4000, 15, n_informative=6, weights=[0.8, 0.2], flip_y=0.0, random_state=200 + seed
        )
    if dataset == "moons":
        return make_moons(4000, noise=0.3, random_state=400 + seed)
    if dataset == "quantiles3":
        return make_gaussian_quantiles(
            n_samples=4000, n_features=4, n_classes=3, random_state=500 + seed
        )
    return make_classification(
        4000, 20, n_informative=15, n_classes=50, n_clusters_per_class=1, flip_y=0.0,
        random_state=300 + seed,
    )


def noisy_labels(noise: str, rate: float, X: np.ndarray, y: np.ndarray, seed: int):
    """The training labels with ``noise`` at ``rate`` (``y`` itself when the rate is 0)."""
    if rate == 0.0:
        return y.copy()
    if noise == "sym":
        return symmetric_noise(y, rate, random_state=seed)[0]
    if noise == "classcond":
        return class_conditional_noise(y, rate, random_state=seed)[0]
    return instance_noise(X, y, rate, random_state=seed)[0]


def run_cell(cell: Cell) -> list[Row]:
    """Fit one classifier on the noisy training split; its accuracy on the clean test."""
    torch.set_num_threads(1)
    seed = cell["seed"]
    X, y = load(cell["dataset"], seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    y_noisy = noisy_labels(cell["noise"], cell["rate"], X_train, y_train, seed)
    actual = float(np.mean(y_noisy != y_train))
    method = cell["method"]
    forget_rate = 0.0 if method == "ce" else "auto" if method.startswith("auto") else actual
    divergence = "chi2" if method.endswith("chi2") else "kl"
    sample_loss = "nce+rce" if method.endswith("nce_rce") else "cross_entropy"
    model = make_pipeline(
        StandardScaler(),
        AntidoteClassifier(
            divergence=divergence, forget_rate=forget_rate, random_state=seed, device="cpu",
            criterion__sample_loss=sample_loss, early_stopping=method == "auto_es",
            per_class=method == "auto_per_class",
            callbacks=[WithoutFloor()] if method == "auto_no_floor" else None,
        ),
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X_train, y_noisy)
    seconds = time.perf_counter() - start
    return [{
        **cell,
        "n_train": len(y_train),
        "accuracy": model.score(X_test, y_test),
        "seconds": seconds,
        "actual_noise": actual,
        "estimated_noise": getattr(model[-1], "noise_rate_", np.nan),
        "unsure_disagreement": unsure_disagreement(model),
        "warnings": raised_estimate_warnings(caught),
    }]


def summary(rows: list[Row]) -> str:
    return f"accuracy {rows[0]['accuracy']:.4f} ({rows[0]['seconds']:.1f} s)"


EXPERIMENT = Experiment(
    name="bundled_tables", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "bundled_tables.csv",
    report=lambda args: "bundled_tables",
)
