"""NoisyLabelFilter: detection, cleaning, pandas, pipelines, estimator checks, errors."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as parametrize_with_imblearn_checks,
)
from scipy import sparse
from sklearn.compose import ColumnTransformer, make_column_transformer
from sklearn.datasets import load_digits, make_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skantidote import AntidoteClassifier, NoisyLabelFilter
from skantidote.noise import pair_noise, symmetric_noise

# The tests' own data (see data/README.md), found wherever pytest is started from.
DATA = Path(__file__).parent / "data"


def small_classifier(**params):
    # A given forget rate: these few epochs are too short for an estimate to settle.
    defaults = dict(
        hidden_layer_sizes=(32,), max_epochs=6, warmup_epochs=2, batch_size=64, lr=3e-3,
        dropout=0.0, forget_rate=0.2, random_state=0,
    )
    defaults.update(params)
    return AntidoteClassifier(**defaults)


def fast_filter(**params):
    defaults = dict(
        estimator=small_classifier(), forget_rate=0.1, averaging_epochs=2, random_state=0
    )
    defaults.update(params)
    return NoisyLabelFilter(**defaults)


@pytest.fixture(scope="module")
def noisy_digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y_noisy, corrupted = symmetric_noise(y, 0.2, random_state=0)
    return X, y, y_noisy, corrupted


@pytest.fixture(scope="module")
def digits_filter(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    cleaner = NoisyLabelFilter(
        estimator=AntidoteClassifier(
            max_epochs=60, warmup_epochs=5, forget_rate=0.2, random_state=0
        ),
        forget_rate="auto",
        random_state=0,
    )
    X_clean, y_clean = cleaner.fit_resample(X, y_noisy)
    return cleaner, X_clean, y_clean


def test_finds_corrupted_rows_in_one_run(noisy_digits, digits_filter):
    _, _, _, corrupted = noisy_digits
    cleaner, X_clean, y_clean = digits_filter
    flagged = cleaner.label_issues_["is_label_issue"].to_numpy()
    precision = corrupted[flagged].mean()
    recall = flagged[corrupted].mean()
    assert precision > 0.9
    assert recall > 0.9
    # "auto" flags the rows predicted as another class; their fraction estimates the
    # noise rate.
    report = cleaner.label_issues_
    np.testing.assert_array_equal(
        flagged, report["predicted_label"] != report["given_label"]
    )
    assert cleaner.noise_rate_ == pytest.approx(flagged.mean())
    assert cleaner.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.03)
    assert len(X_clean) == len(y_clean) == (~flagged).sum()
    np.testing.assert_array_equal(cleaner.sample_indices_, np.flatnonzero(~flagged))


def test_label_issues_report(noisy_digits, digits_filter):
    _, _, y_noisy, corrupted = noisy_digits
    cleaner, _, _ = digits_filter
    report = cleaner.label_issues_
    assert list(report.columns) == [
        "is_label_issue", "label_quality", "given_label", "predicted_label", "sample_weight",
    ]
    assert len(report) == len(y_noisy)
    np.testing.assert_array_equal(report["given_label"], y_noisy)
    assert report["label_quality"].between(0, 1).all()
    assert report["sample_weight"].min() >= 0
    # Quality and weights both rank the corrupted rows low.
    assert report["label_quality"][corrupted].mean() < 0.2
    assert report["label_quality"][~corrupted].mean() > 0.8
    assert report["sample_weight"][corrupted].mean() < report["sample_weight"][~corrupted].mean()
    issues = report["is_label_issue"]
    # Most flagged rows are predicted as some other class.
    assert (report["predicted_label"][issues] != report["given_label"][issues]).mean() > 0.9


class _ProbabilityRecorder(Callback):
    """Appends the model's probabilities of every row to ``RECORDED`` after every epoch.

    The filter clones its estimator, callbacks included, so the records go to a module
    global rather than to this instance.
    """

    def __init__(self, X):
        self.X = X

    def on_epoch_end(self, net, **kwargs):
        logits = net.forward(self.X, training=False).float()
        RECORDED.append(torch.softmax(logits, dim=1).numpy())


RECORDED = []


def test_scores_average_the_last_epochs_only(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    X, y_noisy = X[:400], y_noisy[:400]
    RECORDED.clear()
    cleaner = fast_filter(
        estimator=small_classifier(max_epochs=6, callbacks=[_ProbabilityRecorder(X)]),
        averaging_epochs=2,
    )
    cleaner.fit_resample(X, y_noisy)
    assert len(RECORDED) == 6
    expected = np.mean(RECORDED[-2:], axis=0)[np.arange(len(y_noisy)), y_noisy]
    np.testing.assert_allclose(cleaner.label_issues_["label_quality"], expected, rtol=1e-5)


def test_early_stopping_scores_the_restored_model(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    X, y_noisy = X[:400], y_noisy[:400]
    estimator = small_classifier(
        max_epochs=200, early_stopping=True, n_iter_no_change=2, lr=3e-2
    )
    cleaner = fast_filter(estimator=estimator, averaging_epochs=3)
    cleaner.fit_resample(X, y_noisy)
    fitted = cleaner.estimator_
    assert fitted.n_iter_ < 200
    expected = fitted.predict_proba(X)[np.arange(len(y_noisy)), y_noisy]
    np.testing.assert_allclose(cleaner.label_issues_["label_quality"], expected, rtol=1e-4)


def test_forget_rate_and_threshold_rules(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    cleaner = fast_filter(forget_rate=0.15)
    cleaner.fit_resample(X, y_noisy)
    report = cleaner.label_issues_
    flagged = report["is_label_issue"].to_numpy()
    assert flagged.sum() == int(0.15 * len(y_noisy))
    # The flagged rows are the lowest-quality ones.
    quality = report["label_quality"].to_numpy()
    assert quality[flagged].max() <= quality[~flagged].min()
    cleaner = fast_filter(threshold=0.3)
    cleaner.fit_resample(X, y_noisy)
    report = cleaner.label_issues_
    np.testing.assert_array_equal(report["is_label_issue"], report["label_quality"] < 0.3)


def test_relabel_corrects_confident_rows(noisy_digits):
    X, y, y_noisy, corrupted = noisy_digits
    cleaner = fast_filter(forget_rate=0.2, action="relabel", relabel_confidence=0.5,
                          estimator=small_classifier(max_epochs=15))
    X_res, y_res = cleaner.fit_resample(X, y_noisy)
    kept = cleaner.sample_indices_
    report = cleaner.label_issues_
    flagged = report["is_label_issue"].to_numpy()
    relabelled = flagged[kept]
    # Most flagged rows are confident enough to be relabelled (329 of 359); the others
    # are dropped, and they are the only rows missing.
    assert relabelled.sum() > 0.8 * flagged.sum()
    assert len(y_res) == len(y_noisy) - (flagged.sum() - relabelled.sum())
    assert X_res.shape[0] == len(y_res)
    # Relabelled rows carry the predicted label, and it is mostly the true one (93 %),
    # where their given labels mostly were not.
    np.testing.assert_array_equal(
        y_res[relabelled], report["predicted_label"].to_numpy()[kept][relabelled]
    )
    # The recipe of fit's docstring gives the same labels from the report alone.
    recipe = np.where(report.is_label_issue, report.predicted_label, report.given_label)
    np.testing.assert_array_equal(y_res, recipe[kept])
    assert (y_res[relabelled] == y[kept][relabelled]).mean() > 0.85
    assert (y_noisy[kept][relabelled] == y[kept][relabelled]).mean() < 0.2


def test_pandas_in_pandas_out_keeps_the_index():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    y_noisy, _ = symmetric_noise(y, 0.2, random_state=0)
    index = pd.Index(np.arange(1000, 1300), name="row_id")
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)], index=index)
    y_s = pd.Series(np.where(y_noisy == 1, "yes", "no"), index=index, name="label")
    X_res, y_res = fast_filter().fit_resample(X_df, y_s)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == list(X_df.columns)
    assert y_res.name == "label"
    assert X_res.index.equals(y_res.index)
    assert X_res.index.isin(index).all() and len(X_res) == 300 - int(0.1 * 300)
    assert set(y_res) <= {"yes", "no"}


def test_sampling_strategy_limits_the_cleaned_classes(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    cleaner = fast_filter(forget_rate=0.2, sampling_strategy=[3, 5])
    cleaner.fit_resample(X, y_noisy)
    flagged = cleaner.label_issues_["is_label_issue"].to_numpy()
    assert set(np.unique(y_noisy[flagged])) <= {3, 5}
    assert flagged.sum() == int(0.2 * np.isin(y_noisy, [3, 5]).sum())


def test_out_of_fold_scores_with_any_classifier(noisy_digits):
    X, _, y_noisy, corrupted = noisy_digits
    cleaner = NoisyLabelFilter(
        estimator=LogisticRegression(max_iter=300), cv=3, forget_rate=0.2, random_state=0
    )
    cleaner.fit_resample(X, y_noisy)
    assert len(cleaner.estimators_) == 3 and cleaner.estimator_ is None
    flagged = cleaner.label_issues_["is_label_issue"].to_numpy()
    assert corrupted[flagged].mean() > 0.7


def adult_encoder():
    return make_column_transformer(
        (StandardScaler(), ["age", "education_num", "capital_gain", "capital_loss",
                            "hr_per_week"]),
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=10),
         ["type_employer", "marital", "occupation", "relationship", "sex"]),
    )


def test_pipeline_estimator_and_imblearn_pipeline_in_grid_search():
    frame = pd.read_csv(DATA / "adult_sample.csv")
    y = frame.pop("income")
    y_noisy = pd.Series(symmetric_noise(y, 0.2, random_state=0)[0], index=y.index)
    X_train, X_test, y_train, y_test = frame[:600], frame[600:], y_noisy[:600], y[600:]
    # The filter gets the raw table: its estimator is a Pipeline that encodes it.
    estimator = make_pipeline(adult_encoder(), small_classifier())
    model = make_imblearn_pipeline(
        NoisyLabelFilter(estimator=estimator, forget_rate=0.1, averaging_epochs=2,
                         random_state=0),
        adult_encoder(),
        LogisticRegression(max_iter=500),
    )
    search = GridSearchCV(
        model, {"noisylabelfilter__forget_rate": [0.05, 0.2]}, cv=2, n_jobs=2,
        error_score="raise",
    )
    search.fit(X_train, y_train)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The searched forget rate reached the refitted filter, which removed that many rows.
    rate = search.best_params_["noisylabelfilter__forget_rate"]
    refitted = search.best_estimator_[0]
    assert refitted.forget_rate == rate
    assert len(refitted.sample_indices_) == 600 - int(rate * 600)
    # On the clean test labels the model beats predicting the majority class ("<=50K",
    # 71 % of the test rows) by a wide margin, and cleaning costs the logistic regression
    # nothing: 0.83 here against 0.71 and 0.82 (0.78-0.83 over noise seeds, at least
    # 0.07 above the majority class and never below the unfiltered regression).
    score = search.score(X_test, y_test)
    majority = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    unfiltered = make_pipeline(adult_encoder(), LogisticRegression(max_iter=500))
    assert score > majority.score(X_test, y_test) + 0.06
    assert score > unfiltered.fit(X_train, y_train).score(X_test, y_test) - 0.02
    # At predict time the sampler does nothing: all rows get a prediction.
    assert len(search.predict(X_test)) == len(X_test)


def test_errors_are_named():
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(TypeError, match="must be an AntidoteClassifier or a Pipeline ending"):
        NoisyLabelFilter(estimator=LogisticRegression()).fit_resample(X, y)
    with pytest.raises(ValueError, match="forget_rate"):
        NoisyLabelFilter(forget_rate=1.5).fit_resample(X, y)
    with pytest.raises(ValueError, match="action"):
        NoisyLabelFilter(action="drop").fit_resample(X, y)
    with pytest.raises(ValueError):
        NoisyLabelFilter(forget_rate=0.1).fit_resample(X, np.zeros(60))


def test_pair_noise_is_found(noisy_digits):
    X, _, _, _ = noisy_digits
    y = load_digits().target
    y_noisy, corrupted = pair_noise(y, 0.3, random_state=1)
    cleaner = NoisyLabelFilter(
        estimator=small_classifier(hidden_layer_sizes=(128,), max_epochs=20, warmup_epochs=4),
        forget_rate=0.3,
        random_state=0,
    )
    cleaner.fit_resample(X, y_noisy)
    flagged = cleaner.label_issues_["is_label_issue"].to_numpy()
    assert corrupted[flagged].mean() > 0.8


class _TrainingCounter(Callback):
    """Appends to ``TRAININGS`` at the start of every training run.

    Module-global for the same reason as ``RECORDED``: the filter clones its estimator.
    """

    def on_train_begin(self, net, **kwargs):
        TRAININGS.append(len(net.history))


TRAININGS = []


@pytest.fixture(scope="module")
def small_noisy():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    y_noisy, corrupted = symmetric_noise(y, 0.2, random_state=0)
    return X.astype(np.float32), y_noisy, corrupted


def counted_filter(**params):
    estimator = small_classifier(max_epochs=4, callbacks=[_TrainingCounter()])
    return fast_filter(estimator=estimator, **params)


def test_fit_is_the_report_and_fit_resample_trains_once(small_noisy):
    X, y, _ = small_noisy
    reporter = counted_filter()
    with pytest.raises(NotFittedError):
        check_is_fitted(reporter)
    TRAININGS.clear()
    assert reporter.fit(X, y) is reporter
    assert len(TRAININGS) == 1
    check_is_fitted(reporter)
    report = reporter.label_issues_
    assert len(report) == len(y) and report["is_label_issue"].sum() == int(0.1 * len(y))
    assert reporter.noise_rate_ == pytest.approx(
        (report["predicted_label"] != report["given_label"]).mean()
    )
    np.testing.assert_array_equal(
        reporter.sample_indices_, np.flatnonzero(~report["is_label_issue"])
    )
    assert reporter.estimator_.n_iter_ == 4 and reporter.estimators_ is None
    np.testing.assert_array_equal(reporter.classes_, [0, 1, 2])

    # fit_resample on a fresh filter: one training run, fit's report, and fit's kept rows.
    TRAININGS.clear()
    resampler = counted_filter()
    X_res, y_res = resampler.fit_resample(X, y)
    assert len(TRAININGS) == 1
    pd.testing.assert_frame_equal(resampler.label_issues_, report)
    np.testing.assert_array_equal(resampler.pred_probs_, reporter.pred_probs_)
    np.testing.assert_array_equal(X_res, X[reporter.sample_indices_])
    np.testing.assert_array_equal(y_res, y[reporter.sample_indices_])

    # fit then fit_resample trains again, as the docstring says (it is a fitting method).
    TRAININGS.clear()
    reporter.fit_resample(X, y)
    assert len(TRAININGS) == 1
    pd.testing.assert_frame_equal(reporter.label_issues_, report)


def test_pred_probs_for_cleanlab(small_noisy):
    from cleanlab.filter import find_label_issues

    X, y, _ = small_noisy
    labels = np.array(["cat", "dog", "emu"])[y]
    reporter = fast_filter(estimator=small_classifier(max_epochs=4)).fit(X, labels)
    np.testing.assert_array_equal(reporter.classes_, ["cat", "dog", "emu"])
    probs = reporter.pred_probs_
    assert probs.shape == (len(y), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    report = reporter.label_issues_
    np.testing.assert_array_equal(
        reporter.classes_[probs.argmax(axis=1)], report["predicted_label"]
    )
    # Integer labels 0..K-1 in the order of classes_, as the docstring says.
    codes = np.searchsorted(reporter.classes_, labels)
    np.testing.assert_allclose(probs[np.arange(len(y)), codes], report["label_quality"])
    # cleanlab's "predicted_neq_given" is the filter's forget_rate="auto".
    flags = find_label_issues(codes, probs, filter_by="predicted_neq_given")
    np.testing.assert_array_equal(
        flags, report["predicted_label"] != report["given_label"]
    )
    assert find_label_issues(codes, probs).shape == (len(y),)


def test_plain_scikit_learn_pipeline_error_is_the_documented_one(small_noisy):
    X, y, _ = small_noisy
    model = make_pipeline(fast_filter(), LogisticRegression())
    with pytest.raises(TypeError, match="should be transformers"):
        model.fit(X, y)


def test_input_errors_are_the_classifier_s():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"age": rng.integers(20, 60, 40), "job": ["Private", "State"] * 20}
    )
    y = np.arange(40) % 2
    for jobs in (frame, frame.astype({"job": "category"})):
        with pytest.raises(ValueError, match=r"non-numeric columns \['job'\]") as error:
            fast_filter().fit_resample(jobs, y)
        assert "OneHotEncoder" in str(error.value)
        assert "NoisyLabelFilter(estimator=make_pipeline(" in str(error.value)
    # The same frame passes once the estimator encodes it.
    encoder = make_column_transformer(
        (OneHotEncoder(sparse_output=False), ["job"]), remainder=StandardScaler()
    )
    encoding = fast_filter(estimator=make_pipeline(encoder, small_classifier(max_epochs=3)))
    assert len(encoding.fit_resample(frame, y)[0]) == 40 - 4

    X = rng.normal(size=(40, 3))
    missing = r"1 missing labels \(None or NaN\), first at position 2"
    for labels in (
        [0, 1, None] + [0, 1] * 18 + [1],
        np.r_[0.0, 1.0, np.nan, np.arange(37) % 2],
        pd.Categorical(["a", "b", None] + ["a", "b"] * 18 + ["a"]),
    ):
        with pytest.raises(ValueError, match=missing):
            fast_filter().fit(X, labels)


def _recording_rows(toarray, densified):
    """``toarray`` that appends the number of rows it densifies to ``densified``."""

    def recorded(matrix, *args, **kwargs):
        densified.append(matrix.shape[0])
        return toarray(matrix, *args, **kwargs)

    return recorded


def test_sparse_one_hot_pipeline_inside_the_filter(monkeypatch):
    frame = pd.read_csv(DATA / "adult_sample.csv")[:300]
    y = frame.pop("income")
    categorical = ["type_employer", "marital", "occupation", "relationship", "sex"]

    def scorer(sparse_output):
        encoder = ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=sparse_output),
              categorical),
             ("num", StandardScaler(), ["age", "education_num", "hr_per_week"])],
            sparse_threshold=1.0,
        )
        # Scoring batches of 100 rows (1,024 by default, more than the data has).
        classifier = small_classifier(max_epochs=4, iterator_valid__batch_size=100)
        return make_pipeline(encoder, classifier)

    densified = []
    for matrix_type in (sparse.csr_matrix, sparse.csr_array):
        monkeypatch.setattr(
            matrix_type, "toarray", _recording_rows(matrix_type.toarray, densified)
        )
    sparse_filter = fast_filter(estimator=scorer(sparse_output=True)).fit(frame, y)
    assert sparse.issparse(sparse_filter.estimator_[:-1].transform(frame))
    # The network densified the one-hot rows a batch (64 rows in training, 100 in
    # scoring) at a time, never all 300.
    assert densified and max(densified) <= 100
    # ... and found what it finds on the same rows made dense first.
    dense_filter = fast_filter(estimator=scorer(sparse_output=False)).fit(frame, y)
    pd.testing.assert_frame_equal(sparse_filter.label_issues_, dense_filter.label_issues_)

    # A bare sparse matrix reaches the classifier sparse, and its kept rows come back as
    # CSR (COO rows cannot be selected), the same as for the dense matrix.
    X, labels = make_classification(n_samples=120, n_features=8, random_state=0)
    X[np.abs(X) < 1] = 0
    X_res, y_res = fast_filter().fit_resample(sparse.coo_matrix(X), labels)
    X_dense_res, y_dense_res = fast_filter().fit_resample(X, labels)
    assert sparse.isspmatrix_csr(X_res)
    np.testing.assert_allclose(X_res.toarray(), X_dense_res)
    np.testing.assert_array_equal(y_res, y_dense_res)


Y_CONTAINERS = {
    "int32 array": lambda y: y.astype(np.int32),
    "string array": lambda y: np.array(["ant", "bee", "cow"])[y],
    "list": lambda y: np.array(["ant", "bee", "cow"])[y].tolist(),
    "Series": lambda y: pd.Series(y, index=np.arange(500, 500 + len(y)), name="label"),
    "categorical Series": lambda y: pd.Series(
        pd.Categorical.from_codes(y, ["ant", "bee", "cow", "dog"], ordered=True),
        index=np.arange(500, 500 + len(y)), name="label",
    ),
    "Categorical": lambda y: pd.Categorical.from_codes(y, ["ant", "bee", "cow", "dog"]),
    "DataFrame column": lambda y: pd.DataFrame({"label": y}),
    "nullable Int64 Series": lambda y: pd.Series(y, dtype="Int64", name="label"),
    "column vector": lambda y: y.reshape(-1, 1),
}


@pytest.mark.parametrize("container", list(Y_CONTAINERS))
def test_y_comes_back_in_its_own_type(small_noisy, container):
    X, y, _ = small_noisy
    given = Y_CONTAINERS[container](y)
    cleaner = fast_filter(
        estimator=small_classifier(max_epochs=4), forget_rate="auto", action="relabel",
        relabel_confidence=0.0,
    )
    _, y_res = cleaner.fit_resample(X, given)
    kept = cleaner.sample_indices_
    report = cleaner.label_issues_
    # Every flagged row is predicted as another class and relabelled (confidence 0), so
    # all rows are kept and some labels change.
    assert len(kept) == len(y)
    expected = np.where(report.is_label_issue, report.predicted_label, report.given_label)
    assert (expected != report["given_label"]).any()
    assert type(y_res) is type(given)
    if isinstance(given, pd.DataFrame):
        pd.testing.assert_index_equal(y_res.columns, given.columns)
        assert (y_res.dtypes == given.dtypes).all()
        np.testing.assert_array_equal(y_res["label"], expected)
        return
    if isinstance(given, list):
        assert y_res == expected[kept].tolist()
        return
    assert y_res.dtype == given.dtype
    if isinstance(given, pd.Series):
        assert y_res.name == "label"
        pd.testing.assert_index_equal(y_res.index, given.index[kept])
    if isinstance(given, np.ndarray):
        assert y_res.ndim == 1  # a column vector comes back 1-D, as imblearn's samplers do
    np.testing.assert_array_equal(np.asarray(y_res), expected[kept])


@pytest.mark.parametrize("dtype", ["boolean", "category", "bool"])
def test_boolean_labels_come_back_as_the_same_booleans(small_noisy, dtype):
    """Validation turns booleans into 0.0 and 1.0; the caller gets its own values back,
    relabelled rows included (a nullable boolean Series once raised a TypeError)."""
    X, y, _ = small_noisy
    given = pd.Series(y > 0, dtype=dtype, index=np.arange(len(y))[::-1], name="label")
    cleaner = fast_filter(
        estimator=small_classifier(max_epochs=4), action="relabel", relabel_confidence=0.0
    )
    _, y_res = cleaner.fit_resample(X, given)
    report = cleaner.label_issues_
    relabelled = report.is_label_issue.to_numpy()
    assert relabelled.any()
    assert y_res.dtype == given.dtype
    assert not y_res.isna().any()
    pd.testing.assert_index_equal(y_res.index, given.index)
    expected = np.where(relabelled, ~(y > 0), y > 0)
    np.testing.assert_array_equal(y_res.to_numpy(dtype=bool), expected)


def test_a_class_whose_every_row_is_flagged_is_named(small_noisy):
    """Cleaning may drop a class altogether: right for a typo, wrong for a real class, so
    the filter says so, naming the class; and it says nothing when every class keeps rows."""
    X, y, _ = small_noisy
    y = y.copy()
    y[[0, 1]] = 7  # a label given by mistake to two rows, each like the rows of another
    cleaner = fast_filter(estimator=small_classifier(max_epochs=8), forget_rate="auto")
    with pytest.warns(UserWarning, match=r"Every row labelled 7 \(2 rows\) was flagged"):
        _, y_res = cleaner.fit_resample(X, y)
    assert 7 not in y_res
    assert cleaner.label_issues_.loc[[0, 1], "is_label_issue"].all()
    # Left out of the cleaning, the class keeps its rows, and nothing is said.
    kept = fast_filter(
        estimator=small_classifier(max_epochs=8), forget_rate="auto",
        sampling_strategy=[0, 1, 2],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, y_res = kept.fit_resample(X, y)
    assert (y_res == 7).sum() == 2
    assert not [w for w in caught if "Every row labelled" in str(w.message)]


def test_warnings_through_an_imblearn_pipeline_point_at_the_users_line(small_noisy):
    X, y, _ = small_noisy
    y = y.copy()
    y[[0, 1]] = 7  # a class every row of which is flagged: the filter warns
    pipe = make_imblearn_pipeline(
        fast_filter(estimator=small_classifier(max_epochs=8), forget_rate="auto"),
        LogisticRegression(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit(X, y)
    emptied = [w for w in caught if "Every row labelled" in str(w.message)]
    assert emptied and {w.filename for w in emptied} == {__file__}


CHECKED = fast_filter()


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: {})
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@parametrize_with_imblearn_checks([CHECKED])
def test_imbalanced_learn_checks(estimator, check):
    check(estimator)


def test_default_filter_estimates_the_rate_and_finds_most_wrong_labels():
    """Told no rate, the scoring network estimates it; at 40 % noise it still finds them."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y_noisy, corrupted = symmetric_noise(y, 0.4, random_state=1)
    # The default estimator is told no rate (checked on a few rows: 100 epochs).
    default = NoisyLabelFilter(random_state=0).fit(X[:300], y_noisy[:300])
    assert default.estimator_.forget_rate == "auto"
    assert 0.0 < default.estimator_.noise_rate_ < 0.9
    # A smaller network, also told no rate, on all rows.
    estimator = AntidoteClassifier(hidden_layer_sizes=(128,), max_epochs=40, lr=3e-3,
                                   random_state=0)
    with warnings.catch_warnings():
        # At 40 % noise a hard class may be predicted as another for half its rows.
        warnings.simplefilter("ignore", UserWarning)
        cleaner = NoisyLabelFilter(estimator, random_state=0).fit(X, y_noisy)
    assert cleaner.estimator_.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.05)
    flagged = cleaner.label_issues_["is_label_issue"].to_numpy()
    assert flagged[corrupted].mean() > 0.95  # recall
    assert corrupted[flagged].mean() > 0.9  # precision


def test_random_state_seeds_an_unseeded_estimator_and_keeps_a_seeded_one(noisy_digits):
    X, _, y_noisy, _ = noisy_digits
    X, y_noisy = X[:300], y_noisy[:300]
    unseeded = make_pipeline(StandardScaler(), small_classifier(random_state=None))

    def scores(estimator, random_state):
        cleaner = fast_filter(estimator=estimator, random_state=random_state)
        return cleaner.fit(X, y_noisy).pred_probs_

    np.testing.assert_array_equal(scores(unseeded, 0), scores(unseeded, 0))
    assert unseeded[-1].random_state is None  # the given estimator is not modified
    seeded = make_pipeline(StandardScaler(), small_classifier(random_state=3))
    np.testing.assert_array_equal(scores(unseeded, 3), scores(seeded, 0))
    assert not np.array_equal(scores(unseeded, 0), scores(unseeded, 3))


def test_auto_warns_when_most_flags_are_rows_the_network_hesitates_on(noisy_digits):
    # Features that say nothing of the labels: the network predicts another class than
    # the label for most rows without being sure of any.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 5)).astype(np.float32), rng.integers(0, 3, 300)
    cleaner = fast_filter(estimator=small_classifier(forget_rate="auto"), forget_rate="auto")
    with pytest.warns(UserWarning, match=r"flagged .*confident of another class for only"):
        cleaner.fit(X, y)
    assert cleaner.noise_rate_ > 0.4 and cleaner.estimator_.noise_rate_ < 0.1
    # Where the flags are what the network is sure of, no such warning.
    X, _, y_noisy, _ = noisy_digits
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fast_filter(estimator=small_classifier(max_epochs=40), forget_rate="auto").fit(
            X[:600], y_noisy[:600]
        )
    assert not [w for w in caught if "hesitates on" in str(w.message)]
