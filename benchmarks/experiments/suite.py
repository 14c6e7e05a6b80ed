"""The accuracy suite: clean test accuracy of every method under label noise.

One CSV row per cell ``(dataset, noise, rate, method, seed)`` at a number of ``epochs``
(the key: a cell at another training length is another cell). Tiers::

    python -m benchmarks.run suite --tier quick   # about 2 min on 2 CPU cores (regressions)
    python -m benchmarks.run suite --tier full    # the whole grid (hours on a CPU)

Columns: ``accuracy`` on the clean 30 % test split; ``estimated_noise`` and
``class_noise_mae`` for the methods that estimate the noise (``noise_rate_``, and the mean
absolute error of ``class_noise_rates_`` against the true per-class rates);
``unsure_disagreement`` and ``warnings`` for the classifiers with a noise estimate (its
share of rows it is blind to, and which of its warnings the fit raised:
``benchmarks.estimate_warnings``); ``fit_s``
wall time of ``fit`` (CleanLearning: its 5 cross-validation fits + the final fit);
``epoch_s`` = ``fit_s`` / epochs of all fits; ``peak_rss_mb`` the process's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the fit and ``rss_delta_mb`` its
growth during the fit -- a process-wide high-water mark, so the delta is 0 when the fit
stayed below an earlier peak (torch allocations are not seen by ``tracemalloc``, hence
maxrss). Each fit uses one torch thread.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from benchmarks.datasets import add_noise, load_split
from benchmarks.estimate_warnings import raised_estimate_warnings, unsure_disagreement
from benchmarks.methods import METHODS, common_params, make_estimator, n_epochs_trained
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row

FIELDS = (
    "dataset", "noise", "rate", "method", "seed", "epochs", "warmup", "batch_size", "module",
    "accuracy", "fit_s", "epoch_s", "n_epochs", "peak_rss_mb", "rss_delta_mb", "n_train",
    "actual_noise", "estimated_noise", "class_noise_mae", "class_noise_rates",
    "true_class_noise_rates", "unsure_disagreement", "warnings", "threads", "host", "time",
)
KEY = ("dataset", "noise", "rate", "method", "seed", "epochs")

# Grid of the full tier: dataset -> list of (noise, rate); epochs per dataset (the same for
# every method of that dataset; see benchmarks/README.md).
# ("sym", 0.0) is the clean cell: the labels as given, for the cost of ANTIDOTE's
# forgetting where nothing is wrong (its methods that take the true rate are plain
# cross-entropy there, so only "ce" and "antidote_auto" are run in it).
FULL_GRID = {
    "digits": [("sym", 0.0), ("sym", 0.2), ("sym", 0.4), ("sym", 0.6), ("pair", 0.2),
               ("pair", 0.4), ("classcond", 0.2), ("classcond", 0.4)],
    "adult": [("sym", 0.0), ("sym", 0.2), ("sym", 0.4), ("classcond", 0.2),
              ("classcond", 0.4)],
    "letter": [("sym", 0.0), ("sym", 0.2), ("sym", 0.4), ("sym", 0.6), ("pair", 0.2),
               ("pair", 0.4), ("classcond", 0.2), ("classcond", 0.4)],
    "synthetic": [("sym", 0.0), ("sym", 0.4), ("instance", 0.4)],
}
FULL_EPOCHS = {"digits": 100, "adult": 10, "letter": 20, "synthetic": 20}
FULL_WARMUP = {"digits": 10, "adult": 2, "letter": 3, "synthetic": 3}
# Batch size per data set (the same for every method); 256 on adult to fit the time budget.
BATCH = {"adult": 256}
QUICK_GRID = {"digits": [("sym", 0.4), ("pair", 0.4)]}
QUICK_EPOCHS = {"digits": 40}
QUICK_METHODS = ["clean", "ce", "antidote_kl", "antidote_alpha", "gce", "nce+rce",
                 "ce_eps+mae", "small_loss"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tier", choices=["quick", "full"], default="quick")
    parser.add_argument("--datasets", nargs="*", help="subset of the tier's data sets")
    parser.add_argument("--noises", nargs="*", help="e.g. sym-0.4 pair (all rates of pair)")
    parser.add_argument("--methods", nargs="*", choices=METHODS)
    parser.add_argument("--seeds", nargs="*", type=int)
    parser.add_argument("--epochs", type=int, help="override the epochs of every data set")
    parser.add_argument("--warmup", type=int,
                        help="warm-up epochs (default: max(1, round(epochs / 10)))")
    parser.add_argument("--module", choices=["mlp", "cnn"], default="mlp")


def cells(args: argparse.Namespace) -> list[Cell]:
    quick = args.tier == "quick"
    grid = QUICK_GRID if quick else FULL_GRID
    epochs_of = QUICK_EPOCHS if quick else FULL_EPOCHS
    methods = args.methods or (QUICK_METHODS if quick else list(METHODS))
    seeds = args.seeds if args.seeds is not None else ([0] if quick else [0, 1, 2])
    selected = []
    for dataset in args.datasets or list(grid):
        for noise, rate in grid.get(dataset, FULL_GRID.get(dataset, [])):
            if args.noises and not any(
                sel in (noise, f"{noise}-{rate:g}") for sel in args.noises
            ):
                continue
            epochs = args.epochs or epochs_of.get(dataset, FULL_EPOCHS.get(dataset, 30))
            warmup = args.warmup if args.warmup is not None else (
                FULL_WARMUP.get(dataset, max(1, round(epochs / 10))) if not quick
                else max(1, round(epochs / 10)))
            selected += [
                {"dataset": dataset, "noise": noise, "rate": rate, "method": method,
                 "seed": seed, "epochs": epochs, "warmup": warmup, "module": args.module}
                for seed in seeds for method in methods
            ]
    return selected


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_cell(cell: Cell) -> list[Row]:
    torch.set_num_threads(1)
    dataset, noise, rate, method, seed = (
        cell["dataset"], cell["noise"], cell["rate"], cell["method"], cell["seed"])
    split = load_split(dataset, seed)
    y_noisy, is_noisy = add_noise(split, noise, rate, seed)
    params = common_params(split, cell["epochs"], cell["warmup"], seed, module=cell["module"])
    params["batch_size"] = BATCH.get(dataset, 128)
    est = make_estimator(method, noise, rate, params)
    y_fit = split.y_train if method == "clean" else y_noisy
    rss0 = _peak_rss_mb()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(split.X_train, y_fit)
    fit_s = time.perf_counter() - t0
    rss1 = _peak_rss_mb()
    acc = float(np.mean(est.predict(split.X_test) == split.y_test))
    n_ep = n_epochs_trained(est)
    estimated, class_mae, class_rates, true_rates = _noise_estimates(est, y_noisy, is_noisy)
    total_epochs = n_ep * (6 if method == "cleanlab" else 1)
    return [{
        "dataset": dataset, "noise": noise, "rate": f"{rate:g}", "method": method,
        "seed": seed, "epochs": cell["epochs"], "warmup": cell["warmup"],
        "batch_size": params["batch_size"], "module": cell["module"],
        "accuracy": f"{acc:.4f}", "fit_s": f"{fit_s:.2f}",
        "epoch_s": f"{fit_s / max(total_epochs, 1):.4f}", "n_epochs": n_ep,
        "peak_rss_mb": f"{rss1:.0f}", "rss_delta_mb": f"{rss1 - rss0:.0f}",
        "n_train": len(y_fit), "actual_noise": f"{float(np.mean(is_noisy)):.4f}",
        "estimated_noise": estimated, "class_noise_mae": class_mae,
        "class_noise_rates": class_rates, "true_class_noise_rates": true_rates,
        "unsure_disagreement": unsure_disagreement(est),
        "warnings": raised_estimate_warnings(caught),
        "threads": torch.get_num_threads(), "host": platform.node(),
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
    }]


def _noise_estimates(
    est, y_noisy: np.ndarray, is_noisy: np.ndarray
) -> tuple[str, str, str, str]:
    """A method's estimate of the noise rate, the mean absolute error of its per-class
    rates against the true fraction of wrong labels among each given class's rows, and
    both per-class vectors (space-separated); all "" for a method that estimates nothing.

    ANTIDOTE: ``noise_rate_`` and ``class_noise_rates_``. cleanlab: from the confident
    joint of its 5-fold out-of-fold probabilities (the inverse noise matrix
    ``P(true | given)`` that ``CleanLearning`` computes with
    ``estimate_py_and_noise_matrices_from_probabilities``), ``1 - P(true = k | given = k)``
    per class, weighted by the given classes' frequencies overall.
    """
    if hasattr(est, "class_noise_rates_"):
        overall, rates = est.noise_rate_, est.class_noise_rates_
    elif getattr(est, "inverse_noise_matrix", None) is not None:
        rates = 1.0 - np.diag(est.inverse_noise_matrix)
        overall = float(np.asarray(est.ps) @ rates)
    else:
        return "", "", "", ""
    truth = np.array([is_noisy[y_noisy == k].mean() for k in range(len(rates))])
    error = np.nanmean(np.abs(rates - truth))
    return (
        f"{overall:.4f}", f"{error:.4f}", " ".join(f"{r:.4f}" for r in rates),
        " ".join(f"{r:.4f}" for r in truth),
    )


def summary(rows: list[Row]) -> str:
    return f"acc {rows[0]['accuracy']} ({rows[0]['fit_s']} s)"


def results_csv(args: argparse.Namespace) -> Path:
    return RESULTS / ("suite_quick.csv" if args.tier == "quick" else "suite.csv")


def report(args: argparse.Namespace) -> str:
    return "suite_quick" if args.tier == "quick" else "suite"


EXPERIMENT = Experiment(
    name="suite", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=results_csv, report=report,
)
