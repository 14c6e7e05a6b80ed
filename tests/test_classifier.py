"""Tests of AntidoteClassifier (skantidote.classifier)."""

import math
import pickle
import re
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits, make_blobs
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import EpochScoring
from torch import nn

from skantidote.classifier import AntidoteClassifier
from skantidote.loss import AntidoteLoss
from skantidote.modules import CNN, MLP
from skantidote.noise import symmetric_noise

# The tests' own data (see data/README.md), found wherever pytest is started from.
DATA = Path(__file__).parent / "data"

# Small and quick, yet accurate enough for scikit-learn's checks (e.g. > 0.83 training
# accuracy in check_classifiers_train).
FAST = dict(hidden_layer_sizes=(32,), max_epochs=20, warmup_epochs=2, lr=0.01, random_state=0)


_WEIGHTS_ARE_NOT_REPEATS = (
    "each minibatch normalises its own sample weights, so weighting cannot equal repeating "
    "rows exactly"
)


@parametrize_with_checks(
    [AntidoteClassifier(**FAST)],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_ARE_NOT_REPEATS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_ARE_NOT_REPEATS,
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=240, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float64), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def fast(**params):
    return AntidoteClassifier(**{**FAST, **params})


# ----------------------------------------------------------------------------------
# basic behaviour
# ----------------------------------------------------------------------------------


def test_fit_predict_proba(blobs):
    X, y = blobs
    clf = fast().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert clf.score(X, y) > 0.9
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.n_features_in_ == 4
    assert clf.n_iter_ == 20
    assert isinstance(clf.net_.module_, MLP)
    assert next(clf.net_.module_.parameters()).dtype == torch.float32


def test_softmax_applied_exactly_once(blobs):
    X, y = blobs
    clf = fast(max_epochs=3).fit(X, y)
    module = clf.net_.module_.eval()
    with torch.no_grad():
        logits = module(torch.as_tensor(X, dtype=torch.float32)).double()
    np.testing.assert_allclose(clf.predict_proba(X), torch.softmax(logits, 1).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "emu"]),
        np.array([-7, 3, 100]),
        pd.Categorical(["b", "c", "a"], categories=["c", "b", "a"]),
    ],
    ids=["strings", "gapped-ints", "categorical"],
)
def test_label_encoding(blobs, labels):
    X, y = blobs
    y_named = np.asarray(labels)[y]
    if isinstance(labels, pd.Categorical):
        y_named = pd.Series(pd.Categorical(y_named, categories=labels.categories))
    clf = fast(max_epochs=5).fit(X, y_named)
    np.testing.assert_array_equal(clf.classes_, np.sort(np.asarray(labels)))
    pred = clf.predict(X)
    assert set(pred) <= set(np.asarray(labels))
    assert np.mean(pred == np.asarray(y_named)) > 0.9


def test_binary(blobs):
    X, y = blobs
    mask = y < 2
    y_binary = np.where(y[mask] == 1, "yes", "no")
    clf = fast(max_epochs=5).fit(X[mask], y_binary)
    assert clf.predict_proba(X).shape == (len(X), 2)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    # Two well-separated blobs of 80 rows each: the majority class scores 0.5.
    assert clf.score(X[mask], y_binary) > 0.95


def test_feature_names(blobs):
    X, y = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = fast(max_epochs=2).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_one_class_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes, got 1 class"):
        fast().fit(X, np.zeros(len(X)))


# ----------------------------------------------------------------------------------
# diagnostics
# ----------------------------------------------------------------------------------


def test_history(blobs):
    X, y = blobs
    # A given rate: on these clean blobs "auto" estimates 0 and does not reweight.
    clf = fast(max_epochs=6, warmup_epochs=2, forget_rate=0.2).fit(X, y)
    history = pd.DataFrame(clf.history_)
    assert list(history["epoch"]) == [1, 2, 3, 4, 5, 6]
    assert list(history["warmup"]) == [True, True, False, False, False, False]
    assert history.loc[:1, ["lambda", "tau"]].isna().all().all()
    assert (history.loc[2:, "tau"] > 0).all() and (history.loc[2:, "lambda"] >= 0).all()
    assert history["forgotten"].between(0, 1).all()
    assert (history.loc[:1, "forgotten"] == 0).all()
    assert "valid_loss" not in history
    assert all(isinstance(v, float) for v in history["train_loss"])


def test_sample_weights_flag_noisy_rows(digits):
    X, y = digits
    y_noisy, is_noisy = symmetric_noise(y, 0.3, random_state=0)
    clf = AntidoteClassifier(forget_rate=0.3, max_epochs=15, random_state=0).fit(X, y_noisy)
    weights = clf.sample_weights_
    assert weights.shape == (len(X),) and (weights >= 0).all()
    assert weights.mean() == pytest.approx(1.0, rel=1e-4)
    assert weights[is_noisy].mean() < 0.3 < 1.2 < weights[~is_noisy].mean()
    # The weights are the loss's optimal weights of the final model's losses.
    with torch.no_grad():
        logits = clf.net_.module_.eval()(torch.as_tensor(X, dtype=torch.float32))
        losses = nn.functional.cross_entropy(logits, torch.as_tensor(y_noisy), reduction="none")
    expected = AntidoteLoss(forget_rate=0.3).weights(losses).numpy()
    np.testing.assert_allclose(weights, expected, rtol=1e-4, atol=1e-6)


def test_per_class_balls_keep_every_class_share(digits):
    X, y = digits
    # Noise on two classes only: a single ball forgets them far more than the rest.
    rng = np.random.default_rng(0)
    y_noisy = y.copy()
    flip = np.isin(y, [3, 8]) & (rng.random(len(y)) < 0.4)
    y_noisy[flip] = (y[flip] + 1) % 10
    params = dict(max_epochs=15, random_state=0)
    per_class = AntidoteClassifier(per_class=True, **params).fit(X, y_noisy)
    criterion = per_class.net_.criterion_
    assert criterion.per_class and len(criterion.radius) == 10
    # Each class's own estimated rate: the noisy labels' classes forget more.
    rates = dict(per_class.net_.callbacks_)["noise_rate"].class_rates_
    assert criterion.radius == pytest.approx([-math.log(1 - r) for r in rates])
    noisy_classes = [4, 9]  # where the flipped labels landed
    assert rates[noisy_classes].min() > np.delete(rates, noisy_classes).max()
    # Short of the truth by up to 0.15: the flipped rows come from classes the network is
    # sure of (3 and 8 keep their own rows), whose strict bar (their mean probability on
    # their own rows, about 0.99) the network reaches on only part of the flipped rows in
    # 15 epochs of standardised digits, which it partly memorises.
    for k in noisy_classes:
        true_rate = flip[y_noisy == k].mean()
        assert true_rate - 0.15 < rates[k] <= true_rate + 0.03
    # The weights keep every class's share: mean 1 within each class.
    weights = per_class.sample_weights_
    for k in range(10):
        assert weights[y_noisy == k].mean() == pytest.approx(1.0, rel=1e-6)
    assert weights[flip].mean() < 0.5 * weights[~flip].mean()
    # A given rate is the same in every class.
    given = AntidoteClassifier(per_class=True, forget_rate=0.2, **params).fit(X, y_noisy)
    assert given.net_.criterion_.per_class
    assert given.net_.criterion_.radius == pytest.approx(-math.log(0.8))


def test_forget_rate_and_delta_set_the_radius(blobs):
    X, y = blobs
    clf = fast(max_epochs=1, forget_rate=0.4).fit(X, y)
    assert clf.net_.criterion_.radius == pytest.approx(-math.log(0.6))
    clf = fast(max_epochs=1, forget_rate=0.4, delta=0.05).fit(X, y)
    assert clf.net_.criterion_.radius == pytest.approx(0.05)
    clf = fast(max_epochs=1, divergence="chi2", forget_rate=0.5).fit(X, y)
    assert clf.net_.criterion_.radius == pytest.approx(0.5)  # ((1/2)^-1 - 1) / 2


@pytest.mark.parametrize("params", [{"forget_rate": 0.0}, {"delta": 0.0}])
def test_zero_radius_is_cross_entropy(blobs, params):
    X, y = blobs
    clf = fast(max_epochs=4, **params).fit(X, y)
    history = pd.DataFrame(clf.history_)
    assert (history["forgotten"] == 0).all() and history["lambda"].isna().all()
    np.testing.assert_allclose(clf.sample_weights_, 1.0, rtol=1e-6)


# ----------------------------------------------------------------------------------
# reproducibility, persistence, continued training
# ----------------------------------------------------------------------------------


def test_reproducible_without_touching_global_rng(blobs):
    X, y = blobs
    np.random.seed(123)  # noqa: NPY002 (the global state is what is checked)
    torch.manual_seed(123)
    np_state = np.random.get_state()  # noqa: NPY002
    torch_state = torch.get_rng_state()
    p1 = fast(max_epochs=4, early_stopping=True).fit(X, y).predict_proba(X)
    p2 = fast(max_epochs=4, early_stopping=True).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    p3 = fast(max_epochs=4, early_stopping=True, random_state=1).fit(X, y).predict_proba(X)
    assert not np.allclose(p1, p3)
    # random_state=None: fresh seeds, still no global state used.
    fast(random_state=None, max_epochs=1).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002
    clf = fast(max_epochs=1).fit(X, y)
    clf.predict_proba(X)  # DataLoaders draw a seed even without shuffling
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_pickle_and_joblib_round_trip(blobs, tmp_path):
    X, y = blobs
    clf = fast(max_epochs=3).fit(X, y)
    expected = clf.predict_proba(X)
    clone_pickle = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone_pickle.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    clone_joblib = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(clone_joblib.predict_proba(X), expected)
    np.testing.assert_array_equal(clone_joblib.predict(X), clf.predict(X))


def test_warm_start_continues(blobs):
    X, y = blobs
    clf = fast(max_epochs=3, warm_start=True).fit(X, y)
    first = [p.detach().clone() for p in clf.net_.module_.parameters()]
    clf.fit(X, y)
    assert clf.n_iter_ == 6 and [r["epoch"] for r in clf.history_] == list(range(1, 7))
    after = clf.net_.module_.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(first, after, strict=True))
    # warmup_epochs=2 counts from the very first epoch.
    assert [r["warmup"] for r in clf.history_] == [True, True] + [False] * 4
    with pytest.raises(ValueError, match="labels not seen in the first fit"):
        clf.fit(X, y + 10)
    # Without warm_start, fit starts anew.
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.n_iter_ == 3


def test_partial_fit(blobs):
    X, y = blobs
    clf = fast()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    assert clf.n_iter_ == 1
    for _ in range(14):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 15 and clf.score(X, y) > 0.85
    assert clf.sample_weights_.shape == (len(X),)
    # A chunk with a single class is fine once the classes are known.
    clf.partial_fit(X[y == 1], y[y == 1])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="labels not seen"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="not in classes"):
        fast().partial_fit(X, y, classes=[0, 1])


# ----------------------------------------------------------------------------------
# sample weights
# ----------------------------------------------------------------------------------


def test_sample_weight_ones_equal_none(blobs):
    X, y = blobs
    p_none = fast(max_epochs=4).fit(X, y).predict_proba(X)
    p_ones = fast(max_epochs=4).fit(X, y, sample_weight=np.ones(len(X))).predict_proba(X)
    np.testing.assert_allclose(p_none, p_ones, atol=1e-6)


def test_zero_weight_rows_are_left_out(blobs):
    X, y = blobs
    weights = np.ones(len(X))
    weights[::3] = 0
    clf = fast(max_epochs=4).fit(X, y, sample_weight=weights)
    p_zero = clf.predict_proba(X)
    p_drop = fast(max_epochs=4).fit(X[weights > 0], y[weights > 0]).predict_proba(X)
    np.testing.assert_allclose(p_zero, p_drop, atol=1e-6)
    assert (clf.sample_weights_[weights == 0] == 0).all()
    assert clf.sample_weights_.shape == (len(X),)


def test_sample_weight_changes_the_fit(blobs):
    X, y = blobs
    weights = np.where(y == 0, 5.0, 1.0)
    p_plain = fast(max_epochs=4).fit(X, y).predict_proba(X)
    p_weighted = fast(max_epochs=4).fit(X, y, sample_weight=weights).predict_proba(X)
    assert p_weighted[:, 0].mean() > p_plain[:, 0].mean()


def test_metadata_routing_of_sample_weight(blobs):
    X, y = blobs
    weights = np.random.RandomState(0).uniform(0.1, 2.0, len(X))
    Xs = StandardScaler().fit_transform(X)
    expected = fast(max_epochs=3).fit(Xs, y, sample_weight=weights).predict_proba(Xs)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = fast(max_epochs=3).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), clf)
        pipe.fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(pipe.predict_proba(X), expected, atol=1e-6)
        scores = cross_validate(
            pipe, X, y, params={"sample_weight": weights}, cv=2,
            return_estimator=True, return_indices=True,
        )
    # score() got the test rows' weights: each fold's score is the weighted accuracy, which
    # differs from the plain one (3 epochs leave some rows misclassified in both folds).
    folds = zip(scores["estimator"], scores["indices"]["test"], scores["test_score"], strict=True)
    for fitted, test, score in folds:
        predicted = fitted.predict(X[test])
        weighted = accuracy_score(y[test], predicted, sample_weight=weights[test])
        assert score == pytest.approx(weighted)
        assert score != pytest.approx(accuracy_score(y[test], predicted))
        assert score > 0.7  # three balanced blobs: the majority class scores 1/3


# ----------------------------------------------------------------------------------
# modules, optimizers, devices
# ----------------------------------------------------------------------------------


def test_cnn_on_digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16  # images: scale the pixels, not each pixel separately
    clf = AntidoteClassifier(
        "cnn", module__input_shape=(1, 8, 8), max_epochs=15, warmup_epochs=2, random_state=0
    ).fit(X[:600], y[:600])
    assert isinstance(clf.net_.module_, CNN)
    assert clf.score(X[600:900], y[600:900]) > 0.8


def test_cnn_needs_a_matching_input_shape(digits):
    X, y = digits
    with pytest.raises(ValueError, match="module__input_shape"):
        AntidoteClassifier("cnn").fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="holds 48 values per image but X has 64"):
        AntidoteClassifier("cnn", module__input_shape=(3, 4, 4)).fit(X[:50], y[:50])


class Linear(nn.Module):
    """A custom module whose sizes the classifier fills in."""

    def __init__(self, n_features, n_classes, scale=1.0):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)
        self.scale = scale

    def forward(self, X):
        return self.scale * self.linear(X)


def test_custom_module_class(blobs):
    X, y = blobs
    clf = fast(module=Linear, module__scale=2.0).fit(X, y)
    assert isinstance(clf.net_.module_, Linear) and clf.net_.module_.scale == 2.0
    assert clf.net_.module_.linear.in_features == 4
    assert clf.net_.module_.linear.out_features == 3
    assert clf.score(X, y) > 0.85


def test_custom_module_instance_is_copied(blobs):
    X, y = blobs
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    before = [p.detach().clone() for p in module.parameters()]
    clf = fast(module=module, max_epochs=3).fit(X, y)
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))
    assert clf.net_.module_ is not module
    p1 = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.fit(X, y).predict_proba(X), p1)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", torch.optim.RMSprop])
def test_optimizers(blobs, optimizer):
    X, y = blobs
    lr = 0.1 if optimizer == "sgd" else 0.01
    clf = fast(optimizer=optimizer, weight_decay=1e-4, lr=lr).fit(X, y)
    opt = clf.net_.optimizer_
    assert opt.param_groups[0]["weight_decay"] == 1e-4
    if optimizer == "sgd":
        assert opt.param_groups[0]["momentum"] == 0.9
    assert clf.score(X, y) > 0.85


def test_optimizer_kwargs(blobs):
    X, y = blobs
    clf = fast(optimizer="sgd", optimizer__momentum=0.5, max_epochs=2).fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["momentum"] == 0.5


def test_cosine_schedule(blobs):
    X, y = blobs
    clf = fast(max_epochs=4, lr=0.01).fit(X, y)
    # The last epoch ran at 0.01 * (1 + cos(3 pi / 4)) / 2.
    lr = clf.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.01 * (1 + math.cos(0.75 * math.pi)) / 2)
    clf = fast(max_epochs=4, lr=0.01, lr_schedule="constant").fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.01


def test_extra_callbacks(blobs):
    from skorch.callbacks import Callback

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            # Runs after the classifier's own per-epoch diagnostics were recorded.
            assert "forgotten" in net.history[-1]
            self.epochs_ += 1

    X, y = blobs
    first, second = CountEpochs(), CountEpochs()
    clf = fast(max_epochs=3, callbacks=[first, ("named", second)]).fit(X, y)
    assert first.epochs_ == 3 and second.epochs_ == 3
    assert "named" in dict(clf.net_.callbacks_)
    with pytest.raises(ValueError, match="callbacks must be a list of skorch Callback"):
        fast(callbacks=["print"]).fit(X, y)


def test_explicit_cpu_device(blobs):
    X, y = blobs
    clf = fast(device="cpu", max_epochs=1).fit(X, y)
    assert next(clf.net_.module_.parameters()).device.type == "cpu"


def test_diagnostics_are_read_once_per_epoch(blobs, monkeypatch):
    """Per-batch diagnostics stay tensors: the classifier reads them back once per epoch.

    On an accelerator every read of a device tensor (item, tolist, float, bool, cpu)
    waits for the device; count the reads made from the training code: the classifier,
    its engine and net, the row scores and the callbacks.
    """
    import sys
    from pathlib import Path

    import skantidote
    from skantidote import classifier, engine, net, row_scores

    training_code = {m.__file__ for m in (classifier, engine, net, row_scores)}
    training_code |= {str(p) for p in Path(skantidote.__file__).parent.glob("callbacks/*.py")}

    X, y = blobs
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__", "__int__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _original=original, _name=name, **kwargs):
            if sys._getframe(1).f_code.co_filename in training_code:
                reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    epochs = 6
    clf = fast(max_epochs=epochs, batch_size=16, warmup_epochs=1, forget_rate=0.2).fit(X, y)
    monkeypatch.undo()
    assert clf.history_[-1]["tau"] > 0
    # One tolist per reweighted epoch (the diagnostics), one transfer per epoch of the
    # noise estimate's counts, then one transfer of the final sample weights.
    assert sorted(reads) == sorted(
        ["cpu", "numpy"] * (epochs + 1) + ["tolist"] * (epochs - 1)
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda(blobs):
    X, y = blobs
    clf = fast(device="cuda", max_epochs=3, early_stopping=True).fit(X, y)
    assert next(clf.net_.module_.parameters()).device.type == "cuda"
    assert clf.score(X, y) > 0.9
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available")
def test_cuda_device_without_cuda(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="CUDA is not available here"):
        fast(device="cuda").fit(X, y)


def test_failed_fit_leaves_the_estimator_unfitted(blobs):
    from sklearn.exceptions import NotFittedError

    X, y = blobs
    clf = fast(module=Linear, module__bogus=1)  # Linear() rejects the argument
    with pytest.raises(TypeError, match="bogus"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_auto_device(blobs):
    X, y = blobs
    clf = fast(max_epochs=1).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(clf.net_.module_.parameters()).device.type == expected


# ----------------------------------------------------------------------------------
# early stopping, verbosity
# ----------------------------------------------------------------------------------


def test_early_stopping(blobs):
    X, y = blobs
    y_noisy, _ = symmetric_noise(y, 0.4, random_state=0)
    params = dict(forget_rate=0.0, early_stopping=True, validation_fraction=0.2,
                  lr_schedule="constant")
    clf = fast(max_epochs=300, n_iter_no_change=5, **params).fit(X, y_noisy)
    history = pd.DataFrame(clf.history_)
    assert {"valid_loss", "valid_acc"} <= set(history)
    best = clf.best_epoch_
    assert clf.n_iter_ < 300 and best == clf.n_iter_ - 5
    assert history["valid_loss"][best - 1] == pytest.approx(history["valid_loss"].min(), abs=1e-4)
    assert clf.net_.train_split is None  # the validation data are not kept
    # The best epoch's parameters were restored: the same as training just that long.
    short = fast(max_epochs=best, n_iter_no_change=1000, **params).fit(X, y_noisy)
    assert short.best_epoch_ == best
    np.testing.assert_allclose(short.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    assert fast(max_epochs=2).fit(X, y).best_epoch_ is None


def test_early_stopping_skips_the_warm_up_of_an_estimated_rate(digits):
    # With forget_rate="auto" the warm-up's validation objective is the criterion's at
    # the start rate (0.2), far below that at the clean labels' estimate which follows:
    # counted, the warm-up's last epoch stayed best and every clean fit stopped at
    # warm-up + patience, 2-6 points below the full run (suite, antidote_auto_es).
    X, y = digits
    clf = fast(max_epochs=30, warmup_epochs=5, n_iter_no_change=5, early_stopping=True)
    clf.fit(X, y)
    history = pd.DataFrame(clf.history_)
    warm_up = history["warmup"].astype(bool)
    reweighted = history.loc[~warm_up, "valid_loss"]
    assert history.loc[warm_up, "valid_loss"].min() < reweighted.min()
    assert clf.best_epoch_ > clf.warmup_epochs_
    assert history["valid_loss"][clf.best_epoch_ - 1] == pytest.approx(reweighted.min(), abs=1e-4)
    assert clf.n_iter_ > clf.warmup_epochs_ + clf.n_iter_no_change


def test_early_stopping_tiny_classes(blobs):
    X, y = blobs
    y = y.copy()
    y[0] = 3  # a class with a single row: no stratified split possible
    clf = fast(max_epochs=3, early_stopping=True).fit(X, y)
    assert "valid_loss" in clf.history_[0]


def test_verbose_prints_a_table(blobs, capsys):
    X, y = blobs
    fast(max_epochs=3, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "forgotten" in out and "tau" in out
    fast(max_epochs=3).fit(X, y)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------


def test_module_kwargs_are_parameters():
    clf = AntidoteClassifier(module__dropout=0.1, optimizer__momentum=0.5)
    params = clf.get_params()
    assert params["module__dropout"] == 0.1 and params["optimizer__momentum"] == 0.5
    cloned = clone(clf)
    assert cloned.get_params()["module__dropout"] == 0.1
    cloned.set_params(module__dropout=0.3, module__new=1, forget_rate=0.1)
    assert cloned.module__dropout == 0.3 and cloned.module__new == 1
    assert clf.module__dropout == 0.1
    assert "module__dropout=0.1" in repr(clf)
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(bogus=1)


def test_module_kwarg_reaches_the_module(blobs):
    X, y = blobs
    clf = fast(module__dropout=0.0, max_epochs=1).fit(X, y)
    assert not any(isinstance(m, nn.Dropout) for m in clf.net_.module_.modules())
    clf = fast(max_epochs=1).fit(X, y)  # default dropout=0.2
    assert any(isinstance(m, nn.Dropout) for m in clf.net_.module_.modules())


def _constraint(name, value):
    """scikit-learn's message for a parameter that breaks its declared constraint."""
    return rf"The '{name}' parameter of AntidoteClassifier must be .* Got {re.escape(repr(value))}"


@pytest.mark.parametrize(
    "params, match",
    [
        ({"forget_rate": 1.0}, _constraint("forget_rate", 1.0)),
        ({"forget_rate": -0.1}, _constraint("forget_rate", -0.1)),
        ({"delta": -1}, _constraint("delta", -1)),
        ({"kappa": float("nan")}, _constraint("kappa", float("nan"))),
        ({"alpha": 1}, _constraint("alpha", 1)),
        ({"dropout": 1}, _constraint("dropout", 1)),
        ({"divergence": "js"}, _constraint("divergence", "js")),
        ({"warmup_epochs": -1}, _constraint("warmup_epochs", -1)),
        ({"max_epochs": 0}, _constraint("max_epochs", 0)),
        ({"max_epochs": 2.5}, _constraint("max_epochs", 2.5)),
        ({"batch_size": 0}, _constraint("batch_size", 0)),
        ({"lr": 0}, _constraint("lr", 0)),
        ({"weight_decay": -1e-4}, _constraint("weight_decay", -1e-4)),
        ({"validation_fraction": 1.0}, _constraint("validation_fraction", 1.0)),
        ({"n_iter_no_change": 0}, _constraint("n_iter_no_change", 0)),
        ({"optimizer": "lbfgs"}, _constraint("optimizer", "lbfgs")),
        ({"optimizer": nn.Linear}, r"The 'optimizer' parameter .* Got <class"),
        ({"module": "resnet"}, _constraint("module", "resnet")),
        ({"module": 3}, _constraint("module", 3)),
        ({"criterion": "gce"}, _constraint("criterion", "gce")),
        ({"device": "gpu0"}, "device must be 'auto', 'cpu'"),
        ({"random_state": "seed"}, _constraint("random_state", "seed")),
        ({"early_stopping": "yes"}, _constraint("early_stopping", "yes")),
        ({"lr_schedule": "step"}, _constraint("lr_schedule", "step")),
        ({"verbose": -1}, _constraint("verbose", -1)),
        ({"callbacks": "log"}, _constraint("callbacks", "log")),
        ({"callbacks": [("warmup", EpochScoring("accuracy"))]}, "may not be named"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
        ({"modul__x": 1}, "unexpected parameter 'modul__x'"),
    ],
)
def test_invalid_parameters(blobs, params, match):
    X, y = blobs
    clf = AntidoteClassifier(**{**FAST, "max_epochs": 1, **params})
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_an_int_hidden_layer_sizes_is_one_hidden_layer(blobs):
    X, y = blobs
    clf = fast(hidden_layer_sizes=16, max_epochs=3, forget_rate=0.2).fit(X, y)
    widths = [m.out_features for m in clf.net_.module_.layers if isinstance(m, nn.Linear)]
    assert widths == [16, 3]
    assert clf.get_params()["hidden_layer_sizes"] == 16  # stored as given
    for bad in (0, -4, 2.5, "wide"):
        # The message says what is valid, naming the value.
        match = r"hidden_layer_sizes.* must be an array-like or an int in the range \[1, inf\)"
        with pytest.raises(ValueError, match=match + rf"\. Got {re.escape(repr(bad))}"):
            fast(hidden_layer_sizes=bad).fit(X, y)


# ----------------------------------------------------------------------------------
# sparse input
# ----------------------------------------------------------------------------------


def given_rate(**params):
    """``fast`` with a given forget rate: the sparse tests are about the input, not the
    noise-rate estimate (whose warnings short fits would raise)."""
    return fast(forget_rate=0.2, **params)


def _same_fit(sparse_clf, dense_clf, X_sparse, X_dense):
    """The two classifiers trained the same: same epochs, predictions and row weights."""
    assert [{**r, "dur": 0} for r in sparse_clf.history_] == [
        {**r, "dur": 0} for r in dense_clf.history_
    ]
    np.testing.assert_array_equal(sparse_clf.sample_weights_, dense_clf.sample_weights_)
    np.testing.assert_array_equal(
        sparse_clf.predict_proba(X_sparse), dense_clf.predict_proba(X_dense)
    )


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_trains_exactly_as_dense(blobs, fmt):
    X, y = blobs
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # a third of the entries are zeros
    weights = np.linspace(0.0, 2.0, len(X))  # the first row has weight 0: left out
    params = dict(max_epochs=4, early_stopping=True, validation_fraction=0.2)
    X_sparse = sparse.csr_matrix(X).asformat(fmt)
    sparse_clf = given_rate(**params).fit(X_sparse, y, weights)
    dense_clf = given_rate(**params).fit(X, y, weights)
    assert sparse_clf.n_features_in_ == 4 and sparse_clf.best_epoch_ is not None
    _same_fit(sparse_clf, dense_clf, X_sparse, X)
    assert sparse_clf.score(X_sparse, y) > 0.9


def test_sparse_warm_start_and_partial_fit_continue_as_dense(blobs):
    X, y = blobs
    X_sparse = sparse.csr_matrix(X)
    params = dict(max_epochs=2, warmup_epochs=1, warm_start=True)
    sparse_clf = given_rate(**params).fit(X_sparse, y).fit(X_sparse, y)
    dense_clf = given_rate(**params).fit(X, y).fit(X, y)
    _same_fit(sparse_clf, dense_clf, X_sparse, X)
    sparse_clf = given_rate().partial_fit(X_sparse[:100], y[:100], classes=[0, 1, 2])
    dense_clf = given_rate().partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    sparse_clf.partial_fit(X_sparse, y)
    dense_clf.partial_fit(X, y)
    _same_fit(sparse_clf, dense_clf, X_sparse, X)


def test_a_frame_of_sparse_columns_is_sparse_input(blobs):
    X, y = blobs
    frame = pd.DataFrame.sparse.from_spmatrix(sparse.csr_matrix(X), columns=list("abcd"))
    clf = given_rate(max_epochs=2, warmup_epochs=1).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, list("abcd"))
    _same_fit(clf, given_rate(max_epochs=2, warmup_epochs=1).fit(X, y), frame, X)


def test_the_whole_sparse_matrix_is_never_densified(monkeypatch):
    densified = []
    for matrix in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix):
        toarray = matrix.toarray

        def recording(self, *args, _toarray=toarray, **kwargs):
            densified.append(self.shape[0])
            return _toarray(self, *args, **kwargs)

        monkeypatch.setattr(matrix, "toarray", recording)
    X = sparse.random(2000, 50, density=0.05, format="csc", random_state=0)
    y = (X @ np.linspace(-1, 1, 50) > 0).astype(int)
    weights = np.ones(2000)
    weights[:100] = 0
    clf = given_rate(
        max_epochs=2, warmup_epochs=1, batch_size=64, early_stopping=True,
        iterator_valid__batch_size=100,
    )
    clf.fit(X, y, sample_weight=weights)
    clf.partial_fit(X, y)
    clf.predict_proba(X)
    # Training, validation, sample_weights_ and prediction batches: no more rows than a
    # minibatch at once.
    assert densified and max(densified) <= max(64, 100)


def test_non_numeric_columns_are_named():
    frame = pd.DataFrame({"age": [30.0, 40.0, 50.0, 60.0], "job": ["a", "b", "a", "b"]})
    with pytest.raises(ValueError, match=r"non-numeric columns \['job'\]"):
        fast().fit(frame, [0, 1, 0, 1])


# ----------------------------------------------------------------------------------
# scikit-learn tools
# ----------------------------------------------------------------------------------


def test_pipeline_with_column_transformer_on_adult():
    frame = pd.read_csv(DATA / "adult_sample.csv")
    y = frame.pop("income")
    categorical = frame.select_dtypes(exclude="number").columns
    numeric = frame.select_dtypes(include="number").columns

    def encoded(classifier):
        return make_pipeline(
            ColumnTransformer([
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ]),
            classifier,
        )

    pipe = encoded(AntidoteClassifier(
        hidden_layer_sizes=(32,), max_epochs=10, warmup_epochs=3, lr=0.01, random_state=0
    ))
    X_train, X_test, y_train, y_test = frame[:600], frame[600:], y[:600], y[600:]
    pipe.fit(X_train, y_train)
    assert set(pipe.classes_) == set(y)
    assert pipe.predict_proba(X_test).shape == (400, 2)
    # About 71 % of the test rows are "<=50K": the network must use the features, and
    # come close to a logistic regression on the same encoding (0.84; the net scores
    # 0.81-0.83 over seeds).
    majority = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    logistic = encoded(LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    score = pipe.score(X_test, y_test)
    assert score > majority.score(X_test, y_test) + 0.08
    assert score > logistic.score(X_test, y_test) - 0.05


def test_pipeline_with_a_sparse_one_hot_encoder_on_adult():
    frame = pd.read_csv(DATA / "adult_sample.csv")
    y = frame.pop("income")
    categorical = frame.select_dtypes(exclude="number").columns
    numeric = frame.select_dtypes(include="number").columns

    def encoded(**one_hot):
        return make_pipeline(
            ColumnTransformer([
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", **one_hot), categorical),
            ]),
            AntidoteClassifier(
                hidden_layer_sizes=(32,), max_epochs=10, warmup_epochs=3, lr=0.01,
                random_state=0,
            ),
        )

    X_train, X_test, y_train, y_test = frame[:600], frame[600:], y[:600], y[600:]
    pipe = encoded().fit(X_train, y_train)  # OneHotEncoder's default: sparse output
    assert sparse.issparse(pipe[0].transform(X_test))
    majority = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > majority.score(X_test, y_test) + 0.08
    dense = encoded(sparse_output=False).fit(X_train, y_train)
    np.testing.assert_array_equal(pipe.predict_proba(X_test), dense.predict_proba(X_test))


def test_grid_search_over_radius(blobs):
    X, y = blobs
    grid = GridSearchCV(
        fast(max_epochs=5),
        [{"forget_rate": [0.0, 0.2]}, {"delta": [0.1]}],
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 3
    assert grid.best_score_ > 0.9
    assert grid.best_estimator_.n_iter_ == 5


def test_cross_val_score(blobs):
    X, y = blobs
    scores = cross_val_score(fast(max_epochs=5), X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.9).all()


def _warning_files(fit) -> dict[str, set[str]]:
    """The files that the warnings of ``fit()`` point at, by the first words of each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    files: dict[str, set[str]] = {}
    for record in caught:
        files.setdefault(" ".join(str(record.message).split()[:4]), set()).add(record.filename)
    return files


def test_warnings_point_at_the_line_that_fits(blobs):
    X, y = blobs
    short = dict(max_epochs=3, warmup_epochs=2)  # 1 reweighted epoch: unsettled estimate
    unsettled = "The noise rate was"
    # The estimate's warnings (raised after fit's own code), through scikit-learn's fit
    # wrapper, a pipeline and cross_val_score (through joblib).
    assert _warning_files(lambda: fast(**short).fit(X, y))[unsettled] == {__file__}
    pipe = make_pipeline(StandardScaler(), fast(**short))
    assert _warning_files(lambda: pipe.fit(X, y))[unsettled] == {__file__}
    assert _warning_files(
        lambda: cross_val_score(fast(**short), X, y, cv=2)
    )[unsettled] == {__file__}
    # The engine's, from fit and from partial_fit.
    never = _warning_files(lambda: fast(max_epochs=2, warmup_epochs=2).fit(X, y))
    assert never["AntidoteClassifier trains max_epochs=2 epochs,"] == {__file__}
    instance = fast(module=nn.Linear(4, 3), module__in_features=4, module__out_features=3)
    copied = _warning_files(lambda: instance.partial_fit(X, y, classes=[0, 1, 2]))
    assert copied["module is an instance,"] == {__file__}


# ----------------------------------------------------------------------------------
# learning with noisy labels, end to end
# ----------------------------------------------------------------------------------


def test_beats_cross_entropy_under_symmetric_noise(digits):
    X, y = digits
    rng = np.random.RandomState(0)
    test = rng.rand(len(y)) < 0.3
    y_noisy, _ = symmetric_noise(y[~test], 0.4, random_state=0)
    params = dict(random_state=0)  # the defaults: 100 epochs
    antidote = AntidoteClassifier(forget_rate=0.4, **params).fit(X[~test], y_noisy)
    ce = AntidoteClassifier(forget_rate=0.0, **params).fit(X[~test], y_noisy)
    acc_antidote = antidote.score(X[test], y[test])
    acc_ce = ce.score(X[test], y[test])
    assert acc_antidote > 0.9
    assert acc_antidote > acc_ce + 0.1

