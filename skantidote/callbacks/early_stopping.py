"""Stop when the validation loss no longer improves, and go back to the best epoch."""

from __future__ import annotations

import math

from skorch.callbacks import Callback
from skorch.dataset import get_len

from skantidote.net import module_state_copy

__all__ = ["EarlyStopping", "objective_setting"]


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved for ``patience`` epochs.

    At the end of training the module gets the parameters of the best epoch back. Unlike
    ``skorch.callbacks.EarlyStopping`` it does nothing in epochs without a validation loss,
    so the same net can also be trained without a validation split (``partial_fit``), and
    its threshold is absolute, as scikit-learn's MLP ``tol``: a loss that keeps shrinking
    towards 0 would otherwise improve "relatively" forever. With noisy labels the
    validation loss should be the criterion's reweighted objective (see
    :class:`~skantidote.net.AntidoteNet`), not plain cross-entropy, which rises as soon as
    the network stops fitting the wrong held-out labels. Epochs whose history row says
    ``warmup`` is true (:class:`~skantidote.callbacks.ReweightingWarmup`) are not
    candidates and do not count towards ``patience``: with ``forget_rate="auto"`` their
    validation objective is taken at the warm-up's forget rate, not the estimated one
    that follows, and would look better than every later epoch on clean data. Where the
    criterion's objective moves between epochs
    (:func:`~skantidote.callbacks.early_stopping.objective_setting`: an estimated
    forget rate, the confident floor), the best epoch's kept parameters are scored again
    on the validation data under the current objective before the comparison: one more
    validation pass in such epochs.

    Parameters
    ----------
    patience : int, default=10
        Epochs without improvement before stopping.
    threshold : float, default=1e-4
        The least decrease of the validation loss that counts as an improvement.

    Attributes
    ----------
    best_loss_ : float
        The lowest validation loss of this fit.
    best_epoch_ : int or None
        Its epoch, counted as in the net's history; ``None`` without validation.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import EarlyStopping
    >>> from skantidote.modules import MLP
    >>> _ = torch.manual_seed(0)
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)).astype(np.float32)
    >>> y = rng.integers(0, 2, size=200)  # labels that are pure noise: nothing to learn
    >>> stopper = EarlyStopping(patience=3)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=torch.nn.CrossEntropyLoss,
    ...     optimizer=torch.optim.Adam,
    ...     lr=0.01, max_epochs=100, verbose=0, callbacks=[stopper],
    ... ).fit(X, y)
    >>> len(net.history) < 100, stopper.best_epoch_ <= len(net.history) - 3
    (True, True)
    """

    def __init__(self, patience: int = 10, threshold: float = 1e-4) -> None:
        self.patience = patience
        self.threshold = threshold

    def initialize(self):
        self.reset()
        return self

    def reset(self) -> None:
        """Forget the best epoch and the parameters kept of it."""
        self.best_loss_ = math.inf
        self.best_epoch_ = None
        self._best_state = None
        self._best_objective = None
        self._misses = 0
        self.stopped_ = False

    def on_train_begin(self, net, **kwargs) -> None:
        self.reset()

    def on_epoch_end(self, net, dataset_valid=None, **kwargs) -> None:
        row = net.history[-1]
        loss = row.get("valid_loss")
        # A warm-up epoch (recorded by ReweightingWarmup) is no candidate: its validation
        # objective is the criterion's at the forget rate of the warm-up, which an
        # estimated rate replaces when the warm-up ends, so its loss is not comparable
        # with the reweighted epochs' (and its model trained another objective).
        if loss is None or row.get("warmup", False):
            return
        objective = objective_setting(net.criterion_)
        if (self._best_state is not None and dataset_valid is not None
                and objective != self._best_objective):
            # An estimated forget rate moves every epoch, and the objective with it: the
            # best epoch is compared at the objective of this one.
            self.best_loss_ = self._validation_loss_of_best(net, dataset_valid)
        self._best_objective = objective
        if loss < self.best_loss_ - self.threshold:
            self.best_loss_ = loss
            self.best_epoch_ = row["epoch"]
            self._best_state = module_state_copy(net)
            self._misses = 0
        else:
            self._misses += 1
        if self._misses >= self.patience:
            # skorch's own way of ending the fit loop early; stopped_ tells it from a
            # user's interruption.
            self.stopped_ = True
            raise KeyboardInterrupt

    def _validation_loss_of_best(self, net, dataset_valid) -> float:
        """The validation loss of the best epoch's parameters under the current criterion."""
        current = module_state_copy(net)
        net.module_.load_state_dict(self._best_state)
        total, count = 0.0, 0
        try:
            for batch in net.get_iterator(dataset_valid, training=False):
                n_rows = get_len(batch[0])
                total += float(net.validation_step(batch)["loss"]) * n_rows
                count += n_rows
        finally:
            net.module_.load_state_dict(current)
        return total / max(count, 1)

    def on_train_end(self, net, **kwargs) -> None:
        if self._best_state is not None and self.best_epoch_ != net.history[-1]["epoch"]:
            net.module_.load_state_dict(self._best_state)
        # Do not keep (or pickle) a second copy of the parameters.
        self._best_state = None


def objective_setting(criterion) -> tuple:
    """What a validation loss of ``criterion`` depends on besides the model.

    For :class:`~skantidote.loss.AntidoteLoss` its radius (one, or one per class) and
    the confident floor's thresholds, both of which ``forget_rate="auto"`` moves every
    epoch; for any other loss ``(None, None)``, always equal.

    Parameters
    ----------
    criterion : torch.nn.Module
        The net's criterion.

    Returns
    -------
    tuple
        Equal for two states of the criterion under which the same model has the same
        validation loss.

    Examples
    --------
    >>> from skantidote.callbacks.early_stopping import objective_setting
    >>> from skantidote.loss import AntidoteLoss
    >>> criterion = AntidoteLoss(forget_rate=0.2)
    >>> before = objective_setting(criterion)
    >>> criterion.set_forget_rate(0.1)
    >>> objective_setting(criterion) == before
    False
    """
    radius = getattr(criterion, "radius", None)
    thresholds = getattr(criterion, "confident_thresholds", None)
    if thresholds is not None:
        thresholds = tuple(float(t) for t in thresholds.tolist())
    return radius, thresholds
