"""The training callbacks, in a plain skorch net: the classifier's behaviour, assembled."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback

from skantidote import AntidoteClassifier, AntidoteRegressor
from skantidote.callbacks import (
    EarlyStopping,
    FiniteLossGuard,
    LateEpochScores,
    LearningRateSchedule,
    NoiseRateEstimate,
    ResidualNoiseRateEstimate,
    ReweightingDiagnostics,
    ReweightingWarmup,
    noise_rate,
)
from skantidote.callbacks.early_stopping import objective_setting
from skantidote.callbacks.noise_rate import corrupted_fraction
from skantidote.loss import FORGOTTEN_WEIGHT, AntidoteLoss
from skantidote.modules import MLP
from skantidote.net import AntidoteNet
from skantidote.noise import symmetric_noise
from skantidote.robust_losses import GCELoss, SmallLossTrickLoss


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 5)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    y_noisy, _ = symmetric_noise(y, 0.3, random_state=0)
    return X, y_noisy.astype(np.int64)


def _skorch_net(callbacks, net_class=NeuralNetClassifier, **kwargs):
    params = dict(
        module=MLP, module__n_features=5, module__n_classes=2,
        module__hidden_layer_sizes=(16,), criterion=AntidoteLoss,
        criterion__forget_rate=0.3, optimizer=torch.optim.Adam, lr=0.01, max_epochs=6,
        batch_size=32, train_split=None, verbose=0, callbacks=callbacks,
    )
    params.update(kwargs)
    return net_class(**params)


def test_a_skorch_net_with_the_callbacks_trains_as_the_classifier(data):
    """The same module, loss, seeds and callbacks give the classifier's parameters."""
    X, y = data
    clf = AntidoteClassifier(
        hidden_layer_sizes=(16,), forget_rate=0.3, lr=0.01, max_epochs=6, warmup_epochs=2,
        batch_size=32, random_state=0, device="cpu",
    ).fit(X, y)

    net = _skorch_net(
        [("warmup", ReweightingWarmup(2)), ("lr_schedule", LearningRateSchedule("cosine")),
         ("diagnostics", ReweightingDiagnostics())],
        net_class=AntidoteNet, module__dropout=0.2, iterator_train__shuffle=True,
        iterator_valid__batch_size=1024, optimizer__weight_decay=0.0,
    )
    # The classifier seeds torch with this derivation of random_state (first fit call).
    seed = int(np.random.SeedSequence([0, 0]).generate_state(1)[0])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net.initialize()
        net.partial_fit(X, y)
    for ours, theirs in zip(net.module_.parameters(), clf.net_.module_.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs)
    for row, expected in zip(net.history, clf.history_, strict=True):
        for key in ("train_loss", "warmup", "lambda", "tau", "forgotten"):
            assert row[key] == pytest.approx(expected[key], nan_ok=True), key


def test_warmup_switches_the_reweighting_on_after_its_epochs(data):
    X, y = data
    seen = []

    class Spy(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            seen.append((len(net.history), training, net.criterion_.solution_ is not None))

    net = _skorch_net([ReweightingWarmup(3), Spy()], train_split=lambda ds, y: (ds, ds))
    net.fit(X, y)
    assert [row["warmup"] for row in net.history] == [True] * 3 + [False] * 3
    for epoch, training, reweighted in seen:
        # Validation batches are always reweighted, training batches after the warm-up.
        assert reweighted == (epoch > 3 or not training)
    # A warm second fit continues after the warm-up.
    net.partial_fit(X, y)
    assert net.history[-1]["warmup"] is False


def test_warmup_leaves_criteria_without_a_switch_alone(data):
    X, y = data
    net = _skorch_net([ReweightingWarmup(2)], criterion=GCELoss, criterion__forget_rate=None)
    net.set_params(criterion__q=0.7)
    del net.criterion__forget_rate
    net.fit(X, y)
    assert not hasattr(net.criterion_, "enabled")
    small = _skorch_net([ReweightingWarmup(2)], criterion=SmallLossTrickLoss).fit(X, y)
    assert small.criterion_.enabled and small.criterion_.kept_ is not None


def test_lr_schedule_cosine_over_each_fit_call_and_constant(data):
    X, y = data
    lrs = []

    class Spy(Callback):
        def on_epoch_begin(self, net, **kwargs):
            lrs.append(net.optimizer_.param_groups[0]["lr"])

    net = _skorch_net([LearningRateSchedule("cosine"), Spy()], max_epochs=4).fit(X, y)
    expected = [0.01 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    np.testing.assert_allclose(lrs[-4:], expected)
    net.partial_fit(X, y)  # a second call decays again from lr
    np.testing.assert_allclose(lrs[-4:], expected)
    net.partial_fit(X, y, epochs=1)
    assert lrs[-1] == pytest.approx(0.01)  # the net's max_epochs, 4, count as the call's
    with pytest.raises(ValueError, match="schedule must be one of"):
        _skorch_net([LearningRateSchedule("step")]).fit(X, y)
    _skorch_net([LearningRateSchedule("constant"), Spy()], max_epochs=3).fit(X, y)
    assert lrs[-3:] == [0.01] * 3


def test_diagnostics_summarise_the_epochs_batches(data):
    X, y = data
    solutions = []

    class Spy(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if training and net.criterion_.solution_ is not None:
                solutions.append(net.criterion_.solution_)

        def on_epoch_begin(self, net, **kwargs):
            solutions.clear()

    net = _skorch_net([ReweightingDiagnostics(), Spy()], max_epochs=2).fit(X, y)
    row = net.history[-1]
    assert row["lambda"] == pytest.approx(np.mean([float(s.lam) for s in solutions]))
    assert row["tau"] == pytest.approx(np.mean([float(s.tau) for s in solutions]))
    weights = torch.cat([s.weights for s in solutions])
    assert row["forgotten"] == pytest.approx(float((weights < FORGOTTEN_WEIGHT).double().mean()))
    # Without reweighting (radius 0) there is nothing to summarise.
    plain = _skorch_net([ReweightingDiagnostics()], criterion__forget_rate=0.0).fit(X, y)
    assert math.isnan(plain.history[-1]["tau"]) and plain.history[-1]["forgotten"] == 0.0


def test_early_stopping_compares_the_best_epoch_at_the_current_forget_rate(data):
    # An estimated forget rate moves every epoch; a validation loss taken at a higher
    # rate is lower for the same model, so the best epoch is re-scored at each new rate.
    X, y = data
    rates = [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]

    class FallingRate(Callback):
        def on_epoch_begin(self, net, **kwargs):
            net.criterion_.set_forget_rate(rates[len(net.history) - 1])

    stopper = EarlyStopping(patience=100, threshold=0.0)
    net = _skorch_net(
        [FallingRate(), stopper], max_epochs=len(rates), lr=0.05,
        train_split=lambda ds, y: (ds, ds),
    ).fit(X, y)
    losses = [row["valid_loss"] for row in net.history]
    # Taken at falling rates, the raw losses rise although the model improves...
    assert losses[-1] > losses[0]
    # ... and the kept best is scored at the last rate: re-evaluated, it is the current
    # model's loss at that rate if the last epoch is best, otherwise no larger.
    assert stopper.best_loss_ <= losses[-1] + 1e-12
    assert stopper.best_epoch_ > 1
    # The best epoch's parameters are back in the module: scored now, at the last rate.
    rescored = sum(
        float(net.validation_step(batch)["loss"]) * len(batch[1])
        for batch in net.get_iterator(net.get_dataset(X, y), training=False)
    ) / len(y)
    assert stopper.best_loss_ == pytest.approx(rescored, rel=1e-5)


def test_objective_setting_follows_the_rate_and_the_floor():
    criterion = AntidoteLoss(forget_rate=0.2)
    before = objective_setting(criterion)
    criterion.set_forget_rate(0.3)
    assert objective_setting(criterion) != before
    moved = objective_setting(criterion)
    criterion.set_confident_floor([0.9, 0.8])
    assert objective_setting(criterion) != moved
    assert objective_setting(torch.nn.CrossEntropyLoss()) == (None, None)


def test_early_stopping_restores_the_best_epoch_and_ignores_epochs_without_validation(data):
    X, y = data
    states = {}

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            states[len(net.history)] = {
                k: v.clone() for k, v in net.module_.state_dict().items()
            }

    stopper = EarlyStopping(patience=2, threshold=0.0)
    net = _skorch_net(
        [Record(), stopper], max_epochs=60, lr=0.05,
        train_split=lambda ds, y: (ds, ds), criterion__forget_rate=0.0,
    )
    # Without a validation split: no stopping.
    unsplit = _skorch_net([EarlyStopping(patience=1)], max_epochs=5).fit(X, y)
    assert len(unsplit.history) == 5
    net.fit(X, y)
    losses = [row["valid_loss"] for row in net.history]
    best = int(np.argmin(losses)) + 1
    assert stopper.best_epoch_ == best and stopper.best_loss_ == pytest.approx(min(losses))
    if len(net.history) < 60:
        assert len(net.history) == best + 2
    for key, value in net.module_.state_dict().items():
        torch.testing.assert_close(value, states[best][key])


def test_finite_loss_guard_restores_the_last_finite_epoch(data):
    X, y = data

    class Explode(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) == 3:
                for group in net.optimizer_.param_groups:
                    group["lr"] = 1e30

    states = {}

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            states[len(net.history)] = {
                k: v.clone() for k, v in net.module_.state_dict().items()
            }

    guard = FiniteLossGuard()
    net = _skorch_net(
        [guard, Record(), Explode()], optimizer=torch.optim.SGD, max_epochs=6,
        criterion=torch.nn.CrossEntropyLoss, criterion__forget_rate=None,
    )
    del net.criterion__forget_rate
    with pytest.raises(Exception) as info:
        net.fit(X, y)
    assert guard.restore(net) == guard.last_finite_epoch_ == len(net.history)
    assert guard.last_finite_epoch_ in (2, 3)
    for key, value in net.module_.state_dict().items():
        torch.testing.assert_close(value, states[guard.last_finite_epoch_][key])
    assert "not finite" in str(info.value)


def test_late_epoch_scores_average_the_last_epochs(data):
    X, y = data
    scores = LateEpochScores(X, y, n_epochs=2)
    net = _skorch_net([scores], max_epochs=5).fit(X, y)
    assert scores.n_scored_ == 2
    assert scores.probabilities_.shape == (len(y), 2)
    np.testing.assert_allclose(scores.probabilities_.sum(axis=1), 1.0, atol=1e-5)
    assert scores.weights_.mean() == pytest.approx(1.0, abs=1e-6)
    # The last epoch's model is one of the two averaged.
    last = net.predict_proba(X)
    assert np.abs(scores.probabilities_ - last).max() < np.abs(last - 0.5).max()


@pytest.fixture(scope="module")
def noisy_digits_30():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    y_noisy, corrupted = symmetric_noise(y, 0.3, random_state=0)
    return (X / 16).astype(np.float32), y_noisy.astype(np.int64), corrupted


def _digits_net(callbacks, max_epochs=15):
    torch.manual_seed(0)
    return NeuralNetClassifier(
        MLP, module__n_features=64, module__n_classes=10, criterion=AntidoteLoss,
        criterion__forget_rate=0.05, optimizer=torch.optim.Adam, max_epochs=max_epochs,
        train_split=None, verbose=0, callbacks=callbacks,
    )


def test_noise_rate_estimate_finds_the_rate_and_sets_the_radius(noisy_digits_30):
    X, y, corrupted = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3)
    net = _digits_net([ReweightingWarmup(3), estimate]).fit(X, y)
    assert estimate.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.05)
    # The criterion forgets at the estimated rate, from the given 0.05.
    assert net.criterion_.radius == pytest.approx(-math.log(1 - estimate.noise_rate_))
    # ... and at least the rows the estimate counts as wrong: those confidently put in
    # another class than their label, at that class's threshold (at least 1/2).
    floor = net.criterion_.confident_thresholds
    np.testing.assert_allclose(floor.numpy(), estimate.thresholds_, rtol=1e-6)
    assert (estimate.thresholds_ >= 0.5).all()
    # Every epoch's estimate is the fraction of rows confidently assigned another class.
    confusion = estimate.confusion_
    assert confusion.shape == (10, 10)
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(y, minlength=10))
    last = 1 - np.trace(confusion) / confusion.sum()
    assert net.history[-1]["noise_estimate"] == pytest.approx(last)
    assert estimate.history_[-1] == pytest.approx(last)
    assert net.history[-1]["noise_unsure"] == estimate.unsure_disagreement_
    # The running average of the epochs after the warm-up, weight 0.5 on the past.
    rate = estimate.history_[2]
    for value in estimate.history_[3:]:
        rate = 0.5 * rate + 0.5 * value
    assert estimate.noise_rate_ == pytest.approx(rate)
    rates = estimate.class_noise_rates()
    np.testing.assert_allclose(rates, 1 - np.diag(confusion) / confusion.sum(axis=1))


def _feed_epoch(estimate, logits, labels, batch_size=50):
    """One epoch of training batches with the given logits, as the net would report them."""
    estimate.on_epoch_begin(None)
    for start in range(0, len(labels), batch_size):
        rows = slice(start, start + batch_size)
        estimate.on_batch_end(
            None, batch=(None, labels[rows]), training=True, y_pred=logits[rows]
        )
    return estimate.epoch_rate()


def _confident_counts(proba, labels, thresholds):
    """Reference: given class x assigned class, one row at a time."""
    n_classes = proba.shape[1]
    counts = np.zeros((n_classes, n_classes))
    for row, label in zip(proba, labels, strict=True):
        confident = [j for j in range(n_classes) if row[j] >= thresholds[j]]
        counts[label, confident[0] if confident else label] += 1
    return counts


# The batches' logits are counted after every batch, every few batches (600 logits:
# three batches, and the epoch's last two left over) or once per epoch: the same counts.
@pytest.mark.parametrize("pending_logits", [1, 600, 2**20])
def test_noise_rate_estimate_counts_with_per_class_thresholds(pending_logits, monkeypatch):
    monkeypatch.setattr(noise_rate, "PENDING_LOGITS", pending_logits)
    rng = np.random.default_rng(0)
    n_classes, n = 4, 600
    labels = rng.integers(n_classes, size=n)
    # Confident on the label for most rows, on another class for a fifth, and unsure of
    # everything for some: the thresholds and the hesitant rows both matter.
    # Class 0 is noisier than the others, so its threshold stays at one half.
    noisy = rng.random(n) < np.where(labels == 0, 0.6, 0.1)
    truth = np.where(noisy, rng.integers(n_classes, size=n), labels)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), truth] += rng.choice([0.0, 3.0, 6.0], size=n, p=[0.1, 0.2, 0.7])
    logits = torch.as_tensor(logits, dtype=torch.float32)
    proba = torch.softmax(logits, dim=1).double().numpy()

    estimate = NoiseRateEstimate().initialize()
    # The first epoch: every class's threshold is one half.
    rate = _feed_epoch(estimate, logits, torch.as_tensor(labels))
    first = _confident_counts(proba, labels, np.full(n_classes, 0.5))
    np.testing.assert_array_equal(estimate.confusion_, first)
    assert rate == pytest.approx(1 - np.trace(first) / n)
    # Then each class's mean probability on the rows labelled with it (cleanlab's
    # per-class threshold), and at least one half.
    confidence = np.array([proba[labels == k, k].mean() for k in range(n_classes)])
    thresholds = np.maximum(confidence, 0.5)
    np.testing.assert_allclose(estimate.thresholds_, thresholds, rtol=1e-5)
    assert thresholds[0] == 0.5 and (thresholds[1:] > 0.5).all()
    rate = _feed_epoch(estimate, logits, torch.as_tensor(labels))
    second = _confident_counts(proba, labels, thresholds)
    np.testing.assert_array_equal(estimate.confusion_, second)
    assert rate == pytest.approx(1 - np.trace(second) / n) and rate < 1 - np.trace(first) / n
    # The rows whose label the network does not predict, below the predicted class's
    # threshold: counted as agreeing, so the noise the estimate cannot see.
    predicted = proba.argmax(axis=1)
    unsure = (predicted != labels) & (proba.max(axis=1) < thresholds[predicted])
    assert 0 < unsure.sum() < n
    assert estimate.unsure_disagreement_ == pytest.approx(unsure.mean())


def test_noise_rate_estimate_takes_hesitant_rows_as_agreeing():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    # Class 2's rows are spread evenly: the network is confident of no class on them.
    logits = torch.log(torch.tensor([
        [0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.9, 0.05, 0.05],
        [0.34, 0.33, 0.33], [0.33, 0.34, 0.33],
    ]))
    estimate = NoiseRateEstimate().initialize()
    rate = _feed_epoch(estimate, logits, labels)
    np.testing.assert_allclose(estimate.confusion_, [[2, 0, 0], [1, 1, 0], [0, 0, 2]])
    assert rate == pytest.approx(1 / 6)
    np.testing.assert_allclose(estimate.class_noise_rates(), [0, 0.5, 0])
    # Class 2's two rows: the network predicts another class, without confidence.
    assert estimate.unsure_disagreement_ == pytest.approx(2 / 6)


def test_per_class_estimate_gives_every_class_its_own_rate(noisy_digits_30):
    X, y, corrupted = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3, per_class=True)
    net = _digits_net([ReweightingWarmup(3), estimate]).fit(X, y)
    criterion = net.criterion_
    assert criterion.per_class and criterion.confident_thresholds is None
    # One radius per class: each that of the class's running rate.
    expected = [-math.log(1 - r) for r in estimate.class_rates_]
    assert criterion.radius == pytest.approx(expected)
    true_rates = [corrupted[y == k].mean() for k in range(10)]
    assert np.abs(estimate.class_rates_ - true_rates).mean() < 0.06
    # The overall rate is still the running average of the overall disagreement.
    assert estimate.noise_rate_ == pytest.approx(corrupted.mean(), abs=0.05)


def test_noise_rate_estimate_can_only_observe(noisy_digits_30):
    X, y, _ = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3, sets_forget_rate=False)
    net = _digits_net([ReweightingWarmup(3), estimate], max_epochs=6).fit(X, y)
    assert net.criterion_.radius == pytest.approx(-math.log(1 - 0.05))
    assert net.criterion_.confident_thresholds is None
    assert 0.2 < estimate.noise_rate_ < 0.6


def test_confident_floor_waits_for_the_estimate_to_settle(noisy_digits_30):
    X, y, _ = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3)
    floors = []

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            floors.append(net.criterion_.confident_thresholds is not None)

    _digits_net([ReweightingWarmup(3), estimate, Record()], max_epochs=10).fit(X, y)
    # The rate from the end of the warm-up (epoch 3); the floor five epochs later.
    assert floors == [False] * 7 + [True] * 3


def test_noise_rate_estimate_can_leave_the_confident_floor_off(noisy_digits_30):
    X, y, _ = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3, confident_floor=False)
    net = _digits_net([ReweightingWarmup(3), estimate], max_epochs=5).fit(X, y)
    assert net.criterion_.radius == pytest.approx(-math.log(1 - estimate.noise_rate_))
    assert net.criterion_.confident_thresholds is None


def test_noise_rate_estimate_warns_when_it_cannot_be_trusted(noisy_digits_30):
    X, y, _ = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3)
    _digits_net([ReweightingWarmup(3), estimate], max_epochs=5).fit(X, y)
    with pytest.warns(UserWarning, match="over 2 reweighted epochs only"):
        estimate.warn_if_unreliable()
    # ... with the epochs that would do: 5 reweighted after the warm-up's 3.
    [short] = _estimate_warnings(estimate, "reweighted epochs only")
    assert (
        "Train at least 8 epochs in all (5 after the warm-up, which ends with epoch 3 in "
        "this run; 6 with warmup_epochs='auto', whose warm-up grows with the run)"
    ) in short
    settled = NoiseRateEstimate(warmup_epochs=3)
    _digits_net([ReweightingWarmup(3), settled], max_epochs=8).fit(X, y)
    assert _estimate_warnings(settled, "reweighted epochs only") == []
    # A class whose labels are mostly another class's: named in the warning.
    swapped = y.copy()
    sevens = np.flatnonzero(y == 7)
    swapped[sevens[: int(0.7 * len(sevens))]] = 1
    estimate = NoiseRateEstimate(warmup_epochs=2)
    _digits_net([ReweightingWarmup(2), estimate], max_epochs=20).fit(X, swapped)
    # Its labels are right but few (most sevens are labelled 1): the warning gives its
    # share of the labels and the class it is confused with.
    share = np.mean(swapped == 7)
    with pytest.warns(
        UserWarning,
        match=r"predicted as another class for more than half of them, by given class: "
        rf"'seven' \({share:.1%} of the labels, mostly put in '1'\)\.",
    ):
        estimate.warn_if_unreliable([str(i) if i != 7 else "seven" for i in range(10)])
    # ... with what to do where the labels are mostly wrong.
    advice = _estimate_warnings(estimate, "predicted as another class")
    assert len(advice) == 1 and "early_stopping=True" in advice[0]
    assert "per_class=True" in advice[0]  # ... or is being confused with another class
    with pytest.raises(ValueError, match="must name the 10 classes of the estimate, got 9"):
        estimate.warn_if_unreliable([str(i) for i in range(9)])
    # With one ball per class already, only the first reading is left.
    per_class = NoiseRateEstimate(warmup_epochs=2, per_class=True)
    _digits_net([ReweightingWarmup(2), per_class], max_epochs=20).fit(X, swapped)
    [advice] = _estimate_warnings(per_class, "predicted as another class")
    assert "early_stopping=True" in advice and "per_class" not in advice
    with pytest.raises(ValueError, match="smoothing must be a number in"):
        _digits_net([NoiseRateEstimate(smoothing=1.0)], max_epochs=1).fit(X, y)


def _estimate_warnings(estimate, phrase):
    """The messages of the estimate's warnings that contain ``phrase``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate.warn_if_unreliable()
    return [str(w.message) for w in caught if phrase in str(w.message)]


@pytest.fixture(scope="module")
def settled_estimate(noisy_digits_30):
    """The estimate of a fit that learnt digits with 30 % of wrong labels (12 epochs)."""
    X, y, _ = noisy_digits_30
    estimate = NoiseRateEstimate(warmup_epochs=3)
    _digits_net([ReweightingWarmup(3), estimate], max_epochs=12).fit(X, y)
    return estimate


def _fell_warnings(estimate):
    return _estimate_warnings(estimate, "noise estimate fell")


def test_noise_rate_estimate_warns_when_it_was_still_falling(settled_estimate):
    # A settled estimate of real noise: no such warning.
    assert _fell_warnings(settled_estimate) == []
    estimate = copy.copy(settled_estimate)
    # Clean letter in 20 epochs: the count fell as the network learnt its hard clean rows.
    estimate.history_ = [0.028, 0.074, 0.051, 0.052, 0.045, 0.038, 0.031, 0.030, 0.025, 0.024,
                         0.022, 0.019, 0.018, 0.015, 0.018, 0.015, 0.015, 0.016, 0.013, 0.013]
    (message,) = _fell_warnings(estimate)
    assert "fell from 0.033" in message and "to 0.014" in message
    # A fall of a tenth of a real rate, or one that ends below 1 %: no warning.
    estimate.history_ = [0.0] * 3 + [0.21, 0.2, 0.2, 0.2, 0.19, 0.19, 0.19, 0.19]
    assert _fell_warnings(estimate) == []
    estimate.history_ = [0.0] * 3 + [0.03, 0.02, 0.015, 0.01, 0.006, 0.005, 0.005, 0.004]
    assert _fell_warnings(estimate) == []


def _unsure_warnings(estimate):
    return _estimate_warnings(estimate, "without being confident")


def test_noise_rate_estimate_warns_when_the_network_is_unsure(noisy_digits_30, settled_estimate):
    X, y, _ = noisy_digits_30
    # Digits learnt: few rows the network puts, unsure, in another class.
    assert settled_estimate.unsure_disagreement_ < 0.05
    assert _unsure_warnings(settled_estimate) == []
    # Labels the network cannot learn in two epochs (the warm-up): it disagrees with most
    # of them, unsure, and the estimate counts them as right.
    rng = np.random.default_rng(0)
    estimate = NoiseRateEstimate(warmup_epochs=1)
    _digits_net([ReweightingWarmup(1), estimate], max_epochs=2).fit(
        X, rng.integers(10, size=len(y))
    )
    assert estimate.unsure_disagreement_ > 0.5
    (message,) = _unsure_warnings(estimate)
    assert f"for {estimate.unsure_disagreement_:.1%} of the training rows" in message
    assert f"({estimate.noise_rate_:.3f}) may be low" in message


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.4, 0.6])
def test_corrupted_fraction_finds_the_far_rows_and_the_clean_scale(fraction, n_outputs):
    # Clean residuals N(0, 0.3^2) per output, corrupted ones moved by 3 to 6 (10 to 20
    # clean standard deviations): the fraction within 0.02, the scale within 5 %.
    rng = np.random.default_rng(1)
    n = 4000
    residuals = rng.normal(0.0, 0.3, (n, n_outputs))
    far = rng.random(n) < fraction
    residuals[far] += rng.choice([-1, 1], (far.sum(), n_outputs)) * rng.uniform(
        3, 6, (far.sum(), 1)
    )
    found, scale = corrupted_fraction(np.linalg.norm(residuals, axis=1), n_outputs)
    assert found == pytest.approx(far.mean(), abs=0.02)
    assert scale == pytest.approx(0.3, rel=0.05)
    # A scale read from all rows (median absolute deviation) would call them clean.
    mad_scale = np.median(np.abs(residuals[:, 0])) / 0.6745
    if fraction >= 0.4:
        assert mad_scale > 1.5 * 0.3


def test_corrupted_fraction_rejects_what_it_cannot_read():
    with pytest.raises(ValueError, match=r"norms must be a non-empty 1-D array, got shape \(0,\)"):
        corrupted_fraction(np.array([]))
    assert corrupted_fraction(np.zeros(10)) == (0.0, 0.0)


def test_residual_estimate_holds_the_start_rate_then_follows_the_estimate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = (X @ np.ones(5) / 2 + 0.1 * rng.normal(size=600)).astype(np.float32)
    y[:150] += rng.choice([-3.0, 3.0], size=150).astype(np.float32)
    estimate = ResidualNoiseRateEstimate(warmup_epochs=3, start_rate=0.4, hold_epochs=4)
    rates = []

    class RecordRadius(Callback):
        def on_epoch_end(self, net, **kwargs):
            rates.append(net.criterion_.radius)

    net = NeuralNetRegressor(
        MLP, module__n_features=5, module__n_outputs=1, criterion=AntidoteLoss,
        criterion__forget_rate=0.05, criterion__sample_loss="squared_error",
        optimizer=torch.optim.Adam, lr=1e-3, max_epochs=25, train_split=None, verbose=0,
        callbacks=[ReweightingWarmup(3), estimate, RecordRadius()],
    ).fit(X, y.reshape(-1, 1))
    held = -math.log(1 - 0.4)
    # Epochs 1-2: the warm-up's radius; 3-6: the start rate held; then the running average.
    assert rates[:2] == pytest.approx([-math.log(1 - 0.05)] * 2)
    assert rates[2:6] == pytest.approx([held] * 4)
    rate = 0.4
    for value in estimate.history_[6:]:
        rate = 0.5 * rate + 0.5 * value
    assert estimate.noise_rate_ == pytest.approx(rate)
    assert net.criterion_.radius == pytest.approx(-math.log(1 - rate))
    assert estimate.noise_rate_ == pytest.approx(0.25, abs=0.05)
    # The shifted rows lie beyond the cut of three clean standard deviations.
    assert 3.0 > 3 * estimate.residual_scale_
    assert net.history[-1]["noise_estimate"] == pytest.approx(estimate.history_[-1])


class _PendingBound(Callback):
    """Records the most batches the noise estimate held at once."""

    def __init__(self):
        self.most = 0

    def on_batch_end(self, net, **kwargs):
        estimate = dict(net.callbacks_)["noise_rate"]
        held = getattr(estimate, "_pending_logits", None)
        if held is None:
            held = estimate._predictions
        self.most = max(self.most, len(held))


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_the_estimates_hold_a_bounded_number_of_batches(monkeypatch, estimator):
    """Thousands of kept outputs pinned the heap (290 MB more on 300,000 rows); holding at
    most PENDING_BATCHES changes nothing but the order of the sums."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    y[:60] = 1 - y[:60]
    target = y if estimator == "classifier" else X[:, 0] + np.where(np.arange(600) < 60, 5, 0)
    make = AntidoteClassifier if estimator == "classifier" else AntidoteRegressor

    def fit(bound):
        monkeypatch.setattr(noise_rate, "PENDING_BATCHES", bound)
        spy = _PendingBound()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model = make(hidden_layer_sizes=(16,), batch_size=4, max_epochs=4, warmup_epochs=1,
                         random_state=0, callbacks=[spy]).fit(X, target)
        return model, spy.most

    bounded, most = fit(8)
    unbounded, most_unbounded = fit(10**9)
    assert most <= 8 < most_unbounded  # 150 batches an epoch
    np.testing.assert_allclose(bounded.history_[-1]["noise_estimate"],
                               unbounded.history_[-1]["noise_estimate"], atol=0.01)
