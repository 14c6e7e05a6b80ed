"""A scikit-learn classifier trained with the ANTIDOTE objective for noisy labels.

:class:`AntidoteClassifier` is the estimator surface: its parameters, ``fit``,
``partial_fit``, ``predict`` and ``predict_proba``, and its fitted attributes. Training
runs on the shared engine (:class:`skantidote.engine.AntidoteNetEstimator`): a skorch
:class:`~skantidote.net.AntidoteNet` with the callbacks of :mod:`skantidote.callbacks`.
After a few warm-up epochs of plain cross-entropy (so that the network first learns the
easy, mostly clean samples), every minibatch is reweighted towards its low-loss samples
within an f-divergence ball whose size is given by ``forget_rate`` (a guess of the
fraction of wrong labels) or directly by ``delta``. Mislabeled samples are learnt late, so
they carry large losses and are "forgotten".
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skantidote.engine import AntidoteNetEstimator
from skantidote.exceptions import NonFiniteLossError, external_stacklevel
from skantidote.loss import AntidoteLoss
from skantidote.modules import CNN, MLP
from skantidote.net import AntidoteNet, net_device, probabilities_from_logits
from skantidote.reproducibility import local_torch_rng
from skantidote.validation import check_missing_labels, naming_non_numeric_columns

__all__ = ["AntidoteClassifier", "AntidoteNet", "NonFiniteLossError"]

_BUILTIN_MODULES = {"mlp": MLP, "cnn": CNN}
# Sparse input is converted to CSR, whose rows a minibatch selects without scanning the
# other rows (a CSC matrix's rows cost a pass over all its non-zeros per minibatch).
_SPARSE_FORMAT = "csr"


class AntidoteClassifier(ClassifierMixin, AntidoteNetEstimator):
    """Neural-network classifier robust to label noise (ANTIDOTE objective).

    The network is trained on the most favourable reweighting of each minibatch
    within an f-divergence ball around the (sample-weighted) empirical
    distribution: high-loss samples, which are mostly the mislabeled ones, are
    down-weighted ("forgotten"). The size of the ball is set by ``forget_rate``,
    a guess of the fraction of wrong labels, or directly by ``delta``. The first
    ``warmup_epochs`` epochs use plain cross-entropy, because the reweighting is
    only informative once the network has learnt the easy, clean samples.

    Training runs a skorch net (:class:`~skantidote.net.AntidoteNet`, attribute
    ``net_``) with :class:`~skantidote.loss.AntidoteLoss` as criterion, and the training
    concerns as the public callbacks of :mod:`skantidote.callbacks` (warm-up,
    learning-rate schedule, diagnostics, the guard against diverging losses, early
    stopping), so a skorch user can assemble the same training in their own net. Inputs
    are converted to float32; standardise tabular features (e.g. with ``StandardScaler``
    in a ``Pipeline``) as for any neural network. Sparse input (e.g. from a
    ``OneHotEncoder`` in a ``ColumnTransformer``) is accepted and densified one minibatch
    at a time, so the whole dense matrix is never held in memory.

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
    hidden_layer_sizes : int or tuple of int, default=(256, 256)
        Hidden layer widths of the built-in MLP (ignored by other modules); an int ``n``
        is one hidden layer of ``n`` units, ``(n,)``, as in scikit-learn's MLPClassifier.
    dropout : float in [0, 1), default=0.2
        Dropout probability of the built-in modules: after every hidden layer of
        the MLP, before the output layer of the CNN (ignored by other modules).
        Dropout slows down the memorisation of wrong labels.
    criterion : torch.nn.Module class or instance, default=AntidoteLoss
        The training loss, called as ``criterion(logits, target, sample_weight=w)``
        (``criterion(logits, target)`` without sample weights): the ANTIDOTE objective
        by default, or e.g. one of :mod:`skantidote.robust_losses` to compare with a
        robust-loss baseline under the same training. A class is instantiated with the
        ``criterion__*`` keyword arguments; an instance is deep-copied at every
        (non-warm) fit. The warm-up switches a criterion's ``enabled`` attribute, where
        it has one; ``sample_weights_`` uses its ``weights`` method, where it has one.
    divergence : {"kl", "alpha", "chi2"} or Divergence, default="kl"
        The f-divergence of the ball. ``"kl"`` reweights samples smoothly by
        ``exp(-loss / tau)``; ``"alpha"`` (with ``alpha``) gives high-loss samples
        a weight of exactly zero; ``"chi2"`` is ``"alpha"`` with ``alpha=2``.
    forget_rate : float in [0, 1) or "auto", default="auto"
        Expected fraction of wrong labels. The radius is that of a distribution
        that drops this fraction of the data, e.g. ``-log(1 - forget_rate)`` for
        KL. ``0`` gives plain cross-entropy. ``"auto"`` estimates it in the same
        training run (:class:`~skantidote.callbacks.NoiseRateEstimate`): from the end
        of the warm-up on, every epoch sets it to a running average of the fraction of
        training rows the network confidently puts in another class than their label,
        so the forgetting follows the noise the network sees, and every batch forgets at
        least those of its rows (the confident floor of
        :meth:`~skantidote.loss.AntidoteLoss.set_confident_floor`), so that the wrong
        labels a batch holds beyond the rate are not memorised; ``noise_rate_`` is the
        estimate. Ignored when ``delta`` is set.
    per_class : bool, default=False
        One divergence ball per class: each class forgets within its own rows, up to its
        own rate (with ``forget_rate="auto"``, its estimated rate; with a given rate, the
        same in every class), and keeps the share of the rows its ball keeps, so that no
        class, however small, is forgotten wholesale or for another class's errors (see
        "Class-conditional forgetting" in the method guide). Not the default: on
        class-conditional noise it beat the single ball (with its confident floor) in 2
        of 10 cells (adult at 40 % in 10 epochs, by 1.3 points) and trailed it in 8 (by
        0.1 to 4.3 points; by 2.5 and 4.3 on adult at the default 100 epochs)
        (``benchmarks/results/suite.md``), and its training step costs about 1.45 times
        the single ball's on a CPU. Try it when classes of similar size overlap or are
        confused with each other (two half-moons, a class the fit warns is predicted as
        another for most of its rows though it cannot be that noisy): told no rate, it
        was 2.0 to 3.25 points above the single ball there, and 8-9 points below
        it on a two-class 80/20 table whose minority's labels were mostly wrong
        (``benchmarks/results/bundled_tables.md``).
    delta : float >= 0 or None, default=None
        Radius of the divergence ball. If given, it overrides ``forget_rate``;
        ``0`` gives plain cross-entropy.
    kappa : float >= 0, default=0.0
        Weight of a divergence penalty, a floor on the temperature ``tau`` that
        limits how sharply samples can be down-weighted.
    alpha : float > 1, default=2.0
        Order of the alpha-divergence (``divergence="alpha"`` only). ``divergence``,
        ``forget_rate``, ``delta``, ``kappa`` and ``alpha`` configure an
        :class:`~skantidote.loss.AntidoteLoss` ``criterion`` class (or subclass); other
        criteria and criterion instances ignore them.
    warmup_epochs : int >= 0 or "auto", default="auto"
        Epochs of plain (sample-weighted) cross-entropy before the reweighting
        starts. Counted from the first epoch of the fit, so warm starts and
        ``partial_fit`` continue after it. ``"auto"`` is a fifth of ``max_epochs``,
        at most 10 (10 at the default 100 epochs; see
        :func:`~skantidote.callbacks.warmup.default_warmup_epochs`), so that a short
        run still reweights. A ``fit`` whose epochs all lie within an explicit
        warm-up warns that it is plain cross-entropy.
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
        ``"auto"`` trains on CUDA when available, else on the CPU. Ignored with an
        ``accelerator``.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face Accelerate (several GPUs, mixed precision, gradient
        accumulation; see the "Scaling out" guide): the net then mixes in skorch's
        ``AccelerateMixin`` (:class:`~skantidote.net.AcceleratedAntidoteNet`), and
        Accelerate places the module and the batches.
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
        or ``module__input_shape=(1, 8, 8)``), ``optimizer__<name>`` for the
        optimizer (e.g. ``optimizer__momentum=0.5``), ``criterion__<name>`` for the
        criterion (e.g. ``criterion__q=0.7`` with ``criterion=GCELoss``), and
        ``iterator_train__<name>`` / ``iterator_valid__<name>`` for skorch's data
        loaders (e.g. ``iterator_train__num_workers=4``), as in skorch. They are
        parameters of the estimator: ``get_params``, ``set_params``, ``clone`` and
        grid searches handle them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted as by ``LabelEncoder``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when ``X`` has string column names).
    net_ : skantidote.net.AntidoteNet
        The trained skorch network (``net_.module_`` is the torch module). It
        works on integer-encoded classes ``0 .. n_classes - 1``.
    history_ : list of dict
        One record per epoch: ``epoch``, ``train_loss``, ``valid_loss`` and
        ``valid_acc`` (on the noisy held-out labels; with early stopping only),
        ``warmup`` (whether the epoch used plain cross-entropy), ``lambda`` and
        ``tau`` (the dual variable and temperature of the reweighting, means over
        the epoch's minibatches; NaN during warm-up), ``forgotten`` (mean fraction
        of minibatch rows with weight below 0.1), with ``forget_rate="auto"``
        ``noise_estimate`` (the epoch's estimate of the noise rate) and
        ``noise_unsure`` (the share of rows the estimate cannot see: those whose label
        the network does not predict, without confidence), and ``dur`` (seconds).
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
    warmup_epochs_ : int
        The warm-up length used (``warmup_epochs`` with "auto" resolved).
    noise_rate_ : float
        Estimated fraction of wrong labels: with ``forget_rate="auto"`` the forget rate
        the network ended with; otherwise the same estimate, made alongside the given
        rate. Before the end of the warm-up, the last epoch's estimate. Each epoch's
        estimate is the fraction of training rows the network confidently assigns to
        another class than their label, each class with its own confidence bar, from the
        training step's logits (see :class:`~skantidote.callbacks.NoiseRateEstimate`).
    class_noise_rates_ : ndarray of shape (n_classes,)
        Per class (in the order of ``classes_``), the fraction of its training rows the
        network confidently assigned to another class in the last epoch.
    best_epoch_ : int or None
        With ``early_stopping``: the epoch (counted as in ``history_``) with the
        lowest validation loss, whose parameters the network has. ``None`` when
        the last fit had no validation split.

    See Also
    --------
    skantidote.loss.AntidoteLoss : The training objective, as a torch loss.
    skantidote.callbacks : The training concerns, as skorch callbacks.

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

    _parameter_constraints: dict = {
        **AntidoteNetEstimator._parameter_constraints,
        "per_class": ["boolean"],
    }

    def __init__(
        self,
        module=None,
        *,
        hidden_layer_sizes=(256, 256),
        dropout=0.2,
        criterion=AntidoteLoss,
        divergence="kl",
        forget_rate="auto",
        per_class=False,
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
        self.criterion = criterion
        self.divergence = divergence
        self.forget_rate = forget_rate
        self.per_class = per_class
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
            Training data (converted to float32). Images go as flattened rows. A sparse
            matrix (or a DataFrame of sparse columns) is converted to CSR and densified
            one minibatch at a time, never as a whole.
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
        return self._fit_classifier(
            X, y, sample_weight, continue_=self.warm_start and fitted, classes=None,
            partial=False,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current network.

        Each call is one epoch, and the warm-up's epochs count from the first call: the
        first ``warmup_epochs_`` calls train with plain cross-entropy (10 with the
        defaults, where "auto" resolves for ``max_epochs=100``; pass ``warmup_epochs`` to
        start forgetting sooner), and ``history_``'s ``warmup`` entry says which. There is
        no early stopping and no validation split. ``sample_weights_`` refers to the rows
        of the last call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        return self._fit_classifier(
            X, y, sample_weight, continue_=fitted, classes=classes, partial=True
        )

    def _fit_classifier(self, X, y, sample_weight, *, continue_, classes, partial):
        self._check_extra_params()
        check_missing_labels(y)
        with naming_non_numeric_columns(X):
            X, y = validate_data(
                self, X, y, dtype=np.float32, accept_sparse=_SPARSE_FORMAT,
                reset=not continue_,
            )
        check_classification_targets(y)
        classes_, y_enc = self._encode_targets(y, classes, continue_)
        self._fit(
            X, y_enc, sample_weight, n_outputs=len(classes_), continue_=continue_,
            partial=partial, stratify=y_enc, fitted={"classes_": classes_},
        )
        if self._estimates_forget_rate() and not partial:
            estimate = dict(self.net_.callbacks_)["noise_rate"]
            # + 1: the warnings are raised by warn_if_unreliable, a frame below this one.
            estimate.warn_if_unreliable(
                self.classes_.tolist(), stacklevel=external_stacklevel() + 1
            )
        return self

    def _criterion_kwargs(self) -> dict:
        kwargs = super()._criterion_kwargs()
        if self._configures_criterion():
            kwargs.setdefault("criterion__per_class", bool(self.per_class))
        return kwargs

    def _noise_estimate_kwargs(self) -> dict:
        return {"per_class": self.per_class}

    def _module_kwargs(self, n_features: int, n_outputs: int) -> dict:
        module, kwargs = self._module_and_params(n_features, n_outputs, _BUILTIN_MODULES)
        return dict(
            module=module,
            classes=list(range(n_outputs)),
            predict_nonlinearity=probabilities_from_logits,
            **kwargs,
        )

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

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        with naming_non_numeric_columns(X):
            X = validate_data(
                self, X, dtype=np.float32, accept_sparse=_SPARSE_FORMAT, reset=False
            )
        with local_torch_rng(net_device(self.net_)):
            return self.net_.predict_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def predict(self, X):
        """Most probable class of every sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
