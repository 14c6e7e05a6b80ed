"""Run the benchmark suite: clean test accuracy of every method under label noise.

One CSV row per cell ``(dataset, noise, rate, method, seed)`` is appended to
``benchmarks/results/suite.csv`` as soon as the fit ends; cells already in the CSV (same
key and same ``epochs``) are skipped, so a run can be interrupted, resumed, or split
across sessions / machines (``--datasets``, ``--noises``, ``--methods``, ``--seeds``).

Tiers (run from the repository root)::

    python -m benchmarks.suite.run --tier quick   # < 15 min on 2 CPU cores (regressions)
    python -m benchmarks.suite.run --tier full    # the whole grid (hours on a CPU)

Columns: ``accuracy`` on the clean 30 % test split; ``fit_s`` wall time of ``fit``
(CleanLearning: its 5 cross-validation fits + the final fit); ``epoch_s`` = ``fit_s`` /
epochs of all fits; ``peak_rss_mb`` the process's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the fit and ``rss_delta_mb`` its
growth during the fit -- a process-wide high-water mark, so the delta is 0 when the fit
stayed below an earlier peak (torch allocations are not seen by ``tracemalloc``, hence
maxrss). Each fit uses one torch thread (``torch.set_num_threads(1)``).
"""

from __future__ import annotations

import argparse
import csv
import platform
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from benchmarks.suite.datasets import add_noise, load_split
from benchmarks.suite.methods import METHODS, common_params, make_estimator, n_epochs_trained

RESULTS = Path(__file__).resolve().parents[1] / "results"
CSV = RESULTS / "suite.csv"
FIELDS = [
    "dataset", "noise", "rate", "method", "seed", "epochs", "warmup", "batch_size", "module",
    "accuracy", "fit_s", "epoch_s", "n_epochs", "peak_rss_mb", "rss_delta_mb", "n_train",
    "actual_noise", "threads", "host", "time",
]

# Grid of the full tier: dataset -> list of (noise, rate); epochs per dataset (the same for
# every method of that dataset; see README.md).
FULL_GRID = {
    "digits": [("sym", 0.2), ("sym", 0.4), ("sym", 0.6), ("pair", 0.2), ("pair", 0.4)],
    "adult": [("sym", 0.2), ("sym", 0.4)],
    "letter": [("sym", 0.2), ("sym", 0.4), ("sym", 0.6), ("pair", 0.2), ("pair", 0.4)],
    "synthetic": [("sym", 0.4), ("instance", 0.4)],
}
FULL_EPOCHS = {"digits": 100, "adult": 10, "letter": 20, "synthetic": 20}
FULL_WARMUP = {"digits": 10, "adult": 2, "letter": 3, "synthetic": 3}
# Batch size per data set (the same for every method); 256 on adult to fit the time budget.
BATCH = {"adult": 256}
QUICK_GRID = {"digits": [("sym", 0.4), ("pair", 0.4)]}
QUICK_EPOCHS = {"digits": 40}
QUICK_METHODS = ["clean", "ce", "antidote_kl", "antidote_alpha", "gce", "nce+rce",
                 "ce_eps+mae", "small_loss"]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def done_keys(path: Path) -> set:
    if not path.exists():
        return set()
    with path.open() as fh:
        return {
            (r["dataset"], r["noise"], f"{float(r['rate']):g}", r["method"], int(r["seed"]),
             int(r["epochs"]))
            for r in csv.DictReader(fh)
        }


def run_cell(dataset, noise, rate, method, seed, epochs, warmup, module="mlp") -> dict:
    split = load_split(dataset, seed)
    y_noisy, is_noisy = add_noise(split, noise, rate, seed)
    params = common_params(split, epochs, warmup, seed, module=module)
    params["batch_size"] = BATCH.get(dataset, 128)
    est = make_estimator(method, noise, rate, params)
    y_fit = split.y_train if method == "clean" else y_noisy
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    est.fit(split.X_train, y_fit)
    fit_s = time.perf_counter() - t0
    rss1 = _rss_mb()
    acc = float(np.mean(est.predict(split.X_test) == split.y_test))
    n_ep = n_epochs_trained(est)
    total_epochs = n_ep * (6 if method == "cleanlab" else 1)
    return {
        "dataset": dataset, "noise": noise, "rate": f"{rate:g}", "method": method,
        "seed": seed, "epochs": epochs, "warmup": warmup,
        "batch_size": params["batch_size"], "module": module,
        "accuracy": f"{acc:.4f}", "fit_s": f"{fit_s:.2f}",
        "epoch_s": f"{fit_s / max(total_epochs, 1):.4f}", "n_epochs": n_ep,
        "peak_rss_mb": f"{rss1:.0f}", "rss_delta_mb": f"{rss1 - rss0:.0f}",
        "n_train": len(y_fit), "actual_noise": f"{float(np.mean(is_noisy)):.4f}",
        "threads": torch.get_num_threads(), "host": platform.node(),
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tier", choices=["quick", "full"], default="quick")
    ap.add_argument("--datasets", nargs="*", help="subset of the tier's data sets")
    ap.add_argument("--noises", nargs="*", help="e.g. sym-0.4 pair (all rates of pair)")
    ap.add_argument("--methods", nargs="*", choices=METHODS)
    ap.add_argument("--seeds", nargs="*", type=int)
    ap.add_argument("--epochs", type=int, help="override the epochs of every data set")
    ap.add_argument("--warmup", type=int,
                    help="warm-up epochs (default: max(1, round(epochs / 10)))")
    ap.add_argument("--module", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--csv", type=Path, default=CSV)
    ap.add_argument("--dry-run", action="store_true", help="list the cells to run")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    quick = args.tier == "quick"
    grid = QUICK_GRID if quick else FULL_GRID
    epochs_of = QUICK_EPOCHS if quick else FULL_EPOCHS
    methods = args.methods or (QUICK_METHODS if quick else list(METHODS))
    seeds = args.seeds if args.seeds is not None else ([0] if quick else [0, 1, 2])
    datasets = args.datasets or list(grid)

    cells = []
    for dataset in datasets:
        for noise, rate in grid.get(dataset, FULL_GRID.get(dataset, [])):
            if args.noises and not any(
                sel in (noise, f"{noise}-{rate:g}") for sel in args.noises
            ):
                continue
            epochs = args.epochs or epochs_of.get(dataset, FULL_EPOCHS.get(dataset, 30))
            warmup = args.warmup if args.warmup is not None else (
                FULL_WARMUP.get(dataset, max(1, round(epochs / 10))) if not quick
                else max(1, round(epochs / 10)))
            for seed in seeds:
                for method in methods:
                    cells.append((dataset, noise, rate, method, seed, epochs, warmup))

    done = done_keys(args.csv)
    todo = [c for c in cells if (c[0], c[1], f"{c[2]:g}", c[3], c[4], c[5]) not in done]
    print(f"{len(cells)} cells, {len(cells) - len(todo)} already in {args.csv}, "
          f"{len(todo)} to run", flush=True)
    if args.dry_run:
        for c in todo:
            print(*c)
        return 0
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    for i, (dataset, noise, rate, method, seed, epochs, warmup) in enumerate(todo, 1):
        row = run_cell(dataset, noise, rate, method, seed, epochs, warmup, args.module)
        new = not args.csv.exists()
        with args.csv.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)
        print(f"[{i}/{len(todo)} {time.perf_counter() - t_start:7.1f}s] {dataset} {noise} "
              f"{rate:g} {method:14s} seed {seed}: acc {row['accuracy']} "
              f"({row['fit_s']} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
