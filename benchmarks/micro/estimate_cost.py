"""What estimating the noise in training adds to an epoch, measured side by side.

Run from the repository root::

    python -m benchmarks.micro.estimate_cost            # the committed estimate_cost.md

``forget_rate="auto"`` adds a callback to every fit: for class labels
:class:`~skantidote.callbacks.NoiseRateEstimate` (it keeps the training batches' logits and
counts them together, every million logits and at the end of the epoch: a softmax, the
comparison with every class's threshold, a bincount and a per-class sum of the labels'
probabilities, read back once per epoch), for numeric targets
:class:`~skantidote.callbacks.ResidualNoiseRateEstimate` (it keeps the batches' predictions
and, once per epoch, takes every row's residual norm and the fixed point of
:func:`~skantidote.callbacks.noise_rate.corrupted_fraction` on them). Per batch, both only
keep a reference to the step's output: inside a training step every tensor operation costs
several times what it costs alone. This benchmark trains the same skorch net
(:class:`~skantidote.net.AntidoteNet` or :class:`~skantidote.net.AntidoteRegressorNet`, the
MLP (256, 256), ``AntidoteLoss`` at a fixed forget rate of 0.4, Adam, batch 128) with and
without that callback (``sets_forget_rate=False``: both train at the same radius, whose
solve costs more or less with the rate, so that only the estimate's own work differs), in
interleaved rounds (the order rotated every round), and compares the medians of the
per-epoch CPU time of the training thread (the first epoch of every fit dropped). Tasks:
letter with 40 % symmetric label noise (14,000 rows, 26 classes) and Friedman #1 with 40 %
shifted targets (1,400 rows). One torch thread.

It writes ``benchmarks/results/estimate_cost.csv`` (every epoch's time) and renders
``estimate_cost.md`` from it.
"""

from __future__ import annotations

import argparse
import platform
import statistics

import numpy as np
import pandas as pd
import torch
from skorch.callbacks import Callback

from benchmarks.datasets import add_noise, load_split
from benchmarks.micro.epoch_cost import EpochCPUTime
from benchmarks.paths import RESULTS, display
from benchmarks.reports.markdown import table
from skantidote.callbacks import NoiseRateEstimate, ResidualNoiseRateEstimate
from skantidote.loss import AntidoteLoss
from skantidote.modules import MLP
from skantidote.net import AntidoteNet, AntidoteRegressorNet
from skantidote.noise import shifted_targets

COMMAND = "python -m benchmarks.micro.estimate_cost"
VARIANTS = ("without", "with", "with floor")


class ConfidentFloorAtFixedRate(Callback):
    """Give the criterion the estimate's confident floor every epoch, leaving its rate."""

    def __init__(self, estimate: NoiseRateEstimate) -> None:
        self.estimate = estimate

    def on_epoch_end(self, net, **kwargs) -> None:
        net.criterion_.set_confident_floor(self.estimate.thresholds_)


def task_data(task: str) -> tuple[np.ndarray, np.ndarray]:
    """The training rows and noisy targets of a task."""
    if task == "letter":
        split = load_split("letter", 0)
        y, _ = add_noise(split, "sym", 0.4, 0)
        return split.X_train, y.astype(np.int64)
    split = load_split("friedman1", 0)
    y = (split.y_train - split.y_train.mean()) / split.y_train.std()
    y, _ = shifted_targets(y, 0.4, random_state=0)
    return split.X_train, y.astype(np.float32).reshape(-1, 1)


def make_net(task: str, X: np.ndarray, y: np.ndarray, variant: str, epochs: int, seed: int,
             timer: EpochCPUTime):
    """The net of a task, with (``variant="with"``) or without the noise estimate."""
    callbacks = [("timer", timer)]
    torch.manual_seed(seed)
    if task == "letter":
        if variant != "without":
            estimate = NoiseRateEstimate(warmup_epochs=1, sets_forget_rate=False)
            callbacks.append(("noise_rate", estimate))
        if variant == "with floor":
            callbacks.append(("floor", ConfidentFloorAtFixedRate(estimate)))
        return AntidoteNet(
            MLP, module__n_features=X.shape[1], module__n_classes=int(y.max()) + 1,
            criterion=AntidoteLoss, criterion__forget_rate=0.4, optimizer=torch.optim.Adam,
            lr=1e-3, batch_size=128, max_epochs=epochs, iterator_train__shuffle=True,
            train_split=None, verbose=0, device="cpu", callbacks=callbacks,
        )
    if variant != "without":
        callbacks.append(
            ("noise_rate", ResidualNoiseRateEstimate(warmup_epochs=1, sets_forget_rate=False))
        )
    return AntidoteRegressorNet(
        MLP, module__n_features=X.shape[1], module__n_outputs=1, criterion=AntidoteLoss,
        criterion__forget_rate=0.4, criterion__sample_loss="squared_error",
        optimizer=torch.optim.Adam, lr=1e-3, batch_size=128, max_epochs=epochs,
        iterator_train__shuffle=True, train_split=None, verbose=0, device="cpu",
        callbacks=callbacks,
    )


def measure(tasks: list[str], rounds: int, epochs: int) -> pd.DataFrame:
    """Every epoch's CPU seconds (first epoch of each fit dropped), rounds interleaved."""
    rows = []
    for task in tasks:
        X, y = task_data(task)
        # The floor is a class-label criterion's: the regression task has two variants.
        variants = VARIANTS if task == "letter" else VARIANTS[:2]
        for r in range(rounds):
            for variant in variants[r % len(variants):] + variants[: r % len(variants)]:
                timer = EpochCPUTime()
                make_net(task, X, y, variant, epochs, r, timer).fit(X, y)
                rows += [{"task": task, "round": r, "variant": variant, "seconds": s}
                         for s in timer.times[1:]]
            print(f"{task}: round {r + 1}/{rounds}", flush=True)
    return pd.DataFrame(rows)


def paired_ratios(cell: pd.DataFrame, variant: str) -> pd.Series:
    """Per round, the variant's median epoch time over that of ``without`` in the same round.

    Rounds are interleaved, so each ratio compares fits made within seconds of each other:
    the machine's drifts in speed, which move whole rounds, cancel out.
    """
    per_round = cell.groupby(["round", "variant"])["seconds"].median().unstack()
    return (per_round[variant] / per_round["without"]).dropna()


def markdown(times: pd.DataFrame, rounds: int, epochs: int) -> str:
    """The report of the per-epoch times."""
    tasks = list(times["task"].unique())
    rows, worst = [], 0.0
    for task, cell in times.groupby("task", sort=False):
        row = [task]
        for variant in VARIANTS:
            seconds = cell.loc[cell["variant"] == variant, "seconds"]
            if seconds.empty:
                row += ["", ""]
                continue
            row.append(f"{1000 * statistics.median(seconds):.1f}")
            if variant == "without":
                continue
            ratios = paired_ratios(cell, variant)
            median = float(ratios.median())
            worst = max(worst, median)
            row.append(
                f"{median:.3f} ({ratios.quantile(0.25):.3f}-{ratios.quantile(0.75):.3f})"
            )
        rows.append(row)
    return "\n".join([
        "# The cost of estimating the noise in training",
        "",
        f"Command: `{COMMAND} --rounds {rounds} --epochs {epochs} --tasks {' '.join(tasks)}`; "
        f"machine: "
        f"{platform.machine()}, torch {torch.__version__}, one torch thread; clock: CPU time "
        "of the training thread. The same net trained with and without the estimate's "
        "callback (`NoiseRateEstimate` for letter, `ResidualNoiseRateEstimate` for "
        "Friedman #1; see the module docstring), and for letter also with the estimate's "
        "confident floor given to the loss at the same forget rate (what "
        '`forget_rate="auto"` adds to a step), interleaved; median per-epoch time over '
        "every epoch but each fit's first. Ratio: the median over the rounds of each "
        "round's ratio to `without` (its median epoch against `without`'s in the same "
        "round, so that drifts of the machine's speed cancel), with its interquartile "
        "range.",
        "",
        *table(["task", "without (ms / epoch)", "with (ms / epoch)", "ratio",
                "with floor (ms / epoch)", "ratio"], rows),
        "",
        f"Target (issue 12): estimating (and the floor) adds at most 3 % to a fit: "
        f"{'met' if worst <= 1.03 else '**missed**'} (at most {100 * (worst - 1):+.1f} % in "
        "the median paired ratio; CPU times on a shared machine vary by a few per cent "
        "between fits).",
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--tasks", nargs="+", default=["letter", "friedman1"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    times = measure(args.tasks, args.rounds, args.epochs)
    csv = RESULTS / "estimate_cost.csv"
    times.to_csv(csv, index=False)
    report = csv.with_suffix(".md")
    report.write_text(markdown(times, args.rounds, args.epochs))
    print(f"wrote {display(report)}")


if __name__ == "__main__":
    main()
