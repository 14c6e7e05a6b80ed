"""Cost of AntidoteLoss against plain cross-entropy, and of the weight solve against scipy.

Two measurements, each taken side by side in one run so that the machine's state affects
both sides alike:

1. A full training step (zero_grad, forward, loss, backward, Adam step) of a small MLP
   (64 inputs, two hidden layers of 256) with ``nn.CrossEntropyLoss``, with a per-sample
   cross-entropy weighted by fixed weights (what any reweighting pays before it solves
   anything), and with ``AntidoteLoss`` (KL and chi-square, forget_rate 0.4), for batch
   sizes 64..8192 and 10..1000 classes. Steps alternate between the losses; the median of
   each is reported.
2. The weight solve alone (``KLDivergence.solve`` on a batch of per-sample losses, warm
   started from the previous batch as in training) against the authors' approach: copy the
   losses to NumPy and bisect the dual's temperature with ``scipy.optimize.bisect``.

Times are the CPU time of the benchmark's own thread (``time.thread_time``) with one torch
thread by default, so that other processes on a shared machine inflate both sides alike
instead of adding their waits to one of them; ``--threads N`` and ``--wall`` change that.

Run ``python -m benchmarks.micro.loss_speed`` (about 5 minutes on 2 CPU cores); it writes
the medians to ``benchmarks/results/loss_speed.csv``, its settings to ``loss_speed.json``
and renders ``loss_speed.md`` from them (``python -m benchmarks.render loss_speed`` renders
it again). ``--quick`` runs a reduced grid; ``--per-class`` also times
``AntidoteLoss(per_class=True)`` (variants ``kl_per_class`` and ``chi2_per_class``: one ball
per class, the same forget rate for every class).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special
import torch
from torch import nn

from benchmarks.paths import RESULTS, display
from benchmarks.render import write_report
from skantidote import AntidoteLoss, KLDivergence

Clock = Callable[[], float]


def make_mlp(n_features: int, n_classes: int) -> nn.Module:
    """The MLP whose training step is timed: two hidden layers of 256."""
    return nn.Sequential(
        nn.Linear(n_features, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, n_classes),
    )


class FixedWeightLoss(nn.Module):
    """Cross-entropy per sample, averaged with fixed weights: reweighting at no solve cost."""

    def __init__(self, batch: int) -> None:
        super().__init__()
        self.weights = torch.full((batch,), 1.0 / batch)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        losses = nn.functional.cross_entropy(logits, target, reduction="none")
        return torch.dot(self.weights, losses)


def step_times(
    batch: int, n_classes: int, repeats: int, clock: Clock, per_class: bool = False
) -> dict[str, float]:
    """Median seconds per training step for each loss, measured interleaved."""
    torch.manual_seed(0)
    x = torch.randn(batch, 64)
    y = torch.randint(0, n_classes, (batch,))
    losses = {
        "ce": nn.CrossEntropyLoss(),
        "fixed": FixedWeightLoss(batch),
        "kl": AntidoteLoss("kl", forget_rate=0.4),
        "chi2": AntidoteLoss("chi2", forget_rate=0.4),
    }
    if per_class:
        losses["kl_per_class"] = AntidoteLoss("kl", forget_rate=0.4, per_class=True)
        losses["chi2_per_class"] = AntidoteLoss("chi2", forget_rate=0.4, per_class=True)
    setups = {}
    for name, criterion in losses.items():
        net = make_mlp(64, n_classes)
        setups[name] = (net, torch.optim.Adam(net.parameters(), lr=1e-3), criterion)

    def step(name: str) -> float:
        net, optimizer, criterion = setups[name]
        start = clock()
        optimizer.zero_grad(set_to_none=True)
        criterion(net(x), y).backward()
        optimizer.step()
        return clock() - start

    for name in setups:  # warm-up: allocator, kernels, the solver's warm start
        for _ in range(20):
            step(name)
    samples: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(repeats):
        for name in setups:
            samples[name].append(step(name))
    return {name: statistics.median(values) for name, values in samples.items()}


def scipy_bisection_weights(losses: torch.Tensor, delta: float) -> np.ndarray:
    """The authors' approach: bisection on the KL dual's temperature, on the host."""
    values = losses.detach().cpu().numpy().astype(np.float64)
    shifted = values - values.min()
    n = len(values)

    def excess_divergence(log_tau: float) -> float:
        a = -shifted / np.exp(log_tau)
        log_z = scipy.special.logsumexp(a) - np.log(n)
        q = np.exp(a - log_z) / n
        return float(q @ (a - log_z)) - delta

    log_tau = scipy.optimize.bisect(excess_divergence, -20.0, 20.0, xtol=1e-12)
    a = -shifted / np.exp(log_tau)
    return np.exp(a - scipy.special.logsumexp(a) + np.log(n))


def solve_times(batch: int, repeats: int, clock: Clock) -> dict[str, float]:
    """Median seconds of one weight solve: skantidote (warm-started) vs scipy bisection."""
    batches = [
        torch.distributions.Exponential(1.0).sample((batch,)) * 2 for _ in range(repeats)
    ]
    kl = KLDivergence()
    delta = kl.radius(0.4)
    state = None
    ours, theirs = [], []
    for losses in batches:
        start = clock()
        state = kl.solve(losses, delta, init=state).state
        ours.append(clock() - start)
        start = clock()
        scipy_bisection_weights(losses, delta)
        theirs.append(clock() - start)
    return {"skantidote": statistics.median(ours), "scipy": statistics.median(theirs)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced grid, fewer repeats")
    parser.add_argument("--output", type=Path, default=RESULTS / "loss_speed.md",
                        help="report to write; the CSV and settings go next to it")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not thread CPU")
    parser.add_argument("--per-class", action="store_true",
                        help="also time AntidoteLoss(per_class=True) in the training step")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    clock = time.perf_counter if args.wall else time.thread_time

    batches = [64, 128, 512, 2048, 8192]
    classes = [10, 100, 1000]
    if args.quick:
        batches, classes = [128, 2048], [10, 1000]
    medians = []
    for batch in batches:
        for n_classes in classes:
            repeats = 400 if batch <= 512 else 60
            if args.quick:
                repeats //= 4
            t = step_times(batch, n_classes, repeats, clock, args.per_class)
            print(f"step, batch {batch}, {n_classes} classes: {t}", flush=True)
            medians += [{"kind": "step", "batch": batch, "classes": n_classes, "variant": v,
                         "seconds": seconds} for v, seconds in t.items()]
    for batch in batches:
        t = solve_times(batch, 100 if args.quick else 300, clock)
        print(f"solve, batch {batch}: {t}", flush=True)
        medians += [{"kind": "solve", "batch": batch, "variant": v, "seconds": seconds}
                    for v, seconds in t.items()]
    csv = args.output.with_suffix(".csv")
    csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(medians, columns=["kind", "batch", "classes", "variant", "seconds"]).to_csv(
        csv, index=False)
    settings = {
        "quick": args.quick, "threads": torch.get_num_threads(), "wall": args.wall,
        "per_class": args.per_class,
        "machine": platform.processor() or platform.machine(), "torch": torch.__version__,
        "python": platform.python_version(),
    }
    csv.with_suffix(".json").write_text(json.dumps(settings, indent=1) + "\n")
    print(f"wrote {display(write_report('loss_speed', csv, args.output))}")


if __name__ == "__main__":
    main()
