"""The learning rate over the epochs of one fit call."""

from __future__ import annotations

import math

from skorch.callbacks import Callback

__all__ = ["LearningRateSchedule"]

_SCHEDULES = ("constant", "cosine")


class LearningRateSchedule(Callback):
    """Set the optimizer's learning rate at every epoch from the net's ``lr``.

    ``"cosine"`` decays it from ``lr`` towards 0 along a half cosine over the epochs of
    each fit call (``net.max_epochs`` of them, counted from that call's first epoch), so a
    warm start decays again from ``lr``; a call of a single epoch (``partial_fit``) trains
    at ``lr``. ``"constant"`` trains at ``lr`` throughout, also after a cosine fit. A late,
    small learning rate matters with noisy labels: the reweighting has separated the
    forgotten rows by then, and the last epochs refine the model on the rest instead of
    memorising the noise at full speed.

    Parameters
    ----------
    schedule : {"cosine", "constant"}, default="cosine"
        The schedule.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import LearningRateSchedule
    >>> from skantidote.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=torch.nn.CrossEntropyLoss,
    ...     lr=0.1, max_epochs=4,
    ...     train_split=None, verbose=0, callbacks=[LearningRateSchedule("cosine")],
    ... ).fit(X, y)
    >>> # The last epoch's: 0.1 * (1 + cos(3 pi / 4)) / 2
    >>> round(net.optimizer_.param_groups[0]["lr"], 4)
    0.0146
    """

    def __init__(self, schedule: str = "cosine") -> None:
        self.schedule = schedule

    def initialize(self):
        if self.schedule not in _SCHEDULES:
            raise ValueError(
                f"schedule must be one of {_SCHEDULES}, got {self.schedule!r}."
            )
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        self.first_epoch_ = len(net.history)
        self.n_epochs_ = int(net.max_epochs)

    def on_epoch_begin(self, net, **kwargs) -> None:
        lr = net.lr
        if self.schedule == "cosine" and self.n_epochs_ > 1:
            progress = (len(net.history) - 1 - self.first_epoch_) / self.n_epochs_
            lr = net.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
