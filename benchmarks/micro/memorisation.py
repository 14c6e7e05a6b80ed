"""How the network memorises wrong labels as it trains, with and without the confident floor.

Run from the repository root::

    python -m benchmarks.micro.memorisation            # the committed memorisation.md

The setting of ``skantidote demo``: scikit-learn's digits, standardised, 70 % for
training with 40 % of its labels replaced by another class (``symmetric_noise``), the
default :class:`~skantidote.AntidoteClassifier` (100 epochs). Three ways of choosing the
forget rate: the true rate of wrong labels; ``"auto"`` (the estimate, with its confident
floor: the default); and ``"auto"`` with the floor removed after every epoch
(:meth:`~skantidote.AntidoteLoss.set_confident_floor` with ``None``), the estimate
alone. Every ten epochs an extra pass over the training rows records the estimate and the
share of the wrong labels the network predicts (memorised); at the end, the accuracy on
the clean held-out 30 %. It writes ``benchmarks/results/memorisation.csv`` and renders
``memorisation.md`` from it.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from benchmarks.paths import RESULTS, display
from benchmarks.reports.markdown import table
from skantidote import AntidoteClassifier
from skantidote.noise import symmetric_noise

COMMAND = "python -m benchmarks.micro.memorisation"
VARIANTS = ("true rate", "auto (default)", "auto without floor")
EVERY = 10


class MemorisedShare(Callback):
    """Every ``EVERY`` epochs: the estimate and the share of wrong labels predicted."""

    def __init__(self, X: np.ndarray, y_given: np.ndarray, wrong: np.ndarray) -> None:
        self.X, self.y_given, self.wrong = X, y_given, wrong
        self.rows: list[dict] = []

    def on_epoch_end(self, net, **kwargs) -> None:
        epoch = len(net.history)
        if epoch % EVERY:
            return
        predicted = net.predict_proba(self.X).argmax(axis=1)
        memorised = predicted[self.wrong] == self.y_given[self.wrong]
        estimate = dict(net.callbacks_)["noise_rate"].current_estimate()
        self.rows.append(
            {"epoch": epoch, "estimate": estimate, "memorised": float(memorised.mean())}
        )


class WithoutFloor(Callback):
    """Remove the confident floor the noise estimate has just set."""

    def on_epoch_end(self, net, **kwargs) -> None:
        net.criterion_.set_confident_floor(None)


def measure(seeds: list[int]) -> pd.DataFrame:
    """One row per variant, seed and scored epoch."""
    X, y = load_digits(return_X_y=True)
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        X_train = scaler.transform(X_train).astype(np.float32)
        X_test = scaler.transform(X_test).astype(np.float32)
        y_given, wrong = symmetric_noise(y_train, 0.4, random_state=seed)
        for variant in VARIANTS:
            scores = MemorisedShare(X_train, y_given, wrong)
            callbacks = [scores] + ([WithoutFloor()] if variant == VARIANTS[2] else [])
            rate = float(wrong.mean()) if variant == VARIANTS[0] else "auto"
            clf = AntidoteClassifier(forget_rate=rate, callbacks=callbacks, random_state=seed)
            clf.fit(X_train, y_given)
            accuracy = clf.score(X_test, y_test)
            rows += [{"variant": variant, "seed": seed, "true_rate": float(wrong.mean()),
                      "accuracy": accuracy, **row} for row in scores.rows]
            print(f"seed {seed}, {variant}: accuracy {accuracy:.4f}", flush=True)
    return pd.DataFrame(rows)


def markdown(results: pd.DataFrame) -> str:
    """The report: per variant, the trajectories and the accuracy (mean over seeds)."""
    seeds = sorted(results["seed"].unique())
    epochs = sorted(results["epoch"].unique())
    means = results.groupby(["variant", "epoch"], sort=False).mean(numeric_only=True)
    rows = []
    for variant in VARIANTS:
        cell = means.loc[variant]
        final = results[(results["variant"] == variant) & (results["epoch"] == epochs[-1])]
        rows.append(
            [variant, f"{100 * final['accuracy'].mean():.2f} ± "
             f"{100 * final['accuracy'].std(ddof=1):.2f}"]
            + [f"{cell.loc[e, 'estimate']:.3f} / {cell.loc[e, 'memorised']:.3f}"
               for e in epochs]
        )
    return "\n".join([
        "# Memorising the wrong labels, with and without the confident floor",
        "",
        f"Command: `{COMMAND} --seeds {' '.join(map(str, seeds))}`; machine: "
        f"{platform.machine()}, torch {torch.__version__}. The setting of `skantidote "
        "demo` (digits, standardised, 40 % symmetric noise on the training 70 %, the "
        "default classifier, 100 epochs); see the module docstring. Each epoch column: "
        "the forget rate (the estimate; for the true rate, the estimate that was not "
        "used) / the share of the wrong labels the network predicts. Means over the "
        f"seeds; true rate of wrong labels {results['true_rate'].mean():.3f}.",
        "",
        *table(["forget rate", "test accuracy (%)"] + [f"epoch {e}" for e in epochs], rows),
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    results = measure(args.seeds)
    csv = RESULTS / "memorisation.csv"
    results.to_csv(csv, index=False)
    report = csv.with_suffix(".md")
    report.write_text(markdown(results))
    print(f"wrote {display(report)}")


if __name__ == "__main__":
    main()
