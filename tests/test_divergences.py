"""Exactness of the weight solve against independent solvers, and its edge cases."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_solvers import dual_alpha, dual_kl, f_alpha, f_kl, primal_slsqp

from skantidote import AntidoteLoss
from skantidote.divergences import AlphaDivergence, KLDivergence, get_divergence

FAMILIES = [KLDivergence(), AlphaDivergence(1.5), AlphaDivergence(2.0), AlphaDivergence(4.0)]


def make_losses(seed: int, n: int, scale_exp: float, ties: int) -> np.ndarray:
    """Losses spanning 0..1e4 with an optional block of exact ties (smallest or not)."""
    rng = np.random.default_rng(seed)
    losses = np.minimum(rng.exponential(1.0, n) * 10.0**scale_exp, 1e4)
    if ties and n > 1:
        k = max(2, n * ties // 4)
        losses[rng.choice(n, size=min(k, n), replace=False)] = losses[rng.integers(n)]
    if seed % 5 == 0:
        losses[rng.integers(n)] = 0.0
    return losses


def reference_value(div, losses, p, delta, kappa) -> float:
    if isinstance(div, KLDivergence):
        return dual_kl(losses, p, delta, kappa)
    return dual_alpha(losses, p, delta, kappa, div.alpha)


def f_numpy(div, w):
    return f_kl(w) if isinstance(div, KLDivergence) else f_alpha(w, div.alpha)


def check_solution(div, losses, p, delta, kappa, solution, reference, rtol=1e-6):
    w = solution.weights.numpy()
    assert np.all(w >= 0)
    assert p @ w == pytest.approx(1.0, abs=1e-9)
    divergence = p @ f_numpy(div, w)
    if np.isfinite(delta):
        assert divergence <= delta * (1 + 1e-7) + 1e-12
    primal = p @ (w * losses) + kappa * divergence
    assert float(solution.value) == pytest.approx(primal, rel=1e-9, abs=1e-9)
    tolerance = 1e-9 * (1 + losses.max())
    assert float(solution.value) == pytest.approx(reference, rel=rtol, abs=tolerance)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=st.sampled_from(FAMILIES),
    seed=st.integers(0, 2**31),
    n=st.integers(1, 10),
    scale_exp=st.floats(-3, 3),
    ties=st.integers(0, 3),
    forget=st.sampled_from([0.0, 0.05, 0.2, 0.4, 0.8, 0.99]),
    kappa_frac=st.sampled_from([0.0, 0.0, 0.1, 1.0]),
    weighted=st.booleans(),
)
def test_matches_slsqp_on_small_instances(
    family, seed, n, scale_exp, ties, forget, kappa_frac, weighted
):
    losses = make_losses(seed, n, scale_exp, ties)
    rng = np.random.default_rng(seed + 1)
    p = rng.uniform(0.2, 1.0, n) if weighted else np.ones(n)
    p = p / p.sum()
    delta = family.radius(forget)
    kappa = kappa_frac * (losses.mean() + 1e-3)
    solution = family.solve(torch.tensor(losses), delta, kappa, ref_weights=torch.tensor(p))
    reference = primal_slsqp(losses, p, delta, kappa, getattr(family, "alpha", None))
    # SLSQP itself is accurate to about 1e-7 here; the dual check below is the tight one.
    check_solution(family, losses, p, delta, kappa, solution, reference, rtol=1e-6)


@pytest.mark.xfail(
    strict=True,
    reason="known limit: the alpha family with r < 1 at a block of tied largest losses "
    "that the optimum just leaves out; its root lies closer to the tie than float64 "
    "resolves, and the solve is 1e-6 off in value (not 1e-9)",
)
def test_alpha_root_at_a_tie_that_leaves_the_support():
    family = AlphaDivergence(4.0)
    # Seven tied largest losses; forgetting 80 % keeps just the two smallest.
    losses = np.array([1.2937, 0.6966, 0.683] + [1.2937] * 7)
    p = np.full(10, 0.1)
    delta = family.radius(0.8)
    solution = family.solve(torch.tensor(losses), delta, 0.0, ref_weights=torch.tensor(p))
    reference = primal_slsqp(losses, p, delta, 0.0, family.alpha)
    check_solution(family, losses, p, delta, 0.0, solution, reference, rtol=1e-6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=st.sampled_from(FAMILIES),
    seed=st.integers(0, 2**31),
    n=st.one_of(st.integers(1, 64), st.sampled_from([127, 128, 1000, 4096])),
    scale_exp=st.floats(-3, 4),
    ties=st.integers(0, 3),
    delta=st.one_of(
        st.sampled_from([0.0, 1e-4, 0.1, 0.5, 1.0, 3.0, 20.0]), st.floats(1e-5, 10.0)
    ),
    kappa_frac=st.sampled_from([0.0, 0.0, 0.01, 0.5]),
    weighted=st.booleans(),
)
def test_matches_independent_dual_solver(
    family, seed, n, scale_exp, ties, delta, kappa_frac, weighted
):
    losses = make_losses(seed, n, scale_exp, ties)
    rng = np.random.default_rng(seed + 2)
    p = rng.uniform(0.0, 1.0, n) if weighted else np.ones(n)
    if p.sum() == 0:
        p[0] = 1.0
    p = p / p.sum()
    kappa = kappa_frac * (losses.mean() + 1e-3)
    solution = family.solve(torch.tensor(losses), delta, kappa, ref_weights=torch.tensor(p))
    if delta == 0.0:
        assert torch.equal(solution.weights, torch.ones(n, dtype=torch.float64))
        assert float(solution.value) == pytest.approx(p @ losses, rel=1e-12)
        return
    reference = reference_value(family, losses, p, delta, kappa)
    check_solution(family, losses, p, delta, kappa, solution, reference)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_radius_beyond_reach_puts_all_mass_on_smallest_losses_with_ties_shared(family):
    losses = torch.tensor([3.0, 0.5, 7.0, 0.5, 2.0, 0.5], dtype=torch.float64)
    solution = family.solve(losses, delta=50.0)
    expected = torch.tensor([0.0, 2.0, 0.0, 2.0, 0.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(solution.weights, expected)
    assert float(solution.value) == pytest.approx(0.5)
    assert float(solution.tau) == 0.0
    assert float(solution.divergence) == pytest.approx(family.concentration_divergence(0.5))


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_zero_radius_is_plain_average(family):
    losses = torch.rand(50, dtype=torch.float64)
    solution = family.solve(losses, delta=0.0)
    assert torch.equal(solution.weights, torch.ones(50, dtype=torch.float64))
    assert float(solution.value) == pytest.approx(float(losses.mean()))
    assert math.isinf(float(solution.tau))


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_radius_binds_exactly(family):
    losses = torch.distributions.Exponential(1.0).sample((300,)).double()
    delta = family.radius(0.3)
    solution = family.solve(losses, delta)
    assert float(family.divergence(solution.weights)) == pytest.approx(delta, rel=1e-8)
    assert float(solution.divergence) == pytest.approx(delta, rel=1e-8)
    assert float(solution.lam) > 0


def test_kappa_floor_binds_when_radius_is_slack():
    kl = KLDivergence()
    losses = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    solution = kl.solve(losses, delta=5.0, kappa=2.0)
    expected = torch.softmax(-losses / 2.0, 0) * 4
    torch.testing.assert_close(solution.weights, expected)
    assert float(solution.tau) == pytest.approx(2.0)
    assert float(solution.lam) == 0.0


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_penalty_only(family):
    losses = torch.tensor([0.2, 1.0, 2.0, 5.0], dtype=torch.float64)
    solution = family.solve(losses, delta=math.inf, kappa=0.7)
    reference = reference_value(family, losses.numpy(), np.full(4, 0.25), math.inf, 0.7)
    assert float(solution.value) == pytest.approx(reference, rel=1e-8)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_integer_sample_weights_equal_row_repetition(family):
    losses = torch.tensor([0.1, 2.0, 0.7, 5.0], dtype=torch.float64)
    counts = torch.tensor([2, 1, 3, 1])
    weighted = family.solve(losses, 0.4, ref_weights=counts.double())
    repeated = family.solve(losses.repeat_interleave(counts), 0.4)
    torch.testing.assert_close(weighted.value, repeated.value)
    torch.testing.assert_close(weighted.weights.repeat_interleave(counts), repeated.weights)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_device_style_fixed_iterations_match_early_stop(family):
    # early_stop=False is the accelerator path (tensor scalars, fixed iteration count, no
    # reads to the host); it must agree with the CPU path.
    gen = torch.Generator().manual_seed(0)
    for n in (1, 7, 128):
        losses = torch.rand(n, generator=gen, dtype=torch.float64) * 5
        for delta in (0.01, family.radius(0.4), 10.0):
            host = family.solve(losses, delta, kappa=0.01)
            device = family.solve(losses, delta, kappa=0.01, early_stop=False, max_iter=100)
            torch.testing.assert_close(device.weights, host.weights, rtol=1e-7, atol=1e-9)
            torch.testing.assert_close(device.value, host.value, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_accelerator_path_reads_nothing_back_from_the_device(family):
    # Tensors on the "meta" device have no data: any read to the host (item(), bool(),
    # float(), a tensor given where a number is expected) raises. Off the CPU the solve,
    # its warm start, its sample weights and the loss's weights must never read one.
    losses = torch.rand(64, device="meta")
    first = family.solve(losses, family.radius(0.3), kappa=0.01)
    solution = family.solve(
        losses, family.radius(0.3), init=first, ref_weights=torch.rand(64, device="meta")
    )
    assert solution.scaled_weights(1 / 64, torch.float32).device.type == "meta"
    assert solution.value.device.type == "meta"
    criterion = AntidoteLoss(family, forget_rate=0.3)
    logits = torch.randn(8, 3, device="meta", requires_grad=True)
    target = torch.zeros(8, dtype=torch.long, device="meta")
    for _ in range(2):
        criterion(logits, target).backward()
    # The confident floor's radius is computed, and used, on the device.
    criterion.set_confident_floor([0.6, 0.6, 0.6])
    for _ in range(2):
        criterion(logits, target).backward()


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_a_radius_given_as_a_tensor_is_the_same_ball(family):
    losses = torch.rand(50, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for rate in (0.05, 0.4, 0.8):
        delta = family.radius(rate)
        for early_stop in (True, False):
            given = family.solve(
                losses, torch.tensor(delta, dtype=torch.float64), early_stop=early_stop
            )
            number = family.solve(losses, delta, early_stop=early_stop)
            torch.testing.assert_close(given.weights, number.weights, rtol=1e-9, atol=1e-12)
            assert float(given.divergence) == pytest.approx(delta, rel=1e-6)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_warm_start_gives_the_cold_start_answer(family):
    gen = torch.Generator().manual_seed(1)
    delta = family.radius(0.4)
    state = None
    for _ in range(20):
        losses = torch.distributions.Exponential(1.0).sample((128,)).double() * 3
        warm = family.solve(losses, delta, init=state)
        cold = family.solve(losses, delta)
        torch.testing.assert_close(warm.value, cold.value, rtol=1e-9, atol=0)
        state = warm.state
    del gen


@pytest.mark.parametrize("early_stop", [True, False], ids=["host", "device-style"])
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_warm_start_from_a_solution_gives_the_cold_start_answer(family, early_stop):
    # Training passes the previous batch's solution, whose dual variable in loss units
    # (temperature or threshold) starts the next solve; batches of a different scale and
    # the uniform and concentrated ends of the path must not mislead it.
    gen = torch.Generator().manual_seed(2)
    delta = family.radius(0.3)
    previous = None
    for scale in (1.0, 50.0, 0.01, 3.0):
        for radius in (delta, 0.0, 40.0, delta):
            losses = torch.rand(64, generator=gen, dtype=torch.float64) * scale
            warm = family.solve(
                losses, radius, init=previous, early_stop=early_stop, max_iter=100
            )
            cold = family.solve(losses, radius, early_stop=early_stop, max_iter=100)
            torch.testing.assert_close(warm.value, cold.value, rtol=1e-9, atol=0)
            torch.testing.assert_close(warm.weights, cold.weights, rtol=1e-7, atol=1e-9)
            previous = warm


@pytest.mark.parametrize("early_stop", [True, False], ids=["host", "device-style"])
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_a_state_given_as_a_number_or_tensor_starts_the_solve(family, early_stop):
    # init may be a solution's state as a float or a 0-d tensor on either path; a
    # non-finite one carries no information and falls back to the cold start.
    losses = torch.rand(32, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    delta = family.radius(0.3)
    cold = family.solve(losses, delta, early_stop=early_stop, max_iter=100)
    for init in (float(cold.state) + 0.5, cold.state - 0.5, math.inf, torch.tensor(-math.inf)):
        warm = family.solve(losses, delta, init=init, early_stop=early_stop, max_iter=100)
        torch.testing.assert_close(warm.value, cold.value, rtol=1e-9, atol=0)
        torch.testing.assert_close(warm.weights, cold.weights, rtol=1e-7, atol=1e-9)


def test_alpha_forgets_exactly_and_kl_never_does():
    losses = torch.cat([torch.zeros(80), torch.full((20,), 10.0)]).double()
    losses += torch.linspace(0, 0.5, 100, dtype=torch.float64)
    kl, chi2 = KLDivergence(), AlphaDivergence(2.0)
    kl_weights = kl.solve(losses, kl.radius(0.2)).weights
    # A radius that allows forgetting somewhat more than the 20 outliers: the weights on the
    # rest are not uniform (they are linear in the loss gap), which uses part of the budget.
    chi2_weights = chi2.solve(losses, chi2.radius(0.3)).weights
    assert torch.all(kl_weights > 0)
    assert torch.all(chi2_weights[80:] == 0)
    assert torch.all(chi2_weights[:80] > 0)


def test_rho_is_the_forgetting_threshold():
    chi2 = AlphaDivergence(2.0)
    losses = torch.linspace(0, 1, 11, dtype=torch.float64)
    solution = chi2.solve(losses, chi2.radius(0.5))
    threshold = -float(solution.rho)
    assert torch.all(solution.weights[losses >= threshold] == 0)
    assert torch.all(solution.weights[losses < threshold] > 0)


def test_float32_and_half_losses_are_solved_in_float64():
    kl = KLDivergence()
    losses = torch.rand(64)
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        solution = kl.solve(losses.to(dtype), 0.3)
        assert solution.weights.dtype == torch.float64
        assert torch.isfinite(solution.weights).all()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nonfinite_losses_raise(bad):
    losses = torch.tensor([0.1, bad, 0.3])
    with pytest.raises(ValueError, match=r"1 of 3 losses are not finite \(first at position 1"):
        KLDivergence().solve(losses, 0.1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"delta": -0.1}, r"delta must be a number in \[0, inf\]"),
        ({"delta": float("nan")}, "delta must be"),
        ({"delta": 0.1, "kappa": -1.0}, r"kappa must be a finite number in \[0, inf\)"),
        ({"delta": float("inf")}, "delta=inf needs a positive kappa"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KLDivergence().solve(torch.rand(4), **kwargs)


def test_bad_inputs_are_named():
    kl = KLDivergence()
    with pytest.raises(ValueError, match="non-empty 1-D tensor, got shape \\(2, 2\\)"):
        kl.solve(torch.rand(2, 2), 0.1)
    with pytest.raises(ValueError, match="non-empty 1-D tensor, got shape \\(0,\\)"):
        kl.solve(torch.rand(0), 0.1)
    with pytest.raises(ValueError, match=r"\(ref_weights\) must have the losses' shape"):
        kl.solve(torch.rand(3), 0.1, ref_weights=torch.ones(4))
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        kl.solve(torch.rand(3), 0.1, ref_weights=torch.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match=r"forget_rate must be a finite number in \[0, 1\), got 1"):
        kl.radius(1.0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \(1, inf\), got 1"):
        AlphaDivergence(1)
    with pytest.raises(ValueError, match="divergence must be 'kl', 'alpha', 'chi2'"):
        get_divergence("hellinger")


def test_radius_formulas():
    assert KLDivergence().radius(0.4) == pytest.approx(-math.log(0.6))
    a = 3.0
    assert AlphaDivergence(a).radius(0.4) == pytest.approx((0.6 ** (1 - a) - 1) / (a * (a - 1)))
    assert KLDivergence().radius(0.0) == 0.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_cuda_matches_cpu(family):
    losses = torch.rand(512, dtype=torch.float64) * 4
    cpu = family.solve(losses, family.radius(0.3), kappa=0.01)
    cuda = family.solve(losses.cuda(), family.radius(0.3), kappa=0.01)
    assert cuda.weights.device.type == "cuda"
    torch.testing.assert_close(cuda.weights.cpu(), cpu.weights, rtol=1e-7, atol=1e-9)


def per_class_batch(seed, dtype=torch.float64):
    """Losses of 7 classes: one absent (3), one with a single row (5), one all-equal (6)."""
    gen = torch.Generator().manual_seed(seed)
    classes = torch.randint(0, 5, (90,), generator=gen)
    classes[classes == 3] = 4
    classes[:4] = torch.tensor([5, 6, 6, 6])
    losses = torch.rand(90, generator=gen, dtype=torch.float64) * 4
    losses[1:4] = 0.7
    return losses.to(dtype), classes


# Class 2's radius is 0 (uniform); class 4's is beyond reach (all mass on its smallest loss).
PER_CLASS_RATES = (0.1, 0.3, 0.0, 0.2, 0.999999, 0.3, 0.4)


@pytest.mark.parametrize("kappa", [0.0, 0.05])
@pytest.mark.parametrize("weighted", [False, True], ids=["uniform-P", "sample-weights"])
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_per_class_solve_is_each_class_solved_alone(family, weighted, kappa):
    losses, classes = per_class_batch(0)
    ref = torch.rand(90, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ref = ref + 0.1 if weighted else None
    deltas = [family.radius(r) for r in PER_CLASS_RATES]
    deltas[4] = 1e5
    solution = family.solve_per_class(losses, classes, deltas, kappa, ref_weights=ref)
    for k, delta in enumerate(deltas):
        rows = classes == k
        if not rows.any():  # absent: the uniform solution's scalars, value 0
            assert float(solution.value[k]) == 0.0
            assert float(solution.divergence[k]) == 0.0
            assert math.isinf(float(solution.tau[k])) and float(solution.state[k]) == -math.inf
            continue
        alone = family.solve(
            losses[rows], delta, kappa, ref_weights=None if ref is None else ref[rows]
        )
        torch.testing.assert_close(solution.weights[rows], alone.weights, rtol=1e-9, atol=1e-9)
        for name in ("value", "divergence", "tau", "lam"):
            torch.testing.assert_close(
                getattr(solution, name)[k], getattr(alone, name), rtol=1e-9, atol=1e-9
            )
        p = torch.ones(int(rows.sum()), dtype=torch.float64) if ref is None else ref[rows]
        assert float(p @ solution.weights[rows] / p.sum()) == pytest.approx(1.0, abs=1e-12)
        if delta > 0:
            reference = reference_value(
                family, losses[rows].numpy(), (p / p.sum()).numpy(), delta, kappa
            )
            tolerance = 1e-9 * (1 + float(losses[rows].max()))
            assert float(solution.value[k]) == pytest.approx(reference, rel=1e-6, abs=tolerance)
    assert torch.equal(solution.weights[classes == 2], torch.ones(int((classes == 2).sum()),
                                                                 dtype=torch.float64))
    assert float(solution.weights[0]) == 1.0  # the single row of class 5
    if kappa == 0.0:  # class 4 concentrates on its smallest loss
        rows = torch.nonzero(classes == 4).flatten()
        smallest = rows[losses[rows].argmin()]
        assert float(solution.weights[rows].max()) == float(solution.weights[smallest])
        assert int((solution.weights[rows] > 0).sum()) == 1


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_per_class_device_style_and_warm_start_match_the_host_path(family):
    deltas = [family.radius(r) for r in PER_CLASS_RATES]
    previous = None
    for seed in range(4):
        losses, classes = per_class_batch(seed, dtype=torch.float32)
        host = family.solve_per_class(losses, classes, deltas, 0.01, init=previous)
        device = family.solve_per_class(
            losses, classes, deltas, 0.01, early_stop=False, max_iter=100, init=previous
        )
        cold = family.solve_per_class(losses, classes, deltas, 0.01)
        assert host.weights.dtype == torch.float64
        for solution in (device, cold):
            torch.testing.assert_close(solution.weights, host.weights, rtol=1e-7, atol=1e-9)
            torch.testing.assert_close(solution.value, host.value, rtol=1e-9, atol=1e-12)
        previous = host


def test_per_class_bad_inputs_are_named():
    kl = KLDivergence()
    losses = torch.rand(4)
    with pytest.raises(ValueError, match=r"classes must lie in \[0, 2\) for 2 radii"):
        kl.solve_per_class(losses, torch.tensor([0, 1, 2, 0]), [0.1, 0.1])
    with pytest.raises(ValueError, match="classes must be a 1-D integer tensor"):
        kl.solve_per_class(losses, torch.zeros(4), [0.1])
    with pytest.raises(ValueError, match=r"deltas\[1\] must be a number in \[0, inf\]"):
        kl.solve_per_class(losses, torch.zeros(4, dtype=torch.long), [0.1, -1.0])
    with pytest.raises(ValueError, match=r"deltas\[0\]=inf needs a positive kappa"):
        kl.solve_per_class(losses, torch.zeros(4, dtype=torch.long), [math.inf])
    with pytest.raises(ValueError, match="non-empty 1-D sequence of radii"):
        kl.solve_per_class(losses, torch.zeros(4, dtype=torch.long), [])


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_per_class_accelerator_path_reads_nothing_back_from_the_device(family):
    losses = torch.rand(64, device="meta")
    classes = torch.zeros(64, dtype=torch.long, device="meta")
    deltas = [family.radius(0.3), 0.0, family.radius(0.1)]
    first = family.solve_per_class(losses, classes, deltas, kappa=0.01)
    solution = family.solve_per_class(
        losses, classes, deltas, init=first, ref_weights=torch.rand(64, device="meta")
    )
    assert solution.scaled_weights(1 / 64, torch.float32).device.type == "meta"
    assert solution.value.shape == (3,) and solution.value.device.type == "meta"
    criterion = AntidoteLoss(family, forget_rate=[0.3, 0.1, 0.0], per_class=True, kappa=0.01)
    logits = torch.randn(8, 3, device="meta", requires_grad=True)
    target = torch.zeros(8, dtype=torch.long, device="meta")
    for _ in range(2):
        criterion(logits, target).backward()
    assert criterion.divergence_.device.type == "meta"
