"""Per-epoch summaries of the reweighting: dual variables and the fraction forgotten."""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback

from skantidote.loss import FORGOTTEN_WEIGHT

__all__ = ["ReweightingDiagnostics"]


class ReweightingDiagnostics(Callback):
    """Record the reweighting's dual variables and forgetting in the net's history.

    After every training batch it keeps a reference to the criterion's ``solution_`` (the
    :class:`~skantidote.divergences.DualSolution` of
    :class:`~skantidote.loss.AntidoteLoss`; ``None`` for a batch that was not reweighted or
    for another criterion). At the end of the epoch it records in the epoch's history row
    ``lambda`` and ``tau`` (means over the reweighted batches, and with one ball per class
    over the classes whose values are finite; NaN when none was) and
    ``forgotten`` (the fraction of reweighted rows whose weight is below
    :data:`~skantidote.loss.FORGOTTEN_WEIGHT`). The batch step does no extra work, and on
    an accelerator all values are read back to the host in one transfer per epoch, so the
    device never waits on the host.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import ReweightingDiagnostics
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.2, max_epochs=2, train_split=None, verbose=0,
    ...     callbacks=[ReweightingDiagnostics()],
    ... ).fit(X, y)
    >>> row = net.history[-1]
    >>> bool(row["tau"] > 0) and 0.0 <= row["forgotten"] <= 1.0
    True
    """

    def on_epoch_begin(self, net, **kwargs) -> None:
        self.solutions_ = []

    def on_batch_end(self, net, batch=None, training=False, **kwargs) -> None:
        solution = getattr(net.criterion_, "solution_", None)
        if training and solution is not None:
            self.solutions_.append(solution)

    def on_epoch_end(self, net, **kwargs) -> None:
        solutions = getattr(self, "solutions_", None)
        if solutions:
            duals = torch.stack(
                [torch.stack((_over_classes(s.lam), _over_classes(s.tau))) for s in solutions]
            )
            weights = torch.cat([s.weights for s in solutions])
            forgotten = (weights < FORGOTTEN_WEIGHT).to(duals.dtype).mean()
            # One transfer per epoch.
            lam, tau, forgotten = torch.cat((duals.mean(dim=0), forgotten[None])).tolist()
        else:
            lam, tau, forgotten = math.nan, math.nan, 0.0
        # Do not keep (or pickle) the last epoch's batch solutions.
        self.solutions_ = []
        net.history.record("lambda", lam)
        net.history.record("tau", tau)
        net.history.record("forgotten", forgotten)


def _over_classes(value: torch.Tensor) -> torch.Tensor:
    """A dual variable as one number: a per-class one averaged over its finite entries.

    Classes absent from a batch, or not reweighted (radius 0), have infinite
    temperatures; they say nothing about how sharply the others were reweighted.
    """
    if value.ndim == 0:
        return value
    finite = torch.isfinite(value)
    return torch.where(finite, value, 0.0).sum() / finite.sum().clamp_min(1)
