"""The skorch network that :class:`~skantidote.AntidoteClassifier` trains.

Its one job is to carry per-row sample weights from the data to the criterion: everything
else about training with ANTIDOTE (warm-up, learning-rate schedule, diagnostics, early
stopping, the guard against diverging losses) is a callback in :mod:`skantidote.callbacks`,
so that any skorch net can use it.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from skorch import NeuralNetClassifier
from skorch.hf import AccelerateMixin
from skorch.utils import to_tensor
from torch import nn

from skantidote.exceptions import NonFiniteLossError

__all__ = ["AcceleratedAntidoteNet", "AntidoteNet", "net_device", "net_input", "resolve_device"]


def net_input(X, sample_weight=None):
    """What an :class:`AntidoteNet` is fed: the features alone, or with their sample weights.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features.
    sample_weight : array-like of shape (n_samples,), optional
        Per-row weights of the reference distribution; ``None`` for the uniform one.

    Returns
    -------
    X or dict
        ``X`` itself without weights (no column of ones to collate for every batch), else
        ``{"X": X, "sample_weight": sample_weight}``, which skorch slices per batch.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.net import net_input
    >>> sorted(net_input(np.zeros((2, 3)), np.ones(2)))
    ['X', 'sample_weight']
    """
    return X if sample_weight is None else {"X": X, "sample_weight": sample_weight}


class AntidoteNet(NeuralNetClassifier):
    """skorch classifier that passes per-row sample weights to its criterion.

    Feed it :func:`net_input` ``(X, sample_weight)``: ``infer`` gives the module the
    features only, and ``get_loss`` calls ``criterion(y_pred, y_true,
    sample_weight=w)`` (``criterion(y_pred, y_true)`` without weights, so any loss with
    that signature works, torch's own included). A criterion that reports non-finite losses
    (as :class:`~skantidote.loss.AntidoteLoss` does) raises
    :class:`~skantidote.exceptions.NonFiniteLossError` naming the epoch.

    The validation labels are noisy too, so the validation loss is the criterion's own
    objective; :class:`~skantidote.callbacks.ReweightingWarmup` keeps it reweighted even
    during warm-up, so that validation losses are comparable across epochs.

    Parameters
    ----------
    *args, **kwargs
        Those of ``skorch.NeuralNetClassifier``.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> from skantidote.net import AntidoteNet, net_input
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = AntidoteNet(
    ...     MLP, module__n_features=4, module__n_classes=2, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.1, max_epochs=2, train_split=None, verbose=0,
    ... )
    >>> _ = net.fit(net_input(X, np.ones(64, dtype=np.float32)), y)
    >>> net.predict_proba(X).shape
    (64, 2)
    """

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping):
            x = x["X"]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        try:
            if isinstance(X, Mapping) and "sample_weight" in X:
                sample_weight = to_tensor(X["sample_weight"], device=self.device)
                return self.criterion_(y_pred, y_true, sample_weight=sample_weight)
            return self.criterion_(y_pred, y_true)
        except (ValueError, ArithmeticError) as exc:
            # AntidoteLoss's check of the per-sample losses (on by default on the CPU), or
            # its solver failing on non-finite losses when that check is off.
            if "not finite" in str(exc) or not bool(torch.isfinite(y_pred).all()):
                raise NonFiniteLossError.diverged(
                    "training" if training else "validation",
                    epoch=len(self.history), lr=self.lr, last_finite_epoch=None,
                ) from exc
            raise


class AcceleratedAntidoteNet(AccelerateMixin, AntidoteNet):
    """:class:`AntidoteNet` trained through a Hugging Face ``accelerate.Accelerator``.

    skorch's ``AccelerateMixin`` places the module and the batches, and runs data-parallel
    training and mixed precision; :class:`~skantidote.AntidoteClassifier` builds this net
    when given an ``accelerator``.

    Parameters
    ----------
    *args, accelerator, **kwargs
        Those of ``skorch.hf.AccelerateMixin`` and :class:`AntidoteNet`.
    """


def net_device(net) -> torch.device:
    """The device a skorch net computes on.

    Parameters
    ----------
    net : skorch.NeuralNet
        An initialised net.

    Returns
    -------
    torch.device
        ``net.device``; with ``device=None`` (Accelerate places the module), that of the
        module's parameters, or the CPU for a module without parameters.

    Examples
    --------
    >>> from skorch import NeuralNetClassifier
    >>> from torch import nn
    >>> from skantidote.net import net_device
    >>> net_device(NeuralNetClassifier(nn.Linear(2, 2), device="cpu"))
    device(type='cpu')
    """
    if net.device is not None:
        return torch.device(net.device)
    module = getattr(net, "module_", None)
    parameter = next(module.parameters(), None) if isinstance(module, nn.Module) else None
    return parameter.device if parameter is not None else torch.device("cpu")


def resolve_device(device: str | torch.device) -> str:
    """The torch device to train on, from an estimator's ``device`` parameter.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (CUDA when available, else the CPU), or any torch device.

    Returns
    -------
    str
        The device, e.g. ``"cpu"`` or ``"cuda:1"``.

    Raises
    ------
    ValueError
        When ``device`` is not a device, or names CUDA on a machine without it.

    Examples
    --------
    >>> from skantidote.net import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device, "
            f"got {device!r}."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available here; use device='auto' "
            "(CUDA when available, else CPU) or device='cpu'."
        )
    return str(resolved)
