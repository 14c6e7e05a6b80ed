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

Run ``python benchmarks/bench_loss.py`` (about 5 minutes on 2 CPU cores); it writes
``benchmarks/results/loss_speed.md``. ``--quick`` runs a reduced grid.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy.optimize
import scipy.special
import torch
from torch import nn

from skantidote import AntidoteLoss, KLDivergence

RESULTS = Path(__file__).parent / "results" / "loss_speed.md"


def make_mlp(n_features: int, n_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(n_features, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, n_classes),
    )


CLOCK = time.thread_time


class FixedWeightLoss(nn.Module):
    """Cross-entropy per sample, averaged with fixed weights: reweighting at no solve cost."""

    def __init__(self, batch: int) -> None:
        super().__init__()
        self.weights = torch.full((batch,), 1.0 / batch)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        losses = nn.functional.cross_entropy(logits, target, reduction="none")
        return torch.dot(self.weights, losses)


def step_times(batch: int, n_classes: int, repeats: int) -> dict[str, float]:
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
    setups = {}
    for name, criterion in losses.items():
        net = make_mlp(64, n_classes)
        setups[name] = (net, torch.optim.Adam(net.parameters(), lr=1e-3), criterion)

    def step(name: str) -> float:
        net, optimizer, criterion = setups[name]
        start = CLOCK()
        optimizer.zero_grad(set_to_none=True)
        criterion(net(x), y).backward()
        optimizer.step()
        return CLOCK() - start

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


def solve_times(batch: int, repeats: int) -> dict[str, float]:
    """Median seconds of one weight solve: skantidote (warm-started) vs scipy bisection."""
    gen = torch.Generator().manual_seed(0)
    batches = [
        torch.distributions.Exponential(1.0).sample((batch,)) * 2 for _ in range(repeats)
    ]
    del gen
    kl = KLDivergence()
    delta = kl.radius(0.4)
    state = None
    ours, theirs = [], []
    for losses in batches:
        start = CLOCK()
        state = kl.solve(losses, delta, init=state).state
        ours.append(CLOCK() - start)
        start = CLOCK()
        scipy_bisection_weights(losses, delta)
        theirs.append(CLOCK() - start)
    return {"skantidote": statistics.median(ours), "scipy": statistics.median(theirs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced grid, fewer repeats")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not thread CPU")
    args = parser.parse_args()
    global CLOCK
    torch.set_num_threads(args.threads)
    if args.wall:
        CLOCK = time.perf_counter

    batches = [64, 128, 512, 2048, 8192]
    classes = [10, 100, 1000]
    if args.quick:
        batches, classes = [128, 2048], [10, 1000]
    lines = [
        "# AntidoteLoss cost on CPU",
        "",
        f"Command: `python benchmarks/bench_loss.py{' --quick' if args.quick else ''}`  ",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, "
        f"Python {platform.python_version()}; "
        f"clock: {'wall' if args.wall else 'CPU time of the benchmark thread'}",
        "",
        "## Training step of an MLP (64-256-256-C, Adam), median over interleaved steps",
        "",
        "| batch | classes | CE (ms) | fixed weights / CE | ANTIDOTE KL (ms) | KL / CE "
        "| ANTIDOTE chi2 (ms) | chi2 / CE |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    target_row = {}
    for batch in batches:
        for n_classes in classes:
            repeats = 400 if batch <= 512 else 60
            if args.quick:
                repeats //= 4
            t = step_times(batch, n_classes, repeats)
            row = (
                f"| {batch} | {n_classes} | {t['ce'] * 1e3:.3f} | {t['fixed'] / t['ce']:.3f} | "
                f"{t['kl'] * 1e3:.3f} | {t['kl'] / t['ce']:.3f} | {t['chi2'] * 1e3:.3f} | "
                f"{t['chi2'] / t['ce']:.3f} |"
            )
            if (batch, n_classes) == (128, 10):
                target_row = t
            print(row, flush=True)
            lines.append(row)
    lines += [
        "",
        "## KL weight solve alone: skantidote vs scipy bisection on the host (authors' way)",
        "",
        "| batch | skantidote (us) | scipy bisection (us) | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    for batch in batches:
        t = solve_times(batch, 100 if args.quick else 300)
        row = (
            f"| {batch} | {t['skantidote'] * 1e6:.1f} | {t['scipy'] * 1e6:.1f} | "
            f"{t['scipy'] / t['skantidote']:.1f}x |"
        )
        print(row, flush=True)
        lines.append(row)
    if target_row:
        kl, chi2 = target_row["kl"] / target_row["ce"], target_row["chi2"] / target_row["ce"]
        fixed = target_row["fixed"] / target_row["ce"]
        verdict = "met" if max(kl, chi2) <= 1.05 else "**missed**"
        lines += [
            "",
            f"Target (foundation issue): at batch 128 with 10 classes the step costs at most "
            f"1.05 x CE. Measured: KL {kl:.3f}, chi2 {chi2:.3f}: {verdict}. Weighting the "
            f"per-sample losses by fixed weights costs {fixed:.3f} x CE, so the rest is the "
            "weight solve: a few dozen tensor operations on 128 numbers, whose cost on a CPU is "
            "the fixed dispatch overhead of each operation, paid with caches cold after the "
            "network's step, rather than arithmetic; its share of the step shrinks as the "
            "batch grows (rows above).",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
