"""A scikit-learn classifier trained with the ANTIDOTE objective for noisy labels.

:class:`AntidoteClassifier` wraps a PyTorch network (a built-in MLP or CNN, or
any ``torch.nn.Module``) in a skorch ``NeuralNetClassifier`` held by
composition, and trains it with :class:`skantidote.loss.AntidoteLoss` as the
criterion. After a few warm-up epochs of plain cross-entropy (so that the
network first learns the easy, mostly clean samples), every minibatch is
reweighted towards its low-loss samples within an f-divergence ball whose size
is given by ``forget_rate`` (a guess of the fraction of wrong labels) or
directly by ``delta``. Mislabeled samples are learnt late, so they carry large
losses and are "forgotten".
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.utils import to_tensor
from torch import nn

from skantidote.loss import FORGOTTEN_WEIGHT, AntidoteLoss
from skantidote.modules import CNN, MLP

__all__ = ["AntidoteClassifier", "AntidoteNet", "NonFiniteLossError"]

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
_MODULES = {"mlp": MLP, "cnn": CNN}
_DIVERGENCES = ("kl", "alpha", "chi2")
# Extra keyword arguments accepted by AntidoteClassifier, skorch style.
_KWARG_PREFIXES = ("module__", "optimizer__")
# Keys of the per-epoch records in ``history_``, in display order.
_HISTORY_KEYS = (
    "epoch",
    "train_loss",
    "valid_loss",
    "valid_acc",
    "warmup",
    "lambda",
    "tau",
    "forgotten",
    "dur",
)


class NonFiniteLossError(ValueError, FloatingPointError):
    """Training diverged: the loss of an epoch is NaN or infinite.

    Raised by :meth:`AntidoteClassifier.fit` and :meth:`~AntidoteClassifier.partial_fit`
    after the network's parameters have been restored to those of the last epoch whose
    losses were finite. A subclass of both ``ValueError`` and ``FloatingPointError``.

    Parameters
    ----------
    message : str
        The error message.
    epoch : int, default=0
        The epoch whose loss was not finite.
    last_finite_epoch : int, default=0
        The epoch whose parameters the network has now.

    Attributes
    ----------
    epoch : int
        The epoch (counted as in ``history_``) whose loss was not finite.
    last_finite_epoch : int
        The epoch whose parameters the network has now; 0 for the parameters the
        failed fit call started from.
    """

    def __init__(self, message: str, epoch: int = 0, last_finite_epoch: int = 0) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.last_finite_epoch = last_finite_epoch


def _package_version() -> str:
    """``skantidote.__version__``, imported late (this module is imported by the package)."""
    import skantidote

    return str(skantidote.__version__)


def _major(version: str) -> str:
    """The major component of a version string, e.g. ``"1"`` for ``"1.2.0"``."""
    return str(version).split(".", 1)[0]


@contextlib.contextmanager
def _naming_non_numeric_columns(X):
    """Turn a failed float conversion of ``X`` into an error naming its non-numeric columns."""
    try:
        yield
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        columns = []
        dtypes = getattr(X, "dtypes", None)
        if dtypes is not None and hasattr(dtypes, "items"):
            import pandas as pd

            columns = [c for c, dt in dtypes.items() if not pd.api.types.is_numeric_dtype(dt)]
        where = f" in the non-numeric columns {columns!r}" if columns else ""
        raise ValueError(
            f"X must be numeric, but it has values that are not numbers{where} ({exc}). "
            "Encode categorical or text features first, e.g. with OneHotEncoder or "
            "OrdinalEncoder in a ColumnTransformer."
        ) from exc


def _check_missing_labels(y) -> None:
    """Raise a ValueError when object labels contain None or NaN."""
    y = np.asarray(y)
    if y.dtype == object and y.ndim:
        import pandas as pd

        missing = np.flatnonzero(pd.isna(y))
        if missing.size:
            raise ValueError(
                f"Input y contains {missing.size} missing labels (None or NaN), first at "
                f"position {int(missing[0])}; drop those rows or give them a label."
            )


def _net_device(net) -> torch.device:
    """The device of a skorch net; with ``device=None`` (Accelerate), that of its module."""
    if net.device is not None:
        return torch.device(net.device)
    module = getattr(net, "module_", None)
    parameter = next(module.parameters(), None) if isinstance(module, nn.Module) else None
    return parameter.device if parameter is not None else torch.device("cpu")


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities from logits, computed in float64 so that rows sum to 1.

    A module-level function (not a lambda) so that fitted estimators pickle.
    """
    return torch.softmax(logits.to(torch.float64), dim=-1)


def _to_builtin(value):
    """NumPy scalars in skorch's history as plain Python numbers."""
    return value.item() if isinstance(value, np.generic) else value


@contextlib.contextmanager
def _local_torch_rng(device: torch.device, seed: int | None = None):
    """Restore the caller's global torch RNG state after the block; seed it inside.

    Parameter initialisation, dropout and the DataLoader's shuffling all draw from
    torch's global generators -- and every DataLoader iteration draws a base seed
    from them, even without shuffling, so prediction does too. Forking makes a fit
    reproducible from ``random_state`` without any side effect on the user's RNG.
    """
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        if seed is not None:
            torch.default_generator.manual_seed(seed)
            for index in cuda:
                # Only the device we train on; torch.manual_seed would seed every GPU.
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        yield


def _net_input(X: np.ndarray, sample_weight: np.ndarray | None):
    """What the skorch net is fed: the features alone, or with their sample weights."""
    return X if sample_weight is None else {"X": X, "sample_weight": sample_weight}


class _EarlyStopping(Callback):
    """Stop when the validation loss has not improved for ``patience`` epochs.

    Restores the parameters of the best epoch at the end of training. Unlike
    skorch's ``EarlyStopping`` it does nothing in epochs without a validation
    loss, so the same network can also be trained by ``partial_fit``.
    """

    def __init__(self, patience: int = 10, threshold: float = 1e-4) -> None:
        self.patience = patience
        self.threshold = threshold

    def initialize(self):
        self._reset()
        return self

    def _reset(self) -> None:
        self.best_loss_ = math.inf
        self.best_epoch_ = None
        self.best_state_ = None
        self.misses_ = 0

    def on_train_begin(self, net, **kwargs) -> None:
        self._reset()

    def on_epoch_end(self, net, **kwargs) -> None:
        loss = net.history[-1].get("valid_loss")
        if loss is None:
            return
        # An absolute threshold, as scikit-learn's MLP ``tol``: a loss that keeps
        # shrinking towards 0 would otherwise improve "relatively" forever.
        improved = loss < self.best_loss_ - self.threshold
        if improved:
            self.best_loss_ = loss
            self.best_epoch_ = net.history[-1]["epoch"]
            # clone() stays on the module's device: no transfer to the host.
            self.best_state_ = {
                k: v.detach().clone() for k, v in net.module_.state_dict().items()
            }
            self.misses_ = 0
        else:
            self.misses_ += 1
        if self.misses_ >= self.patience:
            # skorch's own way of ending the fit loop early (caught in partial_fit).
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs) -> None:
        if self.best_state_ is not None and self.best_epoch_ != net.history[-1]["epoch"]:
            net.module_.load_state_dict(self.best_state_)
        # Do not keep (or pickle) a second copy of the parameters.
        self.best_state_ = None


class _AntidoteNet(NeuralNetClassifier):
    """skorch classifier that routes sample weights into AntidoteLoss.

    Weighted training data are passed as ``{"X": X, "sample_weight": w}``; ``infer`` feeds
    only ``X`` to the module and ``get_loss`` passes ``w`` to the criterion. It also
    switches the ANTIDOTE reweighting on after ``warmup_epochs`` epochs and records
    per-epoch diagnostics of the reweighting in the history.
    """

    def __init__(
        self, *args, warmup_epochs: int = 0, lr_schedule: str = "constant", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.warmup_epochs = warmup_epochs
        self.lr_schedule = lr_schedule
        # First epoch number and length of the current fit call, for the schedule.
        self._fit_start = 0
        self._fit_epochs = 1

    def _snapshot(self) -> None:
        """Remember the parameters as those of the last epoch with finite losses."""
        # clone() stays on the module's device: no transfer to the host.
        self._finite_state = {
            k: v.detach().clone() for k, v in self.module_.state_dict().items()
        }
        self._finite_epochs = len(self.history)

    def restore_finite(self) -> None:
        """Go back to the last snapshot: its parameters, and the history up to it."""
        state = getattr(self, "_finite_state", None)
        if state is not None:
            self.module_.load_state_dict(state)
        del self.history[getattr(self, "_finite_epochs", len(self.history)):]
        self._diagnostics = []

    def _nonfinite_error(self, where: str) -> NonFiniteLossError:
        epoch = len(self.history)
        last = getattr(self, "_finite_epochs", 0)
        kept = (
            f"the network keeps the parameters of epoch {last}, the last with finite losses"
            if last
            else "no epoch finished with finite losses, so the network was not trained"
        )
        return NonFiniteLossError(
            f"Training diverged: the {where} loss is not finite in epoch {epoch} "
            f"(lr={self.lr:g}); {kept}. Lower the learning rate (e.g. lr={self.lr / 10:g}), "
            "use a smaller forget_rate/delta, or check the inputs for extreme values "
            "(standardise the features).",
            epoch=epoch,
            last_finite_epoch=last,
        )

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._snapshot()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        # An epoch interrupted half-way (KeyboardInterrupt, caught by skorch): go back to
        # the end of the last complete epoch, so that parameters and history agree.
        if len(self.history) and "train_loss" not in self.history[-1]:
            self.restore_finite()

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping):
            x = x["X"]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        sample_weight = None
        if isinstance(X, Mapping) and "sample_weight" in X:
            sample_weight = to_tensor(X["sample_weight"], device=self.device)
        criterion = self.criterion_
        try:
            if training:
                return criterion(y_pred, y_true, sample_weight=sample_weight)
            # The validation labels are noisy too: score with the ANTIDOTE objective,
            # also during warm-up, so that validation losses are comparable across epochs.
            enabled = criterion.enabled
            criterion.enabled = True
            try:
                return criterion(y_pred, y_true, sample_weight=sample_weight)
            finally:
                criterion.enabled = enabled
        except (ValueError, ArithmeticError) as exc:
            # AntidoteLoss's check of the per-sample losses (on by default on the CPU), or
            # its solver failing on non-finite losses when that check is off.
            if "not finite" in str(exc) or not bool(torch.isfinite(y_pred).all()):
                raise self._nonfinite_error("training" if training else "validation") from exc
            raise

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # The history row of this epoch exists already: len(history) is its number.
        epoch = len(self.history)
        self.criterion_.enabled = epoch > self.warmup_epochs
        self._diagnostics = []
        lr = self.lr
        if self.lr_schedule == "cosine" and self._fit_epochs > 1:
            # Cosine decay from lr towards 0 over the epochs of this fit call.
            progress = (epoch - 1 - self._fit_start) / self._fit_epochs
            lr = self.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
        for group in self.optimizer_.param_groups:
            group["lr"] = lr

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        # None when the batch was not reweighted (warm-up, or a radius of 0). Only a
        # reference is kept: the per-batch step does no extra work, and nothing is read
        # back from the device before the epoch ends.
        solution = getattr(self.criterion_, "solution_", None)
        if training and solution is not None:
            self._diagnostics.append(solution)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train, dataset_valid, **kwargs)
        solutions = getattr(self, "_diagnostics", None)
        if solutions:
            duals = torch.stack([torch.stack((s.lam, s.tau)) for s in solutions])
            weights = torch.cat([s.weights for s in solutions])
            forgotten = (weights < FORGOTTEN_WEIGHT).to(duals.dtype).mean()
            # One transfer per epoch.
            lam, tau, forgotten = torch.cat((duals.mean(dim=0), forgotten[None])).tolist()
        else:
            lam, tau, forgotten = math.nan, math.nan, 0.0
        self._diagnostics = []
        self.history.record("warmup", not self.criterion_.enabled)
        self.history.record("lambda", lam)
        self.history.record("tau", tau)
        self.history.record("forgotten", forgotten)
        # On CUDA the per-batch check is off by default: check the epoch's batch losses
        # (skorch's scoring callbacks average them into the epoch's row only after this).
        batches = self.history[-1].get("batches", [])
        for key, where in (("train_loss", "training"), ("valid_loss", "validation")):
            values = [batch[key] for batch in batches if key in batch]
            if values and not math.isfinite(math.fsum(values)):
                raise self._nonfinite_error(where)
        self._snapshot()


#: Public name of the skorch network class that :class:`AntidoteClassifier` trains, for
#: subclasses that mix in skorch features such as ``skorch.hf.AccelerateMixin``.
AntidoteNet = _AntidoteNet


def _check_number(name, value, *, low=None, high=None, low_open=False, high_open=False,
                  integer=False, allow_none=False):
    """Raise a ValueError naming ``name``, the bad value and the valid range."""
    if value is None and allow_none:
        return
    kind = "an integer" if integer else "a number"
    valid_type = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, valid_type) and not isinstance(value, bool)
    if ok and not integer:
        ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}, "
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        if low is not None and high is None:
            rng = f" {'>' if low_open else '>='} {low}"
        elif low is None and high is not None:
            rng = f" {'<' if high_open else '<='} {high}"
        elif low is not None:
            rng = f" in {lo}{hi}"
        else:
            rng = ""
        none = " or None" if allow_none else ""
        raise ValueError(f"{name} must be {kind}{rng}{none}, got {value!r}.")


class AntidoteClassifier(ClassifierMixin, BaseEstimator):
    """Neural-network classifier robust to label noise (ANTIDOTE objective).

    The network is trained on the most favourable reweighting of each minibatch
    within an f-divergence ball around the (sample-weighted) empirical
    distribution: high-loss samples, which are mostly the mislabeled ones, are
    down-weighted ("forgotten"). The size of the ball is set by ``forget_rate``,
    a guess of the fraction of wrong labels, or directly by ``delta``. The first
    ``warmup_epochs`` epochs use plain cross-entropy, because the reweighting is
    only informative once the network has learnt the easy, clean samples.

    Training runs a skorch ``NeuralNetClassifier`` (attribute ``net_``) with
    :class:`~skantidote.loss.AntidoteLoss` as criterion. Inputs are converted to
    float32; standardise tabular features (e.g. with ``StandardScaler`` in a
    ``Pipeline``) as for any neural network.

    Parameters
    ----------
    module : None, {"mlp", "cnn"}, torch.nn.Module class or instance, default=None
        The network; it must return logits (no softmax). ``None`` or ``"mlp"``:
        :class:`~skantidote.modules.MLP` sized from the data, with
        ``hidden_layer_sizes``. ``"cnn"``: :class:`~skantidote.modules.CNN` for
        flattened images; pass ``module__input_shape=(C, H, W)``. A module class
        is instantiated with the ``module__*`` keyword arguments, plus
        ``n_features`` and ``n_classes`` when its ``__init__`` accepts them and
        they are not given. An instance is deep-copied at every (non-warm) fit
        and trained from its current parameters, so ``random_state`` then only
        controls the data shuffling.
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden layer widths of the built-in MLP (ignored by other modules).
    dropout : float in [0, 1), default=0.2
        Dropout probability of the built-in modules: after every hidden layer of
        the MLP, before the output layer of the CNN (ignored by other modules).
        Dropout slows down the memorisation of wrong labels.
    divergence : {"kl", "alpha", "chi2"}, default="kl"
        The f-divergence of the ball. ``"kl"`` reweights samples smoothly by
        ``exp(-loss / tau)``; ``"alpha"`` (with ``alpha``) gives high-loss samples
        a weight of exactly zero; ``"chi2"`` is ``"alpha"`` with ``alpha=2``.
    forget_rate : float in [0, 1), default=0.2
        Expected fraction of wrong labels. The radius is that of a distribution
        that drops this fraction of the data, e.g. ``-log(1 - forget_rate)`` for
        KL. ``0`` gives plain cross-entropy. Ignored when ``delta`` is set.
    delta : float >= 0 or None, default=None
        Radius of the divergence ball. If given, it overrides ``forget_rate``;
        ``0`` gives plain cross-entropy.
    kappa : float >= 0, default=0.0
        Weight of a divergence penalty, a floor on the temperature ``tau`` that
        limits how sharply samples can be down-weighted.
    alpha : float > 1, default=2.0
        Order of the alpha-divergence (``divergence="alpha"`` only).
    warmup_epochs : int >= 0, default=10
        Epochs of plain (sample-weighted) cross-entropy before the reweighting
        starts. Counted from the first epoch of the fit, so warm starts and
        ``partial_fit`` continue after it.
    max_epochs : int >= 1, default=100
        Number of training epochs of :meth:`fit` (fewer with early stopping).
    batch_size : int >= 1, default=128
        Minibatch size; each minibatch is reweighted on its own.
    lr : float > 0, default=1e-3
        Learning rate.
    optimizer : {"adam", "adamw", "sgd"} or torch.optim.Optimizer class, default="adam"
        ``"sgd"`` uses momentum 0.9 unless ``optimizer__momentum`` is given.
    weight_decay : float >= 0, default=0.0
        L2 penalty (decoupled for ``"adamw"``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified when possible)
        and stop once the validation loss has not improved for
        ``n_iter_no_change`` epochs, restoring the best epoch's parameters. The
        held-out labels are noisy too, so the validation loss is the ANTIDOTE
        objective (not plain cross-entropy), even during warm-up.
    validation_fraction : float in (0, 1), default=0.1
        Fraction of the data held out for early stopping.
    n_iter_no_change : int >= 1, default=10
        Patience of early stopping, in epochs.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    warm_start : bool, default=False
        If True, :meth:`fit` continues training the fitted network for
        ``max_epochs`` more epochs instead of starting anew.
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation, shuffling, dropout and the validation
        split. torch's and NumPy's global RNG states are left untouched; ``None``
        draws a fresh seed from the operating system.
    lr_schedule : {"constant", "cosine"}, default="cosine"
        Learning rate over the epochs of each :meth:`fit` call: constant, or
        decaying from ``lr`` towards 0 along a half cosine. :meth:`partial_fit`
        always uses ``lr``.
    verbose : int, default=0
        If > 0, print a table of per-epoch losses and diagnostics.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks for the training loop (e.g. a checkpoint, or a scorer of
        every epoch). They are used as given, not copied, so that their state can be read
        after the fit.
    **kwargs
        ``module__<name>`` arguments for the module (e.g. ``module__dropout=0.1``
        or ``module__input_shape=(1, 8, 8)``) and ``optimizer__<name>`` arguments
        for the optimizer (e.g. ``optimizer__momentum=0.5``), as in skorch. They
        are parameters of the estimator: ``get_params``, ``set_params``,
        ``clone`` and grid searches handle them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted as by ``LabelEncoder``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).
    net_ : skorch.NeuralNetClassifier
        The trained skorch network (``net_.module_`` is the torch module). It
        works on integer-encoded classes ``0 .. n_classes - 1``.
    history_ : list of dict
        One record per epoch: ``epoch``, ``train_loss``, ``valid_loss`` and
        ``valid_acc`` (on the noisy held-out labels; with early stopping only),
        ``warmup`` (whether the epoch used plain cross-entropy), ``lambda`` and
        ``tau`` (the dual variable and temperature of the reweighting, means over
        the epoch's minibatches; NaN during warm-up), ``forgotten`` (mean fraction
        of minibatch rows with weight below 0.1) and ``dur`` (seconds).
        ``pandas.DataFrame(clf.history_)`` gives a table.
    sample_weights_ : ndarray of shape (n_samples,)
        ANTIDOTE weight of every row of the last ``fit`` (or ``partial_fit``)
        call under the final model: the optimal reweighting of the per-sample
        cross-entropies over the whole training set (not per minibatch), with
        mean 1 under the reference distribution given by ``sample_weight``.
        Low values flag likely mislabeled rows; rows with zero
        ``sample_weight`` get 0.
    n_iter_ : int
        Total number of epochs trained.
    best_epoch_ : int or None
        With ``early_stopping``: the epoch (counted as in ``history_``) with the
        lowest validation loss, whose parameters the network has. ``None`` when
        the last fit had no validation split.

    See Also
    --------
    skantidote.loss.AntidoteLoss : The training objective, as a torch loss.

    Notes
    -----
    Reference: J. Birrell and R. Ebrahimi, "Learning to Forget with Information
    Divergence Reweighted Objectives for Noisy Labels", arXiv:2508.06622, 2025.

    With ``sample_weight``, the weights define the reference distribution of
    every minibatch (normalised within the batch), so a fit is not exactly the
    same as one on repeated rows. Rows with zero weight are left out of training.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skantidote import AntidoteClassifier
    >>> from skantidote.noise import symmetric_noise
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> y_noisy, is_noisy = symmetric_noise(y_train, 0.4, random_state=0)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     AntidoteClassifier(forget_rate=0.4, max_epochs=30, random_state=0),
    ... )
    >>> clf.fit(X_train, y_noisy).score(X_test, y_test) > 0.85
    True
    >>> weights = clf[-1].sample_weights_  # low for most mislabeled rows
    >>> bool(weights[is_noisy].mean() < weights[~is_noisy].mean())
    True
    """

    #: The skorch network class that :meth:`fit` builds (see :data:`AntidoteNet`); a
    #: subclass may replace it, e.g. with one mixing in ``skorch.hf.AccelerateMixin``.
    net_class = _AntidoteNet

    def __init__(
        self,
        module=None,
        *,
        hidden_layer_sizes=(256, 256),
        dropout=0.2,
        divergence="kl",
        forget_rate=0.2,
        delta=None,
        kappa=0.0,
        alpha=2.0,
        warmup_epochs=10,
        max_epochs=100,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        warm_start=False,
        random_state=None,
        lr_schedule="cosine",
        verbose=0,
        callbacks=None,
        **kwargs,
    ):
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.divergence = divergence
        self.forget_rate = forget_rate
        self.delta = delta
        self.kappa = kappa
        self.alpha = alpha
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.warm_start = warm_start
        self.random_state = random_state
        self.lr_schedule = lr_schedule
        self.verbose = verbose
        self.callbacks = callbacks
        # Extra keyword arguments become parameters, as in skorch. Their names are only
        # validated in fit: scikit-learn requires __init__ and set_params not to raise.
        self._extra_keys = list(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    # ------------------------------------------------------------------
    # parameters: module__* / optimizer__* keyword arguments, as in skorch
    # ------------------------------------------------------------------

    @staticmethod
    def _check_kwarg(key: str) -> None:
        prefix = next((p for p in _KWARG_PREFIXES if key.startswith(p)), None)
        if prefix is None or len(key) == len(prefix):
            raise ValueError(
                f"AntidoteClassifier got an unexpected parameter {key!r}; extra "
                "keyword arguments must be named 'module__<name>' (passed to the module) "
                "or 'optimizer__<name>' (passed to the optimizer)."
            )

    def _extra_params(self) -> dict:
        return {key: getattr(self, key) for key in getattr(self, "_extra_keys", ())}

    def get_params(self, deep=True):
        """Get parameters for this estimator, including ``module__*`` and ``optimizer__*``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators (there are none).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        """Set parameters, including new ``module__*`` and ``optimizer__*`` ones.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : AntidoteClassifier
            This estimator.
        """
        extra = {k: v for k, v in params.items() if k.startswith(_KWARG_PREFIXES)}
        for key, value in extra.items():
            if key not in self._extra_keys:
                self._extra_keys.append(key)
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in extra}
        if rest:
            super().set_params(**rest)
        return self

    # ------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` with the ANTIDOTE objective.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (converted to float32). Images go as flattened rows.
        y : array-like of shape (n_samples,)
            Possibly noisy class labels (integers, strings, pandas categoricals).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights defining the reference distribution that the
            ANTIDOTE reweighting starts from. Rows with weight 0 are not trained on.

        Returns
        -------
        self : AntidoteClassifier
            The fitted estimator.

        Raises
        ------
        NonFiniteLossError
            If a loss becomes NaN or infinite (e.g. too large a learning rate). The
            message names the epoch; the network is first restored to the last epoch
            whose losses were finite, and the estimator is fitted with the epochs done
            (unfitted if no epoch of a fresh fit finished).

        Notes
        -----
        A ``KeyboardInterrupt`` during training (caught by skorch) ends the fit with the
        epochs done: an epoch interrupted half-way is rolled back, and the fitted
        attributes describe the completed epochs. An interrupt before the first epoch
        ends propagates, leaving the estimator unfitted.
        """
        fitted = hasattr(self, "net_")
        return self._fit(X, y, sample_weight, continue_=self.warm_start and fitted,
                         classes=None, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current network.

        Warm-up epochs count from the first call. There is no early stopping and
        no validation split. ``sample_weights_`` refers to the rows of the last call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            All class labels. Required on the first call (a chunk may miss some
            classes); if given later it must equal ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : AntidoteClassifier
            The updated estimator.
        """
        fitted = hasattr(self, "net_")
        if not fitted and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: an array of "
                "all class labels, e.g. classes=np.unique(y_all)."
            )
        return self._fit(X, y, sample_weight, continue_=fitted, classes=classes, partial=True)

    def _fit(self, X, y, sample_weight, *, continue_, classes, partial):
        self._validate_params()
        _check_missing_labels(y)
        with _naming_non_numeric_columns(X):
            X, y = validate_data(self, X, y, dtype=np.float32, reset=not continue_)
        check_classification_targets(y)
        classes_, y_enc = self._encode_targets(y, classes, continue_)
        n_classes = len(classes_)

        weights_given = sample_weight is not None
        if weights_given:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float32, ensure_non_negative=True
            )
        else:
            sample_weight = np.ones(X.shape[0], dtype=np.float32)
        # Zero-weight rows have no mass in the reference distribution: leaving them out
        # is exact and avoids minibatches without any mass.
        keep = sample_weight > 0
        if keep.all():
            # No copy of X (X[keep] would copy the whole training set).
            X_fit, y_fit, w_fit = X, y_enc, sample_weight
        elif keep.any():
            X_fit, y_fit, w_fit = X[keep], y_enc[keep], sample_weight[keep]
        else:
            raise ValueError(
                "sample_weight is 0 for every row: there is nothing to train on; give "
                "positive weights to the rows to train on."
            )

        if not weights_given:
            # Unit weights are the uniform reference: feeding the features alone spares
            # every minibatch the collation and transfer of a column of ones.
            w_fit = None

        if not continue_:
            self._seed = self._draw_seed()
        device = self._resolve_device()

        if not continue_:
            net = self._build_net(X.shape[1], n_classes, device)
        else:
            net = self.net_
            # Parameters that can change between warm fits without a new network.
            net.warmup_epochs = self.warmup_epochs
            net.batch_size = self.batch_size
            net.verbose = self.verbose
        epochs_done = len(net.history) if continue_ else 0
        seed = int(np.random.SeedSequence([self._seed, epochs_done]).generate_state(1)[0])

        valid = None
        if self.early_stopping and not partial:
            X_fit, y_fit, w_fit, valid = self._split_validation(X_fit, y_fit, w_fit, seed)

        net.max_epochs = 1 if partial else self.max_epochs
        net._fit_start = epochs_done
        net._fit_epochs = net.max_epochs
        net.lr_schedule = self.lr_schedule
        net.lr = self.lr
        net.train_split = predefined_split(valid) if valid is not None else None
        try:
            with _local_torch_rng(_net_device(net), seed):
                if not continue_:
                    net.initialize()
                net.partial_fit(_net_input(X_fit, w_fit), y_fit)
        except NonFiniteLossError:
            # Back to the last epoch with finite losses; the optimizer's state (moments)
            # may hold NaN, so it starts afresh on the next (warm) fit.
            net.restore_finite()
            net.initialize_optimizer()
            dict(net.callbacks_)["early_stopping"].best_state_ = None
            if continue_ or len(net.history):
                # The epochs done are kept: predict works with their parameters.
                self._set_fitted(net, classes_, None, X, y_enc, sample_weight, weights_given)
            raise
        finally:
            # Do not keep (or pickle) the validation data.
            net.train_split = None

        if not continue_ and not len(net.history):
            # Interrupted (KeyboardInterrupt, caught by skorch) before any epoch ended.
            raise KeyboardInterrupt("AntidoteClassifier.fit interrupted before any epoch ended.")
        # Fitted attributes are only set once training has succeeded (or was interrupted
        # by KeyboardInterrupt after some epochs: skorch keeps those epochs).
        self._set_fitted(net, classes_, valid, X, y_enc, sample_weight, weights_given)
        return self

    def _set_fitted(self, net, classes_, valid, X, y_enc, sample_weight, weights_given):
        """Set the fitted attributes from the trained network."""
        self.classes_ = classes_
        self.net_ = net
        self.n_iter_ = len(net.history)
        stopper = dict(net.callbacks_)["early_stopping"]
        self.best_epoch_ = stopper.best_epoch_ if valid is not None else None
        self.history_ = [
            {key: _to_builtin(row[key]) for key in _HISTORY_KEYS if key in row}
            for row in net.history
        ]
        self.sample_weights_ = self._antidote_weights(
            X, y_enc, sample_weight if weights_given else None
        )

    def _named_callbacks(self) -> list:
        """``callbacks`` as skorch's (name, callback) pairs, named after their class."""
        named = []
        for i, item in enumerate(self.callbacks or []):
            if isinstance(item, tuple):
                named.append(item)
            elif isinstance(item, Callback):
                named.append((f"{type(item).__name__}_{i}", item))
            else:
                raise ValueError(
                    "callbacks must be a list of skorch Callback instances or (name, callback) "
                    f"tuples, got {item!r} at position {i}."
                )
        return named

    def _validate_params(self) -> None:
        self._named_callbacks()
        for key in self._extra_params():
            self._check_kwarg(key)
        module = self.module
        if not (
            module is None
            or (isinstance(module, str) and module in _MODULES)
            or (isinstance(module, type) and issubclass(module, nn.Module))
            or isinstance(module, nn.Module)
        ):
            raise ValueError(
                f"module must be None, 'mlp', 'cnn', a torch.nn.Module subclass or instance, "
                f"got {module!r}."
            )
        if module == "cnn" and "module__input_shape" not in self._extra_params():
            raise ValueError(
                "module='cnn' needs the image shape: pass module__input_shape=(channels, "
                "height, width), e.g. (1, 8, 8) or (3, 32, 32)."
            )
        if isinstance(self.divergence, str) and self.divergence not in _DIVERGENCES:
            raise ValueError(
                f"divergence must be one of {_DIVERGENCES}, got {self.divergence!r}."
            )
        _check_number("forget_rate", self.forget_rate, low=0, high=1, high_open=True)
        _check_number("delta", self.delta, low=0, allow_none=True)
        _check_number("kappa", self.kappa, low=0)
        _check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        _check_number("alpha", self.alpha, low=1, low_open=True)
        _check_number("warmup_epochs", self.warmup_epochs, low=0, integer=True)
        _check_number("max_epochs", self.max_epochs, low=1, integer=True)
        _check_number("batch_size", self.batch_size, low=1, integer=True)
        _check_number("lr", self.lr, low=0, low_open=True)
        _check_number("weight_decay", self.weight_decay, low=0)
        _check_number(
            "validation_fraction", self.validation_fraction, low=0, high=1,
            low_open=True, high_open=True,
        )
        _check_number("n_iter_no_change", self.n_iter_no_change, low=1, integer=True)
        _check_number("verbose", self.verbose, low=0, integer=True)
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(
                f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}."
            )
        optimizer = self.optimizer
        if not (
            (isinstance(optimizer, str) and optimizer in _OPTIMIZERS)
            or (isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer))
        ):
            raise ValueError(
                f"optimizer must be one of {tuple(_OPTIMIZERS)} or a torch.optim.Optimizer "
                f"subclass, got {optimizer!r}."
            )
        for name in ("early_stopping", "warm_start"):
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {value!r}.")

    def _encode_targets(self, y, classes, continue_):
        """The classes and the integer codes of ``y`` (new classes on a fresh fit)."""
        if continue_:
            if classes is not None and not np.array_equal(
                np.unique(np.asarray(classes)), self.classes_
            ):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()!r} differs from the classes of "
                    f"the fitted estimator, {self.classes_.tolist()!r}."
                )
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels not seen in the first fit: {unseen.tolist()!r}; "
                    f"the estimator knows {self.classes_.tolist()!r}. Refit with "
                    "warm_start=False to change the classes."
                )
            return self.classes_, np.searchsorted(self.classes_, y).astype(np.int64)

        encoder = LabelEncoder()
        if classes is not None:
            encoder.fit(np.asarray(classes))
            unseen = np.setdiff1d(np.unique(y), encoder.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels that are not in classes: {unseen.tolist()!r}; "
                    f"classes={encoder.classes_.tolist()!r}."
                )
        else:
            encoder.fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                "AntidoteClassifier needs samples of at least 2 classes, got 1 class: "
                f"{encoder.classes_.tolist()!r}."
            )
        return encoder.classes_, encoder.transform(y).astype(np.int64)

    def _draw_seed(self) -> int:
        rs = self.random_state
        if rs is None:
            # A fresh OS-entropy seed: random_state=None never touches np.random.
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs) % (2**32)
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        raise ValueError(
            f"random_state must be None, an int or a numpy.random.RandomState, got {rs!r}."
        )

    def _resolve_device(self) -> str:
        device = self.device
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

    def _net_kwargs(self) -> dict:
        """Extra keyword arguments for :attr:`net_class` (none by default).

        A hook for subclasses, e.g. ``{"accelerator": Accelerator()}`` for a network class
        with skorch's ``AccelerateMixin`` (see the "Scaling out" guide).

        Returns
        -------
        kwargs : dict
            Keyword arguments added to (and overriding) those of the network class.
        """
        return {}

    def _module_and_params(self, n_features: int, n_classes: int):
        """The module argument for skorch and its ``module__*`` keyword arguments."""
        kwargs = {
            k: v for k, v in self._extra_params().items() if k.startswith("module__")
        }
        module = self.module
        if module is None or module == "mlp":
            kwargs.setdefault("module__hidden_layer_sizes", self.hidden_layer_sizes)
            kwargs.setdefault("module__dropout", self.dropout)
            module = MLP
        elif module == "cnn":
            module = CNN
            kwargs.setdefault("module__dropout", self.dropout)
            shape = tuple(kwargs["module__input_shape"])
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"module__input_shape={shape} holds {math.prod(shape)} values per "
                    f"image but X has {n_features} features; pass images as rows of "
                    "images.reshape(len(images), -1) in (channels, height, width) order."
                )
        elif isinstance(module, nn.Module):
            # Train a copy, so that every fit starts from the same parameters.
            module = copy.deepcopy(module)
            if kwargs:
                warnings.warn(
                    "module is an instance: the module__* parameters "
                    f"{sorted(kwargs)} create a new instance of {type(module).__name__}.",
                    UserWarning,
                    stacklevel=4,
                )
        if isinstance(module, type):
            signature = inspect.signature(module.__init__).parameters
            for name, value in (("n_features", n_features), ("n_classes", n_classes)):
                if name in signature:
                    kwargs.setdefault(f"module__{name}", value)
        return module, kwargs

    def _build_net(self, n_features: int, n_classes: int, device: str) -> _AntidoteNet:
        module, module_kwargs = self._module_and_params(n_features, n_classes)
        optimizer = self.optimizer
        optimizer_kwargs = {
            k: v for k, v in self._extra_params().items() if k.startswith("optimizer__")
        }
        if isinstance(optimizer, str):
            if optimizer == "sgd":
                optimizer_kwargs.setdefault("optimizer__momentum", 0.9)
            optimizer = _OPTIMIZERS[optimizer]
        optimizer_kwargs.setdefault("optimizer__weight_decay", self.weight_decay)

        # delta, when given, overrides forget_rate; AntidoteLoss takes exactly one.
        if self.delta is not None:
            radius = {"criterion__delta": float(self.delta), "criterion__forget_rate": None}
        else:
            radius = {"criterion__forget_rate": float(self.forget_rate), "criterion__delta": None}

        kwargs = dict(
            module=module,
            criterion=AntidoteLoss,
            criterion__divergence=self.divergence,
            criterion__kappa=float(self.kappa),
            criterion__alpha=float(self.alpha),
            **radius,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            # Larger batches for validation and prediction: faster, and the per-batch
            # validation objective is closer to that of the whole validation set.
            iterator_valid__batch_size=max(self.batch_size, 1024),
            train_split=None,
            classes=list(range(n_classes)),
            predict_nonlinearity=_softmax,
            callbacks=[
                ("early_stopping", _EarlyStopping(patience=self.n_iter_no_change)),
                *self._named_callbacks(),
            ],
            device=device,
            verbose=self.verbose,
            warmup_epochs=self.warmup_epochs,
            **module_kwargs,
            **optimizer_kwargs,
        )
        extra = self._net_kwargs()
        if "accelerator" in extra:
            # Accelerate places the module and batches itself; skorch wants device=None.
            kwargs["device"] = None
        kwargs.update(extra)
        return self.net_class(**kwargs)

    def _split_validation(self, X, y, w, seed):
        """Hold out ``validation_fraction`` of the rows, stratified when possible."""
        index = np.arange(X.shape[0])
        try:
            train, valid = train_test_split(
                index, test_size=self.validation_fraction, random_state=seed % 2**32,
                stratify=y,
            )
        except ValueError:
            # A class with a single row (or fewer validation rows than classes).
            train, valid = train_test_split(
                index, test_size=self.validation_fraction, random_state=seed % 2**32
            )
        if w is None:
            return X[train], y[train], None, Dataset(X[valid], y[valid])
        valid_ds = Dataset(_net_input(X[valid], w[valid]), y[valid])
        return X[train], y[train], w[train], valid_ds

    def _antidote_weights(self, X, y_enc, sample_weight):
        """ANTIDOTE weights of all rows under the current network (see ``sample_weights_``)."""
        net = self.net_
        # device=None keeps the logits on the training device: a single transfer at the end.
        with _local_torch_rng(_net_device(net)):
            logits = net.forward(X, training=False, device=None)
        target = torch.as_tensor(y_enc, device=logits.device)
        with torch.no_grad():
            losses = F.cross_entropy(logits.float(), target, reduction="none")
            reference = None
            if sample_weight is not None:
                reference = torch.as_tensor(sample_weight, device=logits.device)
            weights = net.criterion_.weights(losses, reference)
            if reference is not None:
                weights = torch.where(reference > 0, weights, torch.zeros_like(weights))
        return weights.detach().cpu().numpy().astype(np.float64)

    def __getstate__(self):
        state = super().__getstate__()
        # Checked when loading: a model refuses to load into another major version.
        state["_skantidote_version"] = _package_version()
        return state

    def __setstate__(self, state):
        saved = state.pop("_skantidote_version", None)
        current = _package_version()
        if saved is not None and _major(saved) != _major(current):
            raise RuntimeError(
                f"This AntidoteClassifier was saved with skantidote {saved} and cannot be "
                f"loaded with skantidote {current}: the major versions differ "
                f"({_major(saved)} != {_major(current)}). Load it with skantidote "
                f"{_major(saved)}.x, or refit it with skantidote {current}."
            )
        super().__setstate__(state)

    def __sklearn_is_fitted__(self) -> bool:
        # Not just "some attribute ending in _": validate_data sets n_features_in_
        # before training, which may still fail.
        return hasattr(self, "net_")

    # ------------------------------------------------------------------
    # prediction
    # ------------------------------------------------------------------

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        with _naming_non_numeric_columns(X):
            X = validate_data(self, X, dtype=np.float32, reset=False)
        with _local_torch_rng(_net_device(self.net_)):
            return self.net_.predict_proba(X)

    def predict(self, X):
        """Most probable class of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
