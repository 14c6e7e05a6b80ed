"""Tests for skantidote.noise (synthetic label-noise injection)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skantidote.noise import (
    CIFAR10_ASYMMETRIC_MAP,
    cifar10_asymmetric_noise,
    class_conditional_noise,
    instance_noise,
    outlier_targets,
    pair_noise,
    random_noise_matrix,
    shifted_targets,
    swapped_targets,
    symmetric_noise,
    transition_noise,
)

PER_CLASS_FUNCS = [symmetric_noise, pair_noise]
RATE_FUNCS = [symmetric_noise, pair_noise, cifar10_asymmetric_noise]


def _unbalanced_labels():
    # class sizes 37, 50, 113, 8 (int(rate * n_k) rounds differently per class)
    return np.repeat(np.array([3, 7, 11, 42]), [37, 50, 113, 8])


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


# ---------------------------------------------------------------------------
# symmetric and pair noise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", PER_CLASS_FUNCS)
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5, 0.9])
def test_exact_per_class_counts(func, rate):
    y = _unbalanced_labels()
    y_noisy, mask = func(y, rate, random_state=0)
    for k in np.unique(y):
        n_k = int(np.sum(y == k))
        assert mask[y == k].sum() == int(rate * n_k)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, y_noisy != y)


@pytest.mark.parametrize("func", PER_CLASS_FUNCS)
def test_never_relabels_to_same_class_and_stays_in_label_set(func):
    y = _unbalanced_labels()
    y_noisy, mask = func(y, 0.6, random_state=1)
    assert np.all(y_noisy[mask] != y[mask])
    np.testing.assert_array_equal(y_noisy[~mask], y[~mask])
    assert set(np.unique(y_noisy)) <= set(np.unique(y))
    assert y_noisy.dtype == y.dtype
    assert y_noisy.shape == y.shape


def test_symmetric_targets_are_uniform_over_other_classes():
    y = np.repeat(np.arange(4), 5000)
    y_noisy, mask = symmetric_noise(y, 0.6, random_state=0)
    for k in range(4):
        targets = y_noisy[(y == k) & mask]
        counts = np.array([np.sum(targets == j) for j in range(4)])
        assert counts[k] == 0
        freqs = np.delete(counts, k) / targets.size
        np.testing.assert_allclose(freqs, 1 / 3, atol=0.03)


def test_pair_noise_maps_to_next_sorted_class_with_wraparound():
    y = np.array(["b", "c", "a"] * 20)  # sorted classes: a, b, c
    y_noisy, mask = pair_noise(y, 0.5, random_state=0)
    expected = {"a": "b", "b": "c", "c": "a"}
    for src, dst in zip(y[mask], y_noisy[mask], strict=True):
        assert expected[src] == dst


@pytest.mark.parametrize("func", RATE_FUNCS)
def test_reproducible_with_seed_and_varies_across_seeds(func):
    y = np.repeat(np.arange(10), 100)
    a, mask_a = func(y, 0.3, random_state=123)
    b, mask_b = func(y, 0.3, random_state=123)
    c, _ = func(y, 0.3, random_state=124)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_a, mask_b)
    assert not np.array_equal(a, c)


def _global_rng_state():
    # the legacy global generator is exactly what must stay untouched
    _, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    return keys.copy(), pos, has_gauss, cached


@pytest.mark.parametrize(
    "call",
    [
        lambda y, rs: symmetric_noise(y, 0.3, random_state=rs),
        lambda y, rs: pair_noise(y, 0.3, random_state=rs),
        lambda y, rs: cifar10_asymmetric_noise(y, 0.3, random_state=rs),
        lambda y, rs: transition_noise(y, np.full((10, 10), 0.1), random_state=rs),
        lambda y, rs: instance_noise(
            np.arange(y.size * 2.0).reshape(-1, 2) % 7, y, 0.3, random_state=rs
        ),
    ],
    ids=["symmetric", "pair", "cifar10", "transition", "instance"],
)
def test_does_not_touch_global_rng_or_input(call):
    y = np.repeat(np.arange(10), 50)
    y_before = y.copy()
    before = _global_rng_state()
    call(y, 5)
    call(y, None)  # random_state=None must not use the global generator either
    after = _global_rng_state()
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]
    np.testing.assert_array_equal(y, y_before)


def test_random_state_instance_is_used():
    y = np.repeat(np.arange(3), 100)
    a, _ = symmetric_noise(y, 0.3, random_state=np.random.RandomState(7))
    b, _ = symmetric_noise(y, 0.3, random_state=7)
    np.testing.assert_array_equal(a, b)


def test_string_labels_and_input_containers():
    y_list = ["cat"] * 30 + ["dog"] * 20 + ["emu"] * 10
    expected, expected_mask = symmetric_noise(y_list, 0.3, random_state=0)
    assert expected.dtype.kind == "U"
    assert set(expected) <= {"cat", "dog", "emu"}
    assert [int(expected_mask[np.asarray(y_list) == c].sum()) for c in ("cat", "dog", "emu")] == [
        9,
        6,
        3,
    ]
    for container in (np.asarray(y_list), pd.Series(y_list, index=np.arange(100, 160))):
        got, got_mask = symmetric_noise(container, 0.3, random_state=0)
        assert isinstance(got, np.ndarray) and isinstance(got_mask, np.ndarray)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got_mask, expected_mask)


def test_pandas_categorical_and_object_labels():
    y = pd.Series(pd.Categorical(["lo", "hi", "mid"] * 20))
    y_noisy, mask = pair_noise(y, 0.5, random_state=0)
    assert isinstance(y_noisy, np.ndarray)
    assert mask.sum() == 30
    np.testing.assert_array_equal(mask, y_noisy != np.asarray(y))


def test_two_classes_symmetric_is_a_swap():
    y = np.array([0] * 50 + [1] * 50)
    y_noisy, mask = symmetric_noise(y, 0.2, random_state=0)
    np.testing.assert_array_equal(y_noisy[mask], 1 - y[mask])


# ---------------------------------------------------------------------------
# transition-matrix noise
# ---------------------------------------------------------------------------


def test_transition_frequencies_match_matrix():
    T = np.array(
        [
            [0.7, 0.2, 0.1],
            [0.0, 1.0, 0.0],
            [0.25, 0.25, 0.5],
        ]
    )
    y = np.repeat(np.arange(3), 20000)
    y_noisy, mask = transition_noise(y, T, random_state=0)
    empirical = np.array([[np.mean(y_noisy[y == i] == j) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(empirical, T, atol=0.015)
    # zero-probability transitions never happen
    assert np.all(y_noisy[y == 1] == 1)
    np.testing.assert_array_equal(mask, y_noisy != y)


def test_transition_with_explicit_classes_order_and_extra_class():
    # rows follow the user's class order, not the sorted order; "z" is absent from y
    classes = ["z", "b", "a"]
    T = np.array(
        [
            [1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],  # every "b" becomes "z"
            [0.0, 0.0, 1.0],  # "a" stays
        ]
    )
    y = np.array(["a", "b"] * 10)
    y_noisy, mask = transition_noise(y, T, classes=classes, random_state=0)
    np.testing.assert_array_equal(y_noisy[y == "b"], "z")
    np.testing.assert_array_equal(y_noisy[y == "a"], "a")
    np.testing.assert_array_equal(mask, y == "b")


def test_transition_identity_is_noiseless_and_reproducible():
    y = pd.Series([5, 1, 9, 1, 5] * 10)
    y_noisy, mask = transition_noise(y, np.eye(3), random_state=0)
    np.testing.assert_array_equal(y_noisy, y.to_numpy())
    assert not mask.any()
    T = np.full((3, 3), 1 / 3)
    a, _ = transition_noise(y, T, random_state=3)
    b, _ = transition_noise(y, T, random_state=3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "T, match",
    [
        (np.ones(3) / 3, r"square 2-D array, got shape \(3,\)"),
        (np.ones((3, 2)) / 2, r"square 2-D array, got shape \(3, 2\)"),
        (np.eye(2), r"shape \(2, 2\) but there are 3 classes"),
        (np.array([[1.2, -0.2, 0], [0, 1, 0], [0, 0, 1]]), r"non-negative, got T\[0, 1\] = -0.2"),
        (np.array([[np.nan, 1, 0], [0, 1, 0], [0, 0, 1]]), r"finite and non-negative"),
        (np.array([[0.5, 0.4, 0], [0, 1, 0], [0, 0, 1]]), r"row 0 sums to 0.9"),
        (np.eye(3) * (1 + 1e-6), r"row 0 sums to 1.000001"),
    ],
)
def test_transition_matrix_validation(T, match):
    y = np.repeat(np.arange(3), 5)
    with pytest.raises(ValueError, match=match):
        transition_noise(y, T)


def test_transition_accepts_rows_summing_to_one_within_tolerance():
    T = np.eye(3) + np.diag([1e-10, -1e-10, 0])
    y = np.repeat(np.arange(3), 5)
    y_noisy, mask = transition_noise(y, T, random_state=0)
    # Rows off by 1e-10 are accepted and used as they are: the identity changes nothing.
    np.testing.assert_array_equal(y_noisy, y)
    assert not mask.any()


def test_transition_classes_validation():
    y = np.array(["a", "b", "c"] * 3)
    with pytest.raises(ValueError, match=r"labels \['c'\] that are not in classes"):
        transition_noise(y, np.eye(2), classes=["a", "b"])
    with pytest.raises(ValueError, match="must not contain duplicates"):
        transition_noise(y, np.eye(4), classes=["a", "b", "c", "a"])
    with pytest.raises(ValueError, match="classes must list at least 2"):
        transition_noise(np.array(["a"] * 3), np.eye(1), classes=["a"])
    with pytest.raises(ValueError, match="shape"):
        transition_noise(y, np.eye(3), classes=["a", "b", "c", "d"])


# ---------------------------------------------------------------------------
# instance-dependent noise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3])
def test_instance_noise_flips_exact_count(digits, rate):
    X, y = digits
    y_noisy, mask = instance_noise(X, y, rate, random_state=0)
    assert mask.sum() == round(rate * len(y))
    np.testing.assert_array_equal(mask, y_noisy != y)
    assert set(np.unique(y_noisy)) <= set(np.unique(y))


def test_instance_noise_prefers_confusable_samples(digits):
    X, y = digits
    y_noisy, mask = instance_noise(X, y, 0.2, random_state=0)
    Xs = StandardScaler().fit_transform(X)
    proba = LogisticRegression(max_iter=1000).fit(Xs, y).predict_proba(Xs)
    p_true = proba[np.arange(len(y)), y]
    assert p_true[mask].mean() < p_true[~mask].mean()
    # flipped labels go to the most confusable other class
    other = proba.copy()
    other[np.arange(len(y)), y] = -np.inf
    np.testing.assert_array_equal(y_noisy[mask], other.argmax(axis=1)[mask])


def test_instance_noise_reproducible_and_string_labels(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    names = np.array(["zero", "one", "two", "three", "four"] + ["x5", "x6", "x7", "x8", "x9"])
    y_str = pd.Series(names[y])
    a, mask_a = instance_noise(X, y_str, 0.15, random_state=11)
    b, mask_b = instance_noise(pd.DataFrame(X), y_str.to_list(), 0.15, random_state=11)
    c, _ = instance_noise(X, y_str, 0.15, random_state=12)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_a, mask_b)
    assert not np.array_equal(a, c)
    assert set(a) <= set(names) and mask_a.sum() == 60
    # same corruption as with integer labels (names sort differently, scheme is identical)
    ints, mask_ints = instance_noise(X, y, 0.15, random_state=11)
    np.testing.assert_array_equal(mask_a, mask_ints)
    np.testing.assert_array_equal(a, names[ints])


def test_instance_noise_validation(digits):
    X, y = digits
    with pytest.raises(ValueError, match="X has 1797 rows, y has 10 labels"):
        instance_noise(X, y[:10], 0.1)
    with pytest.raises(ValueError, match=r"rate must be a real number in \[0, 1\), got 1.0"):
        instance_noise(X, y, 1.0)
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        instance_noise(X, np.zeros(len(y)), 0.1)


# ---------------------------------------------------------------------------
# CIFAR-10 asymmetric noise
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.2, 0.4])
def test_cifar10_asymmetric_mapping_and_counts(rate):
    sizes = np.array([100, 90, 80, 77, 60, 55, 40, 33, 20, 11])
    y = np.repeat(np.arange(10), sizes)
    y_noisy, mask = cifar10_asymmetric_noise(y, rate, random_state=0)
    np.testing.assert_array_equal(mask, y_noisy != y)
    assert y_noisy.dtype == y.dtype
    for k in range(10):
        flipped = mask & (y == k)
        if k in CIFAR10_ASYMMETRIC_MAP:
            assert flipped.sum() == int(rate * sizes[k])
            np.testing.assert_array_equal(y_noisy[flipped], CIFAR10_ASYMMETRIC_MAP[k])
        else:
            assert flipped.sum() == 0
    assert CIFAR10_ASYMMETRIC_MAP == {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}


def test_cifar10_asymmetric_cat_dog_swap_uses_clean_labels():
    # cat -> dog and dog -> cat are decided on the clean labels, not chained
    y = np.array([3] * 10 + [5] * 10)
    y_noisy, mask = cifar10_asymmetric_noise(y, 0.5, random_state=0)
    assert np.sum(y_noisy[:10] == 5) == 5 and np.sum(y_noisy[10:] == 3) == 5
    assert mask.sum() == 10


def test_cifar10_asymmetric_validation():
    with pytest.raises(ValueError, match=r"class indices in 0\.\.9, got values \[-1, 10\]"):
        cifar10_asymmetric_noise([0, 10, -1, 3], 0.2)
    with pytest.raises(ValueError, match="got an array of dtype <U5"):
        cifar10_asymmetric_noise(["truck", "cat"], 0.2)
    with pytest.raises(ValueError, match="got an array of dtype float64"):
        cifar10_asymmetric_noise(np.array([1.0, 2.0]), 0.2)


# ---------------------------------------------------------------------------
# shared validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", RATE_FUNCS)
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, np.nan, np.inf, "0.2", None, True])
def test_invalid_rate(func, rate):
    y = np.repeat(np.arange(10), 5)
    with pytest.raises(ValueError, match=r"rate must be a real number in \[0, 1\), got"):
        func(y, rate)


@pytest.mark.parametrize("func", RATE_FUNCS)
def test_numpy_scalar_rate_accepted(func):
    y = np.repeat(np.arange(10), 10)
    y_noisy, mask = func(y, np.float32(0.5), random_state=0)
    # The same corruption as with the Python float: half of each class that can flip (all
    # ten classes, or the five of the CIFAR-10 map).
    expected, expected_mask = func(y, 0.5, random_state=0)
    np.testing.assert_array_equal(y_noisy, expected)
    np.testing.assert_array_equal(mask, expected_mask)
    flippable = 5 if func is cifar10_asymmetric_noise else 10
    assert mask.sum() == 5 * flippable


@pytest.mark.parametrize("func", [symmetric_noise, pair_noise, cifar10_asymmetric_noise])
def test_y_must_be_1d(func):
    with pytest.raises(ValueError, match=r"1-D array of labels, got an array of shape \(4, 1\)"):
        func(np.zeros((4, 1), dtype=int), 0.1)


def test_transition_y_must_be_1d():
    with pytest.raises(ValueError, match=r"got an array of shape \(2, 2\)"):
        transition_noise([[0, 1], [1, 0]], np.eye(2))


@pytest.mark.parametrize("func", PER_CLASS_FUNCS)
@pytest.mark.parametrize("y", [[], [1, 1, 1], np.array(["a"])])
def test_at_least_two_classes(func, y):
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        func(y, 0.1)


def test_transition_at_least_two_classes():
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        transition_noise([4, 4], np.eye(1))


def test_unsortable_mixed_labels():
    with pytest.raises(TypeError, match="labels of a single type"):
        symmetric_noise(np.array([1, "a", 2.5], dtype=object), 0.1)


def test_invalid_random_state():
    with pytest.raises(ValueError, match="cannot be used to seed"):
        symmetric_noise([0, 1, 0, 1], 0.1, random_state="seed")


# ---------------------------------------------------------------------------
# regression targets
# ---------------------------------------------------------------------------

TARGET_FUNCS = [outlier_targets, shifted_targets, swapped_targets]
TARGET_IDS = ["outlier", "shifted", "swapped"]


def _targets(n=203, n_outputs=None, seed=0):
    # distinct continuous values, so that every exchanged row really changes
    rng = np.random.RandomState(seed)
    shape = (n,) if n_outputs is None else (n, n_outputs)
    return rng.normal(50.0, 7.0, size=shape)


def _changed_rows(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return (a != b).reshape(a.shape[0], -1).any(axis=1)


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
@pytest.mark.parametrize("n_outputs", [None, 1, 3])
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5, 0.9])
def test_targets_exact_count_and_honest_mask(func, n_outputs, rate):
    y = _targets(n_outputs=n_outputs)
    y_corrupted, is_corrupted = func(y, rate, random_state=0)
    assert y_corrupted.shape == y.shape and y_corrupted.dtype == np.float64
    assert is_corrupted.shape == (203,) and is_corrupted.dtype == bool
    assert is_corrupted.sum() == round(rate * 203)
    np.testing.assert_array_equal(is_corrupted, _changed_rows(y_corrupted, y))


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
def test_targets_reproducible_and_vary_across_seeds(func):
    y = _targets(n_outputs=2)
    a, mask_a = func(y, 0.3, random_state=123)
    b, mask_b = func(y, 0.3, random_state=123)
    c, _ = func(y, 0.3, random_state=124)
    d, _ = func(y, 0.3, random_state=np.random.RandomState(123))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_a, mask_b)
    np.testing.assert_array_equal(a, d)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
def test_targets_do_not_touch_global_rng_or_input(func):
    inputs = [
        _targets(),
        _targets(n_outputs=2).astype(np.float32),
        pd.Series(_targets(), index=np.arange(203) * 3),
        pd.DataFrame(_targets(n_outputs=2), columns=["a", "b"]),
        _targets().tolist(),
    ]
    before = _global_rng_state()
    for y in inputs:
        y_before = y.copy()
        func(y, 0.5, random_state=5)
        func(y, 0.5, random_state=None)  # a fresh generator, not the global one
        np.testing.assert_array_equal(np.asarray(y), np.asarray(y_before))
    after = _global_rng_state()
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
def test_targets_containers(func):
    values = _targets(n=40)
    expected, expected_mask = func(values, 0.25, random_state=0)
    series = pd.Series(values, index=pd.RangeIndex(100, 140), name="price")
    got, mask = func(series, 0.25, random_state=0)
    assert isinstance(got, pd.Series) and got.name == "price" and got.dtype == np.float64
    assert got.index.equals(series.index)
    assert isinstance(mask, np.ndarray)
    np.testing.assert_array_equal(got.to_numpy(), expected)
    np.testing.assert_array_equal(mask, expected_mask)
    # lists give arrays; integer and nullable integer targets give float64
    got, mask = func(values.tolist(), 0.25, random_state=0)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, expected)
    ints = np.arange(40) * 3
    for y in (ints, pd.Series(ints, dtype="Int64")):
        got, mask = func(y, 0.25, random_state=0)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(mask, _changed_rows(got, ints))
    # a DataFrame keeps its index and columns; a column vector keeps its shape
    frame = pd.DataFrame(_targets(n=40, n_outputs=2), columns=["x", "y"], index=list(range(40)))
    got, mask = func(frame, 0.25, random_state=0)
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(frame.index) and got.columns.equals(frame.columns)
    expected, expected_mask = func(frame.to_numpy(), 0.25, random_state=0)
    np.testing.assert_array_equal(got.to_numpy(), expected)
    got, _ = func(values.reshape(-1, 1), 0.25, random_state=0)
    assert got.shape == (40, 1)


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
def test_targets_corrupt_whole_rows(func):
    y = _targets(n_outputs=3)
    y_corrupted, is_corrupted = func(y, 0.4, random_state=0)
    np.testing.assert_array_equal(y_corrupted[~is_corrupted], y[~is_corrupted])
    # every output of a corrupted row changed
    assert np.all(y_corrupted[is_corrupted] != y[is_corrupted])


@pytest.mark.parametrize("n_outputs", [None, 3])
def test_shift_is_exactly_shift_standard_deviations(n_outputs):
    y = _targets(n=2000, n_outputs=n_outputs)
    if n_outputs:
        y[:, 1:] *= 1000.0  # columns on very different scales
    y_corrupted, is_corrupted = shifted_targets(y, 0.5, shift=2.5, random_state=0)
    delta = (y_corrupted - y).reshape(2000, -1)[is_corrupted]
    std = np.std(y.reshape(2000, -1), axis=0)
    np.testing.assert_allclose(np.abs(delta), 2.5 * std * np.ones_like(delta), rtol=1e-9)
    signs = np.sign(delta)
    # one direction per row for all its outputs, up or down with probability 1/2
    assert np.all(signs == signs[:, :1])
    assert abs(np.mean(signs[:, 0] > 0) - 0.5) < 0.05


def test_outliers_are_uniform_over_scale_standard_deviations():
    y = _targets(n=20000, n_outputs=2)
    y[:, 1] = y[:, 1] * 100.0 - 1e4
    y_corrupted, is_corrupted = outlier_targets(y, 0.5, scale=4.0, random_state=0)
    mean, std = y.mean(axis=0), y.std(axis=0)
    z = (y_corrupted[is_corrupted] - mean) / std  # uniform on [-4, 4] in every column
    assert np.all(np.abs(z) <= 4.0)
    np.testing.assert_allclose(z.min(axis=0), -4.0, atol=0.01)
    np.testing.assert_allclose(z.max(axis=0), 4.0, atol=0.01)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), 4.0 / np.sqrt(3), rtol=0.02)
    # beyond k standard deviations: a fraction 1 - k / scale
    np.testing.assert_allclose(np.mean(np.abs(z) > 3.0, axis=0), 0.25, atol=0.015)


def test_outlier_default_scale_is_ten():
    y = _targets(n=1000)
    a, _ = outlier_targets(y, 0.3, random_state=0)
    b, _ = outlier_targets(y, 0.3, scale=10.0, random_state=0)
    np.testing.assert_array_equal(a, b)
    assert np.max(np.abs(a - y.mean())) > 9 * y.std()


def test_shift_default_is_three():
    y = _targets()
    a, _ = shifted_targets(y, 0.3, random_state=0)
    b, _ = shifted_targets(y, 0.3, shift=3.0, random_state=0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n_outputs", [None, 2])
def test_swapped_targets_is_a_derangement_of_the_chosen_rows(n_outputs):
    y = _targets(n_outputs=n_outputs)
    for seed in range(20):
        y_corrupted, is_corrupted = swapped_targets(y, 0.2, random_state=seed)
        rows = np.flatnonzero(is_corrupted)
        assert rows.size == round(0.2 * 203)
        # the chosen rows' own targets, each in another chosen row
        moved = y_corrupted[rows].reshape(rows.size, -1)
        own = y[rows].reshape(rows.size, -1)
        source = [np.flatnonzero(np.all(own == row, axis=1)) for row in moved]
        assert all(s.size == 1 for s in source)
        perm = np.concatenate(source)
        np.testing.assert_array_equal(np.sort(perm), np.arange(rows.size))
        assert not np.any(perm == np.arange(rows.size))


def test_swapped_targets_draws_every_derangement_equally_often():
    # 4 rows, all chosen: the 9 derangements of 4 elements, each with probability 1/9
    y = np.arange(4.0)
    counts = {}
    for seed in range(1800):
        y_corrupted, _ = swapped_targets(y, 0.99, random_state=seed)
        key = tuple(y_corrupted.astype(int).tolist())
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 9
    assert all(key[i] != i for key in counts for i in range(4))
    np.testing.assert_allclose(np.array(list(counts.values())) / 1800, 1 / 9, atol=0.03)


def test_swapped_targets_two_rows_exchange():
    y = pd.Series([1.5, -2.0], index=["a", "b"])
    y_corrupted, is_corrupted = swapped_targets(y, 0.75, random_state=0)  # round(1.5) = 2
    assert y_corrupted.to_dict() == {"a": -2.0, "b": 1.5}
    np.testing.assert_array_equal(is_corrupted, [True, True])


def test_swapped_targets_ties_are_not_marked():
    # all three rows are chosen; the two 5s cannot both receive the 7, so one of them gets
    # the other 5: unchanged, and not marked
    y = np.array([5.0, 5.0, 7.0])
    for seed in range(10):
        y_corrupted, is_corrupted = swapped_targets(y, 0.99, random_state=seed)
        np.testing.assert_array_equal(is_corrupted, y_corrupted != y)
        assert is_corrupted.sum() == 2 and is_corrupted[2]
    # identical multi-output rows: only rows whose targets changed are marked
    y = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0], [1.0, 3.0]])
    y_corrupted, is_corrupted = swapped_targets(y, 0.99, random_state=0)
    np.testing.assert_array_equal(is_corrupted, np.any(y_corrupted != y, axis=1))
    # constant targets: nothing can change, and that is no error
    y_corrupted, is_corrupted = swapped_targets(np.ones(10), 0.5, random_state=0)
    assert not is_corrupted.any()


def test_swapped_targets_needs_zero_or_at_least_two_rows():
    y = np.arange(10.0)
    with pytest.raises(ValueError, match=r"rate=0\.1 of 10 rows picks 1; use a larger rate"):
        swapped_targets(y, 0.1)
    # rate * n_samples rounding to 0 corrupts nothing, as in the label-noise functions
    y_corrupted, is_corrupted = swapped_targets(y, 0.04, random_state=0)
    assert not is_corrupted.any()
    np.testing.assert_array_equal(y_corrupted, y)


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, np.nan, np.inf, "0.2", None, True])
def test_targets_invalid_rate(func, rate):
    with pytest.raises(ValueError, match=r"rate must be a real number in \[0, 1\), got"):
        func(_targets(n=20), rate)


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
def test_targets_numpy_scalar_rate_accepted(func):
    y = _targets(n=20)
    a, mask = func(y, np.float32(0.5), random_state=0)
    b, _ = func(y, 0.5, random_state=0)
    np.testing.assert_array_equal(a, b)
    assert mask.sum() == 10


@pytest.mark.parametrize(
    "func, name", [(outlier_targets, "scale"), (shifted_targets, "shift")], ids=["scale", "shift"]
)
@pytest.mark.parametrize("value", [0, -1.0, np.nan, np.inf, "3", None, True])
def test_invalid_scale_and_shift(func, name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a finite number in \(0, inf\), got"):
        func(_targets(n=20), 0.1, **{name: value})


@pytest.mark.parametrize("func", TARGET_FUNCS, ids=TARGET_IDS)
@pytest.mark.parametrize(
    "y, match",
    [
        (np.array(["1.5", "2.5"]), r"numeric \(an integer or float dtype\), got an array of "),
        (np.array([True, False]), "got an array of dtype bool"),
        (np.array([1.0, None], dtype=object), "got an array of dtype object"),
        (pd.Series(["a", "b"], dtype=object), "but y has dtype object"),
        (pd.DataFrame({"x": [1.0, 2.0], "kind": ["a", "b"]}), "but column 'kind' of y has dtype"),
        (pd.Series(pd.Categorical([1.0, 2.0])), "but y has dtype category"),
        ([1.0, np.nan, 3.0], r"must be finite, but 1 row\(s\) .* first at row position 1 \(nan\)"),
        ([[1.0, 2.0], [np.inf, 0.0]], r"first at row position 1 \(\[inf, 0\.0\]\)"),
        (pd.Series([1, None, 3, None], dtype="Int64"), r"2 row\(s\) of y hold NaN, infinite or"),
        (np.zeros((3, 2, 2)), r"\(n_samples, n_outputs\) .* got shape \(3, 2, 2\)"),
        (np.zeros((3, 0)), r"at least one output, got shape \(3, 0\)"),
        (2.0, r"got shape \(\)"),
        ([], "y is empty"),
    ],
)
def test_targets_validation(func, y, match):
    with pytest.raises(ValueError, match=match):
        func(y, 0.5)


@pytest.mark.parametrize("func, name", [(outlier_targets, "scale"), (shifted_targets, "shift")])
def test_constant_or_huge_targets_cannot_be_scaled(func, name):
    with pytest.raises(ValueError, match=rf"y is constant \(standard deviation 0\): {name} is"):
        func(np.full(10, 4.0), 0.0)
    with pytest.raises(ValueError, match="the column at position 1 of y is constant"):
        func(np.c_[np.arange(10.0), np.ones(10)], 0.3)
    with pytest.raises(ValueError, match=rf"{name}=1e\+308 standard deviations of y do not fit"):
        func(np.arange(10.0), 0.3, **{name: 1e308})
    with pytest.raises(ValueError, match=r"do not fit in float64 \(its values reach 1e\+200\)"):
        func([0.0, 1e200], 0.3)


# ---------------------------------------------------------------------------
# random noise matrices and class-conditional noise
# ---------------------------------------------------------------------------


def _off_diagonal(T):
    return T[~np.eye(len(T), dtype=bool)]


@pytest.mark.parametrize("n_classes", [2, 3, 5, 10])
@pytest.mark.parametrize("noise_rate", [0.05, 0.2, 0.45])
@pytest.mark.parametrize("prior", [None, "skewed"])
def test_random_noise_matrix_properties(n_classes, noise_rate, prior):
    p = None
    if prior == "skewed":
        p = np.arange(1.0, n_classes + 1)
        p /= p.sum()
    for seed in range(5):
        T = random_noise_matrix(
            n_classes, noise_rate, frac_zero_noise_rates=0.3, class_prior=p, random_state=seed
        )
        assert T.shape == (n_classes, n_classes)
        assert np.all(T >= 0)
        # row-stochastic, as transition_noise reads it
        np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-12)
        weights = np.full(n_classes, 1 / n_classes) if p is None else p
        assert abs(weights @ (1 - np.diag(T)) - noise_rate) < 1e-9
        # the floor: every class keeps most of its labels, diagonals dominate their rows
        assert np.all(np.diag(T) > 0.5)
        assert np.all(np.diag(T) > (T - np.diag(np.diag(T))).max(axis=1))
        # every row is noisy (noise_rate > 0) and per-class rates vary
        assert np.all(np.diag(T) < 1)
    rates = 1 - np.diag(random_noise_matrix(10, 0.2, random_state=0))
    assert np.ptp(rates) > 0.05


@pytest.mark.parametrize("n_classes", [3, 4, 7])
@pytest.mark.parametrize("frac", [0.0, 0.1, 0.25, 0.5, 0.6])
def test_random_noise_matrix_zero_fraction(n_classes, frac):
    n_off = n_classes * (n_classes - 1)
    expected = min(int(np.floor(frac * n_off + 0.5)), n_classes * (n_classes - 2))
    for seed in range(3):
        T = random_noise_matrix(n_classes, 0.3, frac_zero_noise_rates=frac, random_state=seed)
        off = _off_diagonal(T)
        assert np.sum(off == 0) == expected
        # every row keeps at least one confusion
        assert np.all((T - np.diag(np.diag(T))).max(axis=1) > 0)


def test_random_noise_matrix_edge_cases():
    # more zeros than leave every row a confusion: one non-zero entry per row remains
    T = random_noise_matrix(4, 0.2, frac_zero_noise_rates=1.0, random_state=0)
    assert np.all(np.sum(T > 0, axis=1) == 2)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_array_equal(random_noise_matrix(3, 0.0, random_state=0), np.eye(3))
    # a class of prior 0 still gets a valid row
    T = random_noise_matrix(3, 0.3, class_prior=[0.5, 0.5, 0.0], random_state=1)
    assert abs(0.5 * (2 - T[0, 0] - T[1, 1]) - 0.3) < 1e-9
    assert np.all(np.diag(T) > 0.5)


def test_random_noise_matrix_seeding():
    a = random_noise_matrix(6, 0.3, frac_zero_noise_rates=0.4, random_state=3)
    before = _global_rng_state()
    b = random_noise_matrix(6, 0.3, frac_zero_noise_rates=0.4, random_state=3)
    random_noise_matrix(6, 0.3, random_state=None)
    after = _global_rng_state()
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]
    np.testing.assert_array_equal(a, b)
    c = random_noise_matrix(
        6, 0.3, frac_zero_noise_rates=0.4, random_state=np.random.RandomState(3)
    )
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, random_noise_matrix(6, 0.3, random_state=4))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_classes": 1}, ValueError, r"n_classes must be an integer >= 2, got 1"),
        ({"n_classes": 2.0}, TypeError, r"n_classes must be an integer >= 2, got 2\.0"),
        ({"noise_rate": 0.5}, ValueError, r"noise_rate must be a finite number in \[0, 0\.5\)"),
        ({"noise_rate": -0.1}, ValueError, r"noise_rate .* got -0\.1"),
        ({"noise_rate": np.nan}, ValueError, r"noise_rate .* got nan"),
        (
            {"frac_zero_noise_rates": 1.5},
            ValueError,
            r"frac_zero_noise_rates must be a finite number in \[0, 1\], got 1\.5",
        ),
        ({"class_prior": [0.5, 0.5]}, ValueError, r"class_prior must have shape \(3,\)"),
        ({"class_prior": [0.5, 0.6, -0.1]}, ValueError, r"class_prior must be a probability"),
        ({"class_prior": [0.2, 0.2, 0.2]}, ValueError, r"\(sum 0\.6"),
    ],
)
def test_random_noise_matrix_validation(kwargs, error, match):
    args = {"n_classes": 3, "noise_rate": 0.2, **kwargs}
    with pytest.raises(error, match=match):
        random_noise_matrix(args.pop("n_classes"), args.pop("noise_rate"), random_state=0, **args)


def test_class_conditional_noise_follows_its_matrix():
    rng = np.random.RandomState(0)
    labels = np.array(["ant", "bee", "cat", "dog", "eel"])
    y = labels[rng.choice(5, size=5000, p=[0.1, 0.15, 0.2, 0.25, 0.3])]
    y_noisy, mask, T = class_conditional_noise(y, 0.25, frac_zero_noise_rates=0.5, random_state=1)
    assert T.shape == (5, 5)
    prior = np.array([np.mean(y == c) for c in labels])
    assert abs(prior @ (1 - np.diag(T)) - 0.25) < 1e-9
    assert abs(mask.mean() - 0.25) < 0.02
    np.testing.assert_array_equal(mask, y_noisy != y)
    assert y_noisy.dtype == y.dtype
    for i, c in enumerate(labels):
        in_class = y == c
        observed = np.array([np.mean(y_noisy[in_class] == d) for d in labels])
        np.testing.assert_allclose(observed, T[i], atol=0.04)
        # labels move only where the matrix allows
        assert np.all(observed[T[i] == 0] == 0)
    assert np.sum(_off_diagonal(T) == 0) == 10


def test_class_conditional_noise_seeding():
    y = np.repeat([0, 1, 2, 3], 50)
    a = class_conditional_noise(y, 0.3, random_state=5)
    before = _global_rng_state()
    b = class_conditional_noise(y, 0.3, random_state=5)
    class_conditional_noise(y, 0.3)
    after = _global_rng_state()
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]
    for x, z in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, z)
    y_noisy, mask, T = class_conditional_noise(y, 0.0, random_state=0)
    assert not mask.any() and np.array_equal(T, np.eye(4))
    with pytest.raises(ValueError, match=r"noise_rate must be a finite number in \[0, 0\.5\)"):
        class_conditional_noise(y, 0.7)
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        class_conditional_noise([1, 1, 1], 0.1)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda y: symmetric_noise(y, 0.2, random_state=0),
        lambda y: pair_noise(y, 0.2, random_state=0),
        lambda y: class_conditional_noise(y, 0.2, random_state=0),
        lambda y: instance_noise(np.arange(len(y), dtype=float)[:, None], y, 0.2,
                                 random_state=0),
    ],
    ids=["symmetric", "pair", "class_conditional", "instance"],
)
def test_a_missing_label_is_named_not_taken_for_a_class(corrupt):
    # NaN is not equal to itself: taken for a class, it made contradictory messages.
    y = np.array([0.0, 1.0, 2.0, np.nan] * 10)
    with pytest.raises(ValueError, match="10 missing labels .* first at position 3"):
        corrupt(y)


@pytest.mark.parametrize("corrupt", [symmetric_noise, pair_noise], ids=["symmetric", "pair"])
def test_rounding_that_eats_the_noise_warns(corrupt):
    # 50 classes of 4 rows: int(0.2 * 4) = 0 flips per class.
    y = np.repeat(np.arange(50), 4)
    with pytest.warns(UserWarning, match=r"rate=0.2 corrupted 0.0% .*smallest has 4 rows"):
        _, mask = corrupt(y, 0.2, random_state=0)
    assert not mask.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corrupt(np.repeat(np.arange(10), 100), 0.2, random_state=0)  # exact: no warning
