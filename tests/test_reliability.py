"""Reliability of AntidoteClassifier and NoisyLabelFilter: bad input, training faults,
persistence and property-based checks (issue 7).

The plain pickle/joblib round trip (identical predictions) is tested in
``tests/test_classifier.py::test_pickle_and_joblib_round_trip`` and not repeated here.
"""

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import Callback
from skorch.callbacks import EarlyStopping as SkorchEarlyStopping
from tiny_estimators import tiny

import skantidote
from skantidote import AntidoteClassifier, NoisyLabelFilter
from skantidote.classifier import NonFiniteLossError
from skantidote.loss import AntidoteLoss

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.randn(60) > 0).astype(int)
    return X, y


# ----------------------------------------------------------------------
# bad input: a ValueError naming the problem
# ----------------------------------------------------------------------


def _with(X, i, j, value):
    X = X.astype(np.float64)
    X[i, j] = value
    return X


BAD_INPUTS = {
    "nan_feature": (lambda X, y: (_with(X, 3, 1, np.nan), y), "contains NaN"),
    "inf_feature": (lambda X, y: (_with(X, 3, 1, np.inf), y), "infinity"),
    "nan_label": (
        lambda X, y: (X, np.where(np.arange(len(y)) == 5, np.nan, y)),
        r"1 missing labels \(None or NaN\), first at position 5",
    ),
    "none_label": (
        lambda X, y: (X, np.array([None if i == 5 else str(v) for i, v in enumerate(y)],
                                  dtype=object)),
        "missing labels",
    ),
    "object_column": (
        lambda X, y: (
            pd.DataFrame(X, columns=list("abcd")).assign(colour=["red", "blue"] * (len(y) // 2)),
            y,
        ),
        "'colour'",
    ),
    "empty": (lambda X, y: (X[:0], y[:0]), "0 sample"),
    "one_class": (lambda X, y: (X, np.zeros_like(y)), "at least 2 classes"),
    "mismatched_lengths": (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    "3d_input": (lambda X, y: (X[:, :, None], y), "dim 3"),
    "1d_input": (lambda X, y: (X[:, 0], y), "Expected 2D array"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_named_value_error(data, case):
    make, message = BAD_INPUTS[case]
    X, y = make(*data)
    with pytest.raises(ValueError, match=message):
        tiny().fit(X, y)


def test_bad_sample_weight(data):
    X, y = data
    with pytest.raises(ValueError, match="non-zero"):
        tiny().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="(?i)negative"):
        tiny().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="NaN"):
        tiny().fit(X, y, sample_weight=np.full(len(y), np.nan))


@pytest.mark.filterwarnings("ignore:X has feature names")
def test_bad_input_at_predict(data):
    X, y = data
    clf = tiny().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but AntidoteClassifier is expecting 4"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="dim 3"):
        clf.predict_proba(X[:, :, None])
    with pytest.raises(ValueError, match="contains NaN"):
        clf.predict(_with(X, 0, 0, np.nan))
    with pytest.raises(ValueError, match="'colour'"):
        clf.predict(pd.DataFrame(X[:, :3], columns=list("abc")).assign(colour="red"))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_class_with_a_single_row_is_allowed(data, early_stopping):
    # Allowed: the stratified validation split of early stopping falls back to a
    # random split, since a class with one row cannot be stratified.
    X, y = data
    y = y.copy()
    y[0] = 2
    clf = tiny(early_stopping=early_stopping, validation_fraction=0.2).fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 3) and np.isfinite(proba).all()


# ----------------------------------------------------------------------
# training faults
# ----------------------------------------------------------------------


class _ExplodeAt(Callback):
    """Set a huge learning rate from epoch ``at`` on, so that the loss overflows."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.at:
            for group in net.optimizer_.param_groups:
                group["lr"] = 1e30


class _PoisonAt(Callback):
    """Make the (monkeypatched) loss NaN from epoch ``at`` on."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, net, **kwargs):
        net.criterion_.poisoned = len(net.history) >= self.at


class _RecordParams(Callback):
    def __init__(self):
        self.states = {}

    def on_epoch_end(self, net, **kwargs):
        self.states[len(net.history)] = {
            k: v.detach().clone() for k, v in net.module_.state_dict().items()
        }


@pytest.mark.parametrize("where", ["batch_check", "epoch_check"])
def test_diverging_loss_names_the_epoch_and_keeps_last_finite_parameters(
    data, monkeypatch, where
):
    X, y = data
    recorder = _RecordParams()
    if where == "batch_check":
        # A huge step overflows the logits: AntidoteLoss's per-batch check (on by default
        # on the CPU) fails in the next batch.
        clf = tiny(optimizer="sgd", max_epochs=5, callbacks=[recorder, _ExplodeAt(3)])
    else:
        # As on CUDA, where AntidoteLoss does not check every batch: a NaN mean loss in an
        # epoch of a single batch is only seen by the check at the end of the epoch.
        forward = AntidoteLoss.forward

        def nan_forward(self, *args, **kwargs):
            loss = forward(self, *args, **kwargs)
            return loss * math.nan if getattr(self, "poisoned", False) else loss

        monkeypatch.setattr(AntidoteLoss, "forward", nan_forward)
        clf = tiny(optimizer="sgd", max_epochs=5, batch_size=len(y),
                   callbacks=[recorder, _PoisonAt(3)])
    with pytest.raises(NonFiniteLossError, match=r"not finite in epoch 3.*epoch 2.*[Ll]ower"):
        clf.fit(X, y)
    assert issubclass(NonFiniteLossError, ValueError)
    assert issubclass(NonFiniteLossError, FloatingPointError)
    # Usable, with the parameters of epoch 2.
    assert clf.n_iter_ == 2 and len(clf.history_) == 2
    for key, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, recorder.states[2][key])
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert np.isfinite(clf.sample_weights_).all()
    # A warm fit without the fault goes on from there.
    clf.set_params(warm_start=True)
    clf.net_.criterion_.poisoned = False
    faults = (_RecordParams, _ExplodeAt, _PoisonAt)
    clf.net_.callbacks_ = [cb for cb in clf.net_.callbacks_ if not isinstance(cb[1], faults)]
    clf.fit(X, y)
    assert clf.n_iter_ == 7 and np.isfinite(clf.predict_proba(X)).all()


def test_diverging_from_the_first_epoch_leaves_the_estimator_unfitted(data):
    X, y = data
    clf = tiny(optimizer="sgd", lr=1e30)
    with pytest.raises(NonFiniteLossError, match="epoch 1.*not trained.*lr=1e\\+29") as info:
        clf.fit(X, y)
    assert info.value.epoch == 1 and info.value.last_finite_epoch == 0
    assert not hasattr(clf, "net_")


class _InterruptAt(Callback):
    def __init__(self, at, mid_epoch=False):
        self.at = at
        self.mid_epoch = mid_epoch

    def on_epoch_end(self, net, **kwargs):
        if not self.mid_epoch and len(net.history) == self.at:
            raise KeyboardInterrupt

    def on_batch_end(self, net, training=False, **kwargs):
        if self.mid_epoch and training and len(net.history) == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("mid_epoch", [False, True])
def test_keyboard_interrupt_keeps_the_epochs_done(data, mid_epoch):
    X, y = data
    recorder = _RecordParams()
    clf = tiny(max_epochs=6, callbacks=[recorder, _InterruptAt(3, mid_epoch)])
    done = 2 if mid_epoch else 3  # an epoch interrupted half-way is rolled back
    with pytest.warns(UserWarning, match=f"stopped .* after {done} of its max_epochs=6"):
        clf.fit(X, y)
    assert clf.n_iter_ == done and [row["epoch"] for row in clf.history_] == [1, 2, 3][:done]
    for key, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, recorder.states[done][key])
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.sample_weights_.shape == (len(y),)


def test_keyboard_interrupt_in_the_first_epoch_propagates(data):
    X, y = data
    clf = tiny(callbacks=[_InterruptAt(1, mid_epoch=True)])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")
    # A refit on other data interrupted so leaves no model of the earlier fit behind,
    # which would no longer match the features it now expects.
    clf = tiny(max_epochs=2).fit(X[:, :2], y)
    clf.set_params(callbacks=[_InterruptAt(1, mid_epoch=True)])
    with pytest.raises(KeyboardInterrupt, match="the estimator is not fitted"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_") and not hasattr(clf, "n_features_in_")
    # A warm refit keeps its earlier training, and says so.
    # (The callback interrupts the third epoch: in the second fit.)
    warm = tiny(max_epochs=2, warm_start=True, callbacks=[_InterruptAt(3, mid_epoch=True)])
    warm.fit(X, y)
    with pytest.raises(KeyboardInterrupt, match="keeps its earlier training"):
        warm.fit(X, y)
    assert warm.n_iter_ == 2 and np.isfinite(warm.predict_proba(X)).all()


def test_early_stopping_is_no_interruption(data):
    X, y = data
    clf = tiny(max_epochs=60, early_stopping=True, n_iter_no_change=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert clf.n_iter_ < 60
    assert not [w for w in caught if "stopped (KeyboardInterrupt)" in str(w.message)]
    # skorch's own early stopping ends a fit as Ctrl-C does: no warning either.
    stopper = SkorchEarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stopped = tiny(max_epochs=30, callbacks=[stopper]).fit(X, y)
    assert stopped.n_iter_ < 30
    assert not [w for w in caught if "stopped (KeyboardInterrupt)" in str(w.message)]


@pytest.mark.parametrize(
    "params",
    [
        dict(delta=1e-8),
        dict(delta=50.0),
        dict(kappa=1e3),
        dict(divergence="alpha", alpha=1.01),
        dict(divergence="alpha", alpha=50.0),
    ],
    ids=["delta=1e-8", "delta=50", "kappa=1e3", "alpha=1.01", "alpha=50"],
)
def test_extreme_objective_parameters_train_without_nan(data, params):
    X, y = data
    clf = tiny(max_epochs=3, **params).fit(X, y)
    losses = [row["train_loss"] for row in clf.history_]
    assert np.isfinite(losses).all()
    assert np.isfinite(clf.predict_proba(X)).all()
    assert np.isfinite(clf.sample_weights_).all()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_mixed_precision_autocast_trains_without_nan(data, dtype):
    X, y = data
    with torch.autocast("cpu", dtype=dtype):
        clf = tiny(max_epochs=3).fit(X, y)
        proba = clf.predict_proba(X)
    assert np.isfinite([row["train_loss"] for row in clf.history_]).all()
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


# ----------------------------------------------------------------------
# persistence
# ----------------------------------------------------------------------


def test_model_saved_on_cuda_loads_on_a_cpu_only_machine(data, monkeypatch):
    """Simulation: a CPU-fitted net whose stored device says "cuda".

    skorch's ``NeuralNet.__setstate__`` maps the module, optimizer and criterion to the
    CPU (with a ``DeviceWarning``) when the stored device is CUDA and CUDA is not
    available. What this does not cover: the tensors here are CPU tensors, so the actual
    ``map_location`` of CUDA storages is exercised only on a machine with a GPU.
    """
    X, y = data
    clf = tiny(device="auto").fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"  # what a fit on a GPU stores
    blob = pickle.dumps(clf)
    clf.net_.device = "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = pickle.loads(blob)
    assert any("CUDA" in str(w.message) for w in caught)
    assert str(restored.net_.device) == "cpu"
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)


def test_saved_model_refuses_another_major_version(data, monkeypatch):
    X, y = data
    clf = tiny().fit(X, y)
    state = clf.__getstate__()
    assert state["_skantidote_version"] == skantidote.__version__
    # Saving does not change the estimator being saved.
    pickle.dumps(clf)
    assert "_skantidote_version" not in vars(clf)
    # Same major version: loads.
    same = AntidoteClassifier.__new__(AntidoteClassifier)
    same.__setstate__(dict(state))
    np.testing.assert_array_equal(same.predict(X), clf.predict(X))
    # Another major version: a clear error naming both versions.
    state["_skantidote_version"] = "99.0.0"
    other = AntidoteClassifier.__new__(AntidoteClassifier)
    with pytest.raises(RuntimeError, match=rf"saved with skantidote 99\.0\.0.*"
                                           rf"skantidote {skantidote.__version__}"):
        other.__setstate__(state)
    # Through pickle, as a user meets it.
    blob = pickle.dumps(clf)
    monkeypatch.setattr(skantidote.version, "__version__", "99.0.0")
    with pytest.raises(RuntimeError, match="major versions differ"):
        pickle.loads(blob)


# ----------------------------------------------------------------------
# property-based tests
# ----------------------------------------------------------------------


@st.composite
def small_problems(draw):
    n_classes = draw(st.integers(2, 4))
    n_per_class = draw(st.integers(2, 6))
    n_features = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.randn(len(y), n_features) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    labels = draw(st.sampled_from(["int", "str"]))
    if labels == "str":
        y = np.array([f"c{v}" for v in y])
    return X, y


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    problem=small_problems(),
    divergence=st.sampled_from(["kl", "alpha", "chi2"]),
    forget_rate=st.floats(0.0, 0.6),
    kappa=st.sampled_from([0.0, 0.1, 10.0]),
    batch_size=st.integers(1, 16),
)
def test_classifier_properties(problem, divergence, forget_rate, kappa, batch_size):
    X, y = problem
    clf = tiny(divergence=divergence, forget_rate=forget_rate, kappa=kappa,
               batch_size=batch_size, max_epochs=2)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    assert not np.isnan(proba).any()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert np.isfinite(clf.sample_weights_).all()


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    problem=small_problems(),
    forget_rate=st.one_of(st.just("auto"), st.floats(0.0, 0.5)),
    action=st.sampled_from(["remove", "relabel"]),
)
def test_filter_properties(problem, forget_rate, action):
    X, y = problem
    cleaner = NoisyLabelFilter(
        estimator=tiny(max_epochs=3), forget_rate=forget_rate, action=action,
        averaging_epochs=2, random_state=0,
    )
    X_res, y_res = cleaner.fit_resample(X, y)
    issues = cleaner.label_issues_
    assert len(issues) == len(y)
    quality = issues["label_quality"].to_numpy()
    assert np.isfinite(quality).all()
    assert np.isfinite(issues["sample_weight"].to_numpy()).all()
    assert set(issues["predicted_label"]) <= set(np.unique(y))
    assert set(np.unique(y_res)) <= set(np.unique(y))
    assert X_res.shape == (len(y_res), X.shape[1])
