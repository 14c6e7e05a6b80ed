"""Plain cross-entropy for the first epochs, then the reweighting."""

from __future__ import annotations

from skorch.callbacks import Callback

__all__ = ["ReweightingWarmup", "default_warmup_epochs"]


def default_warmup_epochs(max_epochs: int) -> int:
    """The warm-up length for a training run of ``max_epochs`` epochs.

    A fifth of the run, at most 10 epochs and at least 1 (none for a single epoch): long
    enough for the network to learn the clean rows' easy patterns, which takes a few
    epochs whatever the run's length, and short enough that most of a short run still
    reweights. ``AntidoteClassifier(warmup_epochs="auto")`` and the command line use it.

    Parameters
    ----------
    max_epochs : int
        Epochs of the run.

    Returns
    -------
    int

    Examples
    --------
    >>> from skantidote.callbacks.warmup import default_warmup_epochs
    >>> [default_warmup_epochs(n) for n in (1, 5, 20, 100, 300)]
    [0, 1, 4, 10, 10]
    """
    return min(10, max(1, max_epochs // 5)) if max_epochs > 1 else 0


class ReweightingWarmup(Callback):
    """Train the first ``epochs`` epochs without reweighting, then switch it on.

    Networks learn the clean, easy rows first; before they have, the per-row losses say
    little about which labels are wrong, and reweighting them would forget clean rows of
    hard classes. The callback sets the criterion's ``enabled`` attribute (that of
    :class:`~skantidote.loss.AntidoteLoss` and
    :class:`~skantidote.robust_losses.SmallLossTrickLoss`; a criterion without one is left
    alone) to False in the training batches of the first ``epochs`` epochs of the net's
    history, so a warm start or ``partial_fit`` continues after the warm-up. Validation
    batches are always reweighted: their labels are noisy too, and a validation loss that
    changes meaning after the warm-up would mislead early stopping. Each epoch's history
    row gets ``warmup`` (whether its training batches were plain).

    Parameters
    ----------
    epochs : int, default=10
        Number of warm-up epochs, counted from the net's first epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import ReweightingWarmup
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.2, max_epochs=3, train_split=None, verbose=0,
    ...     callbacks=[("warmup", ReweightingWarmup(epochs=2))],
    ... ).fit(X, y)
    >>> [row["warmup"] for row in net.history]
    [True, True, False]
    """

    def __init__(self, epochs: int = 10) -> None:
        self.epochs = epochs

    def on_epoch_begin(self, net, **kwargs) -> None:
        # The history row of this epoch exists already: len(history) is its number.
        self.reweighting_ = len(net.history) > self.epochs

    def on_batch_begin(self, net, batch=None, training=False, **kwargs) -> None:
        criterion = net.criterion_
        if hasattr(criterion, "enabled"):
            criterion.enabled = self.reweighting_ or not training

    def on_epoch_end(self, net, **kwargs) -> None:
        net.history.record("warmup", not self.reweighting_)
