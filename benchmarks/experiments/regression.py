"""AntidoteRegressor against robust regression baselines on corrupted regression targets.

For each data set (diabetes, friedman1, friedman3, adult-age), corruption of the training targets
(:mod:`skantidote.noise`'s ``outlier_targets``, ``shifted_targets``, ``swapped_targets``
with their defaults: uniform draws within 10 standard deviations of the mean, shifts of
+/- 3 standard deviations, targets exchanged between rows), rate (0, 20 or 40 % of the
training rows; rate 0 is one clean cell, corruption ``none``) and seed, every method is
trained on the same corrupted training rows and scored by its RMSE on the clean targets of
the 30 % test split. The seed sets the split, the corruption and the models.

The data are those of :func:`benchmarks.datasets.load_split` (features standardised on
the 70 % training split; adult-age one-hot + standardised). The training split of
adult-age (21,113 rows) is subsampled to ``MAX_TRAIN`` rows per seed before the corruption,
to keep the time down; the test split is whole.

Methods; the networks are the same (``AntidoteRegressor``'s MLP, hidden layers (256,
256), its default training: Adam, lr 1e-3, cosine schedule, batch 128, ``max_epochs``,
warm-up ``"auto"``) and differ only in their loss:

* ``mse_net``: ``AntidoteRegressor(forget_rate=0.0)``, plain squared error;
* ``huber_net``: ``AntidoteRegressor(forget_rate=0.0, loss="huber")``;
* ``antidote``: ``AntidoteRegressor()`` with its defaults (``forget_rate="auto"``: the user
  gives no corruption rate, the network estimates it from its residuals in the same run);
* ``antidote_true_rate``: ``AntidoteRegressor(forget_rate=<the true rate>)`` (0 at rate 0,
  where it is ``mse_net``);
* ``cleanlab``: cleanlab's regression ``CleanLearning(mse_net, cv_n_folds=5, seed=seed)``
  with its other defaults: it searches the fraction of rows to drop (0.01 to 0.2) with
  5-fold cross-validation, scores the rows with bootstrapped uncertainty and refits on the
  kept rows, about 70-80 fits of the network in all;
* ``huber_regressor``: ``HuberRegressor(max_iter=1000)``;
* ``ransac``: ``RANSACRegressor(random_state=seed)`` (linear);
* ``hgb_absolute``: ``HistGradientBoostingRegressor(loss="absolute_error")``.

Recorded per fit: the test RMSE; for ``antidote`` its estimate of the corrupted fraction
(``noise_rate_``); for ``antidote``, ``antidote_true_rate`` and
``cleanlab`` the AUROC of their suspicion scores (``-sample_weights_``, ``-label_quality``)
for the truly corrupted training rows; for the networks the median epoch time of the fit
(``history_``'s ``dur``), the cost measure of ANTIDOTE against ``mse_net``. Everything is
single-threaded.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from cleanlab.regression.learn import CleanLearning
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import HuberRegressor, RANSACRegressor
from sklearn.metrics import roc_auc_score, root_mean_squared_error

from benchmarks.datasets import load_split
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteRegressor
from skantidote.noise import outlier_targets, shifted_targets, swapped_targets

DATASETS = ("diabetes", "friedman1", "friedman3", "adult-age")
#: Training rows kept, a random subsample of the 70 % split, where the split is larger.
MAX_TRAIN = {"adult-age": 5000}
#: corruption name -> function ``(y, rate, random_state) -> (y_corrupted, is_corrupted)``
CORRUPTIONS: dict[str, Callable] = {
    "outlier": outlier_targets,
    "shift": shifted_targets,
    "swap": swapped_targets,
}
CLEAN = "none"
RATES = (0.0, 0.2, 0.4)
NET_METHODS = ("mse_net", "huber_net", "antidote", "antidote_true_rate")
#: Methods whose suspicion score of every training row is evaluated (AUROC).
DETECTORS = ("antidote", "antidote_true_rate", "cleanlab")
METHODS = (*NET_METHODS, "cleanlab", "huber_regressor", "ransac", "hgb_absolute")
FIELDS = (
    "dataset", "corruption", "rate", "seed", "method", "max_epochs", "n_train",
    "corrupted_fraction", "rmse", "auroc", "estimated_rate", "epoch_seconds", "seconds",
)
KEY = ("dataset", "corruption", "rate", "seed", "method", "max_epochs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--corruptions", nargs="+", default=list(CORRUPTIONS),
                        choices=list(CORRUPTIONS))
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=100,
                        help="epochs of every network (default: AntidoteRegressor's 100)")


def cells(args: argparse.Namespace) -> list[Cell]:
    """Every (data set, corruption, rate, seed, method); rate 0 is the one ``none`` cell.

    The methods of a (data set, corruption, rate, seed) run back to back, so that changes
    of the machine's load affect them alike.
    """
    return [
        {"dataset": dataset, "corruption": corruption, "rate": rate, "seed": seed,
         "method": method, "max_epochs": args.max_epochs}
        for dataset in args.datasets for rate in args.rates
        for corruption in ([CLEAN] if rate == 0 else args.corruptions)
        for seed in args.seeds for method in args.methods
    ]


def network(seed: int, max_epochs: int, **params) -> AntidoteRegressor:
    """The network every net-based method shares, with the method's own ``params``."""
    return AntidoteRegressor(random_state=seed, max_epochs=max_epochs, device="cpu", **params)


def estimator(method: str, rate: float, seed: int, max_epochs: int):
    """The method's unfitted estimator (``rate``: the true corruption rate)."""
    if method == "mse_net":
        return network(seed, max_epochs, forget_rate=0.0)
    if method == "huber_net":
        return network(seed, max_epochs, forget_rate=0.0, loss="huber")
    if method == "antidote":
        return network(seed, max_epochs)
    if method == "antidote_true_rate":
        return network(seed, max_epochs, forget_rate=rate)
    if method == "cleanlab":
        return CleanLearning(network(seed, max_epochs, forget_rate=0.0), cv_n_folds=5, seed=seed)
    if method == "huber_regressor":
        return HuberRegressor(max_iter=1000)
    if method == "ransac":
        return RANSACRegressor(random_state=seed)
    return HistGradientBoostingRegressor(loss="absolute_error", random_state=seed)


def training_rows(
    dataset: str, X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The training split, subsampled to ``MAX_TRAIN`` rows where the data set has a cap."""
    n = MAX_TRAIN.get(dataset, len(y))
    rows = np.sort(np.random.default_rng(seed).permutation(len(y))[:n])
    return X[rows], y[rows]


def corrupt(y: np.ndarray, corruption: str, rate: float, seed: int):
    """``(y_corrupted, is_corrupted)``; the targets unchanged for the clean cell."""
    if corruption == CLEAN:
        return y.copy(), np.zeros(len(y), dtype=bool)
    return CORRUPTIONS[corruption](y, rate, random_state=seed)


def suspicion(model, method: str) -> np.ndarray:
    """The method's score of every training row, higher = more likely corrupted."""
    if method == "cleanlab":
        return -model.get_label_issues()["label_quality"].to_numpy()
    return -model.sample_weights_


def run_cell(cell: Cell) -> list[Row]:
    """Fit one method on corrupted training targets; its RMSE on the clean test targets."""
    torch.set_num_threads(1)
    method, rate, seed = cell["method"], cell["rate"], cell["seed"]
    split = load_split(cell["dataset"], seed)
    X_train, y_train = training_rows(cell["dataset"], split.X_train, split.y_train, seed)
    y_corrupted, is_corrupted = corrupt(y_train, cell["corruption"], rate, seed)
    model = estimator(method, rate, seed, cell["max_epochs"])
    start = time.perf_counter()
    model.fit(X_train, y_corrupted)
    seconds = time.perf_counter() - start
    auroc = epoch_seconds = estimated_rate = float("nan")
    if method in DETECTORS and is_corrupted.any():
        auroc = roc_auc_score(is_corrupted, suspicion(model, method))
    if method == "antidote":
        estimated_rate = model.noise_rate_
    if method in NET_METHODS:
        epoch_seconds = float(np.median([epoch["dur"] for epoch in model.history_]))
    return [{
        **cell, "n_train": len(y_train), "corrupted_fraction": is_corrupted.mean(),
        "rmse": root_mean_squared_error(split.y_test, model.predict(split.X_test)),
        "auroc": auroc, "estimated_rate": estimated_rate, "epoch_seconds": epoch_seconds,
        "seconds": seconds,
    }]


def summary(rows: list[Row]) -> str:
    row = rows[0]
    auroc = "" if np.isnan(row["auroc"]) else f", AUROC {row['auroc']:.3f}"
    return f"RMSE {row['rmse']:.4g}{auroc} ({row['seconds']:.1f} s)"


EXPERIMENT = Experiment(
    name="regression", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "regression.csv",
    report=lambda args: "regression",
)
