"""Label-issue detection: NoisyLabelFilter against cleanlab's CleanLearning.

For every cell (data set x noise model x seed) the shared split of
:mod:`benchmarks.datasets` is taken (float64 features, as in the committed results, for
the scikit-learn models); the training part's labels are corrupted and handed to every
cleaner; the test part keeps its clean labels. Cleaners:

* ``antidote-filter``: ``NoisyLabelFilter(estimator=AntidoteClassifier(random_state=seed,
  <NET>), forget_rate="auto")``: one ANTIDOTE training run at the classifier's default
  ``forget_rate="auto"`` (``--train-forget-rate r`` trains at a fixed rate instead), scores
  averaged over the last epochs, the rows whose predicted class is not their label flagged;
* ``cleanlab-net``: ``CleanLearning(AntidoteClassifier(forget_rate=0.0,
  random_state=seed, <NET>), cv_n_folds=5, seed=seed).find_label_issues(X, y)``, i.e.
  the same network trained with plain cross-entropy, 5-fold out-of-fold probabilities;
* ``cleanlab-logreg``: the same with ``LogisticRegression(max_iter=1000)``.

``<NET>`` are the same network hyper-parameters for both networks (the
AntidoteClassifier defaults unless ``--max-epochs``/``--warmup-epochs`` say otherwise).

Metrics, on the 70% training part: precision, recall and F1 of ``is_label_issue``
against the truly corrupted rows, AUROC of ``-label_quality``, wall and CPU time of the
detection. Downstream: test accuracy (clean test labels) of
``HistGradientBoostingClassifier(random_state=seed)`` trained on the rows each cleaner
keeps; references: all noisy rows, the clean labels, and the noisy rows minus the truly
corrupted ones (oracle removal).

All computation is single-threaded (one torch thread; ``python -m benchmarks.run`` sets
the OMP/BLAS threads to 1) so that the wall times of the methods are comparable on a shared
machine; within a cell the methods run back to back, in an order rotated with the seed, so
that changes of the machine's load affect them alike. The configuration options are
columns of the CSV and part of a cell's key: each configuration is a section of the report.
``--methods`` runs some cleaners only; the report then takes the others (cleanlab and the
references, which no filter option changes) from another configuration's run of the same
cells, with the same ``max_epochs`` and ``warmup_epochs``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
import torch
from cleanlab.classification import CleanLearning
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from benchmarks.datasets import add_noise, load_split
from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteClassifier, NoisyLabelFilter

DATASETS = ("digits", "letter")
#: name (the CSV's ``noise`` column) -> (noise model, rate)
NOISES = {
    "sym-20": ("sym", 0.2),
    "sym-40": ("sym", 0.4),
    "pair-40": ("pair", 0.4),
}
#: Methods that run a detection, in their (rotated) running order.
RUNNERS = ("antidote-filter", "antidote-filter-alt", "cleanlab-net", "cleanlab-logreg")
#: Rows of the tables: the runners and the threshold rule applied to the filter's scores.
CLEANERS = (
    "antidote-filter", "antidote-filter-threshold", "antidote-filter-alt", "cleanlab-net",
    "cleanlab-logreg",
)
REFERENCES = ("noisy (no cleaning)", "oracle removal", "clean labels")
#: Configuration columns: a cell is skipped only when it was run with the same ones.
CONFIG = (
    "max_epochs", "warmup_epochs", "train_forget_rate", "alt_forget_rate", "threshold",
    "averaging_epochs",
)
#: Defaults of the configuration options (as on the command line).
DEFAULTS = {
    "max_epochs": 100, "warmup_epochs": -1, "train_forget_rate": "auto", "alt_forget_rate": 0.0,
    "threshold": 0.5, "averaging_epochs": 5,
}
FIELDS = (
    "dataset", "noise", "seed", *CONFIG, "n_train", "actual_noise", "method", "flagged",
    "precision", "recall", "f1", "auroc", "wall_s", "cpu_s", "estimated_noise",
    "hgb_accuracy", "load_avg",
)
KEY = ("dataset", "noise", "seed", *CONFIG)
#: Configuration columns that change the networks of every cleaner; the others change the
#: filter only, so cleanlab's rows and the references are shared across them.
NETWORK_CONFIG = ("max_epochs", "warmup_epochs")


def forget_rate_option(text: str) -> float | str:
    """A ``--train-forget-rate`` value: ``auto`` or a number in [0, 1)."""
    if text == "auto":
        return text
    rate = float(text)
    if not 0.0 <= rate < 1.0:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number in [0, 1), got {text!r}")
    return rate


def training_forget_rate(value: object) -> float | str:
    """A forget rate as stored in the CSV (text or number), for AntidoteClassifier."""
    return "auto" if str(value) == "auto" else float(value)


def net_params(config: dict) -> dict:
    """Network hyper-parameters shared by the filter's estimator and cleanlab's net."""
    params = {"max_epochs": int(config["max_epochs"])}
    if config["warmup_epochs"] >= 0:
        params["warmup_epochs"] = int(config["warmup_epochs"])
    return params


def detect(
    method: str, X: np.ndarray, y: np.ndarray, seed: int, config: dict
) -> tuple[pd.DataFrame, dict]:
    """Run one cleaner: its label-issue report (``is_label_issue``, ``label_quality``)
    and extra columns."""
    net = net_params(config)
    if method in ("antidote-filter", "antidote-filter-alt"):
        key = "train_forget_rate" if method == "antidote-filter" else "alt_forget_rate"
        estimator = AntidoteClassifier(
            forget_rate=training_forget_rate(config[key]), random_state=seed, **net
        )
        cleaner = NoisyLabelFilter(
            estimator=estimator,
            forget_rate="auto",
            averaging_epochs=int(config["averaging_epochs"]),
            random_state=seed,
        )
        cleaner.fit_resample(X, y)
        issues = cleaner.label_issues_
        return issues, {"estimated_noise": cleaner.noise_rate_}
    if method == "cleanlab-net":
        clf = AntidoteClassifier(forget_rate=0.0, random_state=seed, **net)
    elif method == "cleanlab-logreg":
        clf = LogisticRegression(max_iter=1000)
    else:
        raise ValueError(method)
    # n_jobs=1: the pruning step single-threaded like everything else (cleanlab: "results
    # will be the same no matter its value").
    learner = CleanLearning(
        clf, cv_n_folds=5, seed=seed, find_label_issues_kwargs={"n_jobs": 1}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        issues = learner.find_label_issues(X, y)
    return issues, {"estimated_noise": np.nan}


def downstream(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, seed: int
) -> float:
    """Clean test accuracy of gradient boosting trained on the rows given."""
    hgb = HistGradientBoostingClassifier(random_state=seed)
    return float(hgb.fit(X_train, y_train).score(X_test, y_test))


def run_cell(cell: Cell) -> list[Row]:
    """Every cleaner and reference on one (data set, noise, seed) at one configuration."""
    dataset, noise, seed = cell["dataset"], cell["noise"], cell["seed"]
    config = {key: cell[key] for key in CONFIG}
    split = load_split(dataset, seed, dtype=np.float64)
    X_train, X_test, y_train, y_test = split.X_train, split.X_test, split.y_train, split.y_test
    y_noisy, corrupted = add_noise(split, *NOISES[noise], seed)
    base = {"dataset": dataset, "noise": noise, "seed": seed, **config,
            "n_train": len(y_train), "actual_noise": float(corrupted.mean())}
    rows = []
    # Rotate the order of the cleaners with the seed: none always runs first.
    runners = [
        m for m in cell["methods"] if m != "antidote-filter-alt" or config["alt_forget_rate"]
    ]
    shift = seed % len(runners)

    def score(method, flagged, quality, wall, cpu, extra):
        precision, recall, f1, _ = precision_recall_fscore_support(
            corrupted, flagged, average="binary", zero_division=0
        )
        keep = ~flagged
        rows.append({
            **base, "method": method, "flagged": float(flagged.mean()),
            "precision": precision, "recall": recall, "f1": f1,
            "auroc": roc_auc_score(corrupted, -quality),
            "wall_s": wall, "cpu_s": cpu, **extra,
            "hgb_accuracy": downstream(X_train[keep], y_noisy[keep], X_test, y_test, seed),
        })
        print(f"  {dataset} {noise} seed {seed} {method}: F1 {f1:.3f}, "
              f"{wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)

    for method in runners[shift:] + runners[:shift]:
        torch.set_num_threads(1)
        wall, cpu = time.perf_counter(), time.process_time()
        issues, extra = detect(method, X_train, y_noisy, seed, config)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        flagged = issues["is_label_issue"].to_numpy(dtype=bool)
        quality = issues["label_quality"].to_numpy(dtype=float)
        score(method, flagged, quality, wall, cpu, extra)
        if method == "antidote-filter" and config["threshold"]:
            # What NoisyLabelFilter(threshold=t) flags after the very same training run
            # (same estimator and seed): the rows whose label_quality is below t.
            score("antidote-filter-threshold", quality < config["threshold"], quality,
                  wall, cpu, extra)
    references = {
        "noisy (no cleaning)": (X_train, y_noisy),
        "oracle removal": (X_train[~corrupted], y_noisy[~corrupted]),
        "clean labels": (X_train, y_train),
    }
    # The references go with cleanlab's run: a filter-only run borrows both.
    for method, (X_ref, y_ref) in references.items() if "cleanlab-net" in runners else ():
        rows.append({**base, "method": method,
                     "hgb_accuracy": downstream(X_ref, y_ref, X_test, y_test, seed)})
    load = os.getloadavg()[0]
    return [{**row, "load_avg": load} for row in rows]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--noises", nargs="+", default=list(NOISES), choices=list(NOISES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=DEFAULTS["max_epochs"],
                        help="max_epochs of both networks (default: the classifier's 100)")
    parser.add_argument("--warmup-epochs", type=int, default=DEFAULTS["warmup_epochs"],
                        help="warmup_epochs of both networks (-1: the classifier default)")
    parser.add_argument("--train-forget-rate", type=forget_rate_option,
                        default=DEFAULTS["train_forget_rate"],
                        help="forget_rate the filter's AntidoteClassifier trains with "
                        "(default: 'auto', the classifier's default)")
    parser.add_argument("--threshold", type=float, default=DEFAULTS["threshold"],
                        help="also score NoisyLabelFilter(threshold=t) on the filter's run; "
                        "0: no")
    parser.add_argument("--alt-forget-rate", type=float, default=DEFAULTS["alt_forget_rate"],
                        help="training forget_rate of a second filter (a variant row); 0: none")
    parser.add_argument("--averaging-epochs", type=int, default=DEFAULTS["averaging_epochs"])
    parser.add_argument("--methods", nargs="+", default=list(RUNNERS), choices=RUNNERS,
                        help="cleaners to run (default: all); the report takes the others "
                        "from a run of the same cells at the same max_epochs and "
                        "warmup_epochs")


def cells(args: argparse.Namespace) -> list[Cell]:
    config = {key: getattr(args, key) for key in CONFIG}
    return [
        {"dataset": dataset, "noise": noise, "seed": seed, **config, "methods": args.methods}
        for dataset in args.datasets for noise in args.noises for seed in args.seeds
    ]


def warm_up(args: argparse.Namespace) -> None:
    """Untimed warm-up of torch, skorch and cleanlab, so that the first timed method of the
    first cell pays no import or initialisation cost."""
    config = {**{key: getattr(args, key) for key in CONFIG}, "max_epochs": 2}
    split = load_split("digits", 0, dtype=np.float64)
    X, y = split.X_train[:300], split.y_train[:300]
    detect("antidote-filter", X, y, 0, config)
    detect("cleanlab-net", X, y, 0, config)


def summary(rows: list[Row]) -> str:
    return ", ".join(f"{row['method']} F1 {row['f1']:.3f}" for row in rows if "f1" in row)


EXPERIMENT = Experiment(
    name="filter_detection", description=__doc__.split("\n")[0], fields=FIELDS, key=KEY,
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "filter_detection.csv",
    report=lambda args: "filter_detection", prepare=warm_up,
)
