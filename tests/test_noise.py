"""Tests for skantidote.noise (synthetic label-noise injection)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skantidote.noise import (
    CIFAR10_ASYMMETRIC_MAP,
    cifar10_asymmetric_noise,
    instance_noise,
    pair_noise,
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
