"""Keep the parameters of the last epoch whose losses were finite."""

from __future__ import annotations

import math

from skorch.callbacks import Callback

from skantidote.exceptions import NonFiniteLossError
from skantidote.net import module_state_copy

__all__ = ["FiniteLossGuard"]


class FiniteLossGuard(Callback):
    """Check every epoch's losses, and keep the last epoch with finite ones to go back to.

    At the end of each epoch it checks the epoch's batch losses (on an accelerator
    :class:`~skantidote.loss.AntidoteLoss` does not check every batch, which would
    synchronise the device) and raises
    :class:`~skantidote.exceptions.NonFiniteLossError` when one is NaN or infinite;
    otherwise it keeps a copy of the parameters (on the module's device) as those of the
    last finite epoch. After a ``NonFiniteLossError`` from any batch or epoch, call
    :meth:`restore` to go back to them. An epoch interrupted half-way (``KeyboardInterrupt``,
    which skorch catches) is rolled back at the end of training, so that parameters and
    history agree.

    Attributes
    ----------
    last_finite_epoch_ : int
        The epoch whose parameters :meth:`restore` goes back to (0: those the fit started
        from).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import FiniteLossGuard
    >>> from skantidote.exceptions import NonFiniteLossError
    >>> from skantidote.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> guard = FiniteLossGuard()
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=torch.nn.CrossEntropyLoss,
    ...     optimizer=torch.optim.SGD, lr=1e30, max_epochs=5, train_split=None,
    ...     verbose=0, callbacks=[guard],
    ... )
    >>> try:  # one batch an epoch: epoch 1's loss is computed before the huge step
    ...     net.fit(X, y)
    ... except NonFiniteLossError as error:
    ...     diverged = error.restored(guard.restore(net))
    >>> diverged.epoch, diverged.last_finite_epoch, len(net.history)
    (2, 1, 1)
    """

    def on_train_begin(self, net, **kwargs) -> None:
        self._snapshot(net)

    def on_epoch_end(self, net, **kwargs) -> None:
        # skorch's scoring callbacks have averaged the batch losses into the epoch's row
        # already; the sum of the batches' losses is finite exactly when all are.
        batches = net.history[-1].get("batches", [])
        for key, where in (("train_loss", "training"), ("valid_loss", "validation")):
            values = [batch[key] for batch in batches if key in batch]
            if values and not math.isfinite(math.fsum(values)):
                raise NonFiniteLossError.diverged(
                    where, epoch=len(net.history), lr=net.lr, last_finite_epoch=None
                )
        self._snapshot(net)

    def on_train_end(self, net, **kwargs) -> None:
        if len(net.history) and "train_loss" not in net.history[-1]:
            self.restore(net)

    def restore(self, net) -> int:
        """Go back to the last epoch with finite losses: its parameters and history.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net this callback is in.

        Returns
        -------
        int
            The epoch the net is back at (:attr:`last_finite_epoch_`).
        """
        state = getattr(self, "_finite_state", None)
        if state is not None:
            net.module_.load_state_dict(state)
        del net.history[self.last_finite_epoch_:]
        return self.last_finite_epoch_

    def _snapshot(self, net) -> None:
        self._finite_state = module_state_copy(net)
        self.last_finite_epoch_ = len(net.history)

    def __getstate__(self):
        # A fitted estimator does not pickle a second copy of the parameters.
        state = self.__dict__.copy()
        state.pop("_finite_state", None)
        return state
