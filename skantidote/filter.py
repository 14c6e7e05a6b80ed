"""Find and clean mislabeled rows with the weights that ANTIDOTE learns in one training run."""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Iterator

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
from skantidote.callbacks.noise_rate import UNSURE_DISAGREEMENT_WARNING
from skantidote.classifier import AntidoteClassifier
from skantidote.exceptions import external_stacklevel
from skantidote.loss import MAX_FORGET_RATE, AntidoteLoss
from skantidote.validation import check_missing_labels, naming_non_numeric_columns

__all__ = ["NoisyLabelFilter", "scoring_forget_rate"]


def scoring_forget_rate(forget_rate: float | str) -> float | str:
    """The forget rate of the scoring network for a filter's ``forget_rate``.

    A flagging rate is also the fraction the scoring network may forget. Without one
    (``"auto"``, or ``0``), the network estimates the noise rate in its own training run
    and forgets accordingly (``AntidoteClassifier(forget_rate="auto")``).

    Parameters
    ----------
    forget_rate : float or "auto"
        The filter's (or the command line's) flagging rate.

    Returns
    -------
    float or "auto"
        ``forget_rate`` itself when it is a positive number, else ``"auto"``.

    Examples
    --------
    >>> from skantidote.filter import scoring_forget_rate
    >>> scoring_forget_rate(0), scoring_forget_rate(0.3)
    ('auto', 0.3)
    """
    if isinstance(forget_rate, str) or forget_rate <= 0:
        return "auto"
    return float(forget_rate)


class NoisyLabelFilter(BaseCleaningSampler):
    """Flag mislabeled rows with ANTIDOTE and remove or relabel them.

    An imbalanced-learn cleaning sampler, and a label-issue report. :meth:`fit` trains an
    :class:`~skantidote.AntidoteClassifier` once on the noisy data, scores every row and
    flags the suspicious ones: ``label_issues_`` (cleanlab's column names), ``noise_rate_``
    and ``pred_probs_`` are then set. :meth:`fit_resample` does the same work, once, and
    returns the data without the flagged rows (or with their labels corrected).

    In a pipeline, use ``imblearn.pipeline.Pipeline`` (or ``imblearn.pipeline.
    make_pipeline``): there the filter cleans the training data of whatever model follows,
    during ``fit`` only, and does nothing at prediction time, where every row must get a
    prediction. A plain scikit-learn ``Pipeline`` cannot host it and fails with "All
    intermediate steps should be transformers": its steps before the last must return as
    many rows as they receive (``fit_transform``), while a sampler changes the rows and the
    labels (``fit_resample``), which is what imbalanced-learn's ``Pipeline`` adds.

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

    Other tools. ``pred_probs_`` holds the averaged probabilities (cleanlab's
    ``pred_probs``), columns in the order of ``classes_``. Tools that want integer labels
    ``0 .. n_classes - 1``, such as ``cleanlab.filter.find_label_issues(labels,
    pred_probs)``, get them as ``np.searchsorted(filter.classes_, y)``.

    Parameters
    ----------
    estimator : estimator, default=None
        The classifier that scores the rows, unfitted: an :class:`AntidoteClassifier` or a
        ``Pipeline`` ending in one (its steps before the last are fitted once on all rows),
        or, with ``cv``, any classifier with ``predict_proba``. ``None`` uses
        ``AntidoteClassifier(forget_rate=forget_rate if a number > 0 else "auto",
        random_state=random_state)``: without a rate, the network estimates the noise
        rate in its own run and forgets accordingly. A ``Pipeline`` estimator receives
        ``X`` as it is, so it can encode a raw DataFrame (strings, categories, missing
        values; a sparse one-hot encoding is fine) while the filter returns the kept rows
        of the raw DataFrame; a bare classifier needs numeric ``X``.
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
        Seeds the folds, the default estimator and, of an estimator given, every
        ``random_state`` parameter left at ``None`` (its steps' too); one the estimator
        sets is kept.

    Attributes
    ----------
    label_issues_ : pandas.DataFrame
        One row per input row (indexed like the input), with cleanlab's column names:
        ``is_label_issue``, ``label_quality`` (0-1, low is suspicious), ``given_label``,
        ``predicted_label`` and ``sample_weight`` (the mean ANTIDOTE weight).
    pred_probs_ : ndarray of shape (n_samples, n_classes)
        The class probabilities of every row that the flags are computed from (averaged
        over the last ``averaging_epochs`` epochs, or out of fold with ``cv``), columns in
        the order of ``classes_``; rows sum to 1.
    classes_ : ndarray of shape (n_classes,)
        The sorted labels of ``y``.
    sample_indices_ : ndarray of shape (n_kept,)
        Positions of the rows that :meth:`fit_resample` returns (the rows not flagged, and
        with ``action="relabel"`` the relabelled ones).
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
        Number of features seen in :meth:`fit` or :meth:`fit_resample`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in :meth:`fit` or :meth:`fit_resample` (only when ``X`` has
        string column names).

    See Also
    --------
    skantidote.AntidoteClassifier : The classifier that scores the rows.
    imblearn.pipeline.Pipeline : The pipeline that applies samplers at fit time.

    Examples
    --------
    >>> from imblearn.pipeline import make_pipeline
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skantidote import AntidoteClassifier, NoisyLabelFilter
    >>> from skantidote.noise import symmetric_noise
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:600] / 16.0, y[:600]
    >>> y_noisy, is_noisy = symmetric_noise(y, 0.2, random_state=0)
    >>> cleaner = NoisyLabelFilter(
    ...     AntidoteClassifier(max_epochs=60, random_state=0), random_state=0
    ... )
    >>> model = make_pipeline(cleaner, LogisticRegression(max_iter=1000))
    >>> model = model.fit(X, y_noisy)  # the regression learns from the kept rows
    >>> issues = model[0].label_issues_
    >>> flagged = issues["is_label_issue"].to_numpy()
    >>> precision, recall = is_noisy[flagged].mean(), flagged[is_noisy].mean()
    >>> bool(precision > 0.85), bool(recall > 0.85)
    (True, True)
    >>> model[0].pred_probs_.shape  # for other tools, e.g. cleanlab's
    (600, 10)
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
    def fit(self, X, y, **params):
        """Score every row and flag the suspicious ones: the label-issue report.

        Trains the estimator once (``cv`` times with ``cv``) and sets ``label_issues_``,
        ``pred_probs_``, ``noise_rate_``, ``sample_indices_`` and the fitted estimator(s);
        no row is dropped. :meth:`fit_resample` does the same and also returns the kept
        rows. Calling :meth:`fit_resample` after :meth:`fit` trains again: it is a fitting
        method, and like every scikit-learn ``fit`` it starts from the data it is given.
        Reusing the earlier scores would mean recognising the same data, at the cost of a
        pass over ``X`` to hash it, or by identity, which would return stale rows for an
        array modified in place. To have both the report and the cleaned rows from one
        training run, call :meth:`fit_resample` alone; after :meth:`fit`, the cleaned
        data are the rows ``sample_indices_`` of ``X``, with the labels
        ``np.where(issues.is_label_issue, issues.predicted_label, issues.given_label)``
        (``issues = label_issues_``) at those positions.

        Parameters
        ----------
        X : {array-like, sparse matrix} or DataFrame of shape (n_samples, n_features)
            Features. A DataFrame is passed to the estimator as it is (so a ``Pipeline``
            estimator can select columns by name). A sparse matrix stays sparse (CSR or
            CSC; other formats are converted to CSR): the network densifies it one
            minibatch at a time.
        y : array-like, Series or Categorical of shape (n_samples,)
            The possibly noisy labels.
        **params : dict
            Passed to the estimator's ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        self : NoisyLabelFilter
            The fitted filter.
        """
        X, y_1d, _ = self._check_inputs(X, y)
        self._find_label_issues(X, y_1d, params)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y, **params):
        """Score every row, flag the suspicious ones, and return the cleaned data.

        One training run (``k`` with ``cv=k``), which also sets every attribute that
        :meth:`fit` sets. In an ``imblearn.pipeline.Pipeline`` this is the method that
        the pipeline calls at fit time.

        Parameters
        ----------
        X : {array-like, sparse matrix} or DataFrame of shape (n_samples, n_features)
            Features. A DataFrame is passed to the estimator as it is (so a ``Pipeline``
            estimator can select columns by name) and returned as a DataFrame with the
            kept rows' original index. A sparse matrix stays sparse (CSR or CSC; other
            formats are converted to CSR), for the estimator and in the result.
        y : array-like, Series or Categorical of shape (n_samples,)
            The possibly noisy labels.
        **params : dict
            Passed to the estimator's ``fit`` (e.g. ``sample_weight``). Inside an
            imbalanced-learn ``Pipeline`` they do not reach this method: the pipeline
            routes ``step__param`` arguments to ``fit`` methods only, and would not cut
            a later step's weights down to the kept rows. To clean with weights, call
            ``fit_resample`` on its own, then fit the rest on the rows it returns
            (``sample_indices_`` selects their weights).

        Returns
        -------
        X_resampled : same type as X, of shape (n_kept, n_features)
            The kept rows.
        y_resampled : same type as y, of shape (n_kept,)
            Their labels, corrected for relabelled rows: a NumPy array of the same dtype,
            a list, a Series with the same name, index and dtype (categorical included),
            a Categorical with the same categories, or a one-column DataFrame.
        """
        X, y_1d, binarize_y = self._check_inputs(X, y)
        X_res, y_res = self._fit_resample(X, y_1d, **params)
        return X_res, _resampled_target(
            y, y_1d, y_res, self.sample_indices_, binarize_y, self.classes_
        )

    def _check_inputs(self, X, y):
        """Validate ``X`` and ``y``, resolve ``sampling_strategy_``; X for the estimator.

        The estimator gets the caller's ``X`` (a DataFrame keeps its columns), except that
        a sparse matrix comes in the validated CSR or CSC format, whose rows the folds and
        the returned data can select. It stays sparse: the network densifies it one
        minibatch at a time.
        """
        X_checked, y_1d, binarize_y = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y_1d, self._sampling_type
        )
        return (X_checked if sparse.issparse(X) else X), y_1d, binarize_y

    def _check_X_y(self, X, y, accept_sparse=None):
        # As object, float NaN and a missing category are caught too, not only None.
        check_missing_labels(np.asarray(y, dtype=object))
        # A Pipeline estimator may encode categories and impute missing values, so then any
        # dtype and NaN pass; a bare classifier needs finite numbers.
        lenient = isinstance(self.estimator, Pipeline)
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        with _naming_non_numeric_columns(X):
            X, y = validate_data(
                self, X, y, reset=True, dtype=None if lenient else "numeric",
                ensure_all_finite=not lenient, accept_sparse=["csr", "csc"],
            )
        return X, y, binarize_y

    def _fit_resample(self, X, y, **params):
        y_cleaned = self._find_label_issues(X, y, params)
        return _safe_indexing(X, self.sample_indices_), y_cleaned[self.sample_indices_]

    def _find_label_issues(self, X, y, params):
        """Score and flag every row, set the fitted attributes; the cleaned labels of all rows.

        The rows to keep are ``sample_indices_``; the labels of the rows kept after
        relabelling are the model's predictions.
        """
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"NoisyLabelFilter needs at least 2 classes in y, got {len(classes)}: "
                f"{classes.tolist()}."
            )
        if self.cv is None:
            probabilities, weights = self._score_in_sample(X, y, y_encoded, params)
        else:
            probabilities, weights = self._score_out_of_fold(X, y, y_encoded, params)

        n = len(y_encoded)
        rows = np.arange(n)
        quality = probabilities[rows, y_encoded]
        predicted = probabilities.argmax(axis=1)
        disagrees = predicted != y_encoded
        self.classes_ = classes
        self.pred_probs_ = probabilities
        self.noise_rate_ = float(disagrees.mean())

        targeted = np.isin(y, list(self.sampling_strategy_))
        is_issue = self._flag(quality, disagrees, targeted)
        if self.threshold is None and self.forget_rate == "auto":
            self._warn_if_flags_are_unsure()

        keep = ~is_issue
        y_cleaned = y
        if self.action == "relabel":
            confident = probabilities[rows, predicted] >= self.relabel_confidence
            relabel = is_issue & confident & disagrees
            keep |= relabel
            y_cleaned = np.where(relabel, classes[predicted], y)
        self.sample_indices_ = np.flatnonzero(keep)
        self._warn_if_classes_are_emptied(y, y_cleaned[self.sample_indices_])

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
        return y_cleaned

    def _warn_if_classes_are_emptied(self, y: np.ndarray, y_kept: np.ndarray) -> None:
        """Warn when every row of a class was flagged, so that the cleaned labels lose it.

        That is right for a label seen on a few rows by mistake (a typo), and wrong for a
        real class that the network could not learn (too few rows, or swamped by wrong
        labels): a model trained on the cleaned labels never predicts it.
        """
        labels, counts = np.unique(y, return_counts=True)
        lost = ~np.isin(labels, y_kept)
        if not lost.any():
            return
        named = ", ".join(
            f"{label!r} ({count} row{'s' if count > 1 else ''})"
            for label, count in zip(labels[lost].tolist(), counts[lost], strict=True)
        )
        warnings.warn(
            f"Every row labelled {named} was flagged: the cleaned labels have no such "
            "class, and a model trained on them will never predict it. Right for a label "
            "given by mistake (a typo); for a real class, check its rows in "
            "label_issues_, and leave it out of the cleaning with sampling_strategy (a "
            "list of the classes to clean) or flag fewer rows (forget_rate or threshold).",
            UserWarning,
            stacklevel=external_stacklevel(),
        )

    def _warn_if_flags_are_unsure(self) -> None:
        """Warn when most flags are rows the scoring network was not confident about.

        ``"auto"`` flags every row predicted as another class; the network's own estimate
        counts only those it confidently put in another class. Far apart, the network has
        not learnt the data, and most flags are rows it hesitates on.
        """
        final = self.estimator_[-1] if isinstance(self.estimator_, Pipeline) else (
            self.estimator_
        )
        estimate = getattr(final, "noise_rate_", None)  # in-sample scoring only
        if estimate is None or self.noise_rate_ - estimate < UNSURE_DISAGREEMENT_WARNING:
            return
        warnings.warn(
            f"{self.noise_rate_:.1%} of the rows are flagged (predicted as another class "
            f"than their label), but the scoring network was confident of another class "
            f"for only {estimate:.1%} of the rows (its estimate of the noise rate): the other "
            "flags are rows it hesitates on, hard or not yet learnt rather than shown to "
            "be mislabeled. To flag fewer, give forget_rate, the fraction of rows of "
            "lowest label quality to flag, or let the network learn the data first (more "
            "epochs, better features).",
            UserWarning,
            stacklevel=external_stacklevel(),
        )

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
            estimator = clone(self.estimator)
            if self.random_state is None:
                return estimator
            # Seeded like the default estimator, unless the caller seeded it.
            unseeded = {
                name: self.random_state
                for name, value in estimator.get_params(deep=True).items()
                if name.split("__")[-1] == "random_state" and value is None
            }
            return estimator.set_params(**unseeded)
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
        # The rows as the network is fed them: float32, and sparse ones in CSR.
        with _naming_non_numeric_columns(X_final):
            features = check_array(X_final, dtype=np.float32, accept_sparse="csr")
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
        rate = scoring_forget_rate(self.forget_rate)
        if rate == "auto":
            # The out-of-fold counterpart of the in-training estimate: the rows predicted
            # as another class than their label.
            disagreement = float(np.mean(probabilities.argmax(axis=1) != y_encoded))
            rate = min(disagreement, MAX_FORGET_RATE)
        criterion = AntidoteLoss(forget_rate=rate)
        return probabilities, criterion.weights(torch.as_tensor(losses)).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        lenient = isinstance(self.estimator, Pipeline)
        tags.input_tags.allow_nan = lenient
        tags.input_tags.string = lenient
        tags.sampler_tags.sample_indices = True
        tags.non_deterministic = self.random_state is None
        return tags


@contextlib.contextmanager
def _naming_non_numeric_columns(X) -> Iterator[None]:
    """The classifier's error naming the non-numeric columns, with the filter's own remedy."""
    try:
        with naming_non_numeric_columns(X):
            yield
    except ValueError as exc:
        # The error that names the columns has the failed float conversion as its cause.
        if "could not convert" not in str(exc.__cause__):
            raise
        raise ValueError(
            f"{exc} Or let the filter's estimator encode them: NoisyLabelFilter("
            "estimator=make_pipeline(ColumnTransformer([...]), AntidoteClassifier())) "
            "receives X as it is and returns the kept rows with their raw columns."
        ) from exc.__cause__


def _resampled_target(original_y, validated_y, y_kept, keep, binarize_y, classes):
    """The kept labels ``y_kept`` in the container type and dtype of the caller's ``y``.

    Validation may change how a label is written (a nullable boolean or a Categorical of
    booleans becomes 0.0 and 1.0), so each kept label is taken from a row of the caller's
    ``y`` that has it: the row itself, or, for a relabelled row, the first row of its
    new class.
    """
    if binarize_y:
        return label_binarize(y_kept, classes=classes)
    # classes_ are np.unique(y): the first rows come in their order.
    _, first_row_of_class = np.unique(validated_y, return_index=True)
    source = first_row_of_class[np.searchsorted(classes, y_kept)]
    relabelled = validated_y[keep] != y_kept
    source = np.where(relabelled, source, keep)
    if isinstance(original_y, pd.Series | pd.DataFrame):
        out = original_y.iloc[source]
        out.index = original_y.index[keep]
        return out
    if isinstance(original_y, pd.api.extensions.ExtensionArray):
        # A Categorical keeps its categories and order, a nullable array its dtype.
        return original_y[source]
    if isinstance(original_y, list):
        return [original_y[i] for i in source]
    # A column vector (n, 1) comes back 1-D, as imbalanced-learn's samplers return it.
    values = np.asarray(original_y)
    return values.reshape(len(values), -1)[source, 0] if values.ndim == 2 else values[source]
