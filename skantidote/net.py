"""The skorch network that :class:`~skantidote.AntidoteClassifier` trains.

Its one job is to feed the data to the module and the criterion: per-row sample weights go
to the criterion, and the rows of arrays, tensors and sparse matrices (densified) are
selected one minibatch at a time (:class:`RowsDataset`). Everything else about training with
ANTIDOTE (warm-up, learning-rate schedule, diagnostics, early stopping, the guard against
diverging losses) is a callback in :mod:`skantidote.callbacks`, so that any skorch net can
use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from scipy import sparse
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.dataset import Dataset
from skorch.hf import AccelerateMixin
from skorch.utils import to_tensor
from torch import nn
from torch.utils.data import Subset

from skantidote.exceptions import NonFiniteLossError
from skantidote.loss import AntidoteLoss

__all__ = [
    "AcceleratedAntidoteNet",
    "AcceleratedAntidoteRegressorNet",
    "AntidoteNet",
    "AntidoteNetMixin",
    "AntidoteRegressorNet",
    "RowsDataset",
    "module_state_copy",
    "net_device",
    "net_input",
    "probabilities_from_logits",
    "resolve_device",
]


def net_input(X, sample_weight=None):
    """What an :class:`AntidoteNet` is fed: the features alone, or with their sample weights.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
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


def _arrays(*values) -> list:
    """``values``, with :func:`net_input`'s dicts replaced by their values; None left out."""
    arrays = []
    for value in values:
        if isinstance(value, Mapping):
            arrays.extend(value.values())
        elif value is not None:
            arrays.append(value)
    return arrays


def _needs_rows_dataset(*values) -> bool:
    """Whether any of ``values`` is a sparse matrix or a read-only array, which only
    :class:`RowsDataset` serves without densifying it whole or a warning from torch."""
    return any(
        sparse.issparse(array) or (isinstance(array, np.ndarray) and not array.flags.writeable)
        for array in _arrays(*values)
    )


def _all_row_indexable(*values) -> bool:
    """Whether all of ``values`` are arrays, tensors or sparse matrices, whose minibatches
    :class:`RowsDataset` selects with one index each."""
    return all(
        isinstance(array, (np.ndarray, torch.Tensor)) or sparse.issparse(array)
        for array in _arrays(*values)
    )


class RowsDataset(torch.utils.data.Dataset):
    """Rows of arrays, tensors or a sparse matrix, selected one minibatch at a time.

    A ``DataLoader`` fetches a minibatch with one ``__getitems__(indices)`` call, which
    selects the rows at once (scipy's vectorised row selection, numpy's fancy indexing;
    row-by-row selection in Python costs more than the training step) and returns them
    already collated, as skorch's ``Dataset`` and ``DataLoader`` would: ``(X_batch,
    y_batch)``, with ``X_batch`` a tensor (sparse rows densified to float32), or a dict of
    tensors for :func:`net_input`'s ``{"X": X, "sample_weight": w}``. Iterate it with
    ``collate_fn=RowsDataset.collate``; the samplers are the usual ones, so the same
    random state gives the same minibatches as skorch's ``Dataset``. Nothing is copied
    whole: a sparse matrix is never densified, and a read-only array (a pandas
    DataFrame's values under copy-on-write, a file memory-mapped read-only) is not copied
    to be made writable; each minibatch is a copy of its rows, which torch wraps without
    the warning it gives for read-only memory. :class:`AntidoteNet` builds and iterates it
    for such input.

    Parameters
    ----------
    X : ndarray, Tensor or sparse matrix of shape (n_samples, n_features), or dict
        The features, or :func:`net_input`'s dict. Other sparse formats than CSR are
        converted to CSR once: selecting rows of a CSC or COO matrix scans all its
        non-zeros at every batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        The targets; ``None`` for prediction (the batches then hold zeros as targets, as
        skorch's ``Dataset`` does).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from torch.utils.data import DataLoader
    >>> from skantidote.net import RowsDataset, net_input
    >>> X = sparse.random(5, 4, density=0.5, format="csr", random_state=0)
    >>> dataset = RowsDataset(net_input(X, np.ones(5)), np.arange(5))
    >>> features, y = dataset.__getitems__([4, 0])
    >>> features["X"].dtype, tuple(features["X"].shape), y.tolist()
    (torch.float32, (2, 4), [4, 0])
    >>> loader = DataLoader(dataset, batch_size=2, collate_fn=RowsDataset.collate)
    >>> [len(y) for _, y in loader]
    [2, 2, 1]
    """

    def __init__(self, X, y=None) -> None:
        if isinstance(X, Mapping):
            self.X = {name: _row_indexable(values) for name, values in X.items()}
        else:
            self.X = _row_indexable(X)
        self.y = None if y is None else _row_indexable(y)
        lengths = {name: values.shape[0] for name, values in self._named_columns().items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"X and y must have one entry per row, got numbers of rows {lengths}."
            )
        self._len = next(iter(lengths.values()))

    def _named_columns(self) -> dict:
        named = dict(self.X) if isinstance(self.X, Mapping) else {"X": self.X}
        if self.y is not None:
            named["y"] = self.y
        return named

    def __len__(self) -> int:
        return self._len

    def __getitems__(self, indices: Sequence[int]):
        index = np.asarray(indices, dtype=np.intp)
        if isinstance(self.X, Mapping):
            features = {name: _rows(values, index) for name, values in self.X.items()}
        else:
            features = _rows(self.X, index)
        target = torch.zeros(len(index)) if self.y is None else _rows(self.y, index)
        return features, target

    def __getitem__(self, i: int):
        features, target = self.__getitems__([i])
        if isinstance(features, Mapping):
            return {name: values[0] for name, values in features.items()}, target[0]
        return features[0], target[0]

    @staticmethod
    def collate(batch):
        """The ``collate_fn`` of this dataset's loaders: its batches come collated.

        Parameters
        ----------
        batch : tuple
            What ``__getitems__`` returned.

        Returns
        -------
        tuple
            ``batch`` itself.
        """
        return batch


def _row_indexable(values):
    """``values`` in a form whose rows one index array selects quickly."""
    if sparse.issparse(values):
        return values.tocsr()
    if isinstance(values, torch.Tensor):
        return values
    return np.asarray(values)


def _rows(values, index: np.ndarray) -> torch.Tensor:
    """The rows ``index`` of ``values`` as a tensor; sparse rows densified to float32."""
    if sparse.issparse(values):
        return torch.from_numpy(values[index].toarray().astype(np.float32, copy=False))
    return torch.as_tensor(values[index])


def _served_by_rows(dataset) -> bool:
    """Whether ``dataset`` (or the dataset a ``Subset`` selects from) is a RowsDataset."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return isinstance(dataset, RowsDataset)


class AntidoteNetMixin:
    """What a skorch net needs to train with per-row sample weights and sparse features.

    Mixed into :class:`AntidoteNet` (classification) and :class:`AntidoteRegressorNet`
    (regression), before the skorch net class: ``infer`` gives the module the features of
    a :func:`net_input` dict only, ``get_loss`` passes its ``sample_weight`` to the
    criterion, and arrays are served a minibatch at a time (:class:`RowsDataset`).
    """

    def _serves_by_rows(self, X, y) -> bool:
        """Whether ``(X, y)`` is served a minibatch at a time (see :class:`RowsDataset`)."""
        # skorch's Dataset selects one row at a time and collates the rows, a quarter of a
        # small MLP's epoch on letter; it densifies sparse rows one by one, and hands torch
        # read-only rows, which it warns about. A collate_fn of the user's expects rows,
        # so arrays keep skorch's Dataset then; sparse and read-only input cannot.
        if _needs_rows_dataset(X, y):
            return True
        configured = {**self.get_params_for("iterator_train"),
                      **self.get_params_for("iterator_valid")}
        return "collate_fn" not in configured and _all_row_indexable(X, y)

    def get_dataset(self, X, y=None):
        if (
            self.dataset is Dataset
            and not self.get_params_for("dataset")
            and self._serves_by_rows(X, y)
        ):
            return RowsDataset(X, y)
        return super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        # A skorch Dataset of such rows (e.g. the validation set of predefined_split)
        # holds the same data: it is iterated a minibatch at a time too.
        if type(dataset) is Dataset and self._serves_by_rows(dataset.X, dataset.y):
            dataset = RowsDataset(dataset.X, dataset.y)
        if not _served_by_rows(dataset):
            return super().get_iterator(dataset, training=training)
        # skorch's own get_iterator, with the collate_fn of batches that come collated.
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        kwargs.setdefault("collate_fn", RowsDataset.collate)
        return iterator(dataset, **kwargs)

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



def probabilities_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities from logits, computed in float64 so that rows sum to 1.

    The prediction nonlinearity of :class:`AntidoteNet` and of the classifier: their
    modules return logits. A module-level function (not a lambda) so that fitted nets
    pickle.

    Parameters
    ----------
    logits : Tensor of shape (n, n_classes)

    Returns
    -------
    Tensor of shape (n, n_classes), float64

    Examples
    --------
    >>> import torch
    >>> from skantidote.net import probabilities_from_logits
    >>> proba = probabilities_from_logits(torch.tensor([[0.0, 0.0], [2.0, 0.0]]))
    >>> proba[0].tolist(), proba.dtype
    ([0.5, 0.5], torch.float64)
    """
    return torch.softmax(logits.to(torch.float64), dim=-1)


class AntidoteNet(AntidoteNetMixin, NeuralNetClassifier):
    """skorch classifier that passes per-row sample weights to its criterion.

    Feed it :func:`net_input` ``(X, sample_weight)``: ``infer`` gives the module the
    features only, and ``get_loss`` calls ``criterion(y_pred, y_true,
    sample_weight=w)`` (``criterion(y_pred, y_true)`` without weights, so any loss with
    that signature works, torch's own included). Arrays, tensors and sparse matrices (in
    training, validation and prediction) are served a minibatch at a time by a
    :class:`RowsDataset`, sparse rows densified, unless a ``dataset`` is configured. A
    configured ``iterator_train__collate_fn`` or ``iterator_valid__collate_fn`` gets rows
    from skorch's ``Dataset`` for writable dense input; for sparse or read-only input,
    which only a :class:`RowsDataset` serves, it receives a whole collated ``(X_batch,
    y_batch)``. A criterion that reports
    non-finite losses (as :class:`~skantidote.loss.AntidoteLoss` does) raises
    :class:`~skantidote.exceptions.NonFiniteLossError` naming the epoch.

    The validation labels are noisy too, so the validation loss is the criterion's own
    objective; :class:`~skantidote.callbacks.ReweightingWarmup` keeps it reweighted even
    during warm-up, so that at a fixed forget rate validation losses are comparable
    across epochs (:class:`~skantidote.callbacks.EarlyStopping` re-scores its best epoch
    where the rate moves).

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A network that returns logits.
    *args, **kwargs
        Those of ``skorch.NeuralNetClassifier``.
    criterion : loss class or instance, default=torch.nn.CrossEntropyLoss
        A loss of logits (skorch's classifier defaults to ``NLLLoss`` of probabilities,
        which ``get_loss`` here does not take the log of).
    predict_nonlinearity : callable, "auto" or None, default="auto"
        From the module's output to ``predict_proba``'s probabilities. ``"auto"`` is
        skorch's rule (a softmax for ``CrossEntropyLoss``, a sigmoid for
        ``BCEWithLogitsLoss``, ...), plus :func:`probabilities_from_logits` for an
        :class:`~skantidote.loss.AntidoteLoss`, which skorch's rule does not know (it would
        return the logits).

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
    >>> proba = net.predict_proba(X)
    >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
    ((64, 2), True)
    """

    def __init__(self, module, *args, criterion=nn.CrossEntropyLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def _get_predict_nonlinearity(self):
        if isinstance(self.predict_nonlinearity, str) and self.predict_nonlinearity == "auto":
            if isinstance(self.criterion_, AntidoteLoss):
                return probabilities_from_logits
        return super()._get_predict_nonlinearity()


class AntidoteRegressorNet(AntidoteNetMixin, NeuralNetRegressor):
    """skorch regressor that passes per-row sample weights to its criterion.

    The regression twin of :class:`AntidoteNet` (see there), for
    :class:`~skantidote.AntidoteRegressor`: the criterion gets the module's predictions
    of shape ``(n, n_outputs)`` and the float targets of the same shape.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A network that returns one value per output.
    *args, **kwargs
        Those of ``skorch.NeuralNetRegressor``, whose ``criterion`` defaults to
        ``torch.nn.MSELoss``; pass an :class:`~skantidote.loss.AntidoteLoss` with a
        regression ``sample_loss`` to reweight.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> from skantidote.net import AntidoteRegressorNet
    >>> X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    >>> y = X[:, :1] * 2.0
    >>> net = AntidoteRegressorNet(
    ...     MLP, module__n_features=3, module__n_outputs=1, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.1, criterion__sample_loss="squared_error",
    ...     max_epochs=2, train_split=None, verbose=0,
    ... ).fit(X, y)
    >>> net.predict(X).shape
    (64, 1)
    """


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


class AcceleratedAntidoteRegressorNet(AccelerateMixin, AntidoteRegressorNet):
    """:class:`AntidoteRegressorNet` trained through a Hugging Face ``accelerate.Accelerator``.

    Parameters
    ----------
    *args, accelerator, **kwargs
        Those of ``skorch.hf.AccelerateMixin`` and :class:`AntidoteRegressorNet`.
    """


def module_state_copy(net) -> dict[str, torch.Tensor]:
    """A copy of the parameters and buffers of a net's module, to load back later.

    The tensors are cloned where they are (no transfer to the host), detached from any
    graph.

    Parameters
    ----------
    net : skorch.NeuralNet
        An initialised net.

    Returns
    -------
    dict
        ``net.module_.state_dict()``, every tensor cloned: what
        ``net.module_.load_state_dict`` takes back.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetRegressor
    >>> from skantidote.net import module_state_copy
    >>> net = NeuralNetRegressor(torch.nn.Linear(2, 1), device="cpu").initialize()
    >>> kept = module_state_copy(net)
    >>> with torch.no_grad():
    ...     net.module_.weight.zero_()
    Parameter containing:...
    >>> bool(kept["weight"].abs().sum() > 0)
    True
    """
    return {k: v.detach().clone() for k, v in net.module_.state_dict().items()}


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
    >>> from skorch import NeuralNetClassifier, NeuralNetRegressor
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
