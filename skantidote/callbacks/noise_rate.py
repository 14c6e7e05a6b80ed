"""Estimate the label noise from the training signal, and forget accordingly."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = ["NoiseRateEstimate"]

#: The largest forget rate the estimate sets: a radius that forgets more would leave too
#: few rows to learn from (and a rate of 1 has no finite KL radius).
MAX_FORGET_RATE = 0.9
#: Fewer reweighted epochs than this and the estimate may not have settled.
MIN_SETTLING_EPOCHS = 5
#: The probability the network must give another class than the label for the row to count
#: as mislabeled: at least half, i.e. more than all other classes together.
MIN_CONFIDENCE = 0.5


class NoiseRateEstimate(Callback):
    """Estimate the fraction of wrong labels in training, and set the forget rate from it.

    Networks learn the clean rows' patterns before they memorise the wrong labels, and
    ANTIDOTE keeps them from memorising: so while the network trains, the rows whose
    label it confidently does not predict are mostly those whose label is wrong. In every
    epoch the callback counts, over the training batches, how often the network's
    prediction (from the very logits the step computes, so nothing is recomputed) differs
    from the given label with a probability of at least one half, per given class and
    predicted class; rows where it hesitates count as agreeing, so that hard clean rows are
    not mistaken for noise. From the end of the warm-up on,
    it sets the criterion's forget rate to a running average (weight ``smoothing`` on the
    past) of the epoch's disagreement rate, so the radius follows the network as it
    separates the clean rows from the wrong ones; the estimate and the forgetting then
    settle together. The counts stay on the device and are read once per epoch.

    The estimate still counts the network's confident errors on clean rows as noise, and
    misses wrong labels the network has come to predict (with heavy noise on two classes,
    it learns part of it), so it can be off by several points on small or hard tables
    (``benchmarks/results/small_tables.md`` lists it against the truth); and it cannot
    tell a class whose wrong labels outnumber its right ones: the network then
    learns the wrong labels as the class. It warns about both cases it can see: too few
    reweighted epochs to settle, and classes predicted as another class more often than
    as themselves.

    Parameters
    ----------
    warmup_epochs : int, default=10
        Epochs before the forget rate is set from the estimate (those of
        :class:`~skantidote.callbacks.ReweightingWarmup`, during which the radius is not
        used). At the end of the last one the rate is set to that epoch's estimate.
    smoothing : float in [0, 1), default=0.5
        Weight of the previous rate in the running average.
    sets_forget_rate : bool, default=True
        Set the criterion's forget rate (its ``set_forget_rate`` method) from the estimate;
        when False the callback only estimates, e.g. for a fit given a forget rate.

    Attributes
    ----------
    noise_rate_ : float
        The current estimate: the forget rate the criterion has.
    confusion_ : ndarray of shape (n_classes, n_classes)
        The last epoch's counts of training rows by given class (rows) and predicted class
        (columns).
    history_ : list of float
        Each epoch's disagreement rate, also recorded as ``noise_estimate`` in the net's
        history.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import NoiseRateEstimate, ReweightingWarmup
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> from skantidote.noise import symmetric_noise
    >>> import torch
    >>> X, y = load_digits(return_X_y=True)
    >>> y_noisy, _ = symmetric_noise(y, 0.3, random_state=0)
    >>> estimate = NoiseRateEstimate(warmup_epochs=3)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=64, module__n_classes=10, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.2, optimizer=torch.optim.Adam, max_epochs=15,
    ...     train_split=None, verbose=0, callbacks=[ReweightingWarmup(3), estimate],
    ... ).fit((X / 16).astype(np.float32), y_noisy)
    >>> abs(estimate.noise_rate_ - 0.3) < 0.05  # the true rate is 0.3
    True
    """

    def __init__(
        self, warmup_epochs: int = 10, smoothing: float = 0.5, sets_forget_rate: bool = True
    ) -> None:
        self.warmup_epochs = warmup_epochs
        self.smoothing = smoothing
        self.sets_forget_rate = sets_forget_rate

    def initialize(self):
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be a number in [0, 1), got {self.smoothing!r}.")
        self.noise_rate_ = math.nan
        self.confusion_ = None
        self.history_ = []
        self._counts = None
        self._settling_epochs = 0
        return self

    def on_epoch_begin(self, net, **kwargs) -> None:
        self._counts = None

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs) -> None:
        if not training or y_pred is None or y_pred.ndim != 2:
            return
        n_classes = y_pred.shape[1]
        target = torch.as_tensor(batch[1], device=y_pred.device).long()
        confidence, predicted = torch.softmax(y_pred.detach().float(), dim=1).max(dim=1)
        # A disagreement counts only where the network gives the other class at least half
        # the probability: hard clean rows, on which it hesitates, are not counted as noise.
        predicted = torch.where(confidence >= MIN_CONFIDENCE, predicted, target)
        # One bincount of (given, predicted) pairs: a few tensor operations, no host read.
        counts = torch.bincount(target * n_classes + predicted, minlength=n_classes**2)
        self._counts = counts if self._counts is None else self._counts + counts

    def on_epoch_end(self, net, **kwargs) -> None:
        if self._counts is None:
            return
        n_classes = math.isqrt(self._counts.numel())
        confusion = self._counts.cpu().numpy().reshape(n_classes, n_classes)
        self.confusion_ = confusion
        estimate = 1.0 - np.trace(confusion) / max(confusion.sum(), 1)
        self.history_.append(float(estimate))
        net.history.record("noise_estimate", float(estimate))
        epoch = len(net.history)
        if epoch < self.warmup_epochs:
            return
        if epoch == self.warmup_epochs or math.isnan(self.noise_rate_):
            rate = estimate
        else:
            rate = self.smoothing * self.noise_rate_ + (1.0 - self.smoothing) * estimate
            self._settling_epochs += 1
        self.noise_rate_ = float(min(rate, MAX_FORGET_RATE))
        criterion = net.criterion_
        if self.sets_forget_rate and hasattr(criterion, "set_forget_rate"):
            criterion.set_forget_rate(self.noise_rate_)

    def current_estimate(self) -> float:
        """The running estimate, or the last epoch's rate before the warm-up has ended.

        Returns
        -------
        float
            NaN before the first epoch.
        """
        if not math.isnan(self.noise_rate_):
            return self.noise_rate_
        return self.history_[-1] if self.history_ else math.nan

    def class_noise_rates(self) -> np.ndarray:
        """Per given class, the fraction of its rows predicted as another class.

        Returns
        -------
        ndarray of shape (n_classes,)
            From the last epoch's counts; NaN for a class without training rows.
        """
        totals = self.confusion_.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - np.diag(self.confusion_) / totals

    def warn_if_unreliable(self, class_names=None, stacklevel: int = 2) -> None:
        """Warn, naming the cause, where the estimate cannot be trusted.

        Parameters
        ----------
        class_names : sequence, optional
            Names of the classes, for the message (default: their indices).
        stacklevel : int, default=2
            Passed to :func:`warnings.warn`.
        """
        if self.confusion_ is None:
            return
        if self._settling_epochs < MIN_SETTLING_EPOCHS:
            warnings.warn(
                f"The noise rate was estimated over {self._settling_epochs} reweighted "
                f"epochs only (fewer than {MIN_SETTLING_EPOCHS}), too few for the network "
                "to separate the clean rows from the wrong ones: the estimate "
                f"({self.noise_rate_:.3f}) may be off. Train more epochs, or give "
                "forget_rate.",
                UserWarning,
                stacklevel=stacklevel,
            )
        rates = self.class_noise_rates()
        names = class_names if class_names is not None else range(len(rates))
        swamped = [name for name, rate in zip(names, rates, strict=True) if rate > 0.5]
        if swamped:
            warnings.warn(
                f"The classes {list(swamped)!r} are predicted as another class for more than "
                "half of their rows: either their labels are mostly wrong, or the network "
                "has not learnt them. Where a class's wrong labels outnumber its right "
                "ones, no estimate from the labels alone can tell; the noise rate "
                f"({self.noise_rate_:.3f}) may be off for them.",
                UserWarning,
                stacklevel=stacklevel,
            )
