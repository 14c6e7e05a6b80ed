"""The training engine that the estimators share: one skorch net, trained with callbacks.

:class:`AntidoteNetEstimator` turns an estimator's parameters into an
:class:`~skantidote.net.AntidoteNet` with the callbacks of :mod:`skantidote.callbacks`,
and runs ``fit``/``partial_fit``/warm starts on it: sample weights, the validation split
for early stopping, seeding, recovery from diverging losses and interruptions, and the
fitted attributes every estimator has (``net_``, ``history_``, ``sample_weights_``,
``n_iter_``, ``best_epoch_``). A concrete estimator adds its targets (encoding,
prediction) and its module; its ``__init__`` lists the parameters.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import warnings
from abc import ABC, abstractmethod

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight
from skorch.callbacks import Callback
from skorch.callbacks import EarlyStopping as SkorchEarlyStopping
from skorch.helper import predefined_split
from skorch.hf import AccelerateMixin
from skorch.utils import noop
from torch import nn

from skantidote.callbacks.diagnostics import ReweightingDiagnostics
from skantidote.callbacks.early_stopping import EarlyStopping
from skantidote.callbacks.finite_guard import FiniteLossGuard
from skantidote.callbacks.lr_schedule import LearningRateSchedule
from skantidote.callbacks.noise_rate import (
    AUTO_START_FORGET_RATE,
    NoiseRateEstimate,
    RunningNoiseRate,
)
from skantidote.callbacks.warmup import ReweightingWarmup, default_warmup_epochs
from skantidote.divergences import Divergence
from skantidote.exceptions import NonFiniteLossError, external_stacklevel
from skantidote.loss import AntidoteLoss
from skantidote.net import (
    AcceleratedAntidoteNet,
    AntidoteNet,
    net_device,
    net_input,
    resolve_device,
)
from skantidote.persistence import VersionedPickleMixin
from skantidote.reproducibility import draw_seed, local_torch_rng
from skantidote.row_scores import score_rows

__all__ = ["HISTORY_KEYS", "KWARG_PREFIXES", "OPTIMIZERS", "AntidoteNetEstimator"]

#: Optimizers by name.
OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
#: The criterion parameters that an estimator sets from its own parameters of the same
#: name when it configures an AntidoteLoss: given again as ``criterion__*`` they would be
#: overridden (forget_rate="auto" sets the rate every epoch) or clash (AntidoteLoss takes
#: one of the two).
_OWN_CRITERION_PARAMETERS = ("forget_rate", "delta")
#: Extra keyword arguments the estimators accept, skorch style, by what they configure.
KWARG_PREFIXES = (
    "module__", "optimizer__", "criterion__", "iterator_train__", "iterator_valid__"
)
#: Keys of the per-epoch records in ``history_``, in display order.
HISTORY_KEYS = (
    "epoch", "train_loss", "valid_loss", "valid_acc", "warmup", "lambda", "tau", "forgotten",
    "noise_estimate", "noise_unsure", "dur",
)
# Names of the callbacks the engine adds, in the order they run at each event: the guard
# snapshots an epoch before early stopping may end the fit loop (which skips the
# callbacks after it).
_OWN_CALLBACKS = (
    "warmup", "lr_schedule", "diagnostics", "noise_rate", "finite_guard", "early_stopping"
)


class AntidoteNetEstimator(VersionedPickleMixin, BaseEstimator, ABC):
    """Base class of the estimators that train an :class:`~skantidote.net.AntidoteNet`.

    Not used directly: see :class:`~skantidote.AntidoteClassifier`. Subclasses define
    ``__init__`` (the parameters, all of those in :attr:`_parameter_constraints`),
    :meth:`_module_kwargs`, and ``fit`` methods that validate and encode the targets
    before calling :meth:`_fit`, and the prediction methods.
    """

    #: The skorch network class that :meth:`fit` builds; a subclass may replace it, e.g.
    #: with one mixing in other skorch features. With an ``accelerator``, the default
    #: becomes :class:`~skantidote.net.AcceleratedAntidoteNet`.
    net_class = AntidoteNet
    #: The net class that an ``accelerator`` trains: ``net_class`` with skorch's
    #: ``AccelerateMixin``.
    accelerated_net_class = AcceleratedAntidoteNet
    #: The callback that estimates the noise in the targets during training and, with
    #: ``forget_rate="auto"``, sets the forget rate from it.
    noise_estimate_class: type[RunningNoiseRate] = NoiseRateEstimate

    _parameter_constraints: dict = {
        "module": [None, StrOptions({"mlp", "cnn"}), HasMethods(["forward"])],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "criterion": [HasMethods(["forward"])],
        "divergence": [StrOptions({"kl", "alpha", "chi2"}), Divergence],
        "forget_rate": [Interval(numbers.Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "delta": [None, Interval(numbers.Real, 0, None, closed="left")],
        "kappa": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 1, None, closed="neither")],
        "warmup_epochs": [Interval(numbers.Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["step", "zero_grad"])],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "accelerator": [None, HasMethods(["prepare"])],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    def _store_extra_params(self, kwargs: dict) -> None:
        """Keep ``module__*``-style keyword arguments as parameters, as skorch does.

        Their names are only checked in ``fit``: scikit-learn requires ``__init__`` and
        ``set_params`` not to raise.
        """
        self._extra_keys = list(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _extra_params(self) -> dict:
        return {key: getattr(self, key) for key in getattr(self, "_extra_keys", ())}

    def get_params(self, deep=True):
        """Get parameters for this estimator, including the ``module__*``-style ones.

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
        """Set parameters, including new ``module__*``-style ones.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator
            This estimator.
        """
        extra = {k: v for k, v in params.items() if k.startswith(KWARG_PREFIXES)}
        for key, value in extra.items():
            if key not in self._extra_keys:
                # A new list, not an append: a shallow copy (copy.copy) shares the old one.
                self._extra_keys = [*self._extra_keys, key]
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in extra}
        if rest:
            super().set_params(**rest)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        # Not just "some attribute ending in _": validate_data sets n_features_in_ before
        # training, which may still fail.
        return hasattr(self, "net_")

    # ------------------------------------------------------------------ checks

    def _check_extra_params(self) -> None:
        """The checks that involve several parameters, or the extra keyword arguments."""
        name = type(self).__name__
        for key in self._extra_params():
            prefix = next((p for p in KWARG_PREFIXES if key.startswith(p)), None)
            if prefix is None or len(key) == len(prefix):
                raise ValueError(
                    f"{name} got an unexpected parameter {key!r}; extra keyword arguments "
                    "must be named '<target>__<name>' with <target> one of "
                    f"{[p[:-2] for p in KWARG_PREFIXES]}, e.g. 'module__dropout' or "
                    "'optimizer__momentum'."
                )
        if self._configures_criterion():
            own = [
                key for key in self._extra_params()
                if key.removeprefix("criterion__") in _OWN_CRITERION_PARAMETERS
            ]
            if own:
                plain = own[0].removeprefix("criterion__")
                raise ValueError(
                    f"{name} sets its AntidoteLoss's {plain} from its own parameters "
                    f"({', '.join(_OWN_CRITERION_PARAMETERS)}); {own[0]} would be "
                    f"overridden or clash with them: pass {plain}= instead."
                )
        if self.module == "cnn" and "module__input_shape" not in self._extra_params():
            raise ValueError(
                "module='cnn' needs the image shape: pass module__input_shape=(channels, "
                "height, width), e.g. (1, 8, 8) or (3, 32, 32)."
            )
        if self.accelerator is not None and not (
            issubclass(self.net_class, AccelerateMixin)
            or issubclass(self.accelerated_net_class, self.net_class)
        ):
            raise ValueError(
                f"accelerator was given but net_class={self.net_class.__name__} does not mix "
                "in skorch.hf.AccelerateMixin; subclass it with AccelerateMixin first."
            )
        self._named_callbacks()

    def _named_callbacks(self) -> list:
        """``callbacks`` as skorch's (name, callback) pairs, named after their class."""
        named = []
        for i, item in enumerate(self.callbacks or []):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Callback):
                named.append(item)
            elif isinstance(item, Callback):
                named.append((f"{type(item).__name__}_{i}", item))
            else:
                raise ValueError(
                    "callbacks must be a list of skorch Callback instances or (name, callback) "
                    f"tuples, got {item!r} at position {i}."
                )
        clash = sorted({name for name, _ in named} & set(_OWN_CALLBACKS))
        if clash:
            raise ValueError(
                f"callbacks may not be named {clash}: {type(self).__name__} uses these names "
                f"for its own callbacks {list(_OWN_CALLBACKS)}."
            )
        return named

    # ------------------------------------------------------------------ hooks

    @abstractmethod
    def _module_kwargs(self, n_features: int, n_outputs: int) -> dict:
        """Keyword arguments of the net for the module and the task (classes, outputs)."""

    # ------------------------------------------------------------------ fitting

    @staticmethod
    def _checked_sample_weight(sample_weight, X) -> np.ndarray:
        """``sample_weight`` as float32, one non-negative weight per row of ``X``, some
        positive (scikit-learn's checks and messages)."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        )
        if not (sample_weight > 0).any():
            raise ValueError(
                "sample_weight is 0 for every row: there is nothing to train on; give "
                "positive weights to the rows to train on."
            )
        return sample_weight

    def _fit(
        self, X, y_fit, sample_weight, *, n_outputs, continue_, partial, stratify, fitted
    ):
        """Train the net on validated ``X`` and encoded targets ``y_fit``.

        ``n_outputs`` is the module's output width, ``stratify`` the labels to stratify
        the validation split by (or ``None``), and ``fitted`` the estimator's own fitted
        attributes, set with the common ones once there is a trained net.
        """
        weights_given = sample_weight is not None
        if weights_given:
            sample_weight = self._checked_sample_weight(sample_weight, X)
            keep = sample_weight > 0
        # Zero-weight rows have no mass in the reference distribution: leaving them out is
        # exact and avoids minibatches without any mass. Without weights X is not copied,
        # and unit weights (the uniform reference) are not fed at all.
        if weights_given and not keep.all():
            X_fit, y_train, w_fit = X[keep], y_fit[keep], sample_weight[keep]
            stratify = None if stratify is None else stratify[keep]
        else:
            X_fit, y_train, w_fit = X, y_fit, sample_weight

        if not continue_:
            self._seed = draw_seed(self.random_state)
        device = resolve_device(self.device)
        if continue_:
            net = self.net_
            self._update_net(net)
        else:
            net = self._build_net(X.shape[1], n_outputs, device)
        epochs_done = len(net.history) if continue_ else 0
        seed = int(np.random.SeedSequence([self._seed, epochs_done]).generate_state(1)[0])

        valid = None
        if self.early_stopping and not partial:
            X_fit, y_train, w_fit, valid = self._split_validation(
                net, X_fit, y_train, w_fit, seed, stratify
            )
        net.max_epochs = 1 if partial else self.max_epochs
        net.lr = self.lr
        net.train_split = predefined_split(valid) if valid is not None else None
        callbacks = dict(net.callbacks_) if continue_ else None
        try:
            with local_torch_rng(net_device(net), seed):
                if not continue_:
                    net.initialize()
                    callbacks = dict(net.callbacks_)
                if not partial:
                    self._warn_if_never_reweighted(net, epochs_done)
                net.partial_fit(net_input(X_fit, w_fit), y_train)
        except NonFiniteLossError as error:
            last = callbacks["finite_guard"].restore(net)
            # The optimizer's state (moments) may hold NaN: it starts afresh next time.
            net.initialize_optimizer()
            callbacks["early_stopping"].reset()
            if continue_ or len(net.history):
                # The epochs done are kept: predict works with their parameters.
                self._set_fitted(
                    net, None, X, y_fit, sample_weight if weights_given else None, fitted
                )
            raise error.restored(last) from error
        finally:
            # Do not keep (or pickle) the validation data.
            net.train_split = None

        trained = len(net.history) - epochs_done
        if not trained:
            # Interrupted (KeyboardInterrupt, caught by skorch) before any epoch ended.
            if continue_:
                raise KeyboardInterrupt(
                    f"{type(self).__name__} interrupted before an epoch ended; it keeps "
                    "its earlier training."
                )
            # Validation has set this data's n_features_in_: a model of an earlier fit
            # would no longer match the estimator, which is fitted no more.
            self._forget_fitted()
            raise KeyboardInterrupt(
                f"{type(self).__name__}.fit interrupted before any epoch ended; the "
                "estimator is not fitted."
            )
        if not partial and trained < net.max_epochs and not self._stopped_by_a_callback(net):
            warnings.warn(
                f"{type(self).__name__}.fit stopped (KeyboardInterrupt) after {trained} of "
                f"its max_epochs={net.max_epochs} epochs: the model, its weights and its "
                "noise estimate are those of that epoch.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
        # Fitted attributes are only set once training has succeeded (or was interrupted
        # by KeyboardInterrupt after some epochs: skorch keeps those epochs).
        self._set_fitted(
            net, valid, X, y_fit, sample_weight if weights_given else None, fitted
        )

    @staticmethod
    def _stopped_by_a_callback(net) -> bool:
        """Whether early stopping, not the user, may have ended the fit: skorch callbacks
        end it the way Ctrl-C does (KeyboardInterrupt)."""
        callbacks = dict(net.callbacks_)
        return callbacks["early_stopping"].stopped_ or any(
            isinstance(callback, SkorchEarlyStopping) for callback in callbacks.values()
        )

    def _forget_fitted(self) -> None:
        """Remove every fitted attribute (those ending in "_"), as before any fit."""
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)

    def _set_fitted(self, net, valid, X, y_fit, sample_weight, fitted) -> None:
        for name, value in fitted.items():
            setattr(self, name, value)
        self.net_ = net
        self.n_iter_ = len(net.history)
        self.warmup_epochs_ = dict(net.callbacks_)["warmup"].epochs
        stopper = dict(net.callbacks_)["early_stopping"]
        self.best_epoch_ = stopper.best_epoch_ if valid is not None else None
        self.history_ = [
            {key: _to_builtin(row[key]) for key in HISTORY_KEYS if key in row}
            for row in net.history
        ]
        with local_torch_rng(net_device(net)):
            scores = score_rows(net, X, y_fit, sample_weight, probabilities=False)
        self.sample_weights_ = scores.weights
        estimate = dict(net.callbacks_).get("noise_rate")
        if estimate is not None:
            for name, value in estimate.fitted_attributes().items():
                setattr(self, name, value)

    def _noise_rate_callback(self) -> list:
        """The estimate of the noise in the targets, as a named callback."""
        estimate = self.noise_estimate_class(
            self._warmup_epochs(), sets_forget_rate=self._estimates_forget_rate(),
            **self._noise_estimate_kwargs(),
        )
        return [("noise_rate", estimate)]

    def _noise_estimate_kwargs(self) -> dict:
        """Further arguments of :attr:`noise_estimate_class`, from this estimator's."""
        return {}

    def _estimates_forget_rate(self) -> bool:
        """Whether the forget rate is estimated in training (``forget_rate="auto"``)."""
        return (
            self.forget_rate == "auto" and self.delta is None and self._configures_criterion()
        )

    def _configures_criterion(self) -> bool:
        """Whether the ANTIDOTE parameters configure the criterion: an AntidoteLoss class."""
        return isinstance(self.criterion, type) and issubclass(self.criterion, AntidoteLoss)

    def _warmup_epochs(self) -> int:
        """``warmup_epochs``, with "auto" resolved for ``max_epochs``."""
        if self.warmup_epochs == "auto":
            return default_warmup_epochs(self.max_epochs)
        return int(self.warmup_epochs)

    def _warn_if_never_reweighted(self, net, epochs_done: int) -> None:
        """Say so when a fit call would end before the reweighting starts."""
        warmup = self._warmup_epochs()
        # Only a criterion that the warm-up switches off can stay off for a whole fit.
        switched = hasattr(net.criterion_, "enabled")
        if switched and epochs_done + self.max_epochs <= warmup:
            warnings.warn(
                f"{type(self).__name__} trains max_epochs={self.max_epochs} epochs"
                + (f" after {epochs_done} done" if epochs_done else "")
                + f", all within warmup_epochs={warmup}: the reweighting never starts and "
                "this fit is plain cross-entropy. Use warmup_epochs='auto' (a fifth of "
                "max_epochs, at most 10) or a warmup_epochs below max_epochs.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )

    def _update_net(self, net) -> None:
        """Carry the parameters that may change between warm fits over to the net."""
        net.batch_size = self.batch_size
        net.verbose = self.verbose
        callbacks = dict(net.callbacks_)
        callbacks["warmup"].epochs = self._warmup_epochs()
        callbacks["lr_schedule"].schedule = self.lr_schedule
        callbacks["early_stopping"].patience = self.n_iter_no_change
        estimates = self._estimates_forget_rate()
        if "noise_rate" in callbacks:
            callbacks["noise_rate"].set_params(
                warmup_epochs=self._warmup_epochs(), sets_forget_rate=estimates,
                **self._noise_estimate_kwargs(),
            )
        if not estimates and self._configures_criterion():
            # A radius given now replaces the one an earlier "auto" fit estimated.
            if self.delta is not None:
                net.criterion_.radius = float(self.delta)
            else:
                net.criterion_.set_forget_rate(float(self.forget_rate))

    def _split_validation(self, net, X, y, w, seed, stratify):
        """Hold out ``validation_fraction`` of the rows, stratified when possible.

        The held-out rows become the dataset ``net`` would make of them (for sparse
        ``X``, one that densifies them a minibatch at a time).
        """
        index = np.arange(X.shape[0])
        try:
            train, valid = train_test_split(
                index, test_size=self.validation_fraction, random_state=seed % 2**32,
                stratify=stratify,
            )
        except ValueError:
            # A class with a single row (or fewer validation rows than classes).
            train, valid = train_test_split(
                index, test_size=self.validation_fraction, random_state=seed % 2**32
            )
        w_valid = None if w is None else w[valid]
        valid_ds = net.get_dataset(net_input(X[valid], w_valid), y[valid])
        return X[train], y[train], None if w is None else w[train], valid_ds

    # ------------------------------------------------------------------ the net

    def _build_net(self, n_features: int, n_outputs: int, device: str):
        kwargs = dict(
            criterion=self._criterion(),
            optimizer=self._optimizer(),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            # Larger batches for validation and prediction: faster, and the per-batch
            # validation objective is closer to that of the whole validation set.
            iterator_valid__batch_size=max(self.batch_size, 1024),
            train_split=None,
            callbacks=[
                ("warmup", ReweightingWarmup(self._warmup_epochs())),
                ("lr_schedule", LearningRateSchedule(self.lr_schedule)),
                ("diagnostics", ReweightingDiagnostics()),
                *self._noise_rate_callback(),
                ("finite_guard", FiniteLossGuard()),
                ("early_stopping", EarlyStopping(patience=self.n_iter_no_change)),
                *self._named_callbacks(),
            ],
            device=device,
            verbose=self.verbose,
        )
        kwargs.update(self._criterion_kwargs())
        kwargs.update(self._optimizer_kwargs())
        kwargs.update(self._module_kwargs(n_features, n_outputs))
        kwargs.update(
            {k: v for k, v in self._extra_params().items() if k.startswith("iterator_")}
        )
        net_class = self.net_class
        if self.accelerator is not None:
            if not issubclass(net_class, AccelerateMixin):
                net_class = self.accelerated_net_class
            # Accelerate places the module and batches itself; skorch wants device=None.
            kwargs.update(accelerator=self.accelerator, device=None)
            if not self.verbose:
                # skorch prints to a sink other than print (accelerate's, on the main
                # process only) whatever the verbosity.
                kwargs.update(callbacks__print_log__sink=noop)
        return net_class(**kwargs)

    def _criterion(self):
        criterion = self.criterion
        # Train a copy of an instance, so that every fit starts from the same loss.
        return copy.deepcopy(criterion) if isinstance(criterion, nn.Module) else criterion

    def _criterion_kwargs(self) -> dict:
        kwargs = {
            k: v for k, v in self._extra_params().items() if k.startswith("criterion__")
        }
        if self._configures_criterion():
            # delta, when given, overrides forget_rate; AntidoteLoss takes exactly one.
            if self.delta is not None:
                radius = {"criterion__delta": float(self.delta), "criterion__forget_rate": None}
            else:
                rate = self.forget_rate
                radius = {
                    "criterion__forget_rate": (
                        AUTO_START_FORGET_RATE if rate == "auto" else float(rate)
                    ),
                    "criterion__delta": None,
                }
            kwargs = {
                "criterion__divergence": self.divergence,
                "criterion__kappa": float(self.kappa),
                "criterion__alpha": float(self.alpha),
                **radius,
                **kwargs,
            }
        return kwargs

    def _optimizer(self):
        optimizer = self.optimizer
        return OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer

    def _optimizer_kwargs(self) -> dict:
        kwargs = {
            k: v for k, v in self._extra_params().items() if k.startswith("optimizer__")
        }
        if self.optimizer == "sgd":
            kwargs.setdefault("optimizer__momentum", 0.9)
        kwargs.setdefault("optimizer__weight_decay", self.weight_decay)
        return kwargs

    def _module_and_params(
        self, n_features: int, n_outputs: int, builtin: dict, outputs_name: str = "n_classes"
    ):
        """The module argument for skorch and its ``module__*`` keyword arguments.

        ``builtin`` maps the names ``"mlp"``/``"cnn"`` to module classes; a module class
        gets ``n_features`` and ``n_outputs`` (as ``outputs_name``) when it takes them.
        """
        kwargs = {
            k: v for k, v in self._extra_params().items() if k.startswith("module__")
        }
        module = self.module
        if module is None or module == "mlp":
            kwargs.setdefault("module__hidden_layer_sizes", self.hidden_layer_sizes)
            kwargs.setdefault("module__dropout", self.dropout)
            module = builtin["mlp"]
        elif module == "cnn":
            module = builtin["cnn"]
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
                    f"module is an instance, and the module__* parameters {sorted(kwargs)} "
                    f"build a new {type(module).__name__} from them instead: the instance's "
                    "own arguments and weights are not used. Pass the class (module="
                    f"{type(module).__name__}) with module__* parameters, or the instance "
                    "without them.",
                    UserWarning,
                    stacklevel=external_stacklevel(),
                )
        if isinstance(module, type):
            signature = inspect.signature(module.__init__).parameters
            for name, value in (("n_features", n_features), (outputs_name, n_outputs)):
                if name in signature:
                    kwargs.setdefault(f"module__{name}", value)
        return module, kwargs


def _to_builtin(value):
    """NumPy scalars in skorch's history as plain Python numbers."""
    return value.item() if isinstance(value, np.generic) else value
