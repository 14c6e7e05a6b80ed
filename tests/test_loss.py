"""AntidoteLoss: objective, Danskin gradient, sample weights, dtypes, diagnostics, errors."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skantidote import AntidoteLoss
from skantidote.loss import FORGOTTEN_WEIGHT
from skantidote.robust_losses import NCERCELoss

CONFIGS = [
    {"divergence": "kl", "forget_rate": 0.3},
    {"divergence": "kl", "delta": 0.2, "kappa": 0.05},
    {"divergence": "chi2", "forget_rate": 0.3},
    {"divergence": "alpha", "alpha": 3.0, "forget_rate": 0.2, "kappa": 0.01},
]


def batch(n=32, k=5, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=gen, dtype=dtype) * 2
    target = torch.randint(0, k, (n,), generator=gen)
    return logits, target


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_value_is_the_optimal_value_of_the_inner_problem(config):
    criterion = AntidoteLoss(**config)
    logits, target = batch()
    losses = F.cross_entropy(logits, target, reduction="none")
    expected = criterion.family.solve(losses, criterion.radius, criterion.kappa).value
    torch.testing.assert_close(criterion(logits, target), expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_gradient_is_danskin_and_matches_finite_differences(config):
    criterion = AntidoteLoss(**config, warm_start=False)
    logits, target = batch(n=12, k=4, seed=1)
    logits.requires_grad_(True)
    criterion(logits, target).backward()

    def optimal_value(z):
        losses = F.cross_entropy(z, target, reduction="none")
        return float(criterion.family.solve(losses, criterion.radius, criterion.kappa).value)

    eps = 1e-6
    numeric = torch.zeros_like(logits)
    base = logits.detach()
    for i in range(base.shape[0]):
        for j in range(base.shape[1]):
            up, down = base.clone(), base.clone()
            up[i, j] += eps
            down[i, j] -= eps
            numeric[i, j] = (optimal_value(up) - optimal_value(down)) / (2 * eps)
    torch.testing.assert_close(logits.grad, numeric, rtol=1e-5, atol=1e-8)


def test_zero_radius_and_disabled_are_plain_cross_entropy():
    logits, target = batch()
    expected = F.cross_entropy(logits, target)
    torch.testing.assert_close(AntidoteLoss(delta=0.0)(logits, target), expected)
    criterion = AntidoteLoss(forget_rate=0.4)
    criterion.enabled = False
    torch.testing.assert_close(criterion(logits, target), expected)
    assert criterion.weights_ is None


def test_sample_weights_define_the_reference_distribution():
    logits, target = batch(n=6)
    counts = torch.tensor([1, 3, 2, 1, 1, 2])
    for config in CONFIGS:
        weighted = AntidoteLoss(**config)(logits, target, sample_weight=counts.double())
        repeated = AntidoteLoss(**config)(
            logits.repeat_interleave(counts, 0), target.repeat_interleave(counts)
        )
        torch.testing.assert_close(weighted, repeated)
    plain = AntidoteLoss(delta=0.0)(logits, target, sample_weight=counts.double())
    losses = F.cross_entropy(logits, target, reduction="none")
    torch.testing.assert_close(plain, (counts * losses).sum() / counts.sum())


def test_high_loss_rows_get_low_weight_and_diagnostics_are_kept():
    criterion = AntidoteLoss(forget_rate=0.25)
    logits = torch.zeros(8, 2)
    logits[:, 0] = torch.linspace(4.0, 6.0, 8)  # confident in class 0
    target = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1])  # the last two disagree
    criterion(logits, target)
    w = criterion.weights_
    assert w.shape == (8,)
    assert float(w[6:].max()) < float(w[:6].min())
    assert float(w.mean()) == pytest.approx(1.0)
    assert float(criterion.lambda_) > 0
    assert float(criterion.tau_) == pytest.approx(float(criterion.lambda_))
    assert criterion.rho_ is None
    assert float(criterion.divergence_) == pytest.approx(criterion.radius, rel=1e-6)
    forgotten = float((w < FORGOTTEN_WEIGHT).float().mean())
    assert float(criterion.forgotten_) == pytest.approx(forgotten)
    assert float(criterion.forgotten_) == pytest.approx(0.25)  # the two disagreeing rows


def test_weights_method_changes_no_state():
    criterion = AntidoteLoss(forget_rate=0.2)
    logits, target = batch()
    criterion(logits, target)
    before = criterion.weights_.clone()
    w = criterion.weights(torch.rand(100))
    assert w.shape == (100,)
    assert torch.equal(criterion.weights_, before)
    criterion.reset()
    assert criterion.weights_ is None


def test_kappa_adds_the_penalty_to_the_objective():
    logits, target = batch()
    criterion = AntidoteLoss(delta=0.3, kappa=0.5)
    value = criterion(logits, target)
    losses = F.cross_entropy(logits, target, reduction="none")
    w = criterion.weights_
    expected = (w * losses).mean() + 0.5 * criterion.family.divergence(w)
    torch.testing.assert_close(value, expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_low_precision_logits_train_without_nan(dtype):
    logits, target = batch(dtype=torch.float32)
    logits = logits.to(dtype).requires_grad_(True)
    loss = AntidoteLoss(forget_rate=0.3)(logits, target)
    loss.backward()
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad.float()).all()


def test_bfloat16_autocast_training_step():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    criterion = AntidoteLoss(divergence="chi2", forget_rate=0.2)
    x, y = torch.randn(64, 10), torch.randint(0, 3, (64,))
    for _ in range(5):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = criterion(net(x), y)
        loss.backward()
        opt.step()
        assert torch.isfinite(loss)


def test_nonfinite_logits_raise_even_when_disabled():
    logits, target = batch()
    logits[3, 0] = math.nan
    with pytest.raises(ValueError, match="losses are not finite"):
        AntidoteLoss(forget_rate=0.2)(logits, target)
    criterion = AntidoteLoss(forget_rate=0.2)
    criterion.enabled = False
    where = r"1 of 32 losses are not finite \(first at position 3"
    with pytest.raises(ValueError, match=where):
        criterion(logits, target)
    with pytest.raises(ValueError, match=where):
        criterion(logits, target, sample_weight=torch.ones(32))
    with pytest.raises(ValueError, match=where):
        AntidoteLoss(delta=0.0)(logits, target)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of forget_rate"),
        ({"forget_rate": 0.1, "delta": 0.1}, "exactly one of forget_rate"),
        ({"forget_rate": 1.2}, r"forget_rate must be a finite number in \[0, 1\), got 1.2"),
        ({"delta": -1.0}, r"delta must be a number in \[0, inf\], got -1.0"),
        ({"delta": 0.1, "kappa": -0.5}, r"kappa must be a finite number in \[0, inf\), got -0.5"),
        ({"delta": math.inf}, "kappa must be > 0"),
        ({"delta": 0.1, "divergence": "tv"}, "divergence must be 'kl', 'alpha', 'chi2'"),
        (
            {"delta": 0.1, "divergence": "alpha", "alpha": 0.5},
            r"alpha must be a finite number in \(1, inf\)",
        ),
        ({"delta": 0.1, "max_iter": 0}, "max_iter must be an integer >= 1, got 0"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AntidoteLoss(**kwargs)


def test_forgets_corrupted_rows_in_a_training_loop():
    gen = torch.Generator().manual_seed(0)
    n, k = 600, 3
    centers = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    y_true = torch.randint(0, k, (n,), generator=gen)
    x = centers[y_true] + torch.randn(n, 2, generator=gen)
    corrupted = torch.rand(n, generator=gen) < 0.3
    y = torch.where(corrupted, (y_true + 1) % k, y_true)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, k))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    criterion = AntidoteLoss(forget_rate=0.3)
    for _ in range(100):
        opt.zero_grad()
        criterion(net(x), y).backward()
        opt.step()
    w = criterion.weights_
    assert float(w[corrupted].mean()) < 0.2 * float(w[~corrupted].mean())
    accuracy = (net(x).argmax(1) == y_true).float().mean()
    assert float(accuracy) > 0.95


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_forward_backward_stays_on_device():
    logits, target = batch(dtype=torch.float32)
    logits = logits.cuda().requires_grad_(True)
    criterion = AntidoteLoss(forget_rate=0.3)
    loss = criterion(logits, target.cuda())
    loss.backward()
    assert criterion.weights_.device.type == "cuda"
    cpu = AntidoteLoss(forget_rate=0.3)(logits.detach().cpu(), target)
    torch.testing.assert_close(loss.detach().cpu(), cpu, rtol=1e-5, atol=1e-6)
    # The confident floor's radius stays on the device, and gives the CPU's loss.
    floor = [0.55] * logits.shape[1]
    criterion.set_confident_floor(floor)
    loss = criterion(logits, target.cuda())
    on_cpu = AntidoteLoss(forget_rate=0.3)
    on_cpu.set_confident_floor(floor)
    torch.testing.assert_close(
        loss.detach().cpu(), on_cpu(logits.detach().cpu(), target), rtol=1e-5, atol=1e-6
    )
    # One ball per class at unequal rates: the classes' shares are applied on the device.
    rates = [0.1, 0.5, 0.2, 0.3, 0.0]
    per_class = AntidoteLoss(forget_rate=rates, per_class=True)
    loss = per_class(logits, target.cuda())
    on_cpu = AntidoteLoss(forget_rate=rates, per_class=True)
    torch.testing.assert_close(
        loss.detach().cpu(), on_cpu(logits.detach().cpu(), target), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", ["squared_error", "absolute_error", "huber"])
def test_regression_sample_losses_are_reweighted_exactly(name):
    gen = torch.Generator().manual_seed(3)
    prediction = torch.randn(40, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.randn(40, 2, generator=gen, dtype=torch.float64)
    target[:6] += 8.0  # corrupted rows
    criterion = AntidoteLoss(forget_rate=0.2, sample_loss=name, warm_start=False)
    residual = (prediction - target).detach()
    expected_losses = {
        "squared_error": (residual**2).mean(dim=1),
        "absolute_error": residual.abs().mean(dim=1),
        "huber": torch.where(
            residual.abs() <= 1, 0.5 * residual**2, residual.abs() - 0.5
        ).mean(dim=1),
    }[name]
    torch.testing.assert_close(criterion.per_sample(prediction, target), expected_losses)
    value = criterion(prediction, target)
    solved = criterion.family.solve(expected_losses, criterion.radius).value
    torch.testing.assert_close(value.detach(), solved, rtol=1e-10, atol=0)
    # The corrupted rows, with the largest residuals, are forgotten first.
    weights = criterion.weights_
    assert weights[:6].max() < weights[6:].min()
    value.backward()
    assert torch.isfinite(prediction.grad).all()


def test_single_output_regression_accepts_flat_targets_and_a_callable_loss():
    prediction = torch.tensor([[0.0], [1.0], [5.0]])
    target = torch.tensor([0.0, 1.0, 0.0])
    criterion = AntidoteLoss(delta=0.1, sample_loss="squared_error")
    torch.testing.assert_close(criterion.per_sample(prediction, target), torch.tensor([0, 0, 25.0]))

    def cubic(input, target):
        return (input.squeeze(1) - target).abs() ** 3

    custom = AntidoteLoss(delta=0.1, sample_loss=cubic)
    torch.testing.assert_close(custom.per_sample(prediction, target), torch.tensor([0, 0, 125.0]))
    assert custom.weights(custom.per_sample(prediction, target))[2] < 1


def test_warmup_of_a_regression_loss_is_its_plain_mean():
    prediction = torch.tensor([[0.0], [1.0], [3.0]])
    target = torch.tensor([[1.0], [1.0], [1.0]])
    criterion = AntidoteLoss(forget_rate=0.3, sample_loss="absolute_error")
    criterion.enabled = False
    torch.testing.assert_close(criterion(prediction, target), torch.tensor(1.0))
    weight = torch.tensor([1.0, 1.0, 2.0])
    torch.testing.assert_close(criterion(prediction, target, weight), torch.tensor(5.0 / 4))


def test_nce_rce_sample_loss_is_reweighted_exactly_without_the_confident_floor():
    gen = torch.Generator().manual_seed(5)
    logits = torch.randn(64, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 2, (64,), generator=gen)
    criterion = AntidoteLoss(forget_rate=0.3, sample_loss="nce+rce", warm_start=False)
    expected = NCERCELoss().per_sample(logits.detach(), target)
    torch.testing.assert_close(criterion.per_sample(logits, target), expected)
    value = criterion(logits, target)
    solved = criterion.family.solve(expected, criterion.radius).value
    torch.testing.assert_close(value.detach(), solved, rtol=1e-10, atol=0)
    # The confident floor is cross-entropy's: it leaves another sample loss's radius alone.
    criterion.set_confident_floor([0.5, 0.5])
    torch.testing.assert_close(criterion(logits, target).detach(), solved, rtol=1e-10, atol=0)
    value.backward()
    assert torch.isfinite(logits.grad).all()


def test_unknown_sample_loss_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"sample_loss must be one of \['absolute_error'"):
        AntidoteLoss(forget_rate=0.2, sample_loss="hinge")


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_per_class_gradient_is_the_per_class_weighted_average(config):
    criterion = AntidoteLoss(**config, per_class=True, warm_start=False)
    logits, target = batch(n=40, k=4, seed=5)
    logits.requires_grad_(True)
    criterion(logits, target).backward()
    losses = F.cross_entropy(logits, target, reduction="none")
    solution = criterion.family.solve_per_class(
        losses.detach(), target, [criterion.radius] * 4, criterion.kappa
    )
    torch.testing.assert_close(criterion.weights_, solution.weights)
    expected = torch.autograd.grad((solution.weights * losses).mean(), logits)[0]
    torch.testing.assert_close(logits.grad, expected)


def test_per_class_keeps_the_class_marginal_where_the_joint_ball_does_not():
    # Class 1 is a minority whose rows all have high losses: one ball forgets it wholesale.
    logits = torch.zeros(20, 2, dtype=torch.float64)
    logits[:, 0] = torch.linspace(3.0, 4.0, 20, dtype=torch.float64)
    target = torch.tensor([0] * 16 + [1] * 4)
    joint = AntidoteLoss(forget_rate=0.3)
    joint(logits, target)
    per_class = AntidoteLoss(forget_rate=0.3, per_class=True)
    per_class(logits, target)
    assert float(joint.weights_[target == 1].mean()) < 0.2
    for k in (0, 1):
        assert float(per_class.weights_[target == k].mean()) == pytest.approx(1.0, abs=1e-12)
    assert per_class.tau_.shape == (2,)
    assert float(per_class.divergence_) == pytest.approx(joint.radius, rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_per_class_rates_weight_each_class_by_the_share_its_ball_keeps(weighted):
    # Independently: each class's own solve, the classes' terms weighted by
    # P(k) (1 - rate_k), renormalised; the divergence alike.
    logits, target = batch(n=48, k=3, seed=7)
    logits.requires_grad_(True)
    rates = [0.6, 0.1, 0.3]
    sample_weight = torch.linspace(0.5, 2.0, 48, dtype=torch.float64) if weighted else None
    criterion = AntidoteLoss("kl", forget_rate=rates, kappa=0.1, per_class=True,
                             warm_start=False)
    value = criterion(logits, target, sample_weight)
    losses = F.cross_entropy(logits, target, reduction="none")
    ref = torch.ones(48, dtype=torch.float64) if sample_weight is None else sample_weight
    terms, shares = [], []
    for k, rate in enumerate(rates):
        rows = target == k
        solution = criterion.family.solve(
            losses.detach()[rows], criterion.family.radius(rate), 0.1, ref_weights=ref[rows]
        )
        p_k = ref[rows] / ref[rows].sum()
        terms.append(torch.dot(p_k * solution.weights, losses[rows]) + 0.1 * solution.divergence)
        shares.append(ref[rows].sum() / ref.sum() * (1.0 - rate))
        assert torch.allclose(criterion.weights_[rows], solution.weights, atol=1e-8)
    shares = torch.stack(shares) / sum(shares)
    expected = sum(share * term for share, term in zip(shares, terms, strict=True))
    torch.testing.assert_close(value, expected, rtol=1e-8, atol=0)
    (grad,) = torch.autograd.grad(value, logits)
    (expected_grad,) = torch.autograd.grad(expected, logits)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-7, atol=1e-12)
    divergences = criterion.solution_.divergence
    torch.testing.assert_close(
        criterion.divergence_, torch.dot(shares, divergences), rtol=1e-8, atol=0
    )
    # The rows' weights keep mean 1 in every class, whatever the rates.
    for k in range(3):
        rows = target == k
        mean = torch.dot(ref[rows], criterion.weights_[rows]) / ref[rows].sum()
        assert float(mean) == pytest.approx(1.0, abs=1e-9)


def test_equal_per_class_rates_keep_every_class_s_share():
    logits, target = batch(n=40, k=4, seed=3)
    listed = AntidoteLoss(forget_rate=[0.25] * 4, per_class=True, warm_start=False)
    single = AntidoteLoss(forget_rate=0.25, per_class=True, warm_start=False)
    torch.testing.assert_close(listed(logits, target), single(logits, target), rtol=0, atol=0)
    # A radius set directly afterwards (a refit's delta) drops the earlier rates' shares.
    uneven = AntidoteLoss(forget_rate=[0.1, 0.5, 0.2, 0.3], per_class=True, warm_start=False)
    uneven(logits, target)
    uneven.radius = single.radius
    torch.testing.assert_close(uneven(logits, target), single(logits, target), rtol=0, atol=0)


def test_per_class_zero_rate_leaves_that_class_uniform():
    logits, target = batch(n=60, k=3, seed=2)
    criterion = AntidoteLoss("chi2", forget_rate=[0.3, 0.0, 0.2], per_class=True)
    criterion(logits, target)
    assert torch.equal(criterion.weights_[target == 1], torch.ones(int((target == 1).sum()),
                                                                 dtype=torch.float64))
    assert float(criterion.weights_[target == 0].min()) == 0.0  # alpha forgets exactly
    criterion.set_forget_rate(0.1)
    assert isinstance(criterion.radius, float)
    criterion.set_forget_rate([0.0, 0.0, 0.0])
    criterion(logits, target)
    assert torch.equal(criterion.weights_, torch.ones(60, dtype=torch.float64))
    weights = criterion.weights(torch.rand(10), classes=torch.randint(0, 3, (10,)))
    assert torch.equal(weights, torch.ones(10))


def test_per_class_errors_name_what_was_given():
    logits, target = batch(n=8, k=3)
    with pytest.raises(ValueError, match="per-class forget rates needs per_class=True"):
        AntidoteLoss(forget_rate=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="per-class forget rates needs per_class=True"):
        AntidoteLoss(forget_rate=0.1).set_forget_rate([0.1, 0.2])
    with pytest.raises(ValueError, match=r"forget_rate\[1\] must be a finite number in \[0, 1\)"):
        AntidoteLoss(forget_rate=[0.1, 1.5], per_class=True)
    with pytest.raises(ValueError, match="2 per-class forget rates were given for 3 classes"):
        AntidoteLoss(forget_rate=[0.1, 0.2], per_class=True)(logits, target)
    criterion = AntidoteLoss(forget_rate=0.2, per_class=True)
    with pytest.raises(ValueError, match=r"needs class indices .* got torch.float64 of shape"):
        criterion(logits, torch.softmax(logits, 1))
    with pytest.raises(ValueError, match="needs class indices .* got none"):
        criterion.weights(torch.rand(8))


def _confident_fraction(logits, target, thresholds, weights=None):
    """Reference: the (weighted) share of rows whose top class is not the label and has at
    least its threshold, one row at a time."""
    proba = torch.softmax(logits.double(), dim=1)
    flags = []
    for row, label in zip(proba, target.tolist(), strict=True):
        top = int(row.argmax())
        flags.append(float(top != label and row[top] >= thresholds[top]))
    flags = torch.tensor(flags, dtype=torch.float64)
    if weights is None:
        return float(flags.mean())
    return float((flags * weights).sum() / weights.sum())


@pytest.mark.parametrize("divergence", ["kl", "alpha"])
@pytest.mark.parametrize("weighted", [False, True])
def test_confident_floor_forgets_at_least_the_rows_put_in_another_class(divergence, weighted):
    gen = torch.Generator().manual_seed(0)
    n, n_classes = 64, 4
    target = torch.randint(n_classes, (n,), generator=gen)
    logits = torch.randn(n, n_classes, generator=gen)
    # A third of the rows are confidently another class than their label.
    other = (target[: n // 3] + 1) % n_classes
    logits[torch.arange(n // 3), other] += 5.0
    weights = torch.rand(n, generator=gen) + 0.5 if weighted else None
    thresholds = [0.6, 0.7, 0.8, 0.9]
    fraction = _confident_fraction(logits, target, thresholds, weights)
    assert 0.2 < fraction < 0.4
    for rate in (0.1, 0.5):
        floored = AntidoteLoss(divergence, forget_rate=rate)
        floored.set_confident_floor(thresholds)
        value = floored(logits, target, weights)
        # The same as the plain ball of the larger of the two rates.
        plain = AntidoteLoss(divergence, forget_rate=max(rate, fraction))
        torch.testing.assert_close(value, plain(logits, target, weights))
        torch.testing.assert_close(floored.weights_, plain.weights_)
    floored.set_confident_floor(None)
    assert floored.confident_thresholds is None


def test_confident_floor_leaves_per_class_balls_and_regression_alone():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(30, 3, generator=gen) * 4
    target = torch.randint(3, (30,), generator=gen)
    per_class = AntidoteLoss(forget_rate=0.1, per_class=True)
    expected = per_class(logits, target)
    per_class.set_confident_floor([0.5, 0.5, 0.5])
    torch.testing.assert_close(per_class(logits, target), expected)
    regression = AntidoteLoss(forget_rate=0.1, sample_loss="squared_error")
    prediction, values = torch.randn(30, 1, generator=gen), torch.randn(30, 1, generator=gen)
    expected = regression(prediction, values)
    regression.set_confident_floor([0.5])
    torch.testing.assert_close(regression(prediction, values), expected)


@pytest.mark.parametrize(
    "thresholds, match",
    [([0.5, 1.5], r"probabilities in \[0.5, 1\] .*got \[0.5, 1.5\]"),
     ([0.4, 0.5], "probabilities in"), ([], "one probability per class"),
     ([[0.5]], "one probability per class")],
)
def test_confident_floor_names_bad_thresholds(thresholds, match):
    with pytest.raises(ValueError, match=match):
        AntidoteLoss(forget_rate=0.1).set_confident_floor(thresholds)


@pytest.mark.parametrize("forget_rate", [0.0, 0.3])
def test_sample_weights_are_checked_alike_with_and_without_reweighting(forget_rate):
    """A warm-up (or a zero rate) must not accept what the reweighted epochs refuse."""
    criterion = AntidoteLoss(forget_rate=forget_rate)
    logits, target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    for bad, message in [
        (torch.zeros(4), "non-negative with a positive sum"),
        (torch.tensor([1.0, -1.0, 1.0, 1.0]), "non-negative with a positive sum"),
        (torch.ones(3), r"must have the losses' shape \(4,\), one per row, got \(3,\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            criterion(logits, target, bad)
    # Arrays and lists are weights like tensors.
    weights = [1.0, 2.0, 0.5, 1.0]
    expected = criterion(logits, target, torch.tensor(weights))
    torch.testing.assert_close(criterion(logits, target, weights), expected)
    torch.testing.assert_close(
        criterion(logits, target, torch.tensor(weights).numpy()), expected
    )
    if forget_rate == 0.0:
        plain = F.cross_entropy(logits, target, reduction="none")
        torch.testing.assert_close(
            expected, (plain * torch.tensor(weights)).sum() / sum(weights)
        )


@pytest.mark.parametrize("forget_rate", [0.0, 0.3])
def test_rows_marked_to_be_ignored_are_refused_not_weighted(forget_rate):
    # cross_entropy gives a target of -100 a zero loss: reweighted, it would weigh most.
    criterion = AntidoteLoss(forget_rate=forget_rate)
    target = torch.tensor([0, 1, 2, -100] * 4)
    with pytest.raises(ValueError, match=r"in \[0, n_classes\), got \[-100\].*ignore_index"):
        criterion(torch.randn(16, 3), target)


def test_the_confident_floor_applies_at_a_zero_forget_rate():
    criterion = AntidoteLoss(forget_rate=0.0)
    criterion.set_confident_floor([0.9, 0.9])
    logits = torch.tensor([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.0, 4.0]])
    criterion(logits, torch.tensor([0, 1, 1, 0]))  # two rows confidently the other class
    assert float(criterion.divergence_) == pytest.approx(criterion.family.radius(0.5))
    # No row confidently in another class: nothing to forget, the plain mean.
    target = torch.tensor([0, 0, 1, 1])
    torch.testing.assert_close(criterion(logits, target), F.cross_entropy(logits, target))
    assert criterion.weights_ is None
    # A floor for another number of classes is named, not broadcast.
    criterion.set_confident_floor([0.9, 0.9, 0.9])
    with pytest.raises(ValueError, match="3 thresholds for 2 classes"):
        criterion(logits, target)


def test_weights_of_integer_losses_are_fractions():
    criterion = AntidoteLoss(forget_rate=0.3)
    torch.testing.assert_close(
        criterion.weights(torch.tensor([1, 2, 3])),
        criterion.weights(torch.tensor([1.0, 2.0, 3.0])),
    )


def test_forget_rates_of_other_types():
    expected = AntidoteLoss(forget_rate=0.25).radius
    for rate in (torch.tensor(0.25), np.array(0.25), np.float32(0.25)):
        assert AntidoteLoss(forget_rate=rate).radius == pytest.approx(expected)
    with pytest.raises(TypeError, match="got the string '0.25'"):
        AntidoteLoss(forget_rate="0.25")
    with pytest.raises(ValueError, match="tol must be a finite number in \\[0, inf\\)"):
        AntidoteLoss(forget_rate=0.25, tol=float("nan"))
    assert AntidoteLoss(forget_rate=0.25, tol=0).tol == 0.0  # max_iter iterations


@pytest.mark.parametrize("enabled", [False, True])
def test_per_position_logits_are_refused_in_and_after_the_warm_up(enabled):
    criterion = AntidoteLoss(forget_rate=0.2)
    criterion.enabled = enabled
    with pytest.raises(ValueError, match=r"shape \(n, n_classes\), got \(4, 3, 5\)"):
        criterion(torch.randn(4, 3, 5), torch.randint(0, 3, (4, 5)))


def test_state_dict_carries_what_a_run_set(tmp_path):
    """A checkpoint resumes at the run's radius, shares and floor, not the constructor's."""
    trained = AntidoteLoss(forget_rate=0.1, per_class=True)
    trained.set_forget_rate([0.1, 0.4, 0.2])
    trained.enabled = False
    floored = AntidoteLoss(forget_rate=0.3)
    floored.set_confident_floor([0.9, 0.6, 0.7])
    logits, target = torch.randn(32, 3), torch.randint(0, 3, (32,))
    for source in (trained, floored):
        torch.save(source.state_dict(), tmp_path / "criterion.pt")
        resumed = AntidoteLoss(forget_rate=0.2)
        resumed.load_state_dict(torch.load(tmp_path / "criterion.pt", weights_only=True))
        assert resumed.radius == source.radius and resumed.per_class == source.per_class
        assert resumed.enabled == source.enabled
        source.enabled = resumed.enabled = True
        torch.testing.assert_close(resumed(logits, target), source(logits, target))
        torch.testing.assert_close(resumed.weights_, source.weights_)
    # A state_dict from before the extra state (an earlier checkpoint) still loads.
    older = AntidoteLoss(forget_rate=0.2)
    older.load_state_dict({})
    assert older.radius == AntidoteLoss(forget_rate=0.2).radius
