"""A scikit-learn regressor trained with the ANTIDOTE objective for corrupted targets.

:class:`AntidoteRegressor` is the regression sibling of
:class:`~skantidote.AntidoteClassifier` on the same engine
(:class:`skantidote.engine.AntidoteNetEstimator`): a network trained on the most
favourable reweighting of each minibatch's per-row regression losses within an
f-divergence ball, so that the rows whose targets the rest of the data cannot explain
(sensor glitches, unit mix-ups, values typed into the wrong row) are forgotten.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skantidote.callbacks.noise_rate import ResidualNoiseRateEstimate
from skantidote.engine import AntidoteNetEstimator
from skantidote.exceptions import external_stacklevel
from skantidote.loss import AntidoteLoss
from skantidote.modules import MLP
from skantidote.net import AcceleratedAntidoteRegressorNet, AntidoteRegressorNet, net_device
from skantidote.reproducibility import local_torch_rng
from skantidote.validation import naming_non_numeric_columns

__all__ = ["AntidoteRegressor"]

_BUILTIN_MODULES = {"mlp": MLP}
_SPARSE_FORMAT = "csr"


class AntidoteRegressor(RegressorMixin, AntidoteNetEstimator):
    """Neural-network regressor robust to corrupted targets (ANTIDOTE objective).

    The network is trained on the most favourable reweighting of each minibatch's
    per-row losses (squared error by default) within an f-divergence ball around the
    (sample-weighted) empirical distribution: the rows with the largest residuals, which
    are mostly those with corrupted targets, are down-weighted ("forgotten"). The size of
    the ball follows the fraction of corrupted rows, estimated from the training residuals
    in the same run (``forget_rate="auto"``, see
    :class:`~skantidote.callbacks.ResidualNoiseRateEstimate`), or is set by a given
    ``forget_rate`` or ``delta``. The first ``warmup_epochs`` epochs use the plain loss,
    because residuals only single out the corrupted rows once the network has fitted the
    bulk of the data.

    Targets are standardised internally (mean 0, standard deviation 1 per output, under
    ``sample_weight``) and predictions are returned in the targets' own units, so the
    learning rate and the Huber threshold do not depend on the targets' scale. Inputs
    are converted to float32; standardise tabular features (e.g. with ``StandardScaler``
    in a ``Pipeline``) as for any neural network.

    Parameters
    ----------
    module : None, "mlp", torch.nn.Module class or instance, default=None
        The network; it must return one value per output (shape ``(n, n_outputs)``).
        ``None`` or ``"mlp"``: :class:`~skantidote.modules.MLP` sized from the data,
        with ``hidden_layer_sizes``. A module class is instantiated with the
        ``module__*`` keyword arguments, plus ``n_features`` and ``n_outputs`` when its
        ``__init__`` accepts them. An instance is
        deep-copied at every (non-warm) fit.
    hidden_layer_sizes : int or tuple of int, default=(256, 256)
        Hidden layer widths of the built-in MLP; an int ``n`` is one hidden layer of ``n``
        units, ``(n,)``, as in scikit-learn's MLPRegressor.
    dropout : float in [0, 1), default=0.2
        Dropout probability after every hidden layer of the built-in MLP.
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        The per-row loss that is reweighted (the mean over the outputs of a row); the
        Huber threshold is 1 standard deviation of the targets.
    criterion : torch.nn.Module class or instance, default=AntidoteLoss
        The training loss, called as ``criterion(prediction, target, sample_weight=w)``;
        a class is instantiated with the ``criterion__*`` keyword arguments. ``loss``,
        ``divergence``, ``forget_rate``, ``delta``, ``kappa`` and ``alpha`` configure an
        :class:`~skantidote.loss.AntidoteLoss` class (or subclass); other criteria and
        criterion instances ignore them.
    divergence : {"kl", "alpha", "chi2"} or Divergence, default="kl"
        The f-divergence of the ball (see :class:`~skantidote.AntidoteClassifier`).
    forget_rate : float in [0, 1) or "auto", default="auto"
        Fraction of corrupted targets; sets the radius. ``0`` is the plain loss.
        ``"auto"`` estimates it in training: after the warm-up the network forgets half
        the rows for as many epochs (at least 5), so that it fits the clean majority, then
        the rate follows the fraction of rows whose residuals lie beyond three clean
        standard deviations; ``noise_rate_`` is the final estimate.
    delta : float >= 0 or None, default=None
        Radius of the divergence ball; overrides ``forget_rate``.
    kappa : float >= 0, default=0.0
        Weight of a divergence penalty, a floor on the temperature of the weights.
    alpha : float > 1, default=2.0
        Order of the alpha-divergence (``divergence="alpha"`` only).
    warmup_epochs : int >= 0 or "auto", default="auto"
        Epochs of the plain loss before the reweighting starts; ``"auto"`` is a fifth of
        ``max_epochs``, at most 10.
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
        Hold out ``validation_fraction`` of the rows and stop once the validation loss (the
        reweighted objective: the held-out targets are corrupted too) has not improved
        for ``n_iter_no_change`` epochs, restoring the best epoch's parameters.
    validation_fraction : float in (0, 1), default=0.1
        Fraction of the rows held out for early stopping.
    n_iter_no_change : int >= 1, default=10
        Patience of early stopping, in epochs.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face Accelerate (see the "Scaling out" guide).
    warm_start : bool, default=False
        If True, :meth:`fit` continues training the fitted network.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split; the global
        RNGs are left untouched.
    lr_schedule : {"constant", "cosine"}, default="cosine"
        Learning rate over the epochs of each :meth:`fit` call.
    verbose : int, default=0
        If > 0, print a table of per-epoch losses and diagnostics.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks for the training loop.
    **kwargs
        ``module__*``, ``optimizer__*``, ``criterion__*``, ``iterator_train__*`` and
        ``iterator_valid__*`` arguments, as in skorch; they are estimator parameters.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (``n_outputs_``,)
        The standardisation of the targets: the network predicts
        ``(y - target_mean_) / target_scale_``.
    net_ : skantidote.net.AntidoteRegressorNet
        The trained skorch network (``net_.module_`` is the torch module).
    history_ : list of dict
        One record per epoch, as for :class:`~skantidote.AntidoteClassifier`
        (``train_loss`` in standardised units).
    sample_weights_ : ndarray of shape (n_samples,)
        ANTIDOTE weight of every row of the last ``fit`` call under the final model, among
        all rows (mean 1): low values flag likely corrupted targets.
    noise_rate_ : float
        The estimated fraction of corrupted targets (the forget rate of the last epochs
        with ``forget_rate="auto"``; only estimated otherwise). It counts the rows whose
        residuals look corrupted: targets moved by less than about three residual
        standard deviations (many swapped ones) are not counted.
    n_iter_ : int
        Total number of epochs trained.
    warmup_epochs_ : int
        The warm-up length used.
    best_epoch_ : int or None
        With ``early_stopping``: the epoch whose parameters the network has.

    See Also
    --------
    skantidote.AntidoteClassifier : The same forgetting for class labels.
    skantidote.noise.outlier_targets : Corrupt regression targets, to test a pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_friedman1
    >>> from skantidote import AntidoteRegressor
    >>> X, y = make_friedman1(n_samples=600, noise=0.5, random_state=0)
    >>> y_corrupted = y.copy()
    >>> y_corrupted[:120] += 20.0  # 20 % of the targets shifted far away
    >>> reg = AntidoteRegressor(max_epochs=40, random_state=0)
    >>> reg.fit(X[:500], y_corrupted[:500]).predict(X[500:]).shape
    (100,)
    >>> abs(reg.noise_rate_ - 0.24) < 0.03  # 120 of the 500 training rows are shifted
    True
    >>> weights = reg.sample_weights_  # low for the shifted rows
    >>> bool(weights[:120].mean() < 0.5 * weights[120:500].mean())
    True
    """

    net_class = AntidoteRegressorNet
    accelerated_net_class = AcceleratedAntidoteRegressorNet
    noise_estimate_class = ResidualNoiseRateEstimate

    _parameter_constraints: dict = {
        **AntidoteNetEstimator._parameter_constraints,
        "module": [None, StrOptions({"mlp"}), HasMethods(["forward"])],
        "loss": [StrOptions({"squared_error", "absolute_error", "huber"})],
    }

    def __init__(
        self,
        module=None,
        *,
        hidden_layer_sizes=(256, 256),
        dropout=0.2,
        loss="squared_error",
        criterion=AntidoteLoss,
        divergence="kl",
        forget_rate="auto",
        delta=None,
        kappa=0.0,
        alpha=2.0,
        warmup_epochs="auto",
        max_epochs=100,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        accelerator=None,
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
        self.loss = loss
        self.criterion = criterion
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
        self.accelerator = accelerator
        self.warm_start = warm_start
        self.random_state = random_state
        self.lr_schedule = lr_schedule
        self.verbose = verbose
        self.callbacks = callbacks
        self._store_extra_params(kwargs)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` with the ANTIDOTE objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (converted to float32; a sparse matrix is densified one
            minibatch at a time).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Possibly corrupted numeric targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights defining the reference distribution that the
            reweighting starts from (and the targets' standardisation).

        Returns
        -------
        self : AntidoteRegressor
            The fitted estimator.

        Raises
        ------
        NonFiniteLossError
            If a loss becomes NaN or infinite; the network is first restored to the last
            epoch whose losses were finite.
        """
        fitted = hasattr(self, "net_")
        return self._fit_regressor(
            X, y, sample_weight, continue_=self.warm_start and fitted, partial=False
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current network.

        The first call fixes the targets' standardisation; later calls reuse it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : AntidoteRegressor
            The updated estimator.
        """
        return self._fit_regressor(
            X, y, sample_weight, continue_=hasattr(self, "net_"), partial=True
        )

    def _fit_regressor(self, X, y, sample_weight, *, continue_, partial):
        self._check_extra_params()
        with naming_non_numeric_columns(X):
            X, y = validate_data(
                self, X, y, dtype=np.float32, accept_sparse=_SPARSE_FORMAT, multi_output=True,
                y_numeric=True, reset=not continue_,
            )
        y = np.asarray(y, dtype=np.float64)
        single = y.ndim == 1
        y2d = y.reshape(len(y), -1)
        if continue_:
            if y2d.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has {y2d.shape[1]} outputs, but this {type(self).__name__} was fitted "
                    f"with {self.n_outputs_}; refit with warm_start=False to change them."
                )
            mean, scale = self.target_mean_, self.target_scale_
        else:
            if sample_weight is not None:
                # Checked before it weights the targets' standardisation.
                sample_weight = self._checked_sample_weight(sample_weight, X)
            mean, scale = _standardisation(y2d, sample_weight)
        y_fit = ((y2d - mean) / scale).astype(np.float32)
        self._fit(
            X, y_fit, sample_weight, n_outputs=y2d.shape[1], continue_=continue_,
            partial=partial, stratify=None,
            fitted={
                "n_outputs_": y2d.shape[1], "target_mean_": mean, "target_scale_": scale,
                "_single_output": single,
            },
        )
        if self._estimates_forget_rate() and not partial:
            estimate = dict(self.net_.callbacks_)["noise_rate"]
            # + 1: the warnings are raised by warn_if_unreliable, a frame below this one.
            estimate.warn_if_unreliable(stacklevel=external_stacklevel() + 1)
        return self

    def _criterion_kwargs(self) -> dict:
        kwargs = super()._criterion_kwargs()
        if self._configures_criterion():
            kwargs.setdefault("criterion__sample_loss", self.loss)
        return kwargs

    def _module_kwargs(self, n_features: int, n_outputs: int) -> dict:
        module, kwargs = self._module_and_params(
            n_features, n_outputs, _BUILTIN_MODULES, outputs_name="n_outputs"
        )
        return dict(module=module, **kwargs)

    def predict(self, X):
        """Predicted targets, in the units of the training targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output; 1-D when the model was fitted on a 1-D ``y``.
        """
        check_is_fitted(self)
        with naming_non_numeric_columns(X):
            X = validate_data(
                self, X, dtype=np.float32, accept_sparse=_SPARSE_FORMAT, reset=False
            )
        with local_torch_rng(net_device(self.net_)):
            standardised = self.net_.predict(X).astype(np.float64)
        prediction = standardised.reshape(len(standardised), -1) * self.target_scale_
        prediction += self.target_mean_
        return prediction.ravel() if self._single_output else prediction

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags


def _standardisation(y: np.ndarray, sample_weight) -> tuple[np.ndarray, np.ndarray]:
    """Per-output (weighted) mean and standard deviation; a constant output gets scale 1."""
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if weights is not None and not weights.sum() > 0:
        weights = None  # the engine refuses all-zero weights with a clear message
    mean = np.average(y, axis=0, weights=weights)
    scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=weights))
    return mean, np.where(scale > 0, scale, 1.0)
