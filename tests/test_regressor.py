"""AntidoteRegressor: scikit-learn compliance, corrupted targets, targets' units, inputs."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1, make_regression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import Callback

from skantidote import AntidoteRegressor
from skantidote.net import AntidoteRegressorNet

FAST = dict(hidden_layer_sizes=(32,), max_epochs=20, lr=0.01, random_state=0)


_WEIGHTS_ARE_NOT_REPEATS = (
    "each minibatch normalises its own sample weights, so weighting cannot equal repeating "
    "rows exactly"
)


_ALPHA_IS_NOT_A_PENALTY = (
    "the check sets alpha=0.01, a linear model's penalty; alpha is the order of the "
    "alpha-divergence (> 1): test_trains_as_check_regressors_train_asks covers the rest"
)


@parametrize_with_checks(
    [AntidoteRegressor(**FAST)],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_ARE_NOT_REPEATS,
        "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_ARE_NOT_REPEATS,
        # The check sets alpha=0.01 on every regressor with an ``alpha``, taking it for a
        # linear model's penalty; here alpha is the order of the alpha-divergence, > 1.
        "check_regressors_train": _ALPHA_IS_NOT_A_PENALTY,
        "check_regressors_train(readonly_memmap=True)": _ALPHA_IS_NOT_A_PENALTY,
        "check_regressors_train(readonly_memmap=True,X_dtype=float32)": _ALPHA_IS_NOT_A_PENALTY,
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_trains_as_check_regressors_train_asks():
    """scikit-learn's check_regressors_train, without its alpha=0.01 (see above)."""
    from sklearn.utils.estimator_checks import check_regressors_train

    class WithoutPenaltyAlpha(AntidoteRegressor):
        def __setattr__(self, name, value):
            # Refuse the check's linear-model penalty; keep every other parameter.
            if not (name == "alpha" and value == 0.01):
                super().__setattr__(name, value)

    check_regressors_train("AntidoteRegressor", WithoutPenaltyAlpha(**FAST))


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=700, noise=0.3, random_state=0)
    rng = np.random.default_rng(0)
    corrupted = np.zeros(500, dtype=bool)
    corrupted[rng.choice(500, 100, replace=False)] = True
    y_train = y[:500].copy()
    y_train[corrupted] += rng.choice([-1.0, 1.0], corrupted.sum()) * 6 * y.std()
    return X[:500], y_train, corrupted, X[500:], y[500:]


def test_forgets_corrupted_targets_and_beats_the_plain_squared_error(friedman):
    X, y, corrupted, X_test, y_test = friedman
    params = dict(hidden_layer_sizes=(64, 64), max_epochs=60, random_state=0)
    antidote = AntidoteRegressor(forget_rate=0.2, **params).fit(X, y)
    plain = AntidoteRegressor(forget_rate=0.0, **params).fit(X, y)
    rmse = mean_squared_error(y_test, antidote.predict(X_test)) ** 0.5
    plain_rmse = mean_squared_error(y_test, plain.predict(X_test)) ** 0.5
    assert rmse < 0.9 * plain_rmse  # close to a fit on the clean rows only (2.32)
    weights = antidote.sample_weights_
    assert weights[corrupted].mean() < 0.2 * weights[~corrupted].mean()
    assert weights.mean() == pytest.approx(1.0)


def test_auto_forget_rate_estimates_the_corrupted_fraction(friedman):
    X, y, corrupted, X_test, y_test = friedman
    params = dict(hidden_layer_sizes=(64, 64), max_epochs=60, random_state=0)
    auto = AntidoteRegressor(**params).fit(X, y)  # forget_rate="auto" by default
    assert auto.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.05)
    # The criterion forgets at the estimate, after holding half the rows for the warm-up's
    # length (10 epochs) past the warm-up.
    assert auto.net_.criterion_.radius == pytest.approx(-np.log(1 - auto.noise_rate_))
    estimates = [epoch["noise_estimate"] for epoch in auto.history_]
    assert len(estimates) == 60 and max(estimates[-10:]) - min(estimates[-10:]) < 0.05
    given = AntidoteRegressor(forget_rate=corrupted.mean(), **params).fit(X, y)
    rmse = mean_squared_error(y_test, auto.predict(X_test)) ** 0.5
    given_rmse = mean_squared_error(y_test, given.predict(X_test)) ** 0.5
    assert rmse < 1.05 * given_rmse
    # On clean targets the estimate falls to (nearly) nothing and the fit matches the plain
    # squared error's.
    clean_y = y.copy()
    clean_y[corrupted] = make_friedman1(n_samples=700, noise=0.3, random_state=0)[1][:500][
        corrupted
    ]
    clean = AntidoteRegressor(**params).fit(X, clean_y)
    plain = AntidoteRegressor(forget_rate=0.0, **params).fit(X, clean_y)
    assert clean.noise_rate_ < 0.03
    clean_rmse = mean_squared_error(y_test, clean.predict(X_test)) ** 0.5
    plain_rmse = mean_squared_error(y_test, plain.predict(X_test)) ** 0.5
    assert clean_rmse < 1.05 * plain_rmse


def _unsettled_warnings(fit) -> list[str]:
    """The messages of the short-run warning that ``fit()`` raises."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if "noise estimate was followed" in str(w.message)]


def test_auto_forget_rate_warns_when_too_few_epochs_follow_it():
    X, y = make_regression(n_samples=120, n_features=3, noise=1.0, random_state=0)
    radii = []

    class RecordRadius(Callback):
        def on_epoch_begin(self, net, **kwargs):
            radii.append(net.criterion_.radius)  # the radius the epoch trains at

    def short(max_epochs, warmup_epochs, **params):
        return AntidoteRegressor(
            hidden_layer_sizes=(8,), max_epochs=max_epochs, warmup_epochs=warmup_epochs,
            random_state=0, **params,
        )

    reg = short(8, 1, callbacks=[RecordRadius()])
    [message] = _unsettled_warnings(lambda: reg.fit(X, y))
    # What the message counts is what the run did: of the 7 epochs after the warm-up, the
    # hold's 5 forgot the start rate (a half), the 2 after it followed the estimate.
    reweighted = [r for r, row in zip(radii, reg.history_, strict=True) if not row["warmup"]]
    held = [r == pytest.approx(-np.log(0.5)) for r in reweighted]
    assert held == [True] * 5 + [False] * 2
    assert message.startswith(
        "The noise estimate was followed for 2 of the 7 reweighted epochs only (fewer than "
        "5): 5 of them held the forget rate at 0.5 (the hold, 5 epochs after "
        "the warm-up)"
    )
    assert (
        "at least 11 epochs in all (5 after the warm-up and the hold, which ends with "
        "epoch 6 in this run; 12 with warmup_epochs='auto', whose warm-up grows with the "
        "run)"
    ) in message
    # ... a total that the automatic warm-up keeps: 12 epochs (warm-up 2, hold 5) do.
    assert _unsettled_warnings(lambda: AntidoteRegressor(
        hidden_layer_sizes=(8,), max_epochs=12, random_state=0).fit(X, y)) == []
    assert len(_unsettled_warnings(lambda: AntidoteRegressor(
        hidden_layer_sizes=(8,), max_epochs=11, random_state=0).fit(X, y))) == 1
    # A run that ends within the hold says that none followed the estimate.
    [message] = _unsettled_warnings(lambda: short(5, 2).fit(X, y))
    assert "followed for 0 of the 3 reweighted epochs only (fewer than 5): 3 of them" in message
    # ... and reports the last epoch's estimate, not the held rate, which estimates nothing.
    within_hold = short(5, 2)
    _unsettled_warnings(lambda: within_hold.fit(X, y))
    history = within_hold.history_
    assert within_hold.noise_rate_ == history[-1]["noise_estimate"] != 0.5
    assert f"the noise rate ({history[-1]['noise_estimate']:.3f}) may be off" in message
    assert (
        "at least 12 epochs in all (5 after the warm-up and the hold, which ends with "
        "epoch 7 in this run)"
    ) in message
    assert "warmup_epochs='auto'" not in message  # 12 with the automatic warm-up too
    # ... and the epochs it advises are enough, one fewer is not.
    assert _unsettled_warnings(lambda: short(12, 2).fit(X, y)) == []
    assert len(_unsettled_warnings(lambda: short(11, 2).fit(X, y))) == 1


def test_warnings_point_at_the_line_that_fits():
    X, y = make_regression(n_samples=120, n_features=3, noise=1.0, random_state=0)
    reg = AntidoteRegressor(hidden_layer_sizes=(8,), max_epochs=8, random_state=0)
    for model in (reg, make_pipeline(StandardScaler(), clone(reg))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y)
        assert caught and {w.filename for w in caught} == {__file__}


def test_an_int_hidden_layer_sizes_is_one_hidden_layer():
    X, y = make_regression(n_samples=120, n_features=3, noise=1.0, random_state=0)
    reg = AntidoteRegressor(hidden_layer_sizes=16, max_epochs=3, forget_rate=0.2)
    reg.fit(X, y)
    widths = [m.out_features for m in reg.net_.module_.layers if hasattr(m, "out_features")]
    assert widths == [16, 1]
    assert reg.get_params()["hidden_layer_sizes"] == 16  # stored as given
    for bad in (0, -4, 2.5, "wide"):
        with pytest.raises(ValueError, match=r"hidden_layer_sizes.* or an int in the range"):
            AntidoteRegressor(hidden_layer_sizes=bad, max_epochs=3).fit(X, y)


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_other_losses_reach_the_criterion(friedman, loss):
    X, y, corrupted, _, _ = friedman
    reg = AntidoteRegressor(loss=loss, **FAST).fit(X, y)
    assert reg.net_.criterion_.sample_loss == loss
    assert reg.sample_weights_[corrupted].mean() < reg.sample_weights_[~corrupted].mean()


def test_targets_are_standardised_and_predictions_in_their_units():
    X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    y_big = 1e4 * y + 5e5
    reg = AntidoteRegressor(**FAST).fit(X, y_big)
    assert reg.target_mean_ == pytest.approx([y_big.mean()])
    assert reg.target_scale_ == pytest.approx([y_big.std()])
    assert isinstance(reg.net_, AntidoteRegressorNet)
    assert reg.score(X, y_big) > 0.9
    assert abs(reg.predict(X).mean() - y_big.mean()) < 0.1 * y_big.std()


def test_multi_output_and_pandas():
    X, Y = make_regression(n_samples=300, n_features=6, n_targets=3, random_state=1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    reg = AntidoteRegressor(**FAST).fit(frame, pd.DataFrame(Y))
    assert reg.n_outputs_ == 3 and reg.predict(frame).shape == (300, 3)
    assert list(reg.feature_names_in_) == list(frame.columns)
    assert reg.score(frame, Y) > 0.8
    single = AntidoteRegressor(**FAST).fit(X, Y[:, :1])
    assert single.predict(X).shape == (300, 1)  # a 2-D y gives 2-D predictions
    assert AntidoteRegressor(**FAST).fit(X, Y[:, 0]).predict(X).shape == (300,)


def test_scikit_learn_tools():
    X, y = make_regression(n_samples=240, n_features=4, noise=2.0, random_state=2)
    pipe = make_pipeline(StandardScaler(), AntidoteRegressor(**FAST))
    scores = cross_val_score(pipe, X, y, cv=3, scoring="neg_root_mean_squared_error")
    assert np.all(scores > -0.5 * y.std())
    search = GridSearchCV(AntidoteRegressor(**FAST), {"forget_rate": [0.0, 0.1]}, cv=2)
    assert search.fit(X, y).best_params_["forget_rate"] in (0.0, 0.1)
    wrapped = TransformedTargetRegressor(
        AntidoteRegressor(**FAST), func=np.log1p, inverse_func=np.expm1
    )
    y_positive = np.exp(y / y.std())
    assert wrapped.fit(X, y_positive).predict(X).shape == (240,)
    assert clone(pipe).fit(X, y).score(X, y) > 0.9


def test_sample_weights_warm_start_partial_fit_and_sparse_input():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=3)
    w = np.ones(200)
    w[:50] = 0.0
    reg = AntidoteRegressor(**FAST).fit(X, y, sample_weight=w)
    assert np.all(reg.sample_weights_[:50] == 0)
    reg.set_params(warm_start=True, max_epochs=3).fit(X, y)
    assert reg.n_iter_ == 23
    chunked = AntidoteRegressor(**FAST)
    for _ in range(3):
        chunked.partial_fit(X, y)
    assert chunked.n_iter_ == 3
    with pytest.raises(ValueError, match="y has 2 outputs, but"):
        chunked.partial_fit(X, np.c_[y, y])
    dense = AntidoteRegressor(**FAST).fit(X, y).predict(X)
    sparse = AntidoteRegressor(**FAST).fit(sp.csr_matrix(X), y).predict(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse, dense, rtol=1e-4, atol=1e-4 * y.std())


def test_invalid_parameters_and_inputs():
    X, y = make_regression(n_samples=50, n_features=3, random_state=4)
    with pytest.raises(ValueError, match="The 'loss' parameter of AntidoteRegressor"):
        AntidoteRegressor(loss="quantile").fit(X, y)
    with pytest.raises(ValueError, match="The 'module' parameter of AntidoteRegressor"):
        AntidoteRegressor(module="cnn").fit(X, y)
    with pytest.raises(ValueError, match="could not convert|numeric"):
        AntidoteRegressor(**FAST).fit(X, np.array(["a"] * 50))


def test_bad_sample_weights_get_scikit_learn_s_message_before_any_use():
    # The targets' standardisation uses the weights: they are checked first.
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    reg = AntidoteRegressor(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(10,\), expected \(50,\)"):
        reg.fit(X, y, sample_weight=np.ones(10))
    with pytest.raises(ValueError, match="Negative values"):
        reg.fit(X, y, sample_weight=-np.ones(50))
