"""The training engine shared by the estimators: warm-up length, callbacks, criteria."""

import copy
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from tiny_estimators import tiny

from skantidote import AntidoteClassifier
from skantidote.callbacks.warmup import default_warmup_epochs
from skantidote.loss import AntidoteLoss
from skantidote.robust_losses import GCELoss, SmallLossTrickLoss


@pytest.fixture
def blobs():
    X, y = make_blobs(120, centers=3, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.parametrize("max_epochs", [1, 2, 5, 12, 100])
def test_auto_warmup_is_a_fifth_of_the_run_at_most_ten(blobs, max_epochs):
    X, y = blobs
    clf = tiny(max_epochs=max_epochs, warmup_epochs="auto").fit(X, y)
    expected = default_warmup_epochs(max_epochs)
    assert clf.warmup_epochs_ == expected == min(10, max(1, max_epochs // 5)) * (max_epochs > 1)
    epochs = range(1, max_epochs + 1)
    assert [row["warmup"] for row in clf.history_] == [e <= expected for e in epochs]


def test_a_fit_within_the_warmup_warns_that_it_is_plain_cross_entropy(blobs):
    X, y = blobs
    with pytest.warns(UserWarning, match=r"max_epochs=3 epochs, all within warmup_epochs=5"):
        tiny(max_epochs=3, warmup_epochs=5).fit(X, y)
    # Warm starts count the epochs done; one that reaches the reweighting is quiet, and so
    # is a criterion without warm-up.
    clf = tiny(max_epochs=4, warmup_epochs=5, warm_start=True)
    with pytest.warns(UserWarning, match="all within"):
        clf.fit(X, y)
    with pytest.warns(UserWarning, match="max_epochs=1 epochs after 4 done"):
        clf.set_params(max_epochs=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*within warmup_epochs")
        clf.set_params(max_epochs=2).fit(X, y)
        tiny(max_epochs=3, warmup_epochs=5, criterion=GCELoss).fit(X, y)
        tiny(max_epochs=3, warmup_epochs="auto").fit(X, y)
    assert clf.history_[-1]["warmup"] is False


@pytest.mark.parametrize(
    "criterion, params",
    [(GCELoss, {"criterion__q": 0.7}), (SmallLossTrickLoss, {"criterion__forget_rate": 0.3})],
)
def test_robust_losses_as_the_criterion(blobs, criterion, params):
    X, y = blobs
    clf = tiny(criterion=criterion, max_epochs=10, warmup_epochs=1, lr=0.05, **params)
    clf.fit(X, y)
    assert isinstance(clf.net_.criterion_, criterion)
    for key, value in params.items():
        assert getattr(clf.net_.criterion_, key.removeprefix("criterion__")) == value
    # No ANTIDOTE weights: every row keeps weight 1, and no dual variables are recorded.
    np.testing.assert_array_equal(clf.sample_weights_, 1.0)
    assert np.isnan(clf.history_[-1]["tau"])
    assert clf.score(X, y) > 0.8  # three separated blobs of equal size: 1/3 by chance


def test_a_criterion_instance_is_copied_and_configured_by_itself(blobs):
    X, y = blobs
    criterion = AntidoteLoss(divergence="chi2", delta=0.3)
    clf = tiny(criterion=criterion, forget_rate=0.5, max_epochs=3).fit(X, y)
    assert clf.net_.criterion_ is not criterion
    assert clf.net_.criterion_.radius == pytest.approx(0.3)  # forget_rate is ignored
    assert criterion.solution_ is None  # the user's instance was not trained


def test_iterator_arguments_reach_the_data_loaders(blobs):
    X, y = blobs
    clf = tiny(iterator_train__drop_last=True, batch_size=50, max_epochs=1).fit(X, y)
    assert clf.net_.iterator_train__drop_last is True
    # 120 rows in batches of 50 without the last partial batch: 2 training batches.
    assert clf.net_.history[-1]["train_batch_count"] == 2


def test_unknown_extra_parameter_names_the_valid_prefixes(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="'iterator_train'"):
        tiny(net__x=1).fit(X, y)


@pytest.mark.parametrize("key, own", [("criterion__forget_rate", "forget_rate="),
                                      ("criterion__delta", "delta=")])
def test_the_estimator_s_own_criterion_parameters_are_not_taken_twice(blobs, key, own):
    # criterion__forget_rate was silently overridden by "auto"; criterion__delta clashed
    # with a forget rate the user never gave.
    X, y = blobs
    with pytest.raises(ValueError, match=f"{key} would be overridden .* pass {own} instead"):
        tiny(**{key: 0.3}).fit(X, y)

def test_extra_parameters_set_on_a_copy_stay_on_the_copy():
    original = AntidoteClassifier(module__dropout=0.1)
    duplicate = copy.copy(original)
    duplicate.set_params(optimizer__eps=1e-3)
    assert "optimizer__eps" in duplicate.get_params()
    assert "optimizer__eps" not in original.get_params()
    assert original.get_params()["module__dropout"] == 0.1

def test_sample_weights_are_the_criterions_weights_of_the_whole_set(blobs):
    X, y = blobs
    clf = tiny(max_epochs=3, forget_rate=0.3).fit(X, y)
    with torch.no_grad():
        logits = clf.net_.module_(torch.as_tensor(X))
        losses = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y), reduction="none")
    expected = clf.net_.criterion_.weights(losses.double())
    np.testing.assert_allclose(clf.sample_weights_, expected.numpy(), rtol=1e-5)
    assert isinstance(clf, AntidoteClassifier)


def test_auto_forget_rate_is_estimated_in_the_same_run():
    from sklearn.datasets import load_digits

    from skantidote.noise import symmetric_noise

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    y_noisy, corrupted = symmetric_noise(y, 0.4, random_state=0)
    clf = tiny(hidden_layer_sizes=(64,), max_epochs=25, warmup_epochs=5, lr=3e-3)
    clf.fit(X, y_noisy)
    assert clf.forget_rate == "auto"
    assert clf.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.05)
    assert clf.net_.criterion_.radius == pytest.approx(-np.log(1 - clf.noise_rate_))
    assert clf.class_noise_rates_.shape == (10,)
    assert {"noise_estimate", "noise_unsure"} <= set(clf.history_[-1])
    # On clean labels the estimate is near 0, and so is the forgetting.
    clean = tiny(hidden_layer_sizes=(64,), max_epochs=25, warmup_epochs=5, lr=3e-3).fit(X, y)
    assert clean.noise_rate_ < 0.03
    # A given rate is kept; the estimate is still made alongside.
    fixed = tiny(hidden_layer_sizes=(64,), max_epochs=8, warmup_epochs=2, forget_rate=0.1)
    fixed.fit(X, y_noisy)
    assert fixed.net_.criterion_.radius == pytest.approx(-np.log(0.9))
    assert 0.1 < fixed.noise_rate_ < 0.7
    # A warm fit given a rate replaces the estimated radius.
    clf.set_params(warm_start=True, forget_rate=0.1, max_epochs=1).fit(X, y_noisy)
    assert clf.net_.criterion_.radius == pytest.approx(-np.log(0.9))


def test_auto_forget_rate_warns_when_the_run_is_too_short(blobs):
    X, y = blobs
    with pytest.warns(UserWarning, match="reweighted epochs only"):
        tiny(max_epochs=4, warmup_epochs=2).fit(X, y)
