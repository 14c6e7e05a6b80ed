"""Peak memory of AntidoteClassifier.fit on a large float32 data set, dense or sparse.

Fits on ``--rows`` x ``--features`` float32 features (default 10^6 x 50, 200 MB) and
reports the process's resident set size (RSS) before the fit (interpreter, torch, the
data) and its peak during the fit (sampled every 5 ms by a thread, and the kernel's
``ru_maxrss``). The target is a peak increase during ``fit`` of at most about the size of
the data plus the model: no copy of the features beyond the float32 array the user
passes.

With ``--nonzeros-per-row K`` the features are a one-hot-like CSR matrix instead: ``K``
categorical features of ``features / K`` levels each, one-hot encoded (exactly ``K``
ones per row, at a random level of each feature). ``AntidoteClassifier`` densifies it one
minibatch at a time, so the target is a peak increase of about the sparse matrix's own
size (data + indices + indptr) plus a few dense minibatches, far below its dense size.

Usage (prints its measurements, and appends them to ``--csv`` when given;
``benchmarks/results/memory.md`` discusses them)::

    python -m benchmarks.micro.memory                       # 10^6 x 50, 1 epoch
    python -m benchmarks.micro.memory --zero-weight-rows 1  # forces a copy (X[keep])
    python -m benchmarks.micro.memory --dtype float64       # validate_data converts: a copy
    python -m benchmarks.micro.memory --features 10000 --nonzeros-per-row 100
                                                            # 10^6 x 10^4 CSR, 1 % density

The features are drawn here, directly as float32 (not with :mod:`benchmarks.datasets`,
whose float64 preprocessing would itself use memory of the size being measured).
"""

from __future__ import annotations

import argparse
import csv
import resource
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from scipy import sparse

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


def one_hot_like(
    rng: np.random.Generator, rows: int, features: int, nonzeros_per_row: int
) -> sparse.csr_matrix:
    """A CSR matrix of float32 ones: ``nonzeros_per_row`` one-hot encoded features.

    Row ``i`` has a one in each block of ``features // nonzeros_per_row`` columns, at a
    random position: sorted, distinct column indices, built in place (no temporary of
    the dense size, and none of the sparse size beyond the matrix's own arrays).
    """
    if features % nonzeros_per_row:
        raise ValueError(
            f"--features={features} must be a multiple of --nonzeros-per-row="
            f"{nonzeros_per_row}: the columns are nonzeros_per_row blocks of equal width."
        )
    width = features // nonzeros_per_row
    indices = rng.integers(0, width, size=(rows, nonzeros_per_row), dtype=np.int32)
    indices += np.arange(0, features, width, dtype=np.int32)
    data = np.ones(rows * nonzeros_per_row, dtype=np.float32)
    indptr = np.arange(0, rows * nonzeros_per_row + 1, nonzeros_per_row, dtype=np.int32)
    return sparse.csr_matrix((data, indices.ravel(), indptr), shape=(rows, features))


def features_nbytes(X) -> int:
    """Bytes that ``X`` holds: its array, or a sparse matrix's data, indices and indptr."""
    if sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


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
    parser.add_argument("--nonzeros-per-row", type=int, default=None,
                        help="a one-hot-like CSR matrix with this many ones per row "
                        "(default: dense features)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--csv", type=Path, default=None,
                        help="append the measurements to this CSV file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    if args.nonzeros_per_row:
        X = one_hot_like(rng, args.rows, args.features, args.nonzeros_per_row)
    else:
        # Drawn directly in the target dtype: no float64 temporary of the whole array.
        X = rng.standard_normal((args.rows, args.features), dtype=np.float32)
    centers = rng.standard_normal((args.classes, args.features), dtype=np.float32)
    y = np.asarray(X @ centers.T).argmax(axis=1)
    if args.dtype == "float64":
        X = X.astype(np.float64)
    sample_weight = None
    if args.zero_weight_rows:
        sample_weight = np.ones(args.rows, dtype=np.float32)
        sample_weight[: args.zero_weight_rows] = 0.0
    x_mb = features_nbytes(X) / MB
    data_mb = x_mb + y.nbytes / MB
    dense_mb = args.rows * args.features * np.dtype(args.dtype).itemsize / MB
    batch_mb = args.batch_size * args.features * 4 / MB

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

    layout = f"CSR, {X.nnz} non-zeros" if sparse.issparse(X) else "dense"
    print(f"data: X {args.rows} x {args.features} {args.dtype} ({layout}) = {x_mb:.0f} MB, "
          f"y {y.nbytes / MB:.0f} MB; model parameters {model_mb:.2f} MB")
    if sparse.issparse(X):
        print(f"X as a dense array would take {dense_mb:.0f} MB; one dense minibatch of "
              f"{args.batch_size} rows takes {batch_mb:.0f} MB")
    print(f"RSS before fit (python + torch + data): {before / MB:.0f} MB")
    print(f"peak RSS during fit (sampled):          {peak.peak / MB:.0f} MB")
    print(f"peak RSS of the process (ru_maxrss):    {maxrss / MB:.0f} MB")
    increase = (peak.peak - before) / MB
    print(f"increase during fit: {increase:.0f} MB = {increase / data_mb:.2f} x the data "
          f"({data_mb:.0f} MB); fit took {seconds:.1f} s, train loss "
          f"{clf.history_[-1]['train_loss']:.4f}")
    if args.csv is not None:
        record = {
            "layout": "csr" if sparse.issparse(X) else "dense",
            "rows": args.rows, "features": args.features,
            "nonzeros_per_row": args.nonzeros_per_row or args.features,
            "dtype": args.dtype, "zero_weight_rows": args.zero_weight_rows,
            "epochs": args.epochs, "batch_size": args.batch_size, "hidden": args.hidden,
            "threads": args.threads, "x_mb": round(x_mb, 1), "y_mb": round(y.nbytes / MB, 1),
            "dense_x_mb": round(dense_mb, 1), "rss_before_mb": round(before / MB, 1),
            "peak_rss_mb": round(peak.peak / MB, 1), "maxrss_mb": round(maxrss / MB, 1),
            "increase_mb": round(increase, 1), "fit_seconds": round(seconds, 1),
            "train_loss": round(clf.history_[-1]["train_loss"], 4),
        }
        new_file = not args.csv.exists()
        with args.csv.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(record))
            if new_file:
                writer.writeheader()
            writer.writerow(record)


if __name__ == "__main__":
    main()
