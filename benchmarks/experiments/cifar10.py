"""CIFAR-10 at 40 % symmetric noise, the ANTIDOTE paper's protocol (needs a GPU).

ANTIDOTE vs cross-entropy vs CE_eps+MAE with the 8-layer CNN of the normalized-loss /
epsilon-softmax papers (3 x [conv3x3-BN-ReLU, conv3x3-BN-ReLU, maxpool] with 64/128/196
channels, then FC 256 -> FC 10), 120 epochs, SGD lr 0.05 momentum 0.9 weight decay 1e-4,
batch 128, lr x0.1 at epoch 100, gradient-norm clip 5, random crop (pad 4) + horizontal
flip, last-epoch test accuracy. ANTIDOTE uses
the authors' CIFAR-10 sym-40 radius (KL, delta 0.57, kappa 0.05) unless ``--forget-rate``
is given. Plain PyTorch with ``skantidote.AntidoteLoss`` and ``skantidote.robust_losses``.

Usage (CIFAR-10 python-pickle batches ``data_batch_1..5`` and ``test_batch`` in
``--data-dir`` or ``--data-dir/cifar-10-batches-py``; nothing is downloaded)::

    python -m benchmarks.run cifar10 --data-dir /data/cifar10 --seeds 0 1 2

appends one row per (method, seed) to ``benchmarks/results/cifar10.csv``. Exits 0 with
``skipped: ...`` when CUDA or the data are missing.
"""

from __future__ import annotations

import argparse
import pickle
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.paths import RESULTS
from benchmarks.runner import Cell, Experiment, Row
from skantidote import AntidoteLoss
from skantidote.noise import symmetric_noise
from skantidote.robust_losses import get_robust_loss

METHODS = ("antidote", "ce", "ce_eps+mae")
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def find_batches(data_dir: Path) -> Path | None:
    """The folder of the python batches, in ``data_dir`` or its ``cifar-10-batches-py``."""
    for d in (data_dir, data_dir / "cifar-10-batches-py"):
        if all((d / f).is_file() for f in [f"data_batch_{i}" for i in range(1, 6)] +
               ["test_batch"]):
            return d
    return None


@lru_cache(maxsize=1)
def load(d: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Normalised training and test images and labels."""

    def read(name):
        with open(d / name, "rb") as fh:
            b = pickle.load(fh, encoding="bytes")
        return b[b"data"].reshape(-1, 3, 32, 32), np.asarray(b[b"labels"], dtype=np.int64)

    parts = [read(f"data_batch_{i}") for i in range(1, 6)]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    Xt, yt = read("test_batch")

    def norm(a):
        a = a.astype(np.float32) / 255.0
        return (a - MEAN[None, :, None, None]) / STD[None, :, None, None]

    return norm(X), y, norm(Xt), yt


def build_cnn() -> nn.Sequential:
    """The 8-layer CNN of the normalized-loss papers for 32x32 RGB images, 10 classes."""

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 64), *block(64, 128), *block(128, 196), nn.Flatten(),
                         nn.Linear(196 * 4 * 4, 256), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
                         nn.Linear(256, 10))


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random crop with 4-pixel zero padding and horizontal flip, on the images' device."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    i = torch.randint(0, 9, (n,), device=x.device, generator=gen)
    j = torch.randint(0, 9, (n,), device=x.device, generator=gen)
    rows = (i[:, None] + torch.arange(32, device=x.device)[None, :])  # n x 32
    cols = (j[:, None] + torch.arange(32, device=x.device)[None, :])
    out = padded[torch.arange(n, device=x.device)[:, None, None, None],
                 torch.arange(3, device=x.device)[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :]]
    flip = torch.rand(n, device=x.device, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def criterion_for(cell: Cell) -> nn.Module:
    """The loss of a cell's method."""
    if cell["method"] == "antidote":
        if cell["forget_rate"] is not None:
            return AntidoteLoss(
                divergence="kl", forget_rate=cell["forget_rate"], kappa=cell["kappa"]
            )
        return AntidoteLoss(divergence="kl", delta=cell["delta"], kappa=cell["kappa"])
    if cell["method"] == "ce":
        return get_robust_loss("ce")
    return get_robust_loss("ce_eps+mae", alpha=0.01, beta=5.0, m=1e5)


def run_cell(cell: Cell) -> list[Row]:
    """Train one method on one seed's noisy labels; its last-epoch clean test accuracy."""
    method, seed, epochs = cell["method"], cell["seed"], cell["epochs"]
    device = torch.device(cell["device"])
    X, y, Xt, yt = load(find_batches(Path(cell["data_dir"])))
    y_noisy, mask = symmetric_noise(y, cell["rate"], random_state=seed)
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    Xg = torch.as_tensor(X, device=device)
    yg = torch.as_tensor(y_noisy, device=device)
    Xtg, ytg = torch.as_tensor(Xt, device=device), torch.as_tensor(yt, device=device)
    model = build_cnn().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[100], gamma=0.1)
    crit = criterion_for(cell).to(device)
    n = len(yg)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        if hasattr(crit, "enabled"):
            crit.enabled = epoch >= cell["warmup"]
        perm = torch.randperm(n, device=device, generator=gen)
        for k in range(0, n, 128):
            idx = perm[k:k + 128]
            logits = model(augment(Xg[idx], gen))
            loss = crit(logits, yg[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        sched.step()
        if (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            acc = evaluate(model, Xtg, ytg)
            print(f"{method} seed {seed} epoch {epoch + 1}: test acc {acc:.4f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return [{
        "dataset": "cifar10", "noise": "sym", "rate": cell["rate"], "method": method,
        "seed": seed, "epochs": epochs, "accuracy": f"{evaluate(model, Xtg, ytg):.4f}",
        "fit_s": f"{time.perf_counter() - t0:.1f}", "actual_noise": f"{mask.mean():.4f}",
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
    }]


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of ``model`` on ``(X, y)``, in batches of 1000."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for k in range(0, len(y), 1000):
            correct += (model(X[k:k + 1000]).argmax(1) == y[k:k + 1000]).sum().item()
    return correct / len(y)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path("data/cifar10"))
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--rate", type=float, default=0.4)
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--delta", type=float, default=0.57)
    parser.add_argument("--kappa", type=float, default=0.05)
    parser.add_argument("--forget-rate", type=float, default=None)
    parser.add_argument("--warmup", type=int, default=0,
                        help="ANTIDOTE warm-up epochs (plain CE)")
    parser.add_argument("--device", default="cuda", help="torch device (a CUDA GPU)")


def cells(args: argparse.Namespace) -> list[Cell]:
    settings = {"rate": args.rate, "epochs": args.epochs, "delta": args.delta,
                "kappa": args.kappa, "forget_rate": args.forget_rate, "warmup": args.warmup,
                "data_dir": str(args.data_dir), "device": args.device}
    return [{"method": method, "seed": seed, **settings}
            for seed in args.seeds for method in args.methods]


def unavailable(args: argparse.Namespace) -> str | None:
    """Why this machine cannot run the experiment (no CUDA, no data), or None."""
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        return "skipped: CUDA is not available (this benchmark needs a GPU)"
    if find_batches(args.data_dir) is None:
        return (f"skipped: CIFAR-10 python batches not found under {args.data_dir} "
                "(data_batch_1..5, test_batch; nothing is downloaded)")
    return None


def summary(rows: list[Row]) -> str:
    return f"last-epoch test accuracy {rows[0]['accuracy']} ({rows[0]['fit_s']} s)"


EXPERIMENT = Experiment(
    name="cifar10", description=__doc__.split("\n")[0],
    fields=("dataset", "noise", "rate", "method", "seed", "epochs", "accuracy", "fit_s",
            "actual_noise", "gpu"),
    key=("rate", "method", "seed", "epochs"),
    add_arguments=add_arguments, cells=cells, run_cell=run_cell, summary=summary,
    results_csv=lambda args: RESULTS / "cifar10.csv", report=lambda args: None,
    unavailable=unavailable,
)
