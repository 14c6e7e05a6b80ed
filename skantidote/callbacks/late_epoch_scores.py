"""Average the rows' scores over the last epochs of a fit."""

from __future__ import annotations

from collections import deque

import numpy as np
from skorch.callbacks import Callback

from skantidote.row_scores import score_rows

__all__ = ["LateEpochScores"]


class LateEpochScores(Callback):
    """Score every training row at the end of each of the last ``n_epochs`` epochs of a fit.

    The scores are :func:`~skantidote.row_scores.score_rows`' probabilities and weights of
    all rows of ``X`` (the whole training set, not a minibatch). Averaging them over the
    late epochs smooths out the epoch-to-epoch jitter of a network still being trained,
    which makes the ranking of suspicious rows more reliable than a single snapshot.
    Earlier epochs are not scored: a scoring pass costs about a third of a training epoch,
    and its result would be discarded. When early stopping ends the fit before its last
    epochs and restores the best epoch's parameters, the restored model is scored once.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows to score, as the net is fed them.
    y : array-like of shape (n_samples,)
        Their integer-encoded labels.
    n_epochs : int, default=5
        Number of final epochs to average.

    Attributes
    ----------
    probabilities_ : ndarray of shape (n_samples, n_classes)
        Mean class probabilities over the scored epochs.
    weights_ : ndarray of shape (n_samples,)
        Mean weights over the scored epochs.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import LateEpochScores
    >>> from skantidote.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> scores = LateEpochScores(X, y, n_epochs=2)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=4,
    ...     train_split=None, verbose=0, callbacks=[scores],
    ... ).fit(X, y)
    >>> scores.n_scored_, scores.probabilities_.shape
    (2, (32, 2))
    """

    def __init__(self, X, y, n_epochs: int = 5) -> None:
        self.X = X
        self.y = y
        self.n_epochs = n_epochs

    def initialize(self):
        self._scores = deque(maxlen=self.n_epochs)
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        # Epochs of earlier fits (warm start) stay in the history; count this fit's only.
        self._first_epoch = len(net.history)
        self._scores.clear()

    def on_epoch_end(self, net, **kwargs) -> None:
        epochs_done = len(net.history) - self._first_epoch
        if net.max_epochs - epochs_done < self.n_epochs:
            self._scores.append(score_rows(net, self.X, self.y))

    def on_train_end(self, net, **kwargs) -> None:
        if len(net.history) - self._first_epoch < net.max_epochs or not self._scores:
            self._scores.clear()
            self._scores.append(score_rows(net, self.X, self.y))

    @property
    def n_scored_(self) -> int:
        """Number of epochs whose scores are averaged."""
        return len(self._scores)

    @property
    def probabilities_(self) -> np.ndarray:
        return np.mean([s.probabilities for s in self._scores], axis=0)

    @property
    def weights_(self) -> np.ndarray:
        return np.mean([s.weights for s in self._scores], axis=0)

    def __getstate__(self):
        # Do not pickle the training data with a fitted estimator.
        state = self.__dict__.copy()
        state["X"] = state["y"] = None
        return state
