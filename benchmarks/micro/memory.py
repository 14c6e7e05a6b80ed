"""Peak memory of AntidoteClassifier.fit on a large float32 data set.

Fits on ``--rows`` x ``--features`` float32 features (default 10^6 x 50, 200 MB) and
reports the process's resident set size (RSS) before the fit (interpreter, torch, the
data) and its peak during the fit (sampled every 5 ms by a thread, and the kernel's
``ru_maxrss``). The target is a peak increase during ``fit`` of at most about the size of
the data plus the model: no copy of the features beyond the float32 array the user
passes.

Usage (prints its measurements; ``benchmarks/results/memory.md`` discusses them)::

    python -m benchmarks.micro.memory                       # 10^6 x 50, 1 epoch
    python -m benchmarks.micro.memory --zero-weight-rows 1  # forces a copy (X[keep])
    python -m benchmarks.micro.memory --dtype float64       # validate_data converts: a copy

The features are drawn here, directly as float32 (not with :mod:`benchmarks.datasets`,
whose float64 preprocessing would itself use memory of the size being measured).
"""

from __future__ import annotations

import argparse
import resource
import threading
import time

import numpy as np
import psutil
import torch

from skantidote import AntidoteClassifier

MB = 1024**2


class PeakRSS:
    """Sample the resident set size of this process in a background thread."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--zero-weight-rows", type=int, default=0,
                        help="give this many rows sample_weight 0 (fit then copies X)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    # Drawn directly in the target dtype: no float64 temporary of the whole array.
    X = rng.standard_normal((args.rows, args.features), dtype=np.float32)
    centers = rng.standard_normal((args.classes, args.features), dtype=np.float32)
    y = (X @ centers.T).argmax(axis=1)
    if args.dtype == "float64":
        X = X.astype(np.float64)
    sample_weight = None
    if args.zero_weight_rows:
        sample_weight = np.ones(args.rows, dtype=np.float32)
        sample_weight[: args.zero_weight_rows] = 0.0
    data_mb = (X.nbytes + y.nbytes) / MB

    clf = AntidoteClassifier(
        hidden_layer_sizes=(args.hidden,), max_epochs=args.epochs, warmup_epochs=0,
        batch_size=args.batch_size, device="cpu", random_state=0,
    )
    before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    with PeakRSS() as peak:
        clf.fit(X, y, sample_weight=sample_weight)
    seconds = time.perf_counter() - start
    model_mb = sum(p.numel() * p.element_size() for p in clf.net_.module_.parameters()) / MB
    # ru_maxrss is in KiB on Linux.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print(f"data: X {args.rows} x {args.features} {args.dtype} = {X.nbytes / MB:.0f} MB, "
          f"y {y.nbytes / MB:.0f} MB; model parameters {model_mb:.2f} MB")
    print(f"RSS before fit (python + torch + data): {before / MB:.0f} MB")
    print(f"peak RSS during fit (sampled):          {peak.peak / MB:.0f} MB")
    print(f"peak RSS of the process (ru_maxrss):    {maxrss / MB:.0f} MB")
    increase = (peak.peak - before) / MB
    print(f"increase during fit: {increase:.0f} MB = {increase / data_mb:.2f} x the data "
          f"({data_mb:.0f} MB); fit took {seconds:.1f} s, train loss "
          f"{clf.history_[-1]['train_loss']:.4f}")


if __name__ == "__main__":
    main()
