"""Training cost of ANTIDOTE versus plain cross-entropy, measured side by side.

Run from the repository root::

    python -m benchmarks.micro.epoch_cost --rounds 20 --epochs 3   # the committed cost.md

It writes the per-epoch times to ``benchmarks/results/cost_epochs.csv``, the fit times to
``cost_scaling.csv``, the run's settings to ``cost.json``, and renders ``cost.md`` from
them (``python -m benchmarks.render cost`` renders it again).

1. Per-epoch wall time on 40 %-symmetric-noise labels of

   * ``antidote_kl`` / ``antidote_alpha``: ``AntidoteClassifier(divergence=..., forget_rate=0.4,
     warmup_epochs=0)`` (reweighting on in every epoch);
   * ``antidote_ce``: ``AntidoteClassifier(forget_rate=0)`` -- the same net, still routed
     through ``AntidoteLoss`` (radius 0, so the reweighting is skipped);
   * ``skorch_ce``: a plain skorch ``NeuralNetClassifier`` with ``torch.nn.CrossEntropyLoss``
     and the same module (``skantidote.modules.MLP`` / ``CNN``), optimizer, batch size,
     shuffling.

   for an MLP (256, 256) on letter and the built-in CNN on digits (``module="cnn",
   module__input_shape=(1, 8, 8)``). The variants are interleaved: ``--rounds`` rounds,
   each fitting every variant (in a rotated order) for ``--epochs`` epochs; per-epoch times
   are the CPU time of the training thread from the start to the end of each epoch (a
   callback reading ``time.thread_time``, so that time the thread spends descheduled on a
   shared machine is not counted), for all epochs but the first of each fit; the ratio is
   of the medians.
2. Fit time versus n on the training part of ``synthetic-<n>`` (:mod:`benchmarks.datasets`:
   ``make_classification``, 20 features, 4 classes, standardised) for n = 10^4, 10^5, 10^6,
   one epoch, ``antidote_kl`` and ``skorch_ce`` interleaved: time / row should stay flat
   (linear growth). (The committed table fit all n rows of a ``make_classification`` of its
   own; this benchmark now takes the shared loader's split, 70 % of them.)

One torch thread (``torch.set_num_threads(1)``) throughout.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import pandas as pd
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from torch import nn

from benchmarks.datasets import add_noise, load_split
from benchmarks.paths import RESULTS, display
from benchmarks.render import write_report
from benchmarks.reports.cost import DEFAULTS, result_files
from skantidote import AntidoteClassifier
from skantidote.modules import CNN, MLP

TASKS = (("letter MLP", "letter", False), ("digits CNN", "digits", True))
VARIANTS = ("antidote_kl", "antidote_alpha", "antidote_ce", "skorch_ce")


class EpochCPUTime(Callback):
    """CPU seconds of the training thread in each epoch, appended to ``times``."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_epoch_begin(self, net, **kwargs) -> None:
        self._start = time.thread_time()

    def on_epoch_end(self, net, **kwargs) -> None:
        self.times.append(time.thread_time() - self._start)


def make(variant: str, n_features: int, n_classes: int, epochs: int, seed: int, cnn: bool,
         timer: Callback | None = None) -> NeuralNetClassifier | AntidoteClassifier:
    """The estimator of a variant, with the same module, optimizer, batch size and epochs."""
    callbacks = None if timer is None else [("cpu_timer", timer)]
    common = dict(max_epochs=epochs, batch_size=128, lr=1e-3, device="cpu", callbacks=callbacks)
    if variant == "skorch_ce":
        if cnn:
            module, mkw = CNN, dict(module__input_shape=(1, 8, 8), module__dropout=0.2)
        else:
            module, mkw = MLP, dict(module__n_features=n_features,
                                    module__hidden_layer_sizes=(256, 256),
                                    module__dropout=0.2)
        torch.manual_seed(seed)
        return NeuralNetClassifier(
            module, module__n_classes=n_classes, criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam, optimizer__weight_decay=0.0,
            iterator_train__shuffle=True, train_split=None, verbose=0,
            classes=list(range(n_classes)), **mkw, **common,
        )
    kw = dict(warmup_epochs=0, random_state=seed, **common)
    if cnn:
        kw.update(module="cnn", module__input_shape=(1, 8, 8))
    if variant == "antidote_kl":
        return AntidoteClassifier(divergence="kl", forget_rate=0.4, **kw)
    if variant == "antidote_alpha":
        return AntidoteClassifier(divergence="alpha", alpha=2.0, forget_rate=0.4, **kw)
    return AntidoteClassifier(forget_rate=0.0, **kw)


def epoch_times(est: NeuralNetClassifier | AntidoteClassifier) -> list[float]:
    """Wall seconds of each epoch (skorch's ``dur``)."""
    net = getattr(est, "net_", est)
    return list(net.history[:, "dur"])


def per_epoch_times(
    dataset: str, cnn: bool, variants: tuple[str, ...], rounds: int, epochs: int
) -> tuple[dict[str, list[float]], int]:
    """Per-epoch CPU seconds of every variant (first epoch of each fit dropped), interleaved
    over ``rounds``; and the number of training rows."""
    split = load_split(dataset, 0)
    y, _ = add_noise(split, "sym", 0.4, 0)
    X = split.X_train
    times = {v: [] for v in variants}
    for r in range(rounds):
        order = list(variants[r % len(variants):]) + list(variants[: r % len(variants)])
        for v in order:
            timer = EpochCPUTime()
            est = make(v, X.shape[1], split.n_classes, epochs, r, cnn, timer)
            est.fit(X, y)
            times[v].extend(timer.times[1:])
    return times, len(y)


def scaling(sizes: list[int], epochs: int) -> list[dict]:
    """Fit time and training-epoch time of ``antidote_kl`` and ``skorch_ce`` per size."""
    rows = []
    for size in sizes:
        split = load_split(f"synthetic-{size}", 0)
        X, y = split.X_train, split.y_train
        for v in ("antidote_kl", "skorch_ce"):
            est = make(v, X.shape[1], split.n_classes, epochs, 0, False)
            t0 = time.perf_counter()
            est.fit(X, y)
            dt = time.perf_counter() - t0
            train = float(sum(epoch_times(est)))
            rows.append({"n": len(y), "variant": v, "fit_s": dt, "epochs_s": train})
            print(f"n={len(y)} {v}: fit {dt:.1f} s, training epochs {train:.1f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=DEFAULTS["rounds"])
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--sizes", type=int, nargs="*", default=DEFAULTS["sizes"],
                    help="rows of the synthetic data sets (70 %% of them are fit)")
    ap.add_argument("--scaling-epochs", type=int, default=DEFAULTS["scaling_epochs"])
    ap.add_argument("--epochs-csv", type=Path, default=RESULTS / "cost_epochs.csv",
                    help="per-epoch times; the other result files go next to it")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    scaling_csv, settings_json, _ = result_files(args.epochs_csv)

    per_epoch, rows = [], {}
    for name, dataset, cnn in TASKS:
        times, rows[name] = per_epoch_times(dataset, cnn, VARIANTS, args.rounds, args.epochs)
        per_epoch += [{"task": name, "variant": v, "epoch_s": t}
                      for v in VARIANTS for t in times[v]]
    args.epochs_csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(per_epoch).to_csv(args.epochs_csv, index=False)
    pd.DataFrame(scaling(args.sizes, args.scaling_epochs),
                 columns=["n", "variant", "fit_s", "epochs_s"]).to_csv(scaling_csv, index=False)
    settings = {"rounds": args.rounds, "epochs": args.epochs, "sizes": args.sizes,
                "scaling_epochs": args.scaling_epochs, "rows": rows, "host": platform.node(),
                "torch": torch.__version__}
    settings_json.write_text(json.dumps(settings, indent=1) + "\n")
    print(f"wrote {display(write_report('cost', args.epochs_csv))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
