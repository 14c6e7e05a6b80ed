"""Robust-loss baselines: formulas, identities, gradients, sample weights, errors, registry."""

import math

import numpy as np
import pytest
import torch

from skantidote.robust_losses import (
    RCE_SCALE,
    ROBUST_LOSSES,
    CrossEntropyLoss,
    EpsilonSoftmaxLoss,
    EpsilonSoftmaxMAELoss,
    GCELoss,
    MAELoss,
    NCELoss,
    NCERCELoss,
    RCELoss,
    SCELoss,
    SmallLossTrickLoss,
    get_robust_loss,
)


def batch(n=24, k=5, seed=0, scale=2.0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=gen, dtype=torch.float64) * scale
    target = torch.randint(0, k, (n,), generator=gen)
    return logits.to(dtype), target


# Independent numpy references of the per-sample losses (float64, straight from the formulas).


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def ref_ce(z, y):
    return -np.log(softmax(z)[np.arange(len(y)), y])


def ref_mae(z, y):
    p = softmax(z)
    onehot = np.eye(z.shape[1])[y]
    return np.abs(p - onehot).sum(axis=1)  # = 2 (1 - p_y)


def ref_gce(z, y, q):
    return (1 - softmax(z)[np.arange(len(y)), y] ** q) / q


def ref_rce(z, y):
    p = softmax(z)
    onehot = np.eye(z.shape[1])[y]
    return -(p * np.log(np.clip(onehot, 1e-4, 1))).sum(axis=1)


def ref_nce(z, y):
    logp = np.log(softmax(z))
    return -logp[np.arange(len(y)), y] / -logp.sum(axis=1)


def ref_ce_eps(z, y, m):
    p = softmax(z)
    p_eps = (p + m * np.eye(z.shape[1])[p.argmax(axis=1)]) / (1 + m)
    return -np.log(p_eps[np.arange(len(y)), y])


REFERENCES = [
    (CrossEntropyLoss(), ref_ce),
    (MAELoss(), ref_mae),
    (GCELoss(), lambda z, y: ref_gce(z, y, 0.7)),
    (GCELoss(q=0.3), lambda z, y: ref_gce(z, y, 0.3)),
    (RCELoss(), ref_rce),
    (SCELoss(), lambda z, y: 0.1 * ref_ce(z, y) + 1.0 * ref_rce(z, y)),
    (SCELoss(alpha=0.5, beta=2.0), lambda z, y: 0.5 * ref_ce(z, y) + 2.0 * ref_rce(z, y)),
    (NCELoss(), ref_nce),
    (NCERCELoss(), lambda z, y: ref_nce(z, y) + ref_rce(z, y)),
    (NCERCELoss(alpha=10.0, beta=0.1), lambda z, y: 10 * ref_nce(z, y) + 0.1 * ref_rce(z, y)),
    (EpsilonSoftmaxLoss(), lambda z, y: ref_ce_eps(z, y, 1e5)),
    (EpsilonSoftmaxLoss(m=3.0), lambda z, y: ref_ce_eps(z, y, 3.0)),
    (
        EpsilonSoftmaxMAELoss(),
        lambda z, y: 0.01 * ref_ce_eps(z, y, 1e5) + 5.0 * ref_mae(z, y),
    ),
    (
        EpsilonSoftmaxMAELoss(alpha=0.02, beta=5.0, m=1e3),
        lambda z, y: 0.02 * ref_ce_eps(z, y, 1e3) + 5.0 * ref_mae(z, y),
    ),
]
PER_SAMPLE = [criterion for criterion, _ in REFERENCES]
ALL = [
    *PER_SAMPLE,
    EpsilonSoftmaxLoss(m=0),
    SmallLossTrickLoss(),
    SmallLossTrickLoss(forget_rate=0.35),
]


@pytest.mark.parametrize(("criterion", "reference"), REFERENCES, ids=[repr(c) for c in PER_SAMPLE])
def test_matches_the_formula(criterion, reference):
    logits, target = batch()
    expected = reference(logits.numpy(), target.numpy())
    per_sample = criterion.per_sample(logits, target)
    np.testing.assert_allclose(per_sample.numpy(), expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(
        criterion(logits, target), torch.tensor(expected.mean(), dtype=torch.float64)
    )
    w = np.random.default_rng(0).uniform(0, 3, len(target))
    torch.testing.assert_close(
        criterion(logits, target, torch.from_numpy(w)),
        torch.tensor((w * expected).sum() / w.sum(), dtype=torch.float64),
    )


def test_rce_is_a_rescaled_mae():
    assert RCE_SCALE == pytest.approx(9.2103, abs=1e-4)
    logits, target = batch(seed=1)
    p_y = torch.softmax(logits, 1)[torch.arange(len(target)), target]
    torch.testing.assert_close(RCELoss().per_sample(logits, target), 9.21034037 * (1 - p_y))
    torch.testing.assert_close(RCELoss()(logits, target), RCE_SCALE / 2 * MAELoss()(logits, target))


def test_epsilon_softmax_with_m_zero_is_cross_entropy():
    logits, target = batch(seed=2)
    torch.testing.assert_close(
        EpsilonSoftmaxLoss(m=0).per_sample(logits, target),
        CrossEntropyLoss().per_sample(logits, target),
    )


def test_epsilon_softmax_off_the_argmax_is_shifted_cross_entropy():
    logits, target = batch(seed=3)
    off = logits.argmax(1) != target
    assert off.any() and (~off).any()
    m = 1e5
    ce_eps = EpsilonSoftmaxLoss(m=m).per_sample(logits, target)
    ce = CrossEntropyLoss().per_sample(logits, target)
    torch.testing.assert_close(ce_eps[off], ce[off] + math.log1p(m))
    # at the argmax it is bounded by (1 - p_y) / (1 + m), about MAE / (2 (1 + m))
    p_y = torch.softmax(logits, 1)[torch.arange(len(target)), target]
    bound = (1 - p_y[~off]) / (1 + m)
    assert (ce_eps[~off] >= bound).all() and (ce_eps[~off] <= bound * (1 + 1e-4)).all()


def test_epsilon_softmax_mae_is_its_mixture():
    logits, target = batch(seed=4)
    combined = EpsilonSoftmaxMAELoss(alpha=0.02, beta=5.0, m=1e3)(logits, target)
    parts = 0.02 * EpsilonSoftmaxLoss(m=1e3)(logits, target) + 5.0 * MAELoss()(logits, target)
    torch.testing.assert_close(combined, parts)


def test_gce_interpolates_between_cross_entropy_and_mae():
    logits, target = batch(seed=5)
    ce = CrossEntropyLoss().per_sample(logits, target)
    torch.testing.assert_close(GCELoss(q=1e-7).per_sample(logits, target), ce, rtol=1e-5, atol=0)
    gap = [(GCELoss(q=q).per_sample(logits, target) - ce).abs().max() for q in (0.1, 0.01)]
    assert gap[1] < gap[0] / 5
    torch.testing.assert_close(GCELoss(q=1.0)(logits, target), MAELoss()(logits, target) / 2)


@pytest.mark.parametrize(
    ("criterion", "constant"),
    [
        (MAELoss(), lambda k: 2 * (k - 1)),
        (RCELoss(), lambda k: RCE_SCALE * (k - 1)),
        (NCELoss(), lambda k: 1.0),
    ],
    ids=["mae", "rce", "nce"],
)
def test_symmetric_losses_sum_to_a_constant_over_labels(criterion, constant):
    k = 6
    logits, _ = batch(n=10, k=k, seed=6)
    total = sum(
        criterion.per_sample(logits, torch.full((10,), j, dtype=torch.long)) for j in range(k)
    )
    torch.testing.assert_close(total, torch.full((10,), float(constant(k)), dtype=torch.float64))


def test_nce_lies_in_the_unit_interval():
    logits, target = batch(n=200, k=4, seed=7, scale=10.0)
    nce = NCELoss().per_sample(logits, target)
    assert (nce >= 0).all() and (nce <= 1).all()


# ------------------------------------------------------------------------------- small loss


def test_small_loss_with_no_forgetting_is_cross_entropy():
    logits, target = batch(seed=8)
    w = torch.rand(len(target), dtype=torch.float64)
    for weights in (None, w):
        torch.testing.assert_close(
            SmallLossTrickLoss(forget_rate=0)(logits, target, weights),
            CrossEntropyLoss()(logits, target, weights),
        )


def test_small_loss_averages_the_smallest_losses():
    logits, target = batch(n=20, seed=9)
    ce = CrossEntropyLoss().per_sample(logits, target)
    criterion = SmallLossTrickLoss(forget_rate=0.25)
    torch.testing.assert_close(criterion(logits, target), ce.sort().values[:15].mean())
    kept = criterion.kept_
    assert kept.sum() == 15 and set(kept.tolist()) == {0.0, 1.0}
    assert ce[kept == 1].max() <= ce[kept == 0].min()
    # a fraction that is not a whole number of rows: the boundary row counts in part
    criterion = SmallLossTrickLoss(forget_rate=0.23)  # keeps 15.4 rows
    low = ce.sort().values
    expected = (low[:15].sum() + 0.4 * low[15]) / 15.4
    torch.testing.assert_close(criterion(logits, target), expected)
    assert criterion.kept_.sum().item() == pytest.approx(15.4)


def test_small_loss_keeps_at_least_the_smallest_row():
    logits, target = batch(n=10, seed=10)
    ce = CrossEntropyLoss().per_sample(logits, target)
    torch.testing.assert_close(SmallLossTrickLoss(forget_rate=0.999)(logits, target), ce.min())
    torch.testing.assert_close(SmallLossTrickLoss(forget_rate=0.5)(logits[:1], target[:1]), ce[0])


def test_small_loss_with_weights_keeps_rows_until_the_weight_is_reached():
    logits, target = batch(n=8, seed=11)
    ce = CrossEntropyLoss().per_sample(logits, target)
    order = ce.argsort()
    w = torch.zeros(8, dtype=torch.float64)
    w[order] = torch.tensor([3.0, 1, 2, 4, 1, 5, 2, 2], dtype=torch.float64)  # total 20
    # forget 0.5: keep 10 = 3 + 1 + 2 + 4, exactly the four lowest-loss rows
    kept = order[:4]
    expected = (w[kept] * ce[kept]).sum() / w[kept].sum()
    torch.testing.assert_close(SmallLossTrickLoss(forget_rate=0.5)(logits, target, w), expected)
    # a zero-weight row is never counted
    w[order[0]] = 0.0
    loss = SmallLossTrickLoss(forget_rate=0.0)(logits, target, w)
    torch.testing.assert_close(loss, (w * ce).sum() / w.sum())


def test_small_loss_gradient_is_that_of_the_kept_rows():
    logits, target = batch(n=10, seed=12)
    logits.requires_grad_(True)
    SmallLossTrickLoss(forget_rate=0.3)(logits, target).backward()
    ce = CrossEntropyLoss().per_sample(logits.detach(), target)
    dropped = ce.argsort()[7:]
    assert (logits.grad[dropped] == 0).all()
    assert (logits.grad[ce.argsort()[:7]].abs().sum(1) > 0).all()


# ------------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("criterion", ALL, ids=repr)
def test_gradient_matches_finite_differences(criterion):
    logits, target = batch(n=7, k=4, seed=13)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: criterion(z, target), (logits,))
    w = torch.rand(7, dtype=torch.float64) + 0.1
    assert torch.autograd.gradcheck(lambda z: criterion(z, target, w), (logits,))


def extreme_batch(dtype):
    # +-1e4 logits: labels at the argmax, off it (p_y underflows to 0), and ties
    logits = torch.tensor(
        [
            [1e4, -1e4, 0.0],
            [-1e4, 1e4, 0.0],
            [1e4, 1e4, -1e4],
            [-1e4, -1e4, -1e4],
            [0.0, 0.0, 1e4],
            [1.0, -2.0, 0.5],
        ],
        dtype=dtype,
    )
    return logits, torch.tensor([0, 0, 1, 2, 1, 2])


@pytest.mark.parametrize(
    "dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64], ids=str
)
@pytest.mark.parametrize("criterion", ALL, ids=repr)
def test_values_and_gradients_are_finite(criterion, dtype):
    for logits, target in (batch(n=16, k=4, seed=14, dtype=dtype), extreme_batch(dtype)):
        logits.requires_grad_(True)
        for weights in (None, torch.arange(len(target), dtype=torch.float32)):
            logits.grad = None
            loss = criterion(logits, target, weights)
            assert loss.ndim == 0
            assert loss.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
            loss.backward()
            assert torch.isfinite(loss)
            assert logits.grad.dtype == dtype
            assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("criterion", ALL, ids=repr)
def test_half_precision_is_computed_in_float32(criterion, dtype):
    logits, target = batch(seed=15, dtype=dtype)
    torch.testing.assert_close(criterion(logits, target), criterion(logits.float(), target))


# ------------------------------------------------------------------------------- sample weights


@pytest.mark.parametrize(
    "criterion", [*ALL, SmallLossTrickLoss(forget_rate=0.3), SmallLossTrickLoss(0.77)], ids=repr
)
def test_integer_weights_equal_repeated_rows(criterion):
    logits, target = batch(n=15, seed=16)
    counts = torch.randint(0, 4, (15,), generator=torch.Generator().manual_seed(0))
    counts[0] = 2
    repeated = criterion(logits.repeat_interleave(counts, 0), target.repeat_interleave(counts))
    weighted = criterion(logits, target, counts.to(torch.float64))
    torch.testing.assert_close(weighted, repeated)
    # integer-dtype weights are accepted too, and rescaling the weights changes nothing
    torch.testing.assert_close(criterion(logits, target, counts), repeated)
    torch.testing.assert_close(criterion(logits, target, counts * 0.37), repeated)


@pytest.mark.parametrize("criterion", ALL, ids=repr)
def test_unit_weights_equal_no_weights(criterion):
    logits, target = batch(seed=17)
    torch.testing.assert_close(
        criterion(logits, target, torch.ones(len(target))), criterion(logits, target)
    )


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (GCELoss, {"q": 0}, r"q must be a finite number in \(0, 1\], got 0"),
        (GCELoss, {"q": 1.5}, r"q must be .* got 1.5"),
        (GCELoss, {"q": True}, r"q must be .* got True"),
        (GCELoss, {"q": "0.7"}, r"q must be .* got '0.7'"),
        (SCELoss, {"alpha": -0.1}, r"alpha must be a finite number in \[0, inf\), got -0.1"),
        (SCELoss, {"beta": math.inf}, r"beta must be .* got inf"),
        (NCERCELoss, {"alpha": 0, "beta": 0}, "alpha and beta are both 0"),
        (EpsilonSoftmaxLoss, {"m": -1}, r"m must be a finite number in \[0, inf\), got -1"),
        (EpsilonSoftmaxMAELoss, {"m": math.nan}, "m must be .* got nan"),
        (EpsilonSoftmaxMAELoss, {"alpha": 0.0, "beta": 0.0}, "alpha and beta are both 0"),
        (SmallLossTrickLoss, {"forget_rate": 1.0}, r"forget_rate must be .* \[0, 1\), got 1.0"),
        (SmallLossTrickLoss, {"forget_rate": -0.1}, r"forget_rate must be .* got -0.1"),
    ],
)
def test_bad_parameters_are_named(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_numpy_scalars_are_accepted_as_parameters():
    assert GCELoss(q=np.float32(0.5)).q == 0.5
    assert isinstance(SmallLossTrickLoss(forget_rate=np.float64(0.1)).forget_rate, float)


@pytest.mark.parametrize("criterion", [MAELoss(), SmallLossTrickLoss()], ids=repr)
def test_bad_inputs_are_named(criterion):
    logits, target = batch(n=4, k=3)
    cases = [
        ((logits[0], target), r"logits must be .* got shape \(3,\)"),
        ((logits.long(), target), "logits must be a floating-point tensor"),
        ((logits[:, :1], target), r"at least 1 row and 2 classes, got shape \(4, 1\)"),
        ((logits[:0], target[:0]), r"got shape \(0, 3\)"),
        ((logits, target.double()), r"target must be an integer tensor .* \(4,\)"),
        ((logits, target[:3]), r"shape \(4,\), got shape \(3,\)"),
        ((logits, torch.tensor([0, 1, 3, 0])), r"class index 3; valid indices are 0..2"),
        ((logits, torch.tensor([0, -1, 2, 0])), "class index -1"),
        ((logits, target, torch.ones(3)), r"sample_weight must have shape \(4,\), got \(3,\)"),
        ((logits, target, torch.tensor([1.0, -1, 1, 1])), "finite and non-negative, got min -1"),
        ((logits, target, torch.tensor([1.0, math.nan, 1, 1])), "finite and non-negative"),
        ((logits, target, torch.zeros(4)), "sample_weight sums to 0"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            criterion(*args)


# ------------------------------------------------------------------------------- registry


def test_registry_names_every_class_and_passes_parameters():
    assert set(ROBUST_LOSSES) == {
        "ce", "mae", "gce", "rce", "sce", "nce", "nce+rce", "ce_eps", "ce_eps+mae", "small_loss"
    }  # fmt: skip
    assert len(set(ROBUST_LOSSES.values())) == len(ROBUST_LOSSES)
    logits, target = batch()
    for name, cls in ROBUST_LOSSES.items():
        criterion = get_robust_loss(name)
        assert type(criterion) is cls
        assert criterion(logits, target, sample_weight=torch.ones(len(target))).ndim == 0
    assert get_robust_loss("GCE", q=0.5).q == 0.5
    criterion = get_robust_loss("ce_eps+mae", alpha=0.02, m=1e3)
    assert (criterion.alpha, criterion.beta, criterion.m) == (0.02, 5.0, 1e3)
    assert "alpha=0.02" in repr(criterion)


@pytest.mark.parametrize("name", ["focal", "", None, 3])
def test_unknown_names_list_the_valid_ones(name):
    with pytest.raises(ValueError, match=r"Unknown robust loss .*valid names are 'ce', 'mae'"):
        get_robust_loss(name)


def test_unknown_parameters_raise_type_error():
    with pytest.raises(TypeError):
        get_robust_loss("mae", q=0.5)


# ------------------------------------------------------------------------------- training


@pytest.mark.parametrize("name", list(ROBUST_LOSSES))
def test_every_loss_trains_a_linear_model_on_separable_data(name):
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    y = torch.randint(0, 3, (150,), generator=gen)
    x = centers[y] + torch.randn(150, 2, generator=gen)
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    criterion = get_robust_loss(name)
    for _ in range(60):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    assert (model(x).argmax(1) == y).float().mean() > 0.95
