"""Score every training row under a trained network: class probabilities and weights."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["RowScores", "score_rows"]


class RowScores(NamedTuple):
    """Per-row scores of a data set under a network (see :func:`score_rows`)."""

    #: Class probabilities, shape (n_samples, n_classes), float64; ``None`` when not asked.
    probabilities: np.ndarray | None
    #: The criterion's optimal weights of the rows among all of them, shape (n_samples,).
    weights: np.ndarray


def score_rows(net, X, y, sample_weight=None, *, probabilities: bool = True) -> RowScores:
    """Probabilities and reweighting weights of all rows of ``(X, y)`` under ``net``.

    The weights are those that the net's criterion gives the per-row losses (its
    ``per_sample`` method, else cross-entropy) when the whole data set is one batch (its
    ``weights`` method: for :class:`~skantidote.loss.AntidoteLoss`, the ANTIDOTE weights at
    its radius, whether or not the warm-up is over). A criterion without a ``weights``
    method reweights nothing: every row gets 1. Rows with zero ``sample_weight`` get 0.
    The probabilities are a softmax of the net's output: ask for them of classifiers only.

    Parameters
    ----------
    net : skorch.NeuralNet
        An initialised net whose module returns logits.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows, as the net is fed them. An :class:`~skantidote.net.AntidoteNet` scores
        sparse rows a minibatch at a time (never densifying the whole matrix); give a
        sparse matrix in CSR format (others are converted to CSR first).
    y : array-like of shape (n_samples,)
        Their integer-encoded labels.
    sample_weight : array-like of shape (n_samples,), optional
        The reference distribution's weights; uniform by default.
    probabilities : bool, default=True
        Also compute the class probabilities (one more transfer from the device).

    Returns
    -------
    RowScores
        ``probabilities`` (float64, rows sum to 1 up to float32 rounding) and ``weights``
        (float64, mean 1 under the reference distribution).

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> from skantidote.net import AntidoteNet
    >>> from skantidote.row_scores import score_rows
    >>> X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = AntidoteNet(
    ...     MLP, module__n_features=3, module__n_classes=2, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.25, train_split=None,
    ... ).initialize()
    >>> scores = score_rows(net, X, y)
    >>> scores.probabilities.shape, round(float(scores.weights.mean()), 6)
    ((16, 2), 1.0)
    """
    # device=None keeps the logits on the training device: a single transfer at the end.
    logits = net.forward(X, training=False, device=None)
    target = torch.as_tensor(np.asarray(y), device=logits.device)
    with torch.no_grad():
        logits = logits.float()
        reference = None
        if sample_weight is not None:
            reference = torch.as_tensor(np.asarray(sample_weight), device=logits.device)
        weigh = getattr(net.criterion_, "weights", None)
        if callable(weigh):
            per_sample = getattr(net.criterion_, "per_sample", None)
            if callable(per_sample):
                losses = per_sample(logits, target)
            else:
                losses = F.cross_entropy(logits, target, reduction="none")
            if getattr(net.criterion_, "per_class", False):
                # One ball per class: the rows' classes, and their number from the logits.
                weights = weigh(losses, reference, classes=target, n_classes=logits.shape[1])
            else:
                weights = weigh(losses, reference)
        else:
            weights = torch.ones(len(target), dtype=torch.float64, device=logits.device)
        if reference is not None:
            weights = torch.where(reference > 0, weights, torch.zeros_like(weights))
        proba = torch.softmax(logits, dim=1).cpu().numpy() if probabilities else None
    return RowScores(
        None if proba is None else proba.astype(np.float64),
        weights.detach().cpu().numpy().astype(np.float64),
    )
