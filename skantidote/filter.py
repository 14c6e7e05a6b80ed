"""Find and clean mislabeled rows with the weights that ANTIDOTE learns in one training run."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import torch
from imblearn.under_sampling.base import BaseCleaningSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from scipy import sparse
from sklearn.base import _fit_context, clone
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import label_binarize
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, validate_data

from skantidote.callbacks.late_epoch_scores import LateEpochScores
from skantidote.classifier import AntidoteClassifier
from skantidote.loss import AntidoteLoss

__all__ = ["DEFAULT_SCORING_FORGET_RATE", "NoisyLabelFilter", "scoring_forget_rate"]

#: The forget rate of the network that scores the rows when the flagging rule names no rate
#: (``forget_rate="auto"``, or ``0``): a moderate radius that forgets the worst rows without
#: knowing how many are wrong.
DEFAULT_SCORING_FORGET_RATE = 0.2


def scoring_forget_rate(forget_rate: float | str) -> float:
    """The forget rate of the scoring network for a filter's ``forget_rate``.

    Parameters
    ----------
    forget_rate : float or "auto"
        The filter's (or the command line's) flagging rate.

    Returns
    -------
    float
        ``forget_rate`` itself when it is a positive number, else
        :data:`DEFAULT_SCORING_FORGET_RATE`.

    Examples
    --------
    >>> from skantidote.filter import scoring_forget_rate
    >>> scoring_forget_rate("auto"), scoring_forget_rate(0.3)
    (0.2, 0.3)
    """
    if isinstance(forget_rate, str) or forget_rate <= 0:
        return DEFAULT_SCORING_FORGET_RATE
    return float(forget_rate)


class NoisyLabelFilter(BaseCleaningSampler):
    """Flag mislabeled rows with ANTIDOTE and remove or relabel them.

    An imbalanced-learn cleaning sampler: :meth:`fit_resample` trains an
    :class:`~skantidote.AntidoteClassifier` once on the noisy data, scores every row, and
    returns the data without the rows it flags (or with their labels corrected). In an
    ``imblearn.pipeline.Pipeline`` it cleans the training data of whatever model follows;
    at prediction time it does nothing, as samplers do. A plain scikit-learn ``Pipeline``
    cannot host it, because its transformers must keep every row.

    Scoring. While ANTIDOTE trains, mislabeled rows keep high losses and are down-weighted
    ("forgotten"), so the model keeps predicting their true class. Every row's
    ``label_quality`` is the model's probability of the row's given label, and its
    ``sample_weight`` the ANTIDOTE weight of the row among the whole training set; both are
    averaged over the last ``averaging_epochs`` epochs of training. Low quality means
    suspicious. With ``cv=k``, the probabilities are out-of-fold predictions of ``k``
    models instead (the protocol of cleanlab's ``find_label_issues``, at ``k`` times the
    cost).

    Flagging. ``forget_rate="auto"`` (the default) flags the rows (of the classes targeted
    by ``sampling_strategy``) whose predicted class, the argmax of the averaged
    probabilities, is not their given label. Because ANTIDOTE has forgotten the mislabeled
    rows instead of memorising them, the model predicts their true class, so disagreeing
    with the label is direct evidence of a wrong label; no noise rate has to be known or
    estimated first, and the fraction of rows flagged this way is ``noise_rate_``.
    ``forget_rate=r`` flags the ``r`` fraction of targeted rows with the lowest quality;
    ``threshold=t`` flags rows with quality below ``t``.

    Parameters
    ----------
    estimator : estimator, default=None
        The classifier that scores the rows, unfitted: an :class:`AntidoteClassifier` or a
        ``Pipeline`` ending in one (its steps before the last are fitted once on all rows),
        or, with ``cv``, any classifier with ``predict_proba``. ``None`` uses
        ``AntidoteClassifier(forget_rate=forget_rate if a number > 0 else 0.2,
        random_state=random_state)``.
    forget_rate : float in [0, 1) or "auto", default="auto"
        Fraction of the targeted rows to flag, or ``"auto"`` to flag the rows whose
        predicted class differs from their label. Ignored when ``threshold`` is set.
    threshold : float in (0, 1) or None, default=None
        Flag the rows whose ``label_quality`` is below this.
    action : {"remove", "relabel"}, default="remove"
        ``"remove"`` drops flagged rows. ``"relabel"`` replaces the label of a flagged row by
        the model's prediction when the predicted class has probability at least
        ``relabel_confidence``, and drops the other flagged rows.
    relabel_confidence : float in [0, 1], default=0.5
        Confidence needed to relabel rather than drop (``action="relabel"`` only).
    averaging_epochs : int >= 1, default=5
        Number of final training epochs whose scores are averaged (``cv=None`` only).
    cv : int >= 2 or None, default=None
        ``None``: one training run, in-sample ANTIDOTE scores. ``k``: stratified ``k``-fold
        out-of-fold probabilities.
    sampling_strategy : str, list or callable, default="all"
        Classes whose rows may be flagged, as in imbalanced-learn's cleaning samplers
        (``"all"``, ``"auto"`` = not minority, ``"majority"``, a list of classes, ...).
    random_state : int, RandomState instance or None, default=None
        Seeds the estimator and the folds.

    Attributes
    ----------
    label_issues_ : pandas.DataFrame
        One row per input row (indexed like the input), with cleanlab's column names:
        ``is_label_issue``, ``label_quality`` (0-1, low is suspicious), ``given_label``,
        ``predicted_label`` and ``sample_weight`` (the mean ANTIDOTE weight).
    sample_indices_ : ndarray of shape (n_kept,)
        Positions of the rows returned by :meth:`fit_resample`.
    noise_rate_ : float
        Estimated noise rate: the fraction of all rows whose predicted class differs from
        their given label (whatever rule flags).
    estimator_ : estimator
        The fitted scoring estimator (``cv=None``), or ``None``.
    estimators_ : list of estimators
        The ``cv`` fitted fold estimators (``cv=k``), or ``None``.
    sampling_strategy_ : dict
        The classes targeted, as resolved by imbalanced-learn.
    n_features_in_ : int
        Number of features seen in ``fit_resample``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skantidote import NoisyLabelFilter
    >>> from skantidote.noise import symmetric_noise
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> y_noisy, is_noisy = symmetric_noise(y, 0.2, random_state=0)
    >>> cleaner = NoisyLabelFilter(forget_rate=0.2, random_state=0)
    >>> X_clean, y_clean = cleaner.fit_resample(X, y_noisy)
    >>> issues = cleaner.label_issues_
    >>> precision = is_noisy[issues["is_label_issue"].to_numpy()].mean()
    >>> bool(precision > 0.8)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit", "predict_proba"])],
        "forget_rate": [Interval(numbers.Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "threshold": [None, Interval(numbers.Real, 0, 1, closed="neither")],
        "action": [StrOptions({"remove", "relabel"})],
        "relabel_confidence": [Interval(numbers.Real, 0, 1, closed="both")],
        "averaging_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": [None, Interval(numbers.Integral, 2, None, closed="left")],
        "sampling_strategy": BaseCleaningSampler._parameter_constraints["sampling_strategy"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        forget_rate="auto",
        threshold=None,
        action="remove",
        relabel_confidence=0.5,
        averaging_epochs=5,
        cv=None,
        sampling_strategy="all",
        random_state=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.estimator = estimator
        self.forget_rate = forget_rate
        self.threshold = threshold
        self.action = action
        self.relabel_confidence = relabel_confidence
        self.averaging_epochs = averaging_epochs
        self.cv = cv
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y, **params):
        """Score every row, flag the suspicious ones, and return the cleaned data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features. A DataFrame is passed to the estimator as it is (so a ``Pipeline``
            estimator can select columns by name) and returned as a DataFrame with the
            kept rows' original index.
        y : array-like or Series of shape (n_samples,)
            The possibly noisy labels.
        **params : dict
            Passed to the estimator's ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        X_resampled : same type as X, of shape (n_kept, n_features)
            The kept rows.
        y_resampled : same type as y, of shape (n_kept,)
            Their labels, corrected for relabelled rows.
        """
        # Validation only: the estimator gets the caller's X (a DataFrame keeps its columns).
        _, y_1d, binarize_y = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y_1d, self._sampling_type
        )
        return self._fit_resample(X, y_1d, original_y=y, binarize_y=binarize_y, **params)

    def _check_X_y(self, X, y, accept_sparse=None):
        # A Pipeline estimator may encode categories and impute missing values, so then any
        # dtype and NaN pass; a bare classifier needs finite numbers. Sparse input is
        # densified for the network (which trains on dense float32) and returned sparse.
        lenient = isinstance(self.estimator, Pipeline)
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(
            self, X, y, reset=True, dtype=None if lenient else "numeric",
            ensure_all_finite=not lenient, accept_sparse=True,
        )
        return X, y, binarize_y

    def _fit_resample(self, X, y, *, original_y=None, binarize_y=False, **params):
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"NoisyLabelFilter needs at least 2 classes in y, got {len(classes)}: "
                f"{classes.tolist()}."
            )
        X_dense = _dense(X)
        if self.cv is None:
            probabilities, weights = self._score_in_sample(X_dense, y, y_encoded, params)
        else:
            probabilities, weights = self._score_out_of_fold(X_dense, y, y_encoded, params)

        n = len(y_encoded)
        rows = np.arange(n)
        quality = probabilities[rows, y_encoded]
        predicted = probabilities.argmax(axis=1)
        disagrees = predicted != y_encoded
        self.noise_rate_ = float(disagrees.mean())

        targeted = np.isin(y, list(self.sampling_strategy_))
        is_issue = self._flag(quality, disagrees, targeted)

        keep = ~is_issue
        y_new = y.copy()
        if self.action == "relabel":
            confident = probabilities[rows, predicted] >= self.relabel_confidence
            relabel = is_issue & confident & disagrees
            keep |= relabel
            y_new = np.where(relabel, classes[predicted], y)
        self.sample_indices_ = np.flatnonzero(keep)

        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n)
        self.label_issues_ = pd.DataFrame(
            {
                "is_label_issue": is_issue,
                "label_quality": quality,
                "given_label": y,
                "predicted_label": classes[predicted],
                "sample_weight": weights,
            },
            index=index,
        )

        X_res = _safe_indexing(X, self.sample_indices_)
        y_res = _resampled_target(
            original_y, y_new, self.sample_indices_, binarize_y, classes
        )
        return X_res, y_res

    def _flag(
        self, quality: np.ndarray, disagrees: np.ndarray, targeted: np.ndarray
    ) -> np.ndarray:
        if self.threshold is not None:
            return targeted & (quality < self.threshold)
        if self.forget_rate == "auto":
            return targeted & disagrees
        candidates = np.flatnonzero(targeted)
        is_issue = np.zeros(len(quality), dtype=bool)
        count = int(self.forget_rate * len(candidates))
        # Lowest quality first; ties broken by position, so the result is deterministic.
        order = candidates[np.argsort(quality[candidates], kind="stable")]
        is_issue[order[:count]] = True
        return is_issue

    def _default_estimator(self):
        if self.estimator is not None:
            return clone(self.estimator)
        return AntidoteClassifier(
            forget_rate=scoring_forget_rate(self.forget_rate), random_state=self.random_state
        )

    def _score_in_sample(self, X, y, y_encoded, params):
        """One training run; probabilities and weights averaged over the last epochs."""
        estimator = self._default_estimator()
        if isinstance(estimator, Pipeline):
            head, final = estimator[:-1], estimator[-1]
            X_final = head.fit_transform(X, y)
        else:
            head, final, X_final = None, estimator, X
        if not isinstance(final, AntidoteClassifier):
            raise TypeError(
                "With cv=None the estimator must be an AntidoteClassifier or a Pipeline "
                f"ending in one (its weights score the rows); got {type(final).__name__}. "
                "Use cv=k to score with any classifier's out-of-fold probabilities."
            )
        features = check_array(X_final, dtype=np.float32)
        scores = LateEpochScores(features, y_encoded, self.averaging_epochs)
        callbacks = list(final.callbacks or []) + [("label_scores", scores)]
        final.set_params(callbacks=callbacks)
        final.fit(X_final, y, **params)
        final.set_params(callbacks=callbacks[:-1])
        if head is not None:
            self.estimator_ = Pipeline(list(head.steps) + [(estimator.steps[-1][0], final)])
        else:
            self.estimator_ = final
        self.estimators_ = None
        probabilities = scores.probabilities_
        weights = scores.weights_
        # The model's classes are those of y (all present), in the same sorted order.
        return probabilities, weights

    def _score_out_of_fold(self, X, y, y_encoded, params):
        """Out-of-fold probabilities of ``cv`` models; weights from their losses."""
        rng = check_random_state(self.random_state)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=rng.randint(2**31))
        probabilities = np.zeros((len(y), len(np.unique(y_encoded))))
        self.estimators_ = []
        for train, test in folds.split(np.zeros(len(y)), y_encoded):
            estimator = self._default_estimator()
            fit_params = {k: _safe_indexing(v, train) for k, v in params.items()}
            estimator.fit(_safe_indexing(X, train), y[train], **fit_params)
            fold_classes = np.searchsorted(np.unique(y), estimator.classes_)
            probabilities[np.ix_(test, fold_classes)] = estimator.predict_proba(
                _safe_indexing(X, test)
            )
            self.estimators_.append(estimator)
        self.estimator_ = None
        losses = -np.log(np.clip(probabilities[np.arange(len(y)), y_encoded], 1e-12, 1.0))
        criterion = AntidoteLoss(forget_rate=scoring_forget_rate(self.forget_rate))
        return probabilities, criterion.weights(torch.as_tensor(losses)).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        lenient = isinstance(self.estimator, Pipeline)
        tags.input_tags.allow_nan = lenient
        tags.input_tags.string = lenient
        tags.sampler_tags.sample_indices = True
        tags.non_deterministic = self.random_state is None
        return tags


def _dense(X):
    """``X`` for the scoring network: sparse matrices and sparse frame columns made dense."""
    if sparse.issparse(X):
        return X.toarray()
    if isinstance(X, pd.DataFrame) and any(
        isinstance(dtype, pd.SparseDtype) for dtype in X.dtypes
    ):
        return X.sparse.to_dense()
    return X


def _resampled_target(original_y, y_new, keep, binarize_y, classes):
    """The kept labels in the container type of the caller's ``y``."""
    if binarize_y:
        return label_binarize(y_new[keep], classes=classes)
    if isinstance(original_y, pd.Series):
        out = original_y.iloc[keep].copy()
        out[:] = y_new[keep]
        return out
    if isinstance(original_y, pd.DataFrame):
        out = original_y.iloc[keep].copy()
        out.iloc[:, 0] = y_new[keep]
        return out
    values = y_new[keep]
    if isinstance(original_y, list):
        return values.tolist()
    return values.astype(np.asarray(original_y).dtype, copy=False)
